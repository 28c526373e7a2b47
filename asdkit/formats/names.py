"""File- and folder-name conventions of the DCASE Task 2 datasets, parsed into record fields.

Each clip parser takes a file path and returns the fields its name encodes (a dict with
some of ``section, domain, split, label, attributes``) or ``None`` when the name does
not follow that convention. Folder names only fill in what a name leaves out. The names
of the side files (ground truth, attributes) live here too; their contents are read by
:mod:`asdkit.formats.ground_truth`.
"""
from __future__ import annotations

import re
from pathlib import Path

#: DCASE 2020: ``normal_id_00_00000000.wav``; its evaluation set drops the label.
DCASE2020_NAME = re.compile(r"^(?:(?P<label>normal|anomaly)_)?id_(?P<section>\d+)_(?P<index>\d+)$")

#: DCASE 2021-2024: ``section_00_source_train_normal_0000_<attributes>.wav``. The 2024
#: RoboticArm names lack the split token; 2021 names may lack attributes.
_DCASE2021_BODY = (r"section_(?P<section>\d+)_(?P<domain>source|target)_(?:(?P<split>train|test)_)?"
                   r"(?P<label>normal|anomaly)_(?P<index>\d+)")
DCASE2021_NAME = re.compile(rf"^{_DCASE2021_BODY}(?:_(?P<attributes>.+))?$")
#: The same name anywhere inside a longer one (score files of some submissions prefix it).
_DCASE2021_INSIDE = re.compile(rf"{_DCASE2021_BODY}(?:_|$)")

#: Evaluation sets with anonymised test names: ``section_00_0000.wav`` (2022-2024) and
#: ``section_03_source_test_0000.wav`` (2021: domain and split kept, label hidden).
ANONYMISED_NAME = re.compile(
    r"^section_(?P<section>\d+)_(?:(?P<domain>source|target)_)?(?:(?P<split>train|test)_)?(?P<index>\d+)$")

#: The attribute string of clips whose attributes are hidden.
HIDDEN_ATTRIBUTES = "noAttribute"

#: Official ground-truth CSVs: ``ground_truth_<machine>_section_NN_test.csv`` (2022-2024,
#: in ``ground_truth_data``/``ground_truth_domain``/``ground_truth_attributes`` folders)
#: and ``ground_truth_<machine>_section_NN_{source,target}_test.csv`` (2021: domain in the name).
GROUND_TRUTH_NAME = re.compile(
    r"^ground_truth_(?P<machine>.+?)_section_(?P<section>\d+)(?:_(?P<domain>source|target))?_test\.csv$")
#: Attribute tables in a machine folder: ``attributes_NN.csv``.
ATTRIBUTES_NAME = re.compile(r"^attributes_(?P<section>\d+)\.csv$")

#: Folder names that mark a split (not a machine type), lower case.
SPLIT_FOLDERS = {"train": "train", "training": "train", "test": "test", "testing": "test"}
_LABEL_WORDS = {"normal": "normal", "anomaly": "anomaly", "anomalous": "anomaly",
                "abnormal": "anomaly"}
_TOKEN = re.compile(r"[A-Za-z]+")


def parse_attribute_string(text: str | None) -> dict[str, str]:
    """``car_A1_spd_28V`` -> ``{"car": "A1", "spd": "28V"}``.

    Hidden (``noAttribute``) or absent attributes give ``{}``; a string that is not
    ``key_value`` pairs is kept whole under the key ``attribute``.
    """
    if not text or text == HIDDEN_ATTRIBUTES:
        return {}
    tokens = text.split("_")
    if len(tokens) % 2:
        return {"attribute": text}
    return dict(zip(tokens[0::2], tokens[1::2]))


def is_split_folder(name: str) -> bool:
    """Whether a folder name marks a split (``train``, ``test``, ...), not a machine type."""
    return name.lower() in SPLIT_FOLDERS


def section_id(value: str | int) -> str:
    """A section or machine ID as its two-digit string: ``0``, ``"00"``, ``"id_00"`` -> ``"00"``."""
    digits = re.sub(r"\D", "", str(value))
    if not digits:
        raise ValueError(f"'{value}' is not a section number")
    return f"{int(digits):02d}"


def split_from_folders(path: Path) -> str | None:
    """``train``/``test`` from the nearest folder with that name, if any."""
    for folder in reversed(path.parent.parts):
        split = SPLIT_FOLDERS.get(folder.lower())
        if split:
            return split
    return None


def parse_dcase2020(path: Path) -> dict | None:
    match = DCASE2020_NAME.match(path.stem)
    if not match:
        return None
    return {"section": f"{int(match['section']):02d}", "domain": "source",
            "label": match["label"] or "unknown", "split": split_from_folders(path) or "test",
            "attributes": {}}


def parse_dcase2021(path: Path) -> dict | None:
    match = DCASE2021_NAME.match(path.stem)
    if not match:
        return None
    return {"section": f"{int(match['section']):02d}", "domain": match["domain"],
            "label": match["label"],
            "split": match["split"] or split_from_folders(path) or "test",
            "attributes": parse_attribute_string(match["attributes"])}


def parse_anonymised(path: Path) -> dict | None:
    match = ANONYMISED_NAME.match(path.stem)
    if not match:
        return None
    return {"section": f"{int(match['section']):02d}", "domain": match["domain"] or "unknown", "label": "unknown",
            "split": match["split"] or split_from_folders(path) or "test", "attributes": {}}


def parse_generic(path: Path) -> dict:
    """Best effort for any other naming; never fails.

    label: a word ``normal``/``anomaly`` (or ``anomalous``/``abnormal``) in the file
    name, else in a folder name, else ``unknown``. split: the nearest folder named
    ``train``/``test``, else ``test`` (unlabelled clips are scored, never trained on).
    section: ``section_NN`` or ``id_NN`` in the name, else ``00``. domain: a word
    ``source``/``target`` in the name, else ``unknown``.
    """
    words = [w.lower() for w in _TOKEN.findall(path.stem)]
    folder_words = [w.lower() for part in path.parent.parts for w in _TOKEN.findall(part)]
    label = next((_LABEL_WORDS[w] for w in words if w in _LABEL_WORDS), None)
    if label is None:
        label = next((_LABEL_WORDS[w] for w in reversed(folder_words) if w in _LABEL_WORDS),
                     "unknown")
    section_match = re.search(r"(?:section|id)_(\d+)", path.stem)
    domain = next((w for w in words if w in ("source", "target")), "unknown")
    return {"section": f"{int(section_match[1]):02d}" if section_match else "00",
            "domain": domain, "label": label, "split": split_from_folders(path) or "test",
            "attributes": {}}


def label_from_name(name: str) -> tuple[bool, bool] | None:
    """``(anomalous, target)`` from a DCASE development file name (2020-2024), or None.

    The 2020 names have no domain: every clip counts as source. The 2021-2024 name may
    sit inside a longer one (``fan_section_00_source_test_normal_0001_...``)."""
    stem = Path(name).stem
    fields = parse_dcase2020(Path(stem)) or parse_dcase2021(Path(stem))
    if fields is None:
        match = _DCASE2021_INSIDE.search(stem)
        if match is None:
            return None
        fields = {"label": match["label"], "domain": match["domain"]}
    if fields["label"] not in ("normal", "anomaly"):
        return None
    return fields["label"] == "anomaly", fields["domain"] == "target"


#: layout name -> the parsers it accepts, tried in order.
LAYOUT_PARSERS = {
    "dcase2020": (parse_dcase2020,),
    "dcase2021": (parse_dcase2021,),
    "eval": (parse_anonymised, parse_dcase2021),
    "generic": (parse_generic,),
}
#: The 2021 naming held through 2024; these names are accepted as synonyms.
for _year in ("dcase2022", "dcase2023", "dcase2024"):
    LAYOUT_PARSERS[_year] = LAYOUT_PARSERS["dcase2021"]
LAYOUTS = tuple(LAYOUT_PARSERS)
