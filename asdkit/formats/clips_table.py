"""The :class:`Clip` record (one audio file, what its name and ground truth say about it)
and the ``clips.csv`` file that stores a list of them in a run folder."""
from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..errors import InputError
from ..utils import atomic_open

DOMAINS = ("source", "target", "unknown")
SPLITS = ("train", "test")
LABELS = ("normal", "anomaly", "unknown")

#: Column order of ``clips.csv``; ``attributes`` holds a JSON object.
CSV_COLUMNS = ("path", "machine", "section", "domain", "split", "label", "attributes")


@dataclass(frozen=True)
class Clip:
    """One audio file and its metadata; never modified after scanning.

    ``section`` is a two-digit string (``"00"``); for DCASE 2020 data it is the
    machine ID. ``attributes`` is empty when hidden (``noAttribute``) or unknown.
    """

    path: Path
    machine: str
    section: str
    domain: str = "unknown"
    split: str = "test"
    label: str = "unknown"
    attributes: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))
        object.__setattr__(self, "attributes", dict(self.attributes))
        for name, value, allowed in (("domain", self.domain, DOMAINS), ("split", self.split, SPLITS),
                                     ("label", self.label, LABELS)):
            if value not in allowed:
                raise InputError(f"{self.path}: {name} '{value}' is not one of {', '.join(allowed)}")

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def is_anomaly(self) -> bool:
        return self.label == "anomaly"

    def to_row(self) -> dict[str, str]:
        """A flat ``str -> str`` dict for ``clips.csv``."""
        return {"path": str(self.path), "machine": self.machine, "section": self.section,
                "domain": self.domain, "split": self.split, "label": self.label,
                "attributes": json.dumps(dict(self.attributes), sort_keys=True)}

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "Clip":
        """Inverse of :meth:`to_row`; a malformed row is an :class:`InputError`."""
        missing = [c for c in CSV_COLUMNS if c not in row or row[c] is None]
        if missing:
            raise InputError(f"clips.csv row is missing column(s) {', '.join(missing)}")
        try:
            attributes = json.loads(row["attributes"] or "{}")
        except json.JSONDecodeError as exc:
            raise InputError(f"clips.csv: attributes of {row['path']} are not JSON ({exc.msg})") from None
        if not isinstance(attributes, dict):
            raise InputError(f"clips.csv: attributes of {row['path']} are not a JSON object")
        return cls(path=Path(row["path"]), machine=row["machine"], section=row["section"],
                   domain=row["domain"], split=row["split"], label=row["label"],
                   attributes={str(k): str(v) for k, v in attributes.items()})


@dataclass(frozen=True)
class Problem:
    """A file (or machine) left out, skipped or incomplete, and why."""

    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def write_clips_csv(path: str | os.PathLike, clips: Iterable[Clip]) -> None:
    """Write ``clips`` to ``path`` atomically (header + one row per clip)."""
    with atomic_open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for clip in clips:
            writer.writerow(clip.to_row())


def read_clips_csv(path: str | os.PathLike) -> list[Clip]:
    """Read a ``clips.csv`` written by :func:`write_clips_csv`."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            if list(header) != list(CSV_COLUMNS):
                raise InputError(f"{path}: header {','.join(header) or '(none)'} is not "
                                 f"{','.join(CSV_COLUMNS)}")
            return [Clip.from_row(row) for row in reader]
    except OSError as exc:
        raise InputError(f"{path}: cannot read clips CSV ({exc.strerror or exc})") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: malformed clips CSV ({exc})") from None
