"""Everything a report can show about a RUN folder, each piece optional.

:func:`load_run` reads what exists and records, for what does not (or cannot be read),
one line saying what is missing and why, so the report can render the rest and say so.

Scores: the truth of the scored clips comes from ``scores/scored_clips.csv`` (written by
``asdkit score`` for exactly the clips it scored), else ``clips.csv``, else the DCASE
file names; metrics come from ``metrics.json`` when it is readable, else are computed
now. A figure the clips do not allow is simply undefined in the metrics, never a reason
to drop the scores; each piece (scores, thresholds, metrics) fails on its own.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import AsdkitError, InputError
from ..formats.clips_table import Clip, read_clips_csv
from ..formats.run_layout import (
    THRESHOLDS, RunLayout, read_json, read_thresholds, scored_clips_file, threshold_of,
    thresholds_file,
)
from ..metrics import EvaluationResult, SectionData, evaluate_sections, load_sections, resolve_ground_truth


@dataclass
class RunArtifacts:
    """The contents of one RUN folder; None where absent."""

    root: Path
    clips: list[Clip] | None = None
    embeddings: np.ndarray | None = None
    refined: np.ndarray | None = None
    graph: dict[str, Any] | None = None
    history: dict[str, list[dict[str, Any]]] | None = None
    thresholds: dict[str, float] | None = None
    sections: list[SectionData] | None = None
    metrics: EvaluationResult | None = None
    #: why scores/ exists but yields no sections or no metrics (None when it does)
    scores_error: str | None = None
    missing: list[str] = field(default_factory=list)

    @property
    def layout(self) -> RunLayout:
        return RunLayout(self.root)

    @property
    def has_scores_dir(self) -> bool:
        return self.layout.scores.is_dir()

    def threshold(self, machine: str, section: str) -> float | None:
        """The decision threshold of one section (:func:`~asdkit.formats.run_layout.threshold_of`)."""
        return threshold_of(self.thresholds, machine, section) if self.thresholds else None

    def machines_of_rows(self) -> np.ndarray | None:
        """Machine type of every clips.csv row."""
        return None if self.clips is None else np.array([clip.machine for clip in self.clips])


def _read_tensor(path: Path, key: str) -> np.ndarray:
    from safetensors.numpy import load_file

    try:
        tensors = load_file(str(path))
    except Exception as exc:  # safetensors raises its own error types
        raise InputError(f"{path}: unreadable safetensors file ({exc})") from None
    if key not in tensors:
        raise InputError(f"{path}: no tensor '{key}' (has {', '.join(sorted(tensors)) or 'none'})")
    array = np.asarray(tensors[key], dtype=np.float32)
    if array.ndim != 2:
        raise InputError(f"{path}: '{key}' has shape {array.shape}, expected (N, D)")
    return array


def _aligned(array: np.ndarray, clips: list | None, path: Path) -> np.ndarray:
    if clips is not None and array.shape[0] != len(clips):
        raise InputError(f"{path}: {array.shape[0]} rows but clips.csv has {len(clips)}")
    return array


def _truth_table(root: Path) -> Path | None:
    """The clip table that knows the scored clips: scores/scored_clips.csv, else clips.csv."""
    layout = RunLayout(root)
    for path in (scored_clips_file(layout.scores), layout.clips):
        if path.is_file():
            return path
    return None


def _load_metrics(art: RunArtifacts, sections: list[SectionData], scores_dir: Path,
                  truth_description: str) -> None:
    metrics_json = art.layout.metrics
    if metrics_json.is_file():
        try:
            art.metrics = EvaluationResult.from_dict(read_json(metrics_json))
            return
        except (AsdkitError, KeyError, TypeError) as exc:  # an older or foreign metrics.json
            art.missing.append(f"metrics.json: not readable ({exc}); metrics computed now from scores/")
    else:
        art.missing.append("metrics.json: metrics computed now from scores/")
    art.metrics = evaluate_sections(sections, str(scores_dir), truth_description)


def _load_scores(art: RunArtifacts) -> None:
    scores_dir = art.layout.scores
    if not scores_dir.is_dir():
        art.missing.append("scores/: no anomaly scores, so no metrics, ROC curves or score histograms")
        return
    thresholds = thresholds_file(scores_dir)
    if thresholds.is_file():
        try:
            art.thresholds = read_thresholds(thresholds)
        except AsdkitError as exc:
            art.missing.append(f"scores/{THRESHOLDS}: {exc}")
    else:
        art.missing.append(f"scores/{THRESHOLDS}: histograms drawn without decision thresholds")
    try:
        truth = resolve_ground_truth(None, _truth_table(art.root))
        art.sections = load_sections(scores_dir, truth)
        _load_metrics(art, art.sections, scores_dir, truth.description)
    except AsdkitError as exc:
        art.scores_error = str(exc)
        art.missing.append(f"scores/: {exc}")


def load_run(root: str | os.PathLike) -> RunArtifacts:
    """Read every artifact of a RUN folder that exists; note the rest in ``missing``."""
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: not a folder")
    art = RunArtifacts(root=root)
    steps = [
        ("clips.csv", "clip table: embeddings cannot be coloured, graph types unknown",
         lambda p: setattr(art, "clips", read_clips_csv(p))),
        ("embeddings.safetensors", "backbone embeddings: no map before the graph network",
         lambda p: setattr(art, "embeddings", _aligned(_read_tensor(p, "embeddings"), art.clips, p))),
        ("refined.safetensors", "refined embeddings: no map after the graph network",
         lambda p: setattr(art, "refined", _aligned(_read_tensor(p, "refined"), art.clips, p))),
        ("graph.json", "kNN graph: no degree or cross-type statistics",
         lambda p: setattr(art, "graph", read_json(p))),
        ("history.json", "training history: no training curves",
         lambda p: setattr(art, "history", read_json(p))),
    ]
    for name, consequence, load in steps:
        path = root / name
        if not path.is_file():
            art.missing.append(f"{name}: {consequence}")
            continue
        try:
            load(path)
        except AsdkitError as exc:
            art.missing.append(f"{name}: {exc}")
    _load_scores(art)
    return art
