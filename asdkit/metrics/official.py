"""The official DCASE Task 2 scores of 2020 to 2024, one function per year.

All harmonic means floor every value at machine epsilon first (``sys.float_info.eps``
= ``np.finfo(float).eps``), as the official evaluators do, see :func:`.auc.harmonic_mean`.
pAUC always uses max_fpr = 0.1.

**2024** (task page "First-Shot Unsupervised ASD for Machine Condition Monitoring";
evaluator github.com/nttcslab/dcase2024_task2_evaluator, read for this module):
per machine type m and section n (one section, 00, per type), AUC (source) and AUC
(target) over the normal clips of that domain plus all anomalous clips of both domains,
and one pAUC over all clips. Official score::

    Omega = hmean{ AUC_{m,n,source}, AUC_{m,n,target}, pAUC_{m,n}  for all m, n }

The evaluator's other summary columns, reproduced here with their exact meaning:
``harmonic mean (source)`` / ``(target)`` = hmean of the AUC (source) / AUC (target)
values *only* (no pAUC); ``arithmetic mean`` = mean of all AUC (source) and AUC (target)
values; the paper table's pAUC row = hmean of the pAUC values. Because papers often
quote a per-domain figure that includes pAUC, asdkit also gives ``source_score`` =
hmean{AUC (source), pAUC} and ``target_score`` = hmean{AUC (target), pAUC}; these two
are asdkit conveniences, not evaluator columns.

**2023** (nttcslab/dcase2023_task2_evaluator, read for this module): the same
definitions and code path as 2024 (one section per machine type).

**2022** (task page "... Applying Domain Generalization Techniques"; Dohi et al., DCASE
2022 Workshop): the same formula as 2023/2024 with three sections per machine type (the
AUC (d) denominator N_n^+ counts the anomalous clips of the whole section). The 2022
evaluator source was not available to check; the definition follows the task page as
remembered, so treat fine details (e.g. epsilon flooring) as unverified.

**2021** (task page "... under Domain Shifted Conditions"; evaluator
github.com/y-kawagu/dcase2021_task2_evaluator, read for this module): scores were
submitted per section *and domain*; AUC and pAUC of (m, n, d) use only the clips of
domain d (its normal and its anomalous clips). The evaluator prints the harmonic mean
of the AUCs and of the pAUCs separately over all machine types, sections and domains;
the ranking score as given on the task page is the harmonic mean of all those AUCs and
pAUCs together, which is what ``score`` holds here (from the task page, not the code).

**2020** (task page "Unsupervised Detection of Anomalous Sounds for Machine Condition
Monitoring"; evaluator github.com/y-kawagu/dcase2020_task2_evaluator, read): AUC and
pAUC over all test clips of each machine ID, then the arithmetic mean over the IDs of
each machine type. There were no domains. The challenge ranked teams by their *rank*
per machine type, averaged over types (a statistic of the whole field of submissions,
not of one system; recalled from the task page, not verified), so no single official
number exists for one system. ``score`` here is the arithmetic mean of all per-type
AUC and pAUC averages, an asdkit summary, clearly not the official ranking.

**Partial data** (e.g. a section without normal clips, a set without target clips):
each score is taken over the values the data define, by the same formula, and its entry
says so: ``used`` of ``expected`` values, ``complete`` (False when any was left out),
``left_out`` (which, e.g. ``"fan/00 AUC (target)"``) and a ``note``. Such a score is not
the task's official figure; on fully labelled data ``complete`` is True and the value is
exactly the definition above. A score none of whose values is defined is None.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from .auc import MAX_FPR, harmonic_mean, partial_auc, roc_auc
from .section_metrics import CI_METRICS, SectionMetrics
from .sections import SectionData
from .undefined import LABELS

YEARS = ("2020", "2021", "2022", "2023", "2024")


def _hmean_or_none(values: list[float]) -> float | None:
    return harmonic_mean(values) if values else None


def _coverage(used: int, expected: int, left_out: list[str]) -> dict:
    """The partial-data bookkeeping of one year's entry (see the module doc)."""
    entry: dict = {"used": used, "expected": expected, "complete": not left_out, "left_out": left_out}
    if left_out and used:
        entry["note"] = f"partial: over {used} of {expected} values ({len(left_out)} undefined left out)"
    return entry


def _defined(metrics: list[SectionMetrics], name: str) -> list[float]:
    return [getattr(m, name) for m in metrics if getattr(m, name) is not None]


def domain_generalisation_score(metrics: list[SectionMetrics]) -> dict:
    """2022-2024: the official score and the evaluator's summary columns, over defined values."""
    left_out = [f"{m.machine}/{m.section} {LABELS[name]}" for m in metrics for name in CI_METRICS
                if getattr(m, name) is None]
    auc_source, auc_target, paucs = (_defined(metrics, name) for name in CI_METRICS)
    used = len(auc_source) + len(auc_target) + len(paucs)
    entry = _coverage(used, len(CI_METRICS) * len(metrics), left_out)
    if not used:
        entry.update(score=None, note="no section has normal and anomalous clips, so no AUC or pAUC")
        return entry
    aucs = auc_source + auc_target
    entry.update({
        "score": harmonic_mean(auc_source + auc_target + paucs),
        "hmean_auc_source": _hmean_or_none(auc_source),
        "hmean_auc_target": _hmean_or_none(auc_target),
        "hmean_pauc": _hmean_or_none(paucs),
        "arithmetic_mean": float(np.mean(aucs)) if aucs else None,
        "source_score": harmonic_mean(auc_source + paucs) if auc_source else None,
        "target_score": harmonic_mean(auc_target + paucs) if auc_target else None,
    })
    return entry


def dcase2021_score(sections: list[SectionData], max_fpr: float = MAX_FPR) -> dict:
    """2021: AUC and pAUC within each (section, domain) that has both classes; hmean of them all."""
    aucs, paucs, left_out = [], [], []
    for data in sections:
        for domain, target in (("source", False), ("target", True)):
            mask = data.domain_mask(target)
            labels = data.labels[mask]
            if not labels.any() or labels.all():
                left_out.append(f"{data.machine}/{data.section} {domain} AUC and pAUC")
                continue
            aucs.append(roc_auc(labels, data.scores[mask]))
            paucs.append(partial_auc(labels, data.scores[mask], max_fpr))
    entry = _coverage(len(aucs) + len(paucs), 4 * len(sections), left_out)
    if not aucs:
        entry.update(score=None, note="no (section, domain) has normal and anomalous clips")
        return entry
    entry.update(score=harmonic_mean(aucs + paucs), hmean_auc=harmonic_mean(aucs), hmean_pauc=harmonic_mean(paucs))
    return entry


def dcase2020_score(metrics: list[SectionMetrics]) -> dict:
    """2020: per machine type, arithmetic means over IDs of AUC and pAUC over all clips."""
    per_machine: dict[str, list[tuple[float, float]]] = defaultdict(list)
    left_out = []
    for m in metrics:
        if m.auc_all is None or m.pauc is None:
            left_out.append(f"{m.machine}/{m.section} AUC (all) and pAUC")
            continue
        per_machine[m.machine].append((m.auc_all, m.pauc))
    entry = _coverage(2 * sum(len(v) for v in per_machine.values()), 2 * len(metrics), left_out)
    if not per_machine:
        entry.update(score=None, note="no section has normal and anomalous clips")
        return entry
    machines = {name: {"auc": float(np.mean([v[0] for v in values])),
                       "pauc": float(np.mean([v[1] for v in values]))}
                for name, values in sorted(per_machine.items())}
    averages = [v for item in machines.values() for v in (item["auc"], item["pauc"])]
    note = "asdkit summary (mean of per-type AUC and pAUC); 2020 ranked by averaged ranks"
    entry.update(score=float(np.mean(averages)), machines=machines,
                 note=f"{note}; {entry['note']}" if "note" in entry else note)
    return entry


def all_years(sections: list[SectionData], metrics: list[SectionMetrics], max_fpr: float = MAX_FPR) -> dict[str, dict]:
    """Every year's score for one run, over the defined values; None (with a note) when none is."""
    modern = domain_generalisation_score(metrics)
    return {"2020": dcase2020_score(metrics), "2021": dcase2021_score(sections, max_fpr),
            "2022": dict(modern), "2023": dict(modern), "2024": dict(modern)}
