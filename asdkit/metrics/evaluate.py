"""Evaluate a scores folder: the library entry point behind ``asdkit evaluate``.

The pipeline calls::

    result = evaluate_scores_dir(run / "scores", clips=run / "clips.csv")
    write_metrics_json(result, run / "metrics.json")

metrics.json schema (``"schema": "asdkit.metrics/1"``; floats, null where undefined)::

    {
      "schema": "asdkit.metrics/1",
      "scores_dir": str, "ground_truth": str, "max_fpr": 0.1, "confidence": 0.95,
      "sections": [{"machine", "section",
                    "counts": {"normal_source", "anomaly_source", "normal_target", "anomaly_target"},
                    "auc_source", "auc_target", "pauc", "auc_all",
                    "precision_source", "precision_target", "recall_source", "recall_target",
                    "f1_source", "f1_target",
                    "ci": {"auc_source"|"auc_target"|"pauc":
                           {"estimate", "low", "high", "stderr", "bias_corrected"}},
                    "undefined": {figure name: reason}}, ...],
      "summary": {"official_score", "official_score_complete", "hmean_auc_source",
                  "hmean_auc_target", "hmean_pauc", "arithmetic_mean", "source_score",
                  "target_score", "official_score_ci": {...} | null,
                  "hmean_precision_source", ... "hmean_f1_target" (null without decisions),
                  "note": str (only when the official score is undefined or partial)},
      "years": {"2020": {"score", "used", "expected", "complete", "left_out", ...},
                "2021": {...}, "2022": {...}, "2023": {...}, "2024": {...}},
      "warnings": [str, ...]  (what the data leave undefined; empty when complete)
    }

Partial data (a section without normal or anomalous clips, no target-domain clips): every
figure the data allow is computed, the others are null with a reason in the section's
``undefined``, and every summary (harmonic means, each year's score) is taken over the
defined values only, as :mod:`.official` describes; ``warnings`` says what was left out.
Only when no figure at all is defined does evaluation fail (one-line InputError).

The official-score interval is a jackknife over every clip of the run: leaving out a
clip of section k changes only section k's three values, so each leave-one-out score is
``M / (S - r_k + r_k^(i))`` with S the sum of reciprocals of all M values and r_k the
section's share of it.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..utils import atomic_write_json
from .auc import MAX_FPR, harmonic_mean
from ..formats.ground_truth import GroundTruth, resolve_ground_truth
from .jackknife import Interval, jackknife_interval
from .official import all_years
from .section_metrics import CI_METRICS, SectionMetrics, compute_section_metrics
from .sections import SectionData, load_sections
from .undefined import AUC_NAMES, PRF_NAMES, warning_lines

SCHEMA = "asdkit.metrics/1"
_PRF = ("precision", "recall", "f1")


@dataclass
class EvaluationResult:
    """Per-section metrics, the run's summary (DCASE 2024 definitions) and every year's score."""

    scores_dir: str
    ground_truth: str
    sections: list[SectionMetrics]
    summary: dict
    years: dict[str, dict]
    max_fpr: float = MAX_FPR
    confidence: float = 0.95
    #: the per-clip data behind the numbers (not serialised; empty after from_dict)
    data: list[SectionData] = field(default_factory=list, repr=False)

    @property
    def official_score(self) -> float | None:
        return self.summary.get("official_score")

    @property
    def complete(self) -> bool:
        """True when every figure of every section is defined (the official definitions apply)."""
        return not any(m.undefined for m in self.sections)

    @property
    def has_decisions(self) -> bool:
        """Whether decision CSVs were evaluated (P/R/F1 computed or undefined for the data)."""
        return any(getattr(m, name) is not None or name in m.undefined for m in self.sections for name in PRF_NAMES)

    @property
    def warnings(self) -> list[str]:
        """One line per figure group the data leave undefined, then per partial/undefined score."""
        return warning_lines(self.sections, self.years)

    def section(self, machine: str, section: str) -> SectionMetrics:
        for metrics in self.sections:
            if metrics.machine == machine and metrics.section == section:
                return metrics
        raise KeyError((machine, section))

    def to_dict(self) -> dict:
        summary = dict(self.summary)
        interval = summary.get("official_score_ci")
        summary["official_score_ci"] = interval.to_dict() if isinstance(interval, Interval) else interval
        return _json_safe({
            "schema": SCHEMA, "scores_dir": self.scores_dir, "ground_truth": self.ground_truth,
            "max_fpr": self.max_fpr, "confidence": self.confidence,
            "sections": [m.to_dict() for m in self.sections], "summary": summary, "years": self.years,
            "warnings": self.warnings})

    @classmethod
    def from_dict(cls, data: dict) -> "EvaluationResult":
        if data.get("schema") != SCHEMA:
            raise InputError(f"metrics schema '{data.get('schema')}' is not {SCHEMA}")
        summary = dict(data["summary"])
        if summary.get("official_score_ci"):
            summary["official_score_ci"] = Interval(
                **{k: _nan_if_none(v) for k, v in summary["official_score_ci"].items()})
        sections = []
        for entry in data["sections"]:
            entry = dict(entry)
            entry["ci"] = {k: {n: _nan_if_none(v) for n, v in ci.items()} for k, ci in entry.get("ci", {}).items()}
            sections.append(SectionMetrics.from_dict(entry))
        return cls(scores_dir=data["scores_dir"], ground_truth=data["ground_truth"], sections=sections,
                   summary=summary, years=data["years"], max_fpr=data["max_fpr"],
                   confidence=data["confidence"])

    def rows(self) -> list[dict]:
        """Flat rows, one per section plus a harmonic-mean row (for CSV)."""
        rows: list[dict[str, Any]] = []
        for m in self.sections:
            row: dict[str, Any] = {"machine": m.machine, "section": m.section}
            for name in ("auc_source", "auc_target", "pauc", "auc_all"):
                row[name] = getattr(m, name)
                interval = m.ci.get(name)
                if name in CI_METRICS:
                    row[f"{name}_low"] = interval.low if interval else None
                    row[f"{name}_high"] = interval.high if interval else None
            for metric in _PRF:
                for domain in ("source", "target"):
                    row[f"{metric}_{domain}"] = getattr(m, f"{metric}_{domain}")
            row["undefined"] = "; ".join(f"{name}: {reason}" for name, reason in m.undefined.items()) or None
            rows.append(row)
        summary_row: dict[str, Any] = {key: None for key in rows[0]}
        summary_row.update({"machine": "ALL", "section": "hmean",
                            "auc_source": self.summary.get("hmean_auc_source"),
                            "auc_target": self.summary.get("hmean_auc_target"),
                            "pauc": self.summary.get("hmean_pauc")})
        for metric in _PRF:
            for domain in ("source", "target"):
                summary_row[f"{metric}_{domain}"] = self.summary.get(f"hmean_{metric}_{domain}")
        rows.append(summary_row)
        return rows


def _nan_if_none(value):
    return float("nan") if value is None else value


def _json_safe(value):
    """NaN/inf -> None, numpy scalars -> Python, recursively (JSON has no NaN)."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def official_score_interval(metrics: list[SectionMetrics], score: float, confidence: float) -> Interval | None:
    """Jackknife interval of the official score over all clips of the sections it uses.

    With partial data only the defined values enter (as in the score itself); a section
    with none of them defined contributes no clips. None without leave-one-out values.
    """
    used = [(m, [name for name in CI_METRICS if getattr(m, name) is not None]) for m in metrics]
    used = [(m, names) for m, names in used if names]
    if not used or any(name not in m.loo for m, names in used for name in names):
        return None
    eps = np.finfo(float).eps
    values = [getattr(m, name) for m, names in used for name in names]
    reciprocal_total = float(np.sum(1.0 / np.maximum(values, eps)))
    loo_scores = []
    for m, names in used:
        share = sum(1.0 / max(getattr(m, name), eps) for name in names)
        loo_share = sum(1.0 / np.maximum(m.loo[name], eps) for name in names)
        loo_scores.append(len(values) / (reciprocal_total - share + loo_share))
    return jackknife_interval(score, np.concatenate(loo_scores), confidence)


def summarise(sections: list[SectionData], metrics: list[SectionMetrics], max_fpr: float = MAX_FPR,
              confidence: float = 0.95) -> tuple[dict, dict]:
    """(summary, years) of a run from its per-section metrics."""
    years = all_years(sections, metrics, max_fpr)
    modern = years["2024"]
    summary: dict = {"official_score": modern["score"], "official_score_complete": modern["complete"]}
    for key in ("hmean_auc_source", "hmean_auc_target", "hmean_pauc", "arithmetic_mean",
                "source_score", "target_score"):
        summary[key] = modern.get(key)
    if modern.get("note"):
        summary["note"] = modern["note"]
    summary["official_score_ci"] = (None if modern["score"] is None
                                    else official_score_interval(metrics, modern["score"], confidence))
    for metric in _PRF:
        for domain in ("source", "target"):
            defined = [v for m in metrics if (v := getattr(m, f"{metric}_{domain}")) is not None]
            summary[f"hmean_{metric}_{domain}"] = harmonic_mean(defined) if defined else None
    return summary, years


def _check_something_defined(metrics: list[SectionMetrics], scores_dir: str) -> None:
    """Refuse only a run where the data define no figure at all."""
    if any(getattr(m, name) is not None for m in metrics for name in AUC_NAMES + PRF_NAMES):
        return
    first = next((m for m in metrics if m.undefined), None)
    example = f" (e.g. {first.machine}/{first.section}: {next(iter(first.undefined.values()))})" if first else ""
    raise InputError(f"{scores_dir or 'scores'}: no metric is defined: no section has both normal and "
                     f"anomalous test clips{example}")


def evaluate_sections(sections: list[SectionData], scores_dir: str = "", ground_truth: str = "",
                      max_fpr: float = MAX_FPR, with_ci: bool = True, confidence: float = 0.95) -> EvaluationResult:
    """Metrics of already loaded sections; undefined figures are None (see the module doc)."""
    metrics = [compute_section_metrics(data, max_fpr, with_ci, confidence) for data in sections]
    _check_something_defined(metrics, scores_dir)
    summary, years = summarise(sections, metrics, max_fpr, confidence)
    return EvaluationResult(scores_dir=scores_dir, ground_truth=ground_truth, sections=metrics,
                            summary=summary, years=years, max_fpr=max_fpr, confidence=confidence,
                            data=sections)


def evaluate_scores_dir(scores_dir: str | os.PathLike, ground_truth: str | os.PathLike | GroundTruth | None = None,
                        clips: str | os.PathLike | None = None, *, max_fpr: float = MAX_FPR,
                        with_ci: bool = True, confidence: float = 0.95) -> EvaluationResult:
    """Evaluate the official CSVs in ``scores_dir``.

    Ground truth: the official CSV folder ``ground_truth`` if given, else the RUN's
    ``clips`` table if given, else the DCASE development file names.
    """
    truth = ground_truth if isinstance(ground_truth, GroundTruth) else resolve_ground_truth(ground_truth, clips)
    sections = load_sections(scores_dir, truth)
    return evaluate_sections(sections, scores_dir=str(scores_dir), ground_truth=truth.description,
                             max_fpr=max_fpr, with_ci=with_ci, confidence=confidence)


def write_metrics_json(result: EvaluationResult, path: str | os.PathLike) -> Path:
    """Write ``result.to_dict()`` atomically; returns the path."""
    atomic_write_json(path, result.to_dict())
    return Path(path)
