"""ROC AUC and standardised partial AUC, computed the way DCASE's evaluators do.

Labels are 1 for anomalous (positive) and 0 for normal clips; a higher score means
more anomalous.

AUC (Mann-Whitney form, ties get half credit)::

    AUC = 1 / (N- N+) * sum_i sum_j H(s+_j - s-_i),   H(x) = 1 if x > 0, 1/2 if x = 0, else 0

which equals the trapezoidal area under the ROC curve drawn through distinct thresholds.

pAUC is the area under the ROC curve for FPR in [0, p] (p = ``max_fpr`` = 0.1 in every
DCASE Task 2 since 2020), with the TPR linearly interpolated at FPR = p, then
standardised by McClish's correction so that a random scorer gets 0.5 and a perfect
one 1.0::

    A = int_0^p TPR(f) df,   pAUC = 1/2 * (1 + (A - p^2/2) / (p - p^2/2))

This is exactly what ``sklearn.metrics.roc_auc_score(y, s, max_fpr=p)`` returns (the
official evaluators call that function); the tests cross-check against it. Our own
implementation exists so that leave-one-out jackknife loops stay fast.
"""
from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from ..errors import InputError

#: the FPR limit of DCASE Task 2's pAUC (2020-2024)
MAX_FPR = 0.1


def _check_two_classes(labels: np.ndarray, what: str) -> None:
    n_pos = int(labels.sum())
    if n_pos == 0 or n_pos == labels.size:
        kind = "anomalous" if n_pos == 0 else "normal"
        raise InputError(f"{what}: no {kind} clips, so AUC is undefined")


def roc_auc(labels: np.ndarray, scores: np.ndarray, what: str = "AUC") -> float:
    """Area under the ROC curve; tied normal/anomalous scores count 1/2."""
    labels = np.asarray(labels, dtype=bool)
    scores = np.asarray(scores, dtype=float)
    _check_two_classes(labels, what)
    ranks = rankdata(scores)  # average ranks give ties half credit
    n_pos = int(labels.sum())
    n_neg = labels.size - n_pos
    u_statistic = ranks[labels].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u_statistic / (n_pos * n_neg))


def roc_points(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(FPR, TPR) at every distinct threshold, from (0, 0) to (1, 1)."""
    labels = np.asarray(labels, dtype=float)
    scores = np.asarray(scores, dtype=float)
    order = np.argsort(-scores, kind="mergesort")
    sorted_scores = scores[order]
    sorted_labels = labels[order]
    # The last index of each run of equal scores: one ROC point per distinct threshold.
    last_of_run = np.r_[np.flatnonzero(np.diff(sorted_scores)), sorted_scores.size - 1]
    true_pos = np.cumsum(sorted_labels)[last_of_run]
    false_pos = last_of_run + 1 - true_pos
    fpr = np.r_[0.0, false_pos / max(false_pos[-1], 1)]
    tpr = np.r_[0.0, true_pos / max(true_pos[-1], 1)]
    return fpr, tpr


def partial_auc(labels: np.ndarray, scores: np.ndarray, max_fpr: float = MAX_FPR,
                what: str = "pAUC") -> float:
    """McClish-standardised partial AUC over FPR in [0, max_fpr] (sklearn's definition)."""
    labels = np.asarray(labels, dtype=bool)
    _check_two_classes(labels, what)
    if not 0.0 < max_fpr <= 1.0:
        raise InputError(f"{what}: max_fpr must lie in (0, 1], got {max_fpr}")
    if max_fpr == 1.0:
        return roc_auc(labels, scores, what)
    fpr, tpr = roc_points(labels, scores)
    stop = int(np.searchsorted(fpr, max_fpr, side="right"))
    # fpr[stop - 1] <= max_fpr < fpr[stop]: close the curve with the interpolated point.
    tpr_at_max = np.interp(max_fpr, fpr[stop - 1:stop + 1], tpr[stop - 1:stop + 1])
    fpr_cut = np.r_[fpr[:stop], max_fpr]
    tpr_cut = np.r_[tpr[:stop], tpr_at_max]
    # np.trapz is the numpy < 2.0 name; numpy 2.x stubs no longer declare it.
    area = float(np.trapezoid(tpr_cut, fpr_cut)) if hasattr(np, "trapezoid") \
        else float(np.trapz(tpr_cut, fpr_cut))  # type: ignore[attr-defined]
    min_area = 0.5 * max_fpr ** 2
    return 0.5 * (1.0 + (area - min_area) / (max_fpr - min_area))


def harmonic_mean(values: "np.ndarray | list[float]") -> float:
    """Harmonic mean with every value floored at machine epsilon, as the evaluators do.

    ``n / sum(1 / max(v, eps))``: a zero AUC drags the mean to ~0 instead of dividing by 0.
    """
    array = np.maximum(np.asarray(values, dtype=float), np.finfo(float).eps)
    if array.size == 0:
        raise InputError("harmonic mean of no values")
    return float(array.size / np.sum(1.0 / array))
