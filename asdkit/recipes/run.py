"""One command for a year's protocol: ``asdkit recipe dcase2024 --data DIR -o RESULTS``.

The recipe runs the same commands a user would (``extract``, ``fit``, ``score``,
``evaluate``, ``report``), in this process, with the same options: ``--config FILE``
reaches each of them, so a recipe run and a hand-typed run of one config are the same
run. What it writes::

    RESULTS/dev/run/            the RUN folder (official CSVs in run/scores, metrics.json)
    RESULTS/dev/results.md|csv  the per-machine table in the challenge's layout
    RESULTS/dev/report.html     the HTML report
    RESULTS/eval/...            the same for the evaluation set, when it and its ground truth exist
    RESULTS/eval/train-data/    links to the training folders the evaluation model learns from

Which folders and which score definition each year uses: :mod:`asdkit.recipes.years`.
"""
from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from ..errors import InputError
from ..formats.names import GROUND_TRUTH_NAME
from ..progress import Progress, ensure
from ..utils import atomic_write_text, output_folder
from .years import Protocol, protocol

#: Runs one asdkit command from its argument list (the CLI in this process, in practice).
Runner = Callable[[Sequence[str]], None]


@dataclass
class StageResult:
    folder: Path
    official_score: float | None
    table: Path


@dataclass
class RecipeResult:
    protocol: Protocol
    dev: StageResult
    eval: StageResult | None = None
    notes: list[str] = field(default_factory=list)


def ground_truth_of(data: Path, p: Protocol) -> Path | None:
    """The evaluation set's official ground truth: ``<year>-eval-ground-truth`` or inside the set."""
    beside = data / f"{p.folder('eval')}-ground-truth"
    if (beside / "ground_truth_data").is_dir():
        return beside
    inside = data / p.folder("eval")
    if not inside.is_dir():
        return None
    found = sorted(q.parent.parent for q in inside.rglob("ground_truth_*.csv")
                   if GROUND_TRUTH_NAME.match(q.name) and q.parent.name == "ground_truth_data")
    return found[0] if found else None


def link_training_folders(data: Path, p: Protocol, target: Path) -> list[Path]:
    """``target/<part>/<machine>/train`` -> the training folder of each set in ``eval_train``."""
    linked = []
    for part in p.eval_train:
        source = data / p.folder(part)
        if not source.is_dir():
            continue
        for machine in sorted(d for d in source.iterdir() if (d / "train").is_dir()):
            link = target / part / machine.name / "train"
            link.parent.mkdir(parents=True, exist_ok=True)
            if link.is_symlink() or link.exists():
                link.unlink()
            os.symlink((machine / "train").resolve(), link)
            linked.append(link)
    if not linked:
        raise InputError(f"{data}: no training folders in {', '.join(p.folder(x) for x in p.eval_train)}")
    return linked


def results_table(evaluation: Any, p: Protocol) -> tuple[str, str]:
    """The challenge-style table as Markdown and CSV: one row per section, then the score."""
    names = {"auc_all": "AUC", "auc_source": "AUC (source)", "auc_target": "AUC (target)", "pauc": "pAUC"}
    header = ["machine", "section", *(names[c] for c in p.columns)]
    rows = []
    for m in evaluation.sections:
        rows.append([m.machine, m.section, *(_fmt(getattr(m, c)) for c in p.columns)])
    year = evaluation.years.get(p.score_year, {})
    partial = "" if year.get("complete", True) else " (partial: some figures undefined)"
    rows.append([f"official score (DCASE {p.year})", "", _fmt(year.get("score")) + partial]
                + [""] * (len(p.columns) - 1))
    markdown = "\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
                         + ["| " + " | ".join(r) + " |" for r in rows]) + "\n"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *rows])
    return markdown, buffer.getvalue()


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _stage(run_cli: Runner, folder: Path, train_data: Path, test_data: Path, p: Protocol,
           config: Sequence[str], ground_truth: Path | None) -> StageResult:
    from ..metrics.compare import evaluate_run
    from ..report.build import write_report

    run = folder / "run"
    run_cli(["extract", str(train_data), "-o", str(run), "--layout", "auto", *config])
    run_cli(["fit", str(run), *config])
    run_cli(["score", str(test_data), "--model", str(run), "--no-eval", *config])
    entry = evaluate_run(run, ground_truth)
    markdown, text = results_table(entry.result, p)
    atomic_write_text(folder / "results.md", markdown)
    atomic_write_text(folder / "results.csv", text)
    write_report(run, folder / "report.html")
    return StageResult(folder, entry.result.years.get(p.score_year, {}).get("score"), folder / "results.md")


def run_recipe(name: str, data: str | os.PathLike, out: str | os.PathLike, run_cli: Runner,
               config: str | os.PathLike | None = None, progress: Progress | None = None) -> RecipeResult:
    """A year's protocol on the sets under ``data``, written to ``out`` (layout above)."""
    p = protocol(name)
    data, results = Path(data), output_folder(out)
    progress = ensure(progress)
    dev = data / p.folder("dev")
    if not dev.is_dir():
        raise InputError(f"{dev}: the development set is not there (asdkit download {p.folder('dev')} {data})")
    options = ["--config", str(config)] if config else []
    progress.log(f"{p.name}: development set {dev}")
    outcome = RecipeResult(p, _stage(run_cli, results / "dev", dev, dev, p, options, None))
    evaluation_set, truth = data / p.folder("eval"), ground_truth_of(data, p)
    if not evaluation_set.is_dir() or truth is None:
        missing = evaluation_set if not evaluation_set.is_dir() else f"{p.folder('eval')}-ground-truth"
        outcome.notes.append(f"evaluation protocol skipped: {missing} not found")
        return outcome
    progress.log(f"{p.name}: evaluation set {evaluation_set}, ground truth {truth}")
    train = results / "eval" / "train-data"
    link_training_folders(data, p, train)
    outcome.eval = _stage(run_cli, results / "eval", train, evaluation_set, p, options, truth)
    return outcome
