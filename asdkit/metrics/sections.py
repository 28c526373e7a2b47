"""The test clips of one machine type and section, with scores, truth and decisions.

:func:`load_sections` turns a scores folder plus a ground-truth source into one
:class:`SectionData` per (machine, section), refusing anything that would make a score
silently partial: a clip of the ground truth without a score, a score for an unknown
clip, a section of the ground truth without a score file, decisions for some sections
only, or a decision file that does not cover its score file.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..formats.ground_truth import GroundTruth, NameGroundTruth
from ..formats.score_files import ScoreFile, find_score_files, read_decision_csv, read_score_csv


@dataclass
class SectionData:
    """Aligned per-clip arrays of one machine type and section."""

    machine: str
    section: str
    files: list[str]
    scores: np.ndarray  # float, higher = more anomalous
    labels: np.ndarray  # bool, True = anomalous
    domains: np.ndarray  # bool, True = target domain
    decisions: np.ndarray | None  # int 0/1 or None when no decision file
    scores_path: Path
    decisions_path: Path | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.machine, self.section

    @property
    def has_target(self) -> bool:
        return bool(self.domains.any())

    def domain_mask(self, target: bool) -> np.ndarray:
        return self.domains == target

    def auc_mask(self, target: bool) -> np.ndarray:
        """Normal clips of one domain plus every anomalous clip (2022-2024 AUC definition)."""
        return (self.domains == target) | self.labels


def _read_scores(files: list[ScoreFile]) -> tuple[list[str], np.ndarray, Path]:
    names: list[str] = []
    values: list[float] = []
    for score_file in files:
        file_names, file_scores = read_score_csv(score_file.path)
        clash = set(names) & set(file_names)
        if clash:
            raise InputError(f"{score_file.path}: '{sorted(clash)[0]}' is also scored in another file")
        names += file_names
        values += file_scores
    return names, np.asarray(values, dtype=float), files[0].path


def _read_decisions(files: list[ScoreFile], names: list[str], scores_path: Path) -> np.ndarray:
    decisions: dict[str, int] = {}
    for decision_file in files:
        decisions.update(read_decision_csv(decision_file.path))
    path = files[0].path
    missing = [n for n in names if n not in decisions]
    if missing:
        raise InputError(f"{path}: no decision for {len(missing)} clip(s) scored in {scores_path.name} "
                         f"(e.g. {missing[0]})")
    extra = sorted(set(decisions) - set(names))
    if extra:
        raise InputError(f"{path}: decision for '{extra[0]}' which {scores_path.name} does not score")
    return np.array([decisions[n] for n in names], dtype=int)


def load_sections(scores_dir: str | os.PathLike, ground_truth: GroundTruth | None = None) -> list[SectionData]:
    """Every section's scores matched to its ground truth, sorted by machine and section."""
    scores_dir = Path(scores_dir)
    truth = ground_truth or NameGroundTruth()
    score_files = find_score_files(scores_dir, "anomaly_score")
    if not score_files:
        raise InputError(f"{scores_dir}: no anomaly_score_<machine>_section_<NN>_test.csv files")
    decision_files = find_score_files(scores_dir, "decision_result")
    orphans = sorted(set(decision_files) - set(score_files))
    if orphans:
        machine, section = orphans[0]
        raise InputError(f"{scores_dir}: decision_result file for machine '{machine}' section {section} "
                         "has no anomaly_score file")
    if decision_files and set(decision_files) != set(score_files):
        machine, section = sorted(set(score_files) - set(decision_files))[0]
        raise InputError(f"{scores_dir}: decision_result files exist, but none for machine '{machine}' "
                         f"section {section}")
    unscored = sorted(truth.machines() - set(score_files)) if truth.complete else []
    if unscored:
        machine, section = unscored[0]
        raise InputError(f"{scores_dir}: no anomaly_score file for machine '{machine}' section {section}, "
                         f"which the ground truth ({truth.description}) lists")
    sections = []
    for key in sorted(score_files):
        names, scores, scores_path = _read_scores(score_files[key])
        labels, domains = truth.lookup(key[0], key[1], names, scores_path)
        decisions = _read_decisions(decision_files[key], names, scores_path) if key in decision_files else None
        sections.append(SectionData(
            machine=key[0], section=key[1], files=names, scores=scores, labels=labels,
            domains=domains, decisions=decisions, scores_path=scores_path,
            decisions_path=decision_files[key][0].path if key in decision_files else None))
    return sections
