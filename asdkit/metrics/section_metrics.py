"""Metrics of one machine type and section, DCASE 2022-2024 style.

For section n of machine type m and domain d in {source, target}:

- AUC (d): normal clips of domain d against *all* anomalous clips of the section (both
  domains); the task pages of 2022-2024 write this as
  ``AUC_{m,n,d} = 1/(N_d^- N_n^+) sum_i sum_j H(A(x_j^+) - A(x_i^-))`` with i over normal
  clips of domain d and j over anomalous clips of section n.
- pAUC: all clips of the section (both domains), FPR in [0, 0.1], McClish-standardised.
- AUC (all): all clips of the section (the 2020 per-ID AUC; reported for reference).
- precision, recall, F1 (d): over the clips of domain d, from the decision CSV, with the
  evaluator's guard ``tp / max(tp + fp, eps)`` so that an empty denominator gives 0.

A figure the data do not allow (e.g. no normal clips in the section) is None, with the
reason in :attr:`SectionMetrics.undefined` (rules in :mod:`.undefined`); the others are
computed as usual.

Each AUC/pAUC carries a leave-one-clip-out jackknife interval (:mod:`.jackknife`); the
leave-one-out values are kept, aligned to the section's clips, so that the official
score's own interval can be assembled without recomputation.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field

import numpy as np

from .auc import MAX_FPR, partial_auc, roc_auc
from .jackknife import Interval, jackknife_interval, loo_auc, loo_partial_auc
from .sections import SectionData
from .undefined import section_reasons

#: metric names that carry an interval, in table order
CI_METRICS = ("auc_source", "auc_target", "pauc")


@dataclass
class SectionMetrics:
    """Numbers for one (machine, section); None where undefined (e.g. no target clips)."""

    machine: str
    section: str
    counts: dict[str, int]
    auc_source: float | None
    auc_target: float | None
    pauc: float | None
    auc_all: float | None
    precision_source: float | None = None
    precision_target: float | None = None
    recall_source: float | None = None
    recall_target: float | None = None
    f1_source: float | None = None
    f1_target: float | None = None
    ci: dict[str, Interval] = field(default_factory=dict)
    #: figure name -> why the data leave it undefined (only undefined figures are listed)
    undefined: dict[str, str] = field(default_factory=dict)
    #: leave-one-clip-out values over all clips of the section (not serialised)
    loo: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict:
        data = {key: getattr(self, key) for key in (
            "machine", "section", "counts", "auc_source", "auc_target", "pauc", "auc_all",
            "precision_source", "precision_target", "recall_source", "recall_target",
            "f1_source", "f1_target")}
        data["ci"] = {name: interval.to_dict() for name, interval in self.ci.items()}
        data["undefined"] = dict(self.undefined)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "SectionMetrics":
        fields_ = {k: v for k, v in data.items() if k not in ("ci", "undefined")}
        ci = {name: Interval(**values) for name, values in data.get("ci", {}).items()}
        return cls(**fields_, ci=ci, undefined=dict(data.get("undefined") or {}))


def _two_classes(labels: np.ndarray) -> bool:
    return bool(labels.any()) and not bool(labels.all())


def _masked_auc(data: SectionData, mask: np.ndarray, with_ci: bool, what: str,
                max_fpr: float | None = None, confidence: float = 0.95
                ) -> tuple[float | None, Interval | None, np.ndarray | None]:
    """Metric over the clips in ``mask``; LOO values spread back over all section clips."""
    labels, scores = data.labels[mask], data.scores[mask]
    if not _two_classes(labels):
        return None, None, None
    if max_fpr is None:
        value = roc_auc(labels, scores, what)
    else:
        value = partial_auc(labels, scores, max_fpr, what)
    if not with_ci:
        return value, None, None
    loo_subset = loo_auc(labels, scores) if max_fpr is None else loo_partial_auc(labels, scores, max_fpr)
    loo_full = np.full(data.scores.size, value)  # clips outside the mask leave the metric unchanged
    loo_full[mask] = loo_subset
    return value, jackknife_interval(value, loo_subset, confidence), loo_full


def _precision_recall_f1(labels: np.ndarray, decisions: np.ndarray) -> tuple[float, float, float]:
    eps = sys.float_info.epsilon
    true_pos = float(np.sum(labels & (decisions == 1)))
    false_pos = float(np.sum(~labels & (decisions == 1)))
    false_neg = float(np.sum(labels & (decisions == 0)))
    precision = true_pos / max(true_pos + false_pos, eps)
    recall = true_pos / max(true_pos + false_neg, eps)
    f1 = 2.0 * precision * recall / max(precision + recall, eps)
    return precision, recall, f1


def _counts(data: SectionData) -> dict[str, int]:
    counts = {}
    for domain, target in (("source", False), ("target", True)):
        in_domain = data.domains == target
        counts[f"normal_{domain}"] = int(np.sum(in_domain & ~data.labels))
        counts[f"anomaly_{domain}"] = int(np.sum(in_domain & data.labels))
    return counts


def compute_section_metrics(data: SectionData, max_fpr: float = MAX_FPR, with_ci: bool = True,
                            confidence: float = 0.95) -> SectionMetrics:
    """AUC (source/target), pAUC, AUC (all), P/R/F1 per domain and jackknife intervals;
    each figure the section's clips do not allow is None, its reason in ``undefined``."""
    label = data.scores_path.name
    counts = _counts(data)
    undefined = section_reasons(counts, data.decisions is not None)
    everything = np.ones(data.scores.size, dtype=bool)
    results: dict[str, tuple[float | None, Interval | None, np.ndarray | None]] = {}
    for name, mask, fpr in (("auc_source", data.auc_mask(False), None),
                            ("auc_target", data.auc_mask(True), None),
                            ("pauc", everything, max_fpr),
                            ("auc_all", everything, None)):
        if name in undefined:
            results[name] = (None, None, None)
            continue
        results[name] = _masked_auc(data, mask, with_ci and name != "auc_all", f"{label} {name}", fpr,
                                    confidence)
    metrics = SectionMetrics(
        machine=data.machine, section=data.section, counts=counts,
        auc_source=results["auc_source"][0], auc_target=results["auc_target"][0],
        pauc=results["pauc"][0], auc_all=results["auc_all"][0], undefined=undefined)
    for name in CI_METRICS:
        _, interval, loo = results[name]
        if interval is not None and loo is not None:  # _masked_auc returns both or neither
            metrics.ci[name] = interval
            metrics.loo[name] = loo
    if data.decisions is not None:
        for domain, target in (("source", False), ("target", True)):
            if f"precision_{domain}" in undefined:
                continue
            mask = data.domain_mask(target)
            p, r, f = _precision_recall_f1(data.labels[mask], data.decisions[mask])
            setattr(metrics, f"precision_{domain}", p)
            setattr(metrics, f"recall_{domain}", r)
            setattr(metrics, f"f1_{domain}", f)
    return metrics
