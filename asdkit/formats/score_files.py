"""Reading and writing the official per-section score CSVs.

File names (``<kind>`` is ``anomaly_score`` or ``decision_result``):

- ``<kind>_<machine>_section_<NN>_test.csv``                      (2022-2024 submissions)
- ``<kind>_<machine>_section_<NN>_{source,target}_test.csv``      (2021: one file per domain)
- ``<kind>_DCASE2024T2<machine>_section_<NN>_test_seed<seed><tag>_Eval.csv`` (the
  2023/2024 baselines' own naming; ``_Dev`` accepted too)
- ``<kind>_<machine>_id_<NN>.csv``                                (2020: machine IDs play
  the part of sections)

Rows are ``file,score`` (anomaly scores, finite floats) or ``file,0|1`` (decisions), no
header. Every problem (bad row, NaN, duplicate file, two files for one section) is an
:class:`~asdkit.errors.InputError` naming the file.
"""
from __future__ import annotations

import csv
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from ..errors import InputError
from ..utils import atomic_open

_SCORE_FILE = re.compile(
    r"^(?P<kind>anomaly_score|decision_result)_(?:DCASE20\d\dT2)?(?P<machine>.+?)"
    r"(?:_section_(?P<section>\d+)(?:_(?P<domain>source|target))?_test"
    r"(?:_seed(?P<seed>\d+)(?P<tag>.*?)_(?:Eval|Dev))?"
    r"|_id_(?P<machine_id>\d+))\.csv$")


@dataclass(frozen=True)
class ScoreFile:
    """One score or decision CSV and what its name says."""

    path: Path
    kind: str  # "anomaly_score" or "decision_result"
    machine: str
    section: str  # two digits; the machine ID for 2020 files
    domain: str | None  # "source"/"target" for 2021 per-domain files

    @property
    def key(self) -> tuple[str, str]:
        return self.machine, self.section


def parse_score_file_name(path: str | os.PathLike) -> ScoreFile | None:
    """What an official score/decision file name says, or None for other files."""
    path = Path(path)
    match = _SCORE_FILE.match(path.name)
    if not match:
        return None
    section = match.group("section") or match.group("machine_id")
    return ScoreFile(path, match.group("kind"), match.group("machine"), f"{int(section):02d}",
                     match.group("domain"))


def find_score_files(scores_dir: str | os.PathLike, kind: str) -> dict[tuple[str, str], list[ScoreFile]]:
    """(machine, section) -> its file(s) of one kind; two files only for 2021 source+target."""
    scores_dir = Path(scores_dir)
    if not scores_dir.is_dir():
        raise InputError(f"{scores_dir}: not a folder")
    found: dict[tuple[str, str], list[ScoreFile]] = {}
    for path in sorted(scores_dir.glob(f"{kind}_*.csv")):
        parsed = parse_score_file_name(path)
        if parsed is None:
            continue
        files = found.setdefault(parsed.key, [])
        clash = [f for f in files if f.domain == parsed.domain]
        if clash:
            raise InputError(f"{scores_dir}: two {kind} files for machine '{parsed.machine}' section "
                             f"{parsed.section}: {clash[0].path.name} and {path.name}")
        files.append(parsed)
    return found


def _rows(path: Path) -> Iterable[tuple[int, str, str]]:
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            for number, row in enumerate(csv.reader(fh), start=1):
                if not row or not "".join(row).strip():
                    continue
                if len(row) != 2:
                    raise InputError(f"{path}: row {number} has {len(row)} column(s), expected file,value")
                yield number, os.path.basename(row[0].strip()), row[1].strip()
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not a UTF-8 text CSV ({exc.reason})") from exc


def read_score_csv(path: str | os.PathLike) -> tuple[list[str], list[float]]:
    """File names and finite anomaly scores, in file order."""
    path = Path(path)
    names: list[str] = []
    scores: list[float] = []
    seen: dict[str, int] = {}
    for number, name, text in _rows(path):
        try:
            value = float(text)
        except ValueError:
            raise InputError(f"{path}: row {number} score '{text}' is not a number") from None
        if not math.isfinite(value):
            raise InputError(f"{path}: row {number} ({name}) has score {text}; scores must be finite")
        if name in seen:
            raise InputError(f"{path}: '{name}' appears twice (rows {seen[name]} and {number})")
        seen[name] = number
        names.append(name)
        scores.append(value)
    if not names:
        raise InputError(f"{path}: no rows")
    return names, scores


def read_decision_csv(path: str | os.PathLike) -> dict[str, int]:
    """File name -> decision (1 = anomalous)."""
    path = Path(path)
    decisions: dict[str, int] = {}
    for number, name, text in _rows(path):
        if text not in {"0", "1"}:
            raise InputError(f"{path}: row {number} decision '{text}' is not 0 or 1")
        if name in decisions:
            raise InputError(f"{path}: '{name}' appears twice")
        decisions[name] = int(text)
    if not decisions:
        raise InputError(f"{path}: no rows")
    return decisions


def score_file_name(machine: str, section: int | str, kind: str = "anomaly_score") -> str:
    """The official name, e.g. ``anomaly_score_fan_section_00_test.csv``."""
    return f"{kind}_{machine}_section_{int(section):02d}_test.csv"


def write_score_csv(path: str | os.PathLike, names: Iterable[str], values: Iterable[float]) -> None:
    """Write ``file,score`` rows atomically (decisions: pass 0/1 ints)."""
    with atomic_open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        for name, value in zip(names, values):
            is_flag = isinstance(value, (bool, int, np.bool_, np.integer))
            writer.writerow([os.path.basename(str(name)), int(value) if is_flag else repr(float(value))])
