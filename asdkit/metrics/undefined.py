"""Which figures the data leave undefined, why, and one-line summaries of what was left out.

A figure is undefined when the clips it needs are not there (never because of the scores):

- AUC (d), d in {source, target}: normal clips of domain d, and anomalous clips of the
  section (either domain; the 2022-2024 definition);
- pAUC and AUC (all): normal and anomalous clips of the section;
- precision, recall, F1 (d): clips of domain d with anomalous clips among them. Recall
  tp / (tp + fn) is 0/0 without anomalous clips; the evaluator's epsilon guard would
  turn that into a 0 that says nothing about the system and drags harmonic means to 0.
  With anomalous clips present, the guard is kept: a system that flags nothing has
  precision 0, as in the official evaluator.

An undefined figure is None with a reason in :attr:`SectionMetrics.undefined`; the
summary figures (harmonic means, each year's score) are taken over the defined ones and
say how many they used (``used`` of ``expected`` values in each year's entry).
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable

DOMAINS = ("source", "target")
_PRF = ("precision", "recall", "f1")
AUC_NAMES = ("auc_source", "auc_target", "pauc", "auc_all")
PRF_NAMES = tuple(f"{metric}_{domain}" for domain in DOMAINS for metric in _PRF)

#: how each per-section figure is written in tables and messages
LABELS = {"auc_source": "AUC (source)", "auc_target": "AUC (target)", "pauc": "pAUC", "auc_all": "AUC (all)",
          **{f"{metric}_{domain}": f"{metric} ({domain})" for domain in DOMAINS for metric in _PRF}}


def section_reasons(counts: dict[str, int], has_decisions: bool) -> dict[str, str]:
    """Figure name -> why it is undefined, from a section's clip counts (see the module doc)."""
    normal = counts["normal_source"] + counts["normal_target"]
    anomalous = counts["anomaly_source"] + counts["anomaly_target"]
    whole = "no anomalous test clips" if anomalous == 0 else "no normal test clips" if normal == 0 else None
    reasons: dict[str, str] = {}
    for domain in DOMAINS:
        # The absent domain first: the same reason as its P/R/F1, so one warning covers both.
        if counts[f"normal_{domain}"] + counts[f"anomaly_{domain}"] == 0:
            reasons[f"auc_{domain}"] = f"no {domain}-domain test clips"
        elif whole:
            reasons[f"auc_{domain}"] = whole
        elif counts[f"normal_{domain}"] == 0:
            reasons[f"auc_{domain}"] = f"no normal {domain}-domain test clips"
    if whole:
        reasons["pauc"] = reasons["auc_all"] = whole
    if has_decisions:
        for domain in DOMAINS:
            in_domain = counts[f"normal_{domain}"] + counts[f"anomaly_{domain}"]
            reason = (f"no {domain}-domain test clips" if in_domain == 0
                      else f"no anomalous {domain}-domain test clips" if counts[f"anomaly_{domain}"] == 0
                      else None)
            if reason:
                reasons.update({f"{metric}_{domain}": reason for metric in _PRF})
    return reasons


def figure_names(names: Iterable[str]) -> str:
    """``["precision_source", "recall_source", "f1_source", "pauc"]`` -> ``"pAUC, P/R/F1 (source)"``."""
    names = list(names)
    parts = [LABELS[n] for n in AUC_NAMES if n in names]
    for domain in DOMAINS:
        prf = [f"{metric}_{domain}" for metric in _PRF if f"{metric}_{domain}" in names]
        if len(prf) == len(_PRF):
            parts.append(f"P/R/F1 ({domain})")
        else:
            parts += [LABELS[n] for n in prf]
    return ", ".join(parts)


def _where(keys: list[str], total: int) -> str:
    if len(keys) == total and total > 1:
        return f"all {total} sections"
    return ", ".join(keys)


def section_lines(sections) -> list[str]:
    """One line per (reason, figures) shared by some sections: what is undefined where and why."""
    groups: dict[tuple[str, tuple[str, ...]], list[str]] = defaultdict(list)
    for m in sections:
        by_reason: dict[str, list[str]] = defaultdict(list)
        for name, reason in m.undefined.items():
            by_reason[reason].append(name)
        for reason, names in by_reason.items():
            groups[(reason, tuple(sorted(names)))].append(f"{m.machine}/{m.section}")
    return [f"{figure_names(names)} undefined for {_where(keys, len(sections))} ({reason})"
            for (reason, names), keys in groups.items()]


def _year_spans(years: dict[str, dict]) -> list[tuple[str, dict]]:
    """Consecutive years with the same entry merged: ``[("2022-2024", entry), ...]``."""
    spans: list[tuple[list[str], dict]] = []
    for year, entry in years.items():
        if spans and spans[-1][1] == entry:
            spans[-1][0].append(year)
        else:
            spans.append(([year], entry))
    return [(names[0] if len(names) == 1 else f"{names[0]}-{names[-1]}", entry) for names, entry in spans]


def summary_lines(years: dict[str, dict]) -> list[str]:
    """Which year's score is partial (over how many of its values) or undefined."""
    partial, undefined = [], []
    for span, entry in _year_spans(years):
        if entry.get("score") is None:
            undefined.append(f"DCASE {span} score undefined ({entry.get('note', 'no value defined')})")
        elif not entry.get("complete", True):
            partial.append(f"DCASE {span} {entry['used']} of {entry['expected']}")
    lines = []
    if partial:
        lines.append("scores and harmonic means over the defined values only: " + ", ".join(partial))
    return lines + undefined


def warning_lines(sections, years: dict[str, dict]) -> list[str]:
    """Everything left out of a run's evaluation, one line per problem (empty when complete)."""
    return section_lines(sections) + summary_lines(years)
