"""The RUN folder: where extract, fit and score keep what they make.

::

    RUN/config.json             everything needed to redo the run, with package versions
    RUN/run.toml                the effective options of extract/fit (a --config file; 'asdkit config RUN')
    RUN/clips.csv               the Clip records, one row per embedded clip
    RUN/embeddings.safetensors  backbone embeddings (N, D), rows aligned with clips.csv
    RUN/backbone/               bundle: trained backbone + feature and audio settings
    RUN/history.json            training curves {"backbone": [...], "gnn": [...]}
    RUN/logs/<stage>.csv        the same per epoch as training goes: epoch,loss,acc,lr,seconds
    RUN/tensorboard/<stage>/    TensorBoard event files (extract/fit --tensorboard)
    RUN/model/                  bundle: backbone, graph network, head, scorers, training graph
    RUN/refined.safetensors     embeddings after graph network + head (N, D')
    RUN/graph.json              the training kNN graph and its statistics
    RUN/scores/                 a scores folder (below)
    RUN/metrics.json            evaluation results
    RUN/cache/                  log-mel cache

A scores folder (``RUN/scores`` or ``score -o OUT``) holds the official CSVs per
machine and section (:mod:`asdkit.formats.score_files`), ``thresholds.json`` (decision
threshold per machine and ``machine/section``), ``scored_clips.csv`` (the scored
clips as :class:`~asdkit.formats.clips_table.Clip` records) and, after scoring with
``--on-bad-signal flag``, ``bad_signals.csv`` (``path,machine,section,reason``), and ``run.toml``
(the effective options of score, with the model RUN's extract and fit tables). Torch-free: the tensor
helpers live in :class:`asdkit.pipeline.runfolder.RunFolder`.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ..errors import InputError, ModelError

#: Inside a scores folder.
THRESHOLDS = "thresholds.json"
SCORED_CLIPS = "scored_clips.csv"
BAD_SIGNALS = "bad_signals.csv"  # clips scored despite a bad signal (score --on-bad-signal flag)
#: The effective run config (asdkit.runconfig), in a RUN and in a scores folder.
RUN_CONFIG = "run.toml"
#: The model bundle's folder inside a RUN.
MODEL = "model"

_Layout = TypeVar("_Layout", bound="RunLayout")


@dataclass(frozen=True)
class RunLayout:
    """Paths of one RUN folder (nothing is read or created by building one)."""

    root: Path

    @classmethod
    def at(cls: type[_Layout], path: str | os.PathLike) -> _Layout:
        return cls(Path(path))

    @classmethod
    def of_model(cls: type[_Layout], path: str | os.PathLike) -> _Layout:
        """The RUN of a model path given as ``RUN`` or ``RUN/model``."""
        path = Path(path)
        return cls(path.parent if path.name == MODEL and not (path / MODEL).is_dir() else path)

    config = property(lambda self: self.root / "config.json")
    clips = property(lambda self: self.root / "clips.csv")
    embeddings = property(lambda self: self.root / "embeddings.safetensors")
    backbone = property(lambda self: self.root / "backbone")
    history = property(lambda self: self.root / "history.json")
    model = property(lambda self: self.root / MODEL)
    refined = property(lambda self: self.root / "refined.safetensors")
    graph = property(lambda self: self.root / "graph.json")
    scores = property(lambda self: self.root / "scores")
    metrics = property(lambda self: self.root / "metrics.json")
    cache = property(lambda self: self.root / "cache")
    run_config = property(lambda self: self.root / RUN_CONFIG)
    logs = property(lambda self: self.root / "logs")
    tensorboard = property(lambda self: self.root / "tensorboard")

    def training_log(self, stage: str) -> Path:
        """``RUN/logs/<stage>.csv``: the per-epoch rows of a training stage (backbone, gnn)."""
        return self.logs / f"{stage}.csv"

    def require_extracted(self) -> None:
        for path in (self.clips, self.embeddings, self.backbone):
            if not path.exists():
                raise ModelError(f"{self.root}: no extracted embeddings ({path.name} missing; "
                                 "run 'asdkit extract DATA -o RUN' first)")

    def read_json(self, path: Path, default: Any = None) -> Any:
        return read_json(path, default)


def read_json(path: Path, default: Any = None) -> Any:
    """A JSON file of the layout, or ``default`` when it does not exist."""
    if not path.exists():
        return default
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: unreadable JSON ({exc})") from None


def thresholds_file(scores_dir: str | os.PathLike) -> Path:
    return Path(scores_dir) / THRESHOLDS


def scored_clips_file(scores_dir: str | os.PathLike) -> Path:
    return Path(scores_dir) / SCORED_CLIPS


def write_thresholds(path: str | os.PathLike, thresholds: dict[str, float]) -> None:
    """``thresholds.json``: ``{"fan": t, "fan/00": t, ...}`` (per machine, per machine/section)."""
    from ..utils import atomic_write_json

    atomic_write_json(path, {str(k): float(v) for k, v in thresholds.items()})


def read_thresholds(path: str | os.PathLike) -> dict[str, float]:
    """A ``thresholds.json``, checked: an object of finite numbers."""
    path = Path(path)
    data = read_json(path)
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected an object of threshold per machine or machine/section")
    thresholds = {}
    for key, value in data.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise InputError(f"{path}: threshold '{key}' is {value!r}, not a number")
        thresholds[str(key)] = float(value)
    return thresholds


def threshold_of(thresholds: dict[str, float], machine: str, section: str) -> float | None:
    """The threshold of one section: ``machine/section``, else the older
    ``machine_section_NN``, else the machine type's own; None when there is none."""
    for key in (f"{machine}/{section}", f"{machine}_section_{section}", machine):
        if key in thresholds:
            return thresholds[key]
    return None


def has_score_csvs(folder: Path) -> bool:
    return folder.is_dir() and any(folder.glob("anomaly_score_*.csv"))


@dataclass(frozen=True)
class ScoredRun:
    """Where the scores of a run given as a RUN folder or a scores folder are."""

    path: Path  # as given
    scores_dir: Path
    config: Path | None  # config.json of the run, when there is one
    clips: Path | None  # the table that knows the scored clips' truth, when there is one

    @property
    def name(self) -> str:
        return run_name(self.path)


def run_name(path: Path) -> str:
    """A run's name: its folder's, or the RUN's for a path given as ``RUN/scores``."""
    return path.name if path.name != "scores" else path.parent.name


def locate_scores(path: str | os.PathLike) -> ScoredRun:
    """A RUN folder (uses RUN/scores) or a folder of ``anomaly_score_*.csv`` files."""
    path = Path(path)
    run = RunLayout(path)
    if run.scores.is_dir():
        return ScoredRun(path, run.scores, _file_or_none(run.config),
                         _file_or_none(scored_clips_file(run.scores)) or _file_or_none(run.clips))
    if has_score_csvs(path):
        config = next((c for c in (path / "config.json", path.parent / "config.json") if c.is_file()), None)
        return ScoredRun(path, path, config, _file_or_none(scored_clips_file(path)))
    raise InputError(f"{path}: neither a RUN folder with scores/ nor a folder of anomaly_score_*.csv files")


def _file_or_none(path: Path) -> Path | None:
    return path if path.is_file() else None
