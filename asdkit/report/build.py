"""Assemble the HTML report of a RUN folder: :func:`build_report`, :func:`write_report`.

A piece with nothing to show gets no box: it becomes one line under "Not in this run"
(absent or unreadable artifacts, a history without epochs, no drawable ROC curve) or a
one-line note in its section (sections or domains without panels).
"""
from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path

import numpy as np

from .._version import __version__
from ..errors import AsdkitError
from ..metrics import SectionData
from ..utils import atomic_write_text
from . import page
from .artifacts import RunArtifacts, load_run


def _metrics_section(art: RunArtifacts) -> str:
    if art.metrics is None:
        if not art.has_scores_dir:
            return page.section("Metrics", "<p class='note'>No scores: nothing to evaluate.</p>")
        return page.section("Metrics", f"<p class='note'>scores/ is there but could not be evaluated: "
                                       f"{page.esc(art.scores_error)}</p>")
    result = art.metrics
    note = (f"AUC (d): normal clips of domain d against all anomalous clips; pAUC over both domains, "
            f"FPR ≤ {result.max_fpr}. Small grey numbers: {result.confidence:.0%} jackknife interval. "
            f"Ground truth: {page.esc(result.ground_truth)}.")
    return page.section("Metrics", page.summary_cards(result) + page.metrics_table(result)
                        + page.warning_list(result.warnings), note)


def _roc_section(art: RunArtifacts, section_data: list[SectionData], missing: list[str]) -> str | None:
    from .score_plots import roc_figure, roc_plan

    drawn, notes = roc_plan(section_data)
    if not drawn:
        missing.append("ROC curves: no section has both normal and anomalous test clips")
        return None
    by_key = {(m.machine, m.section): m for m in (art.metrics.sections if art.metrics else [])}
    return page.section("ROC curves", page.notes(notes) + page.image(roc_figure(drawn, by_key), "ROC curves"),
                        "Source: source normals vs all anomalies; target likewise. Grey band: pAUC range.")


def _histogram_section(art: RunArtifacts, section_data: list[SectionData]) -> str:
    from .score_plots import histogram_figure, histogram_plan

    panels, notes = histogram_plan(section_data, art.threshold)
    sections = {p.data.key: p for p in panels}.values()
    unmatched = [f"{p.data.machine}/{p.data.section}" for p in sections if p.threshold is None]
    if art.thresholds is not None and unmatched:
        notes.append(f"No threshold in scores/thresholds.json for {', '.join(unmatched)}.")
    thresholds = [(p.data.machine, p.data.section, p.threshold) for p in sections if p.threshold is not None]
    body = page.notes(notes) + page.image(histogram_figure(panels), "score histograms")
    return page.section("Score distributions", body + page.threshold_table(thresholds),
                        "Normal vs anomalous test clips per domain; dashed line: decision threshold "
                        "(a clip scoring above it is flagged anomalous).")


def _score_sections(art: RunArtifacts, missing: list[str]) -> list[str]:
    if not art.sections:
        return []
    return [part for part in (_roc_section(art, art.sections, missing), _histogram_section(art, art.sections))
            if part]


def _embedding_section(art: RunArtifacts, method: str) -> str | None:
    maps = [(title, array) for title, array in (("backbone embeddings", art.embeddings),
                                                ("after graph network + head", art.refined))
            if array is not None]
    if not maps:
        return None
    from .embedding_plots import embedding_figure

    return page.section("Embedding map", page.image(embedding_figure(maps, art.clips, method), "embedding map"),
                        "Colour: machine type; marker: label of test clips (dots: training clips).")


def _min_mean_max(degrees: np.ndarray) -> str:
    if degrees.size == 0:
        return "–"
    return f"{degrees.min()} / {degrees.mean():.2f} / {degrees.max()}"


def _graph_section(art: RunArtifacts, missing: list[str]) -> str | None:
    if art.graph is None:
        return None
    from .graph_stats import graph_figure, graph_stats

    try:
        stats = graph_stats(art.graph, art.machines_of_rows())
    except AsdkitError as exc:
        missing.append(f"graph.json: {exc}")
        return None
    pairs = [("k", str(stats.k)), ("nodes (training clips)", str(stats.n_nodes)), ("edges", str(stats.n_edges)),
             ("self-loops", str(stats.self_loops)),
             ("in-degree min / mean / max", _min_mean_max(stats.in_degree)),
             ("out-degree min / mean / max", _min_mean_max(stats.out_degree))]
    if stats.cross_type_share is not None:
        pairs.append(("neighbours from other machine types (cross-category propagation)",
                      f"{stats.cross_type_share:.1%}"))
        pairs += [(f"  … for {machine}", f"{share:.1%}") for machine, share in stats.cross_type_by_machine.items()]
    body = page.key_value_table(pairs) + page.image(graph_figure(stats), "graph statistics")
    return page.section("kNN graph", body, "Edges src → dst: dst aggregates src (PyTorch Geometric convention).")


def _history_section(art: RunArtifacts, missing: list[str]) -> str | None:
    if not art.history:
        return None
    from .history_plots import history_figure

    png = history_figure(art.history)
    if png is None:
        missing.append("history.json: no epochs recorded (no training stage ran), so no training curves")
        return None
    return page.section("Training curves", page.image(png, "training curves"))


def render_report_and_notes(art: RunArtifacts, embedding_method: str = "auto") -> tuple[str, list[str]]:
    """(the report as one self-contained HTML string, every line of what it could not show)."""
    missing = list(art.missing)
    parts = [_metrics_section(art), *_score_sections(art, missing)]
    for optional in (_embedding_section(art, embedding_method), _graph_section(art, missing),
                     _history_section(art, missing)):
        if optional:
            parts.append(optional)
    if missing:
        items = "".join(f"<li>{page.esc(line)}</li>" for line in missing)
        parts.append(page.section("Not in this run", f"<ul class='missing'>{items}</ul>"))
    stamp = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    root = art.root.resolve()
    html = page.document(f"asdkit report — {root.name}", f"{root} · asdkit {__version__} · {stamp}", parts)
    return html, missing


def render_report(art: RunArtifacts, embedding_method: str = "auto") -> str:
    """The report of already loaded artifacts as one self-contained HTML string."""
    return render_report_and_notes(art, embedding_method)[0]


def build_report(run_dir: str | os.PathLike, embedding_method: str = "auto") -> str:
    """The report of ``run_dir`` as one self-contained HTML string."""
    return render_report(load_run(run_dir), embedding_method)


def write_report(run_dir: str | os.PathLike, output: str | os.PathLike, embedding_method: str = "auto") -> Path:
    """Build the report and write it atomically to ``output``."""
    atomic_write_text(output, build_report(run_dir, embedding_method))
    return Path(output)
