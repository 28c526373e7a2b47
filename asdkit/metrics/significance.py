"""Is method B better than method A on these clips? A paired bootstrap over clips.

Both methods scored the same test clips. One bootstrap replicate draws, within every
(machine, section, domain, label) cell, as many clips as the cell holds, with
replacement, and the *same* draw for both methods (paired); it recomputes each run's
official DCASE 2024 score on the drawn clips (the exact definitions of
:func:`~asdkit.metrics.section_metrics.compute_section_metrics` and
:func:`~asdkit.metrics.official.domain_generalisation_score`), averages a method's runs
(its seeds) and keeps the difference ``d* = B* - A*``. Stratifying by cell keeps every
figure of the original defined in each replicate.

Reported: the observed difference ``d`` (B - A, means over seeds), the percentile
interval of ``d*`` and a two-sided p-value ``2 min(P(d* <= 0), P(d* >= 0))`` (with the
+1 correction, so never 0). It measures uncertainty from the test clips only; the
spread over seeds is in the results table beside it.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from ..errors import InputError
from .official import domain_generalisation_score
from .section_metrics import compute_section_metrics
from .sections import SectionData

DEFAULT_REPLICATES = 1000


@dataclass(frozen=True)
class PairedComparison:
    """B minus A in official score, with its bootstrap interval and p-value."""

    a: str
    b: str
    difference: float
    low: float
    high: float
    p_value: float
    replicates: int
    confidence: float

    def note(self) -> str:
        """One line, e.g. ``B - A = +0.031 (95% CI +0.004 to +0.058), p = 0.03 (paired bootstrap, 1000 x)``."""
        verdict = "significant" if self.p_value < 1 - self.confidence else "not significant"
        return (f"{self.b} - {self.a}: official score {self.difference:+.4f} "
                f"({self.confidence:.0%} CI {self.low:+.4f} to {self.high:+.4f}), p = {self.p_value:.3g}, "
                f"{verdict} at {1 - self.confidence:.0%} (paired bootstrap over clips, {self.replicates} replicates)")

    def to_dict(self) -> dict:
        return {"a": self.a, "b": self.b, "difference": self.difference, "low": self.low, "high": self.high,
                "p_value": self.p_value, "replicates": self.replicates, "confidence": self.confidence}


def _aligned(runs: Sequence[list[SectionData]], names: Sequence[str]) -> list[list[SectionData]]:
    """Every run's sections in the first run's section and clip order."""
    reference = {s.key: s for s in runs[0]}
    out = []
    for run, name in zip(runs, names):
        by_key = {s.key: s for s in run}
        if set(by_key) != set(reference):
            raise InputError(f"{name}: scored other machine types/sections than {names[0]}; "
                             "a paired comparison needs the same clips")
        ordered = []
        for key, first in reference.items():
            section = by_key[key]
            index = {f: i for i, f in enumerate(section.files)}
            if set(index) != set(first.files):
                raise InputError(f"{name}: scored other clips than {names[0]} in {key[0]} section {key[1]}")
            order = np.array([index[f] for f in first.files])
            ordered.append(_take(section, order))
        out.append(ordered)
    return out


def _take(section: SectionData, rows: np.ndarray) -> SectionData:
    return replace(section, files=[section.files[i] for i in rows], scores=section.scores[rows],
                   labels=section.labels[rows], domains=section.domains[rows],
                   decisions=None if section.decisions is None else section.decisions[rows])


def official_score(sections: Sequence[SectionData]) -> float:
    score = domain_generalisation_score([compute_section_metrics(s, with_ci=False) for s in sections])["score"]
    if score is None:
        raise InputError("no official score is defined on these clips (no section has both classes)")
    return float(score)


def _cells(section: SectionData) -> list[np.ndarray]:
    keys = section.labels.astype(int) * 2 + section.domains.astype(int)
    return [np.flatnonzero(keys == k) for k in np.unique(keys)]


def paired_bootstrap(method_a: Sequence[list[SectionData]], method_b: Sequence[list[SectionData]],
                     names: tuple[str, str] = ("A", "B"), replicates: int = DEFAULT_REPLICATES,
                     confidence: float = 0.95, seed: int = 0) -> PairedComparison:
    """Compare two methods, each given as its runs (seeds), each run as its sections."""
    if replicates < 10:
        raise InputError(f"--bootstrap: at least 10 replicates, got {replicates}")
    if not method_a or not method_b:
        raise InputError("a paired comparison needs at least one run of each method")
    labels = [f"{names[0]} run {i + 1}" for i in range(len(method_a))]
    labels += [f"{names[1]} run {i + 1}" for i in range(len(method_b))]
    runs = _aligned(list(method_a) + list(method_b), labels)
    n_a = len(method_a)

    def difference(rows: list[np.ndarray] | None) -> float:
        scores = [official_score(run if rows is None else [_take(s, r) for s, r in zip(run, rows)]) for run in runs]
        return float(np.mean(scores[n_a:]) - np.mean(scores[:n_a]))

    observed = difference(None)
    rng = np.random.default_rng(seed)
    cells = [_cells(section) for section in runs[0]]
    draws = np.empty(replicates)
    for b in range(replicates):
        rows = [np.concatenate([rng.choice(cell, cell.size, replace=True) for cell in section_cells])
                for section_cells in cells]
        draws[b] = difference(rows)
    alpha = 1.0 - confidence
    low, high = np.quantile(draws, [alpha / 2, 1 - alpha / 2])
    tail = min((draws <= 0).sum(), (draws >= 0).sum())
    p_value = min(1.0, 2.0 * (tail + 1) / (replicates + 1))
    return PairedComparison(names[0], names[1], observed, float(low), float(high), float(p_value),
                            replicates, confidence)
