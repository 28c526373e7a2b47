"""Official DCASE Task 2 metrics: AUC, pAUC, per-year official scores, jackknife intervals.

Main entry points:

- :func:`evaluate_scores_dir` -> :class:`EvaluationResult` (``.to_dict()``, ``.rows()``)
- :func:`write_metrics_json` - RUN/metrics.json
- :func:`compare_runs` - several runs side by side, seeds grouped as mean and std
- :func:`roc_auc`, :func:`partial_auc`, :func:`harmonic_mean` - the building blocks
"""
from .auc import MAX_FPR, harmonic_mean, partial_auc, roc_auc, roc_points
from .compare import Comparison, RunEntry, compare_runs, evaluate_run, resolve_run
from .evaluate import EvaluationResult, evaluate_scores_dir, evaluate_sections, write_metrics_json
from ..formats.ground_truth import ClipsGroundTruth, NameGroundTruth, OfficialGroundTruth, resolve_ground_truth
from .jackknife import Interval, jackknife_interval
from ..formats.score_files import read_score_csv, score_file_name, write_score_csv
from .sections import SectionData, load_sections

__all__ = [
    "MAX_FPR", "harmonic_mean", "partial_auc", "roc_auc", "roc_points",
    "Comparison", "RunEntry", "compare_runs", "evaluate_run", "resolve_run",
    "EvaluationResult", "evaluate_scores_dir", "evaluate_sections", "write_metrics_json",
    "ClipsGroundTruth", "NameGroundTruth", "OfficialGroundTruth", "resolve_ground_truth",
    "Interval", "jackknife_interval", "read_score_csv", "score_file_name", "write_score_csv",
    "SectionData", "load_sections",
]
