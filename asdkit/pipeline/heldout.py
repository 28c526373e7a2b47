"""Held-out (cross-fitted) anomaly scores of the normal training clips.

A scorer fitted on a clip scores that clip as perfectly normal (its own K-means centre
or nearest neighbour is itself: a score of ~0), so statistics of in-sample training
scores say nothing about how normal clips score. Here every training clip of a machine
type is scored by a scorer fitted on the *other* folds (``FOLDS``-fold, rows dealt to
folds by a seeded permutation), which is what a new normal clip would see.

These scores give the decision thresholds (gamma fit, :mod:`.threshold`) and the
per-machine/section mean and spread that put the scores of different models on one
scale for fusion (:mod:`.fuse`).

Shapes:
    - **x:** ``(N, D)`` scorer inputs of one machine type; **domain:** ``(N,)``
    - **output:** ``(N,)`` float64 held-out scores
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import Tensor

from ..api import Scorer
from ..errors import ModelError

FOLDS = 5


def fold_ids(n: int, seed: int, folds: int = FOLDS) -> np.ndarray:
    """``(n,)`` fold of each row: a seeded permutation dealt round-robin into ``folds``."""
    folds = max(1, min(folds, n))
    ids = np.empty(n, dtype=np.int64)
    ids[np.random.default_rng(seed).permutation(n)] = np.arange(n) % folds
    return ids


def cross_fitted_scores(make_scorer: Callable[[], Scorer], x: Tensor, domain: Tensor, seed: int,
                        folds: int = FOLDS) -> np.ndarray:
    """Score of each row by a scorer fitted without its fold (in-sample when ``n < 2``)."""
    n = x.shape[0]
    if n < 2:
        return make_scorer().fit(x, domain).score(x).detach().cpu().double().numpy()
    ids = fold_ids(n, seed, folds)
    scores = np.empty(n, dtype=np.float64)
    for fold in np.unique(ids):
        held = torch.as_tensor(ids == fold, device=x.device)
        scorer = make_scorer().fit(x[~held], domain[~held.to(domain.device)])
        scores[held.cpu().numpy()] = scorer.score(x[held]).detach().cpu().double().numpy()
    return scores


def section_stats(stats: dict[str, dict[str, float]], machine: str, section: str, where: str) -> dict[str, float]:
    """The held-out statistics of a machine's section (or of the machine as a whole)."""
    found = stats.get(f"{machine}/{section}") or stats.get(machine)
    if found is None:
        raise ModelError(f"{where}: no held-out score statistics for machine '{machine}'; fit it again")
    return found


def zscore(stats: dict[str, dict[str, float]], machine: str, section: str, value, where: str):
    """``(value - mean) / std`` with the held-out statistics of the clip's machine/section."""
    stat = section_stats(stats, machine, section, where)
    return (value - stat["mean"]) / stat["std"]


def score_stats(scores: np.ndarray) -> dict[str, float]:
    """Mean and standard deviation (floored, so that z-scores stay finite)."""
    values = np.asarray(scores, dtype=np.float64)
    spread = float(values.std()) if values.size > 1 else 0.0
    return {"mean": float(values.mean()), "std": max(spread, 1e-12 * max(1.0, abs(float(values.mean()))))}
