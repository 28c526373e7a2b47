"""``fuse``: several fitted models' scores of the same clips -> one z-normalised ensemble.

Scores of different models live on different scales (cosine distances of K-means
centres, of nearest neighbours, reconstruction errors). Each model's score of a clip
is put on the scale of that model's *normal* clips -- the held-out training scores of
the clip's machine type and section (:mod:`.heldout`), which every fitted model keeps:

.. math::
    z_r(x) = \\frac{s_r(x) - \\mu_{r,m,n}}{\\sigma_{r,m,n}},\\qquad
    s(x) = \\frac{\\sum_r w_r z_r(x)}{\\sum_r w_r}

The decision threshold of the ensemble is the gamma rule (:mod:`.threshold`, the
``1 - false_alarm_rate`` quantile) on the ensemble's own held-out training scores (the
same fusion applied to each model's held-out score of every training clip), shifted to be
positive for the gamma fit.
Inputs: RUN folders that were fitted and scored on the same clips
(``RUN/scores``); output: the official CSVs, ``thresholds.json`` and, when the
scored clips' labels are known, ``metrics.json``.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..bundle import load_bundle
from ..errors import InputError
from ..formats.bundle_schema import ModelConfig
from ..formats.clips_table import read_clips_csv
from ..formats.run_layout import RunLayout, scored_clips_file, threshold_of
from ..utils import output_folder
from .extract import is_training_clip
from .heldout import zscore
from .runfolder import RunFolder
from .score import evaluate_scored, write_section_csvs
from .threshold import gamma_threshold


@dataclass
class _Member:
    """One fitted and scored model of the ensemble."""

    root: Path
    stats: dict[str, dict[str, float]]
    test: dict[tuple[str, str], dict[str, float]]  # (machine, section) -> file name -> score
    heldout: dict[str, float]  # training clip path -> held-out score
    train: list[Any]  # the training Clip records, in RUN/clips.csv order
    normalized: bool  # its score CSVs already hold z-scores (fit --normalize-scores)

    def test_z(self, machine: str, section: str, value: np.ndarray) -> np.ndarray:
        return value if self.normalized else self.z(machine, section, value)

    def z(self, machine: str, section: str, value: np.ndarray) -> np.ndarray:
        return zscore(self.stats, machine, section, value, str(self.root))


@dataclass
class FuseResult:
    out_dir: Path
    files: list[Path]
    thresholds: dict[str, float]
    evaluation: Any = None
    scores: dict[tuple[str, str, str], float] = field(default_factory=dict)  # (machine, section, name)


def _load_member(path: str | Path) -> _Member:
    from ..formats.score_files import find_score_files, read_score_csv

    run = RunFolder.at(path)
    tensors, raw_config = load_bundle(run.model)
    config = ModelConfig.from_dict(raw_config, str(run.model))
    if not config.heldout_score_stats or "heldout.scores" not in tensors:
        raise InputError(f"{run.root}: model has no held-out training scores (fitted by an older asdkit); "
                         "run 'asdkit fit' again")
    files = find_score_files(run.scores, "anomaly_score") if run.scores.is_dir() else {}
    if not files:
        raise InputError(f"{run.root}: no scores in {run.scores} (run 'asdkit score' first)")
    test = {}
    for key, found in files.items():
        names, values = read_score_csv(found[0].path)
        test[key] = dict(zip(names, values))
    train = [c for c in read_clips_csv(run.clips) if is_training_clip(c)]
    heldout = tensors["heldout.scores"].double().numpy()
    if len(train) != heldout.shape[0]:
        raise InputError(f"{run.root}: {heldout.shape[0]} held-out scores for {len(train)} training clips")
    return _Member(run.root, config.heldout_score_stats,
                   test, {str(c.path): float(v) for c, v in zip(train, heldout)}, train, config.normalizes_scores)


def _check_same_clips(members: Sequence[_Member]) -> None:
    first = members[0]
    for other in members[1:]:
        if set(other.test) != set(first.test):
            raise InputError(f"{other.root}: scored other machine types/sections than {first.root}")
        for key, names in first.test.items():
            if set(other.test[key]) != set(names):
                raise InputError(f"{other.root}: scored other clips than {first.root} in {key[0]} section {key[1]}")
        if set(other.heldout) != set(first.heldout):
            raise InputError(f"{other.root}: trained on other clips than {first.root}")


def _fuse(parts: list[np.ndarray], weights: np.ndarray) -> np.ndarray:
    return np.tensordot(weights / weights.sum(), np.stack(parts), axes=1)


def _thresholds(members: Sequence[_Member], weights: np.ndarray, false_alarm_rate: float) -> dict[str, float]:
    """Gamma thresholds of the fused held-out scores, per machine and machine/section."""
    groups: dict[str, list[float]] = {}
    for clip in members[0].train:
        value = _fuse([m.z(clip.machine, clip.section, np.array([m.heldout[str(clip.path)]])) for m in members],
                      weights)[0]
        groups.setdefault(clip.machine, []).append(value)
        groups.setdefault(f"{clip.machine}/{clip.section}", []).append(value)
    # The gamma fit wants positive values: fit on scores shifted by their minimum, shift back.
    out = {}
    for key, values in groups.items():
        values_arr = np.asarray(values)
        low = float(values_arr.min())
        out[key] = gamma_threshold(values_arr - low + 1e-6, 1.0 - false_alarm_rate) + low - 1e-6
    return out


def run_fuse(runs: Sequence[str | Path], out_dir: str | Path, *, weights: Sequence[float] | None = None,
             false_alarm_rate: float = 0.1, evaluate: bool = True) -> FuseResult:
    """Fuse the scores of ``runs`` (each fitted and scored on the same clips) into ``out_dir``."""
    if len(runs) < 2:
        raise InputError("fuse needs at least two RUN folders")
    w = np.ones(len(runs)) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (len(runs),) or not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
        raise InputError(f"--weight: one non-negative weight per RUN ({len(runs)}), not all zero; got "
                         f"{[float(v) for v in np.ravel(w)]}")
    if not 0.0 < false_alarm_rate < 1.0:
        raise InputError(f"--false-alarm-rate must be between 0 and 1 (exclusive), got {false_alarm_rate}")
    members = [_load_member(r) for r in runs]
    _check_same_clips(members)
    out = Path(out_dir)
    output_folder(out)
    thresholds = _thresholds(members, w, false_alarm_rate)
    groups = {}
    for (machine, section), first in members[0].test.items():
        names = list(first)
        fused = _fuse([m.test_z(machine, section, np.array([m.test[(machine, section)][n] for n in names]))
                       for m in members], w)
        groups[(machine, section)] = [(n, float(v)) for n, v in zip(names, fused)]

    def threshold(machine: str, section: str) -> float:
        found = threshold_of(thresholds, machine, section)
        return float("inf") if found is None else found

    result = FuseResult(out, write_section_csvs(groups, threshold, out),
                        {f"{m}/{s}": threshold(m, s) for m, s in groups})
    result.scores = {(m, s, n): v for (m, s), rows in groups.items() for n, v in rows}
    table = scored_clips_file(RunLayout(members[0].root).scores)
    if evaluate and table.exists():
        shutil.copyfile(table, scored_clips_file(out))
        result.evaluation = evaluate_scored(out, RunLayout(out).metrics)
    return result
