"""Ground truth: what is known about each test clip (anomalous? target domain?), and
the side files that say it.

Files (names in :mod:`asdkit.formats.names`), no header, ``name,value`` rows:

- ``ground_truth_data/ground_truth_<machine>_section_NN_test.csv``: 1 = anomalous;
- ``ground_truth_domain/...``: 1 = target domain;
- ``ground_truth_attributes/...``: anonymised name, original (un-anonymised) name;
- 2021: ``ground_truth_<machine>_section_NN_{source,target}_test.csv``, domain in the name;
- ``attributes_NN.csv`` in a machine folder: ``file_name,d1p,d1v,d2p,d2v,...``.

Three sources answer the evaluator's question through one interface (:class:`GroundTruth`):
:class:`NameGroundTruth` (DCASE development file names), :class:`OfficialGroundTruth`
(the files above) and :class:`ClipsGroundTruth` (a RUN's ``clips.csv``). The official
and clips sources know the full test set, so they also catch missing scores. Dataset
scans read the same files through :class:`GroundTruthTables`.
"""
from __future__ import annotations

import csv
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError
from .names import ATTRIBUTES_NAME, GROUND_TRUTH_NAME, HIDDEN_ATTRIBUTES, label_from_name, section_id

Key = tuple[str, str]  # (machine, two-digit section)


def is_ground_truth_csv(path: Path) -> bool:
    return bool(GROUND_TRUTH_NAME.match(path.name))


def is_attributes_csv(path: Path) -> bool:
    return bool(ATTRIBUTES_NAME.match(path.name))


def read_rows(path: Path) -> list[tuple[int, list[str]]]:
    """Non-blank CSV rows with their line numbers, cells stripped."""
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            return [(line, [cell.strip() for cell in row]) for line, row in enumerate(csv.reader(fh), start=1)
                    if row and any(cell.strip() for cell in row)]
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: malformed CSV ({exc})") from None


def read_pairs(path: Path) -> list[tuple[int, str, str]]:
    """``(line, clip file name, value)`` of a two-column ground-truth CSV."""
    pairs = []
    for line, row in read_rows(path):
        if len(row) < 2:
            raise InputError(f"{path}:{line}: expected 'name,value', got '{','.join(row)}'")
        pairs.append((line, Path(row[0]).name, row[1]))
    return pairs


def read_flags(path: Path) -> dict[str, bool]:
    """Clip file name -> value == 1, for a 0/1 ground-truth CSV."""
    flags: dict[str, bool] = {}
    for line, name, value in read_pairs(path):
        if value not in ("0", "1"):
            raise InputError(f"{path}:{line}: value '{value}' is not 0 or 1")
        if name in flags:
            raise InputError(f"{path}:{line}: '{name}' is listed twice")
        flags[name] = value == "1"
    return flags


def with_wav(name: str) -> str:
    return name if name.lower().endswith(".wav") else name + ".wav"


@dataclass
class GroundTruthTables:
    """Everything a set of ground-truth CSVs says, per (machine, section), per clip name."""

    labels: dict[Key, dict[str, bool]] = field(default_factory=dict)  # True = anomalous
    domains: dict[Key, dict[str, bool]] = field(default_factory=dict)  # True = target
    originals: dict[Key, dict[str, str]] = field(default_factory=dict)  # anonymised -> original name
    label_files: dict[Key, list[Path]] = field(default_factory=dict)

    def add_file(self, path: Path) -> None:
        match = GROUND_TRUTH_NAME.match(path.name)
        if not match:
            raise InputError(f"{path}: not a ground_truth_<machine>_section_NN_test.csv file")
        key = (match["machine"], section_id(match["section"]))
        folder = path.parent.name
        if folder == "ground_truth_attributes":
            self.originals.setdefault(key, {}).update(
                {name: with_wav(value) for _, name, value in read_pairs(path)})
            return
        flags = read_flags(path)
        if folder == "ground_truth_domain":
            self.domains.setdefault(key, {}).update(flags)
            return
        self.labels.setdefault(key, {}).update(flags)
        self.label_files.setdefault(key, []).append(path)
        if match["domain"]:  # 2021: one file per domain
            self.domains.setdefault(key, {}).update({n: match["domain"] == "target" for n in flags})

    @classmethod
    def from_files(cls, paths: list[Path]) -> "GroundTruthTables":
        tables = cls()
        for path in sorted(paths):
            tables.add_file(path)
        return tables

    @property
    def covered(self) -> set[Key]:
        """(machine, section) pairs with labels."""
        return set(self.labels)

    def __bool__(self) -> bool:
        return bool(self.labels or self.domains or self.originals)


def find_ground_truth_files(location: Path) -> list[Path]:
    """Ground-truth CSVs at ``location`` (a file, or a folder searched recursively)."""
    if location.is_file():
        return [location]
    if not location.is_dir():
        raise InputError(f"{location}: ground truth not found (no such file or folder)")
    files = sorted(p for p in location.rglob("ground_truth_*.csv") if is_ground_truth_csv(p))
    if not files:
        raise InputError(f"{location}: no ground_truth_<machine>_section_NN_test.csv files found")
    return files


def read_attributes_csv(path: Path) -> dict[str, dict[str, str]]:
    """``attributes_NN.csv`` -> {file name: {attribute: value}} (hidden -> ``{}``)."""
    rows = [row for _, row in read_rows(path)]
    if not rows or rows[0][0] != "file_name":
        raise InputError(f"{path}: expected a header starting with 'file_name'")
    table: dict[str, dict[str, str]] = {}
    for cells in rows[1:]:
        pairs = zip(cells[1::2], cells[2::2] + [""] * (len(cells[1::2]) - len(cells[2::2])))
        table[Path(cells[0]).name] = {k: v for k, v in pairs if k and k != HIDDEN_ATTRIBUTES}
    return table


# ---------------------------------------------------------------- sources for evaluation
@dataclass
class Truth:
    """Labels (True = anomalous) and domains (True = target) for named clips."""

    labels: dict[str, bool]
    domains: dict[str, bool]


class GroundTruth(ABC):
    """Answers: for this machine/section, what are the label and domain of each clip?"""

    description = "ground truth"
    #: whether the source knows every test clip (so missing scores can be detected)
    complete = False

    def machines(self) -> set[Key]:
        """(machine, section) pairs this source knows in full; empty when unknown."""
        return set()

    @abstractmethod
    def lookup(self, machine: str, section: str, names: list[str], scores_path: Path) -> tuple[np.ndarray, np.ndarray]:
        """(anomalous, target) flags of ``names``, in order; InputError when they do not match."""


def _flags_of(names: list[str], truth: Truth, scores_path: Path, source: str) -> tuple[np.ndarray, np.ndarray]:
    scored = set(names)
    missing = sorted(set(truth.labels) - scored)
    extra = sorted(scored - set(truth.labels))
    if missing:
        raise InputError(f"{scores_path}: {len(missing)} clip(s) of the ground truth have no score "
                         f"(e.g. {missing[0]}; ground truth: {source})")
    if extra:
        raise InputError(f"{scores_path}: {len(extra)} scored clip(s) are not in the ground truth "
                         f"(e.g. {extra[0]}; ground truth: {source})")
    return (np.array([truth.labels[n] for n in names], dtype=bool),
            np.array([truth.domains[n] for n in names], dtype=bool))


class NameGroundTruth(GroundTruth):
    """Labels and domains parsed from DCASE development-set file names."""

    description = "file names"

    def lookup(self, machine, section, names, scores_path):  # noqa: ARG002 - names alone tell
        labels, domains = [], []
        for name in names:
            parsed = label_from_name(name)
            if parsed is None:
                raise InputError(f"{scores_path}: cannot tell whether '{name}' is normal or anomalous "
                                 "from its name; pass the ground truth (--ground-truth DIR)")
            labels.append(parsed[0])
            domains.append(parsed[1])
        return np.array(labels, dtype=bool), np.array(domains, dtype=bool)


class OfficialGroundTruth(GroundTruth):
    """The organisers' ground-truth layout (2021-2024 evaluators), rooted at the folder
    holding ``ground_truth_data/``."""

    complete = True

    def __init__(self, root: str | os.PathLike) -> None:
        root = Path(root)
        if root.name == "ground_truth_data":
            root = root.parent
        self.root = root
        self.description = str(root)
        data_dir = root / "ground_truth_data"
        if not data_dir.is_dir():
            raise InputError(f"{root}: no ground_truth_data/ folder (official ground-truth layout expected)")
        files = [p for folder in ("ground_truth_data", "ground_truth_domain", "ground_truth_attributes")
                 for p in sorted((root / folder).glob("ground_truth_*.csv")) if is_ground_truth_csv(p)]
        self.tables = GroundTruthTables.from_files(files)
        if not self.tables.labels:
            raise InputError(f"{data_dir}: no ground_truth_<machine>_section_NN_test.csv files")

    def machines(self) -> set[Key]:
        return self.tables.covered

    def _truth(self, machine: str, section: str) -> Truth:
        key = (machine, section)
        labels = self.tables.labels.get(key)
        if labels is None:
            raise InputError(f"no ground truth for machine '{machine}' section {section} in {self.root} "
                             f"(expected ground_truth_data/ground_truth_{machine}_section_{section}_test.csv)")
        domains = self.tables.domains.get(key, {})
        lacking = sorted(set(labels) - set(domains))
        if lacking:
            domain_path = self.root / "ground_truth_domain" / f"ground_truth_{machine}_section_{section}_test.csv"
            what = "missing" if key not in self.tables.domains else f"no domain for {len(lacking)} clip(s)"
            raise InputError(f"{domain_path}: {what} (needed for the domains of e.g. {lacking[0]})")
        return Truth(labels, domains)

    def anonymised_names(self, machine: str, section: str) -> dict[str, str]:
        """Original file name (with .wav) -> anonymised name, from ground_truth_attributes."""
        return {original: anonymised for anonymised, original
                in self.tables.originals.get((machine, section), {}).items()}

    def lookup(self, machine, section, names, scores_path):
        renames = self.anonymised_names(machine, section)
        return _flags_of([renames.get(n, n) for n in names], self._truth(machine, section),
                         scores_path, self.description)


class ClipsGroundTruth(GroundTruth):
    """Test clips of a RUN's clips.csv (:mod:`asdkit.formats.clips_table`)."""

    complete = True

    def __init__(self, clips_csv: str | os.PathLike) -> None:
        from .clips_table import read_clips_csv

        self.path = Path(clips_csv)
        self.description = str(self.path)
        if not self.path.is_file():
            raise InputError(f"{self.path}: clips table not found")
        self._truth: dict[Key, Truth] = {}
        for row, clip in enumerate(read_clips_csv(self.path), start=2):
            if clip.split != "test":
                continue
            if clip.label == "unknown" or clip.domain == "unknown":
                raise InputError(f"{self.path}: row {row} ({clip.name}) has {clip.label} label and "
                                 f"{clip.domain} domain; for clips of unknown truth pass the official "
                                 "ground truth (--ground-truth DIR)")
            key = (clip.machine, section_id(clip.section))
            truth = self._truth.setdefault(key, Truth({}, {}))
            if clip.name in truth.labels:
                raise InputError(f"{self.path}: test clip '{clip.name}' of {key[0]} section {key[1]} listed twice")
            truth.labels[clip.name] = clip.is_anomaly
            truth.domains[clip.name] = clip.domain == "target"

    def machines(self) -> set[Key]:
        return set(self._truth)

    def lookup(self, machine, section, names, scores_path):
        truth = self._truth.get((machine, section))
        if truth is None:
            raise InputError(f"no test clips of machine '{machine}' section {section} in {self.path}")
        return _flags_of(names, truth, scores_path, self.description)


def resolve_ground_truth(ground_truth: str | os.PathLike | None = None,
                         clips: str | os.PathLike | None = None) -> GroundTruth:
    """The official CSVs if given, else the clips table if given, else the file names."""
    if ground_truth is not None:
        return OfficialGroundTruth(ground_truth)
    if clips is not None:
        return ClipsGroundTruth(clips)
    return NameGroundTruth()
