"""The DCASE Task 2 protocols of 2020-2024 as data: one :class:`Protocol` per year.

Every year follows one shape, and the recipe (:mod:`asdkit.recipes.run`) is one
implementation driven by these rows:

- **development**: train on ``<year>-dev/<machine>/train``, score ``<year>-dev/<machine>/test``,
  evaluate with the year's official score definition (``score_year``);
- **evaluation** (when the evaluation set and its ground truth are present): train on the
  training clips of the development set and the additional training set together
  (``eval_train``; ``asdkit download`` unpacks the additional set's ``<machine>/train`` into
  the evaluation folder, beside its ``<machine>/test``), score ``<year>-eval``, evaluate
  against the official ground-truth CSVs.

Folder names are those ``asdkit download`` writes under its target folder
(``dcase2024-dev``, ``dcase2024-add``, ``dcase2024-eval``); a ground-truth folder is
looked for as ``<year>-eval-ground-truth`` (the organisers' ``ground_truth_data/`` and
``ground_truth_domain/`` layout) or inside the evaluation folder.

The table columns follow the challenge's result tables: 2020 per machine ID (AUC,
pAUC), 2021 per section and domain (AUC, pAUC; its score is the harmonic mean within
each section and domain), 2022-2024 per section (AUC source, AUC target, pAUC).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError


@dataclass(frozen=True)
class Protocol:
    year: str  # "2020" ... "2024"
    layout: str  # asdkit.formats.names layout of the development set
    score_year: str  # which official definition scores it (asdkit.metrics.official)
    columns: tuple[str, ...]  # SectionMetrics fields shown per section, in the challenge's order
    #: whose training clips train the evaluation model: the development set's and the additional
    #: training set's (which ``asdkit download`` unpacks into the evaluation folder; a separate
    #: ``<year>-add`` folder is read too)
    eval_train: tuple[str, ...] = ("dev", "add", "eval")

    @property
    def name(self) -> str:
        return f"dcase{self.year}"

    def folder(self, part: str) -> str:
        """``dev`` -> ``dcase2024-dev`` (the folder ``asdkit download`` makes)."""
        return f"{self.name}-{part}"


_MODERN = ("auc_source", "auc_target", "pauc")
PROTOCOLS: dict[str, Protocol] = {p.name: p for p in (
    Protocol("2020", "dcase2020", "2020", ("auc_all", "pauc")),
    Protocol("2021", "dcase2021", "2021", _MODERN),
    Protocol("2022", "dcase2022", "2022", _MODERN),
    Protocol("2023", "dcase2023", "2023", _MODERN),
    Protocol("2024", "dcase2024", "2024", _MODERN),
)}


def protocol(name: str) -> Protocol:
    """``dcase2024`` (or ``2024``) -> its protocol; a one-line error listing the valid names."""
    key = name if name.startswith("dcase") else f"dcase{name}"
    if key not in PROTOCOLS:
        raise ConfigError(f"unknown recipe '{name}' (valid: {', '.join(PROTOCOLS)})")
    return PROTOCOLS[key]
