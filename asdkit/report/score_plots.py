"""ROC curves and score histograms of each machine type and section.

ROC (d) uses the clips of the DCASE AUC (d): normal clips of domain d plus every
anomalous clip of the section; the grey band marks FPR <= 0.1, the pAUC range.
Histograms show normal and anomalous clips of each domain separately, with the
decision threshold (score > threshold means anomalous) as a dashed, labelled line.

Only panels with something to draw are drawn: a section without both classes has no ROC
panel, a domain without clips has no histogram panel. :func:`roc_plan` and
:func:`histogram_plan` decide which panels exist and say, in one line per reason, what
was left out, so that the page can print that instead of empty boxes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..metrics import MAX_FPR, SectionData, roc_points

DOMAINS = (("source", False), ("target", True))


@dataclass(frozen=True)
class HistogramPanel:
    """One histogram: the clips of one domain of one section, and its threshold."""

    data: SectionData
    domain: str
    target: bool
    threshold: float | None

    @property
    def title(self) -> str:
        return f"{_title(self.data)} — {self.domain}"


def _title(data: SectionData) -> str:
    return f"{data.machine} / section {data.section}"


def _key(data: SectionData) -> str:
    return f"{data.machine}/{data.section}"


def _listing(keys: list[str], total: int) -> str:
    return f"all {total} sections" if len(keys) == total and total > 1 else ", ".join(keys)


def roc_domains(data: SectionData) -> list[tuple[str, np.ndarray]]:
    """(domain, clip mask) of each ROC curve the section allows: normals of the domain and anomalies."""
    curves = []
    for domain, target in DOMAINS:
        mask = data.auc_mask(target)
        if np.any(mask & ~data.labels) and np.any(mask & data.labels):
            curves.append((domain, mask))
    return curves


def roc_plan(sections: list[SectionData]) -> tuple[list[SectionData], list[str]]:
    """Sections with at least one ROC curve, and a line on those without."""
    drawn = [data for data in sections if roc_domains(data)]
    lacking = [_key(data) for data in sections if not roc_domains(data)]
    notes = [f"No ROC curve for {_listing(lacking, len(sections))}: they lack normal or anomalous "
             "test clips."] if lacking else []
    return drawn, notes


def histogram_plan(sections: list[SectionData], threshold_of: Callable[[str, str], float | None]
                   ) -> tuple[list[HistogramPanel], list[str]]:
    """One panel per (section, domain) that has clips, and lines on what has none."""
    panels: list[HistogramPanel] = []
    empty: dict[str, list[str]] = {domain: [] for domain, _ in DOMAINS}
    for data in sections:
        threshold = threshold_of(data.machine, data.section)
        for domain, target in DOMAINS:
            if data.domain_mask(target).any():
                panels.append(HistogramPanel(data, domain, target, threshold))
            else:
                empty[domain].append(_key(data))
    notes = [f"No {domain}-domain test clips in {_listing(keys, len(sections))}: no {domain} histogram."
             for domain, keys in empty.items() if keys]
    return panels, notes


def roc_figure(sections: list[SectionData], metrics_by_key: dict) -> str:
    """One ROC panel per section given (see :func:`roc_plan`), source and target curves."""
    return _png(draw_roc(sections, metrics_by_key))


def draw_roc(sections: list[SectionData], metrics_by_key: dict):
    from .figures import DOMAIN_COLOURS, grid_shape, new_figure

    rows, cols = grid_shape(len(sections))
    fig, axes = new_figure(rows, cols, width=4.2 * cols, row_height=3.6)
    for ax in axes.flat[len(sections):]:
        ax.set_visible(False)
    for ax, data in zip(axes.flat, sections):
        ax.axvspan(0, MAX_FPR, color="0.92", label=f"pAUC range (FPR ≤ {MAX_FPR})")
        ax.plot([0, 1], [0, 1], color="0.6", lw=0.8, ls=":")
        metrics = metrics_by_key.get(data.key)
        for domain, mask in roc_domains(data):
            fpr, tpr = roc_points(data.labels[mask], data.scores[mask])
            auc = getattr(metrics, f"auc_{domain}", None) if metrics else None
            label = f"{domain}" + (f" AUC {auc:.3f}" if auc is not None else "")
            ax.plot(fpr, tpr, color=DOMAIN_COLOURS[domain], lw=1.6, label=label)
        pauc = getattr(metrics, "pauc", None) if metrics else None
        ax.set_title(_title(data) + (f"  (pAUC {pauc:.3f})" if pauc is not None else ""))
        ax.set_xlabel("false positive rate")
        ax.set_ylabel("true positive rate")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.legend(loc="lower right", fontsize=8, frameon=False)
    return fig


def histogram_figure(panels: list[HistogramPanel]) -> str:
    """The panels of :func:`histogram_plan` as one PNG (base64)."""
    return _png(draw_histograms(panels))


def draw_histograms(panels: list[HistogramPanel]):
    """Normal vs anomalous score histograms, the threshold as a labelled dashed line."""
    from .figures import grid_shape, new_figure

    both_domains = len({p.domain for p in panels}) == 2
    rows, cols = grid_shape(len(panels), max_cols=2 if both_domains else 3)
    fig, axes = new_figure(rows, cols, width=5.2 * cols, row_height=2.6)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    for ax, panel in zip(axes.flat, panels):
        data = panel.data
        # Bins shared by the section's domains, spanning the threshold too so it is in view.
        span = data.scores if panel.threshold is None else np.r_[data.scores, panel.threshold]
        bins = np.histogram_bin_edges(span, bins=30)
        in_domain = data.domain_mask(panel.target)
        for anomalous, colour, name in ((False, "#2ca02c", "normal"), (True, "#ff7f0e", "anomalous")):
            values = data.scores[in_domain & (data.labels == anomalous)]
            if values.size:
                ax.hist(values, bins=bins, alpha=0.55, color=colour, label=f"{name} ({values.size})")
        if panel.threshold is not None:
            _threshold_line(ax, panel.threshold)
        ax.set_title(panel.title)
        ax.set_xlabel("anomaly score")
        ax.set_ylabel("clips")
        ax.legend(fontsize=8, frameon=False)
    return fig


def _threshold_line(ax, threshold: float) -> None:
    ax.axvline(threshold, color="k", ls="--", lw=1.2, label=f"threshold {threshold:.3g}")
    ax.annotate("threshold", xy=(threshold, 1.0), xycoords=("data", "axes fraction"), rotation=90,
                ha="right", va="top", fontsize=7, xytext=(-2, -2), textcoords="offset points")


def _png(fig) -> str:
    from .figures import to_base64_png

    return to_base64_png(fig)
