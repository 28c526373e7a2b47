"""Find every audio file of a dataset in place and turn each into one :class:`Clip`.

Layouts (auto-detected, or forced with ``layout=``):

- ``dcase2020``: ``<machine>/{train,test}/{normal,anomaly}_id_NN_NNNNNNNN.wav``; the
  machine ID becomes the section, domain is ``source``.
- ``dcase2021`` (2021-2024): ``<machine>/{train,test}/section_NN_{source,target}_{train,test}_
  {normal,anomaly}_NNNN_<attributes>.wav``; ``attributes_NN.csv`` in the machine folder
  overrides attributes parsed from names.
- ``eval``: anonymised test names ``section_NN_NNNN.wav`` (label and domain ``unknown``
  unless ground-truth CSVs say otherwise) beside DCASE 2021+ training names.
- ``generic``: ``<machine>/<any folders>/<file>`` in any format soundfile reads; see
  :func:`asdkit.formats.names.parse_generic` for how labels and splits are guessed.

The machine is the folder above the nearest ``train``/``test`` folder, else the first
folder below ``root`` (or ``root`` itself for files directly in it); a split folder is
never a machine (:func:`machine_of`). Symlinks are followed, each folder scanned once.
Files that do not follow the chosen layout, broken links, unreadable folders and
folders reached twice are listed as problems and left out, never guessed at.
"""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..formats.clips_table import Clip, Problem
from ..formats.ground_truth import (
    GroundTruthTables, find_ground_truth_files, is_attributes_csv, is_ground_truth_csv, read_attributes_csv,
)
from ..formats.names import (
    LAYOUT_PARSERS, LAYOUTS, is_split_folder, parse_anonymised, parse_dcase2020, parse_dcase2021,
)

AUDIO_EXTENSIONS = frozenset({".wav", ".flac", ".ogg", ".oga", ".aif", ".aiff"})


@dataclass
class Dataset:
    """What :func:`scan_dataset` found: one record per usable file, plus problems."""

    root: Path
    layout: str
    clips: list[Clip] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.clips)

    def __iter__(self):
        return iter(self.clips)

    @property
    def machines(self) -> list[str]:
        return sorted({c.machine for c in self.clips})

    def select(self, *, machine: str | None = None, split: str | None = None,
               label: str | None = None, domain: str | None = None) -> list[Clip]:
        """Clips matching every given field."""
        wanted = {"machine": machine, "split": split, "label": label, "domain": domain}
        return [c for c in self.clips
                if all(v is None or getattr(c, k) == v for k, v in wanted.items())]

    def counts(self) -> Counter:
        """``(machine, split, domain, label) -> number of clips``."""
        return Counter((c.machine, c.split, c.domain, c.label) for c in self.clips)


@dataclass
class _Listing:
    audio: list[Path] = field(default_factory=list)
    ground_truth: list[Path] = field(default_factory=list)
    attributes: list[Path] = field(default_factory=list)
    other: int = 0
    skipped: list[Problem] = field(default_factory=list)  # what the walk could not or would not enter


def _list_files(root: Path) -> _Listing:
    """Walk ``root`` once, sorted for determinism; hidden files and folders skipped.

    Symlinked folders and files are followed; a folder reached twice (a symlink loop,
    or two links to one folder) is entered once, and every folder or link left out is
    recorded in ``skipped`` with the reason."""
    listing = _Listing()
    seen: set[tuple[int, int]] = set()

    def unreadable(exc: OSError) -> None:
        listing.skipped.append(Problem(Path(exc.filename or root), f"folder not readable ({exc.strerror or exc})"))

    for folder, dirs, files in os.walk(root, onerror=unreadable, followlinks=True):
        try:
            stat = os.stat(folder)
        except OSError as exc:
            listing.skipped.append(Problem(Path(folder), f"folder not readable ({exc.strerror or exc})"))
            dirs[:] = []
            continue
        if (stat.st_dev, stat.st_ino) in seen:
            listing.skipped.append(Problem(Path(folder), "folder already scanned through another path "
                                                         "(symlink loop or duplicate link); not scanned again"))
            dirs[:] = []
            continue
        seen.add((stat.st_dev, stat.st_ino))
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(folder) / name
            if path.is_symlink() and not path.exists():
                listing.skipped.append(Problem(path, "broken symlink; left out"))
            elif path.suffix.lower() in AUDIO_EXTENSIONS:
                listing.audio.append(path)
            elif is_ground_truth_csv(path):
                listing.ground_truth.append(path)
            elif is_attributes_csv(path):
                listing.attributes.append(path)
            else:
                listing.other += 1
    return listing


def machine_of(path: Path, root: Path) -> str:
    """The machine type of ``path``: the folder above its nearest split folder
    (``train``/``test``), else the first folder below ``root``, else ``root`` itself;
    split folders never name a machine (``score data/fan/test`` gives ``fan``), so
    the search goes on up, past ``root`` when needed."""
    relative = path.relative_to(root).parts[:-1]
    above_root = Path(os.path.abspath(root)).parts[1:]
    chain = list(above_root) + list(relative)
    split_at = [i for i, name in enumerate(chain) if is_split_folder(name)]
    if split_at and split_at[-1] >= len(above_root) - 1:
        candidates = chain[:split_at[-1]]  # the folders above the nearest split folder
    else:
        candidates = chain[:len(above_root) + 1]  # root and the first folder below it
    return next((name for name in reversed(candidates) if not is_split_folder(name)), "unknown")


def detect_layout(audio: list[Path]) -> str:
    """The DCASE layout most names follow, else ``generic``."""
    anonymised = sum(parse_anonymised(p) is not None for p in audio)
    dcase2021 = sum(parse_dcase2021(p) is not None for p in audio)
    dcase2020 = sum(parse_dcase2020(p) is not None for p in audio)
    if anonymised:
        return "eval"
    if dcase2021 or dcase2020:
        return "dcase2021" if dcase2021 >= dcase2020 else "dcase2020"
    return "generic"


def _parse(path: Path, layout: str) -> dict | None:
    for parser in LAYOUT_PARSERS[layout]:
        fields = parser(path)
        if fields is not None:
            return fields
    return None


def _apply_ground_truth(fields: dict, machine: str, name: str, truth: GroundTruthTables) -> None:
    key = (machine, fields["section"])
    original = truth.originals.get(key, {}).get(name)
    if original:
        decoded = parse_dcase2021(Path(original))
        if decoded:
            fields.update(domain=decoded["domain"], label=decoded["label"],
                          attributes=decoded["attributes"])
    label = truth.labels.get(key, {}).get(name)
    if label is not None:
        fields["label"] = "anomaly" if label else "normal"
    domain = truth.domains.get(key, {}).get(name)
    if domain is not None:
        fields["domain"] = "target" if domain else "source"


def scan_dataset(root: str | os.PathLike, layout: str = "auto",
                 ground_truth: str | os.PathLike | None = None) -> Dataset:
    """Read a dataset folder in place: one :class:`Clip` per audio file that fits.

    ``ground_truth``: a folder (searched recursively) or file of official
    ``ground_truth_*`` CSVs; by default any found under ``root`` are used.
    Raises :class:`InputError` for a missing or empty folder, a folder without audio,
    or a forced layout that no file follows.
    """
    root = Path(root)
    if not root.exists():
        raise InputError(f"{root}: no such folder")
    if not root.is_dir():
        raise InputError(f"{root}: not a folder (give the dataset folder)")
    if layout != "auto" and layout not in LAYOUTS:
        raise InputError(f"unknown layout '{layout}' (valid: auto, {', '.join(LAYOUTS)})")
    listing = _list_files(root)
    if not listing.audio:
        what = f"{listing.other} other file(s)" if listing.other else "nothing"
        raise InputError(f"{root}: no recognisable layout: no audio files "
                         f"({', '.join(sorted(AUDIO_EXTENSIONS))}) found, {what}")
    chosen = detect_layout(listing.audio) if layout == "auto" else layout
    gt_files = find_ground_truth_files(Path(ground_truth)) if ground_truth else listing.ground_truth
    truth = GroundTruthTables.from_files(gt_files)
    attribute_tables = {p.parent: read_attributes_csv(p) for p in listing.attributes}
    dataset = Dataset(root=root, layout=chosen, problems=list(listing.skipped))
    for path in listing.audio:
        fields = _parse(path, chosen)
        if fields is None:
            dataset.problems.append(Problem(path, f"name does not follow the {chosen} layout; left out"))
            continue
        machine = machine_of(path, root)
        if truth:
            _apply_ground_truth(fields, machine, path.name, truth)
            if (machine, fields["section"]) in truth.covered and fields["label"] == "unknown":
                dataset.problems.append(Problem(path, "missing from the ground-truth CSV"))
        for folder in (path.parent, path.parent.parent):
            table = attribute_tables.get(folder)
            if table is not None and path.name in table:
                fields["attributes"] = table[path.name]
                break
        dataset.clips.append(Clip(path=path, machine=machine, **fields))
    if not dataset.clips:
        raise InputError(f"{root}: no recognisable layout: none of {len(listing.audio)} audio "
                         f"file(s) follows the {chosen} naming (first: {listing.audio[0].name})")
    if chosen == "generic":
        _note_machines_without_training(dataset)
    return dataset


def _note_machines_without_training(dataset: Dataset) -> None:
    trained = {c.machine for c in dataset.clips if c.split == "train"}
    for machine in dataset.machines:
        if machine not in trained:
            dataset.problems.append(Problem(dataset.root / machine,
                                            "no training clips (no file in a 'train' folder)"))


__all__ = ["AUDIO_EXTENSIONS", "Dataset", "Problem", "scan_dataset", "detect_layout", "machine_of"]
