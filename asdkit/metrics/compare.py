"""Several runs side by side: seeds grouped, differences to the first group.

A run is a RUN folder or a scores folder itself
(:func:`asdkit.formats.run_layout.locate_scores`). Runs whose config.json files are equal
once every ``seed`` key (at any depth) and timestamp keys are removed form one group, shown
as mean and sample standard deviation (ddof = 1) over its runs; the first group is the
reference for the differences (group mean minus reference mean).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..formats.run_layout import locate_scores, read_json, run_name
from .evaluate import EvaluationResult, evaluate_scores_dir

#: keys that vary between repeats of one experiment without changing it
IGNORED_CONFIG_KEYS = frozenset({"seed", "created", "created_at", "timestamp", "date"})
SECTION_METRICS = ("auc_source", "auc_target", "pauc")
SUMMARY_METRICS = ("official_score", "hmean_auc_source", "hmean_auc_target", "hmean_pauc")


@dataclass
class RunEntry:
    """One evaluated run."""

    path: Path
    scores_dir: Path
    config: dict | None
    result: EvaluationResult

    @property
    def name(self) -> str:
        return run_name(self.path)

    @property
    def seed(self):
        return (self.config or {}).get("seed")


@dataclass
class Stat:
    """Mean, standard deviation and count of one metric over a group (None if undefined)."""

    mean: float | None
    std: float | None
    n: int

    @classmethod
    def of(cls, values: list[float | None]) -> "Stat":
        defined = [v for v in values if v is not None]
        if not defined or len(defined) != len(values):
            return cls(None, None, len(defined))
        std = float(np.std(defined, ddof=1)) if len(defined) > 1 else 0.0
        return cls(float(np.mean(defined)), std, len(defined))


@dataclass
class Group:
    """Runs that differ only in their seed."""

    label: str
    runs: list[RunEntry] = field(default_factory=list)

    def section_stat(self, machine: str, section: str, metric: str) -> Stat:
        values = []
        for run in self.runs:
            try:
                values.append(getattr(run.result.section(machine, section), metric))
            except KeyError:
                values.append(None)
        return Stat.of(values)

    def summary_stat(self, metric: str) -> Stat:
        return Stat.of([run.result.summary.get(metric) for run in self.runs])


@dataclass
class Comparison:
    """Groups of runs and the union of their sections."""

    groups: list[Group]
    sections: list[tuple[str, str]]

    def rows(self) -> list[dict]:
        """One row per (machine, section, metric) and per summary metric."""
        rows = []
        for machine, section in self.sections:
            for metric in SECTION_METRICS:
                rows.append(self._row(machine, section, metric,
                                      [g.section_stat(machine, section, metric) for g in self.groups]))
        for metric in SUMMARY_METRICS:
            rows.append(self._row("ALL", "", metric, [g.summary_stat(metric) for g in self.groups]))
        return rows

    @staticmethod
    def _row(machine: str, section: str, metric: str, stats: list[Stat]) -> dict:
        reference = stats[0].mean
        cells = []
        for stat in stats:
            diff = None if stat.mean is None or reference is None else stat.mean - reference
            cells.append({"mean": stat.mean, "std": stat.std, "n": stat.n, "diff": diff})
        return {"machine": machine, "section": section, "metric": metric, "groups": cells}

    def to_dict(self) -> dict:
        return {"groups": [{"label": g.label, "runs": [str(r.path) for r in g.runs],
                            "seeds": [r.seed for r in g.runs]} for g in self.groups],
                "rows": self.rows()}


def resolve_run(path: str | os.PathLike) -> tuple[Path, Path | None]:
    """(scores folder, config.json or None) of a RUN folder or a scores folder."""
    located = locate_scores(path)
    return located.scores_dir, located.config


def _without_seed(value):
    if isinstance(value, dict):
        return {k: _without_seed(v) for k, v in value.items() if k not in IGNORED_CONFIG_KEYS}
    if isinstance(value, list):
        return [_without_seed(v) for v in value]
    return value


def config_key(config: dict | None, fallback: str) -> str:
    """Identity of an experiment: the config minus seeds; runs without config stand alone."""
    if config is None:
        return f"no-config:{fallback}"
    return json.dumps(_without_seed(config), sort_keys=True)


def _group_label(runs: list[RunEntry]) -> str:
    if len(runs) == 1:
        return runs[0].name
    prefix = os.path.commonprefix([r.name for r in runs]).rstrip("_-.")
    return f"{prefix or runs[0].name} (n={len(runs)})"


def evaluate_run(path: str | os.PathLike, ground_truth: str | os.PathLike | None = None,
                 with_ci: bool = True) -> RunEntry:
    """Evaluate a run (truth from ``ground_truth``, else the run's clip table, else names)."""
    located = locate_scores(path)
    clips = located.clips if ground_truth is None else None
    result = evaluate_scores_dir(located.scores_dir, ground_truth, clips, with_ci=with_ci)
    config = None if located.config is None else read_json(located.config)
    return RunEntry(Path(path), located.scores_dir, config, result)


def run_sections(path: str | os.PathLike, ground_truth: str | os.PathLike | None = None) -> list:
    """The per-clip section data of a run, with the truth :func:`evaluate_run` uses."""
    from ..formats.ground_truth import resolve_ground_truth
    from .sections import load_sections

    located = locate_scores(path)
    truth = resolve_ground_truth(ground_truth, located.clips if ground_truth is None else None)
    return load_sections(located.scores_dir, truth)


def compare_runs(paths: list[str | os.PathLike], ground_truth: str | os.PathLike | None = None,
                 with_ci: bool = False) -> Comparison:
    """Evaluate every run and group those that differ only by seed."""
    if not paths:
        raise InputError("no runs to compare")
    by_key: dict[str, list[RunEntry]] = {}
    for path in paths:
        entry = evaluate_run(path, ground_truth, with_ci)
        by_key.setdefault(config_key(entry.config, str(Path(path).resolve())), []).append(entry)
    groups = [Group(_group_label(runs), runs) for runs in by_key.values()]
    sections = sorted({(m.machine, m.section) for g in groups for r in g.runs for m in r.result.sections})
    return Comparison(groups, sections)
