"""Per-epoch training logs of a RUN: ``RUN/logs/<stage>.csv`` and, on request, TensorBoard.

The training loops (:func:`asdkit.backbones.train.train_backbone`,
:func:`asdkit.graph.train.train_graph_model`) call an ``on_epoch`` hook with one record
per epoch: the history row (``epoch``, ``loss``, ``acc``; what ``history.json`` keeps)
plus ``lr`` (the optimiser's learning rate) and ``seconds`` (the epoch's wall time).
:class:`TrainingLog` is that hook.

The CSV (columns :data:`COLUMNS`; ``acc`` empty when the backbone trains with its own
loss) is created with its header when training starts and grows by one line per
epoch: each line is *appended then flushed* in a single write, so ``tail -f`` follows a
run and an interrupted run keeps every finished epoch. Numbers are written at full
precision (``repr``), so the CSV's loss and acc equal ``history.json``'s.

TensorBoard (the optional extra ``tensorboard``) gets the scalars ``loss``, ``acc``,
``lr`` and ``seconds`` per epoch under ``RUN/tensorboard/<stage>``, flushed each epoch.
A stage that runs again replaces its earlier CSV and event files; one that trains
nothing removes them (they would describe another model), as ``history.json`` does.
"""
from __future__ import annotations

import csv
import io
import shutil
from typing import Any

from ..errors import ConfigError
from ..formats.run_layout import RunLayout
from ..utils import atomic_write_text

COLUMNS = ("epoch", "loss", "acc", "lr", "seconds")
TENSORBOARD_SCALARS = ("loss", "acc", "lr", "seconds")


def require_tensorboard() -> None:
    """A one-line ConfigError naming the extra when the tensorboard package is missing
    (checked before any work, so a long run does not fail at its first epoch)."""
    try:
        import tensorboard  # noqa: F401 - only whether it imports
    except ImportError:
        raise ConfigError("--tensorboard needs the tensorboard package: "
                          "pip install 'asdkit[tensorboard]'") from None


def clear_training_log(run: RunLayout, stage: str) -> None:
    """Remove a stage's CSV and event files (the stage trains nothing this time)."""
    run.training_log(stage).unlink(missing_ok=True)
    shutil.rmtree(run.tensorboard / stage, ignore_errors=True)


def csv_line(record: dict[str, Any]) -> str:
    """One CSV line of :data:`COLUMNS`; a missing or None value is an empty field."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(
        ["" if record.get(c) is None else record[c] for c in COLUMNS])
    return buffer.getvalue()


class TrainingLog:
    """The ``on_epoch`` hook of one training stage; a context manager around training."""

    def __init__(self, run: RunLayout, stage: str, tensorboard: bool = False) -> None:
        self.path = run.training_log(stage)
        self.tensorboard_dir = run.tensorboard / stage
        self._run, self._stage, self._tensorboard = run, stage, tensorboard
        self._writer: Any = None

    def __enter__(self) -> "TrainingLog":
        clear_training_log(self._run, self._stage)
        atomic_write_text(self.path, ",".join(COLUMNS) + "\n")
        if self._tensorboard:
            require_tensorboard()
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(log_dir=str(self.tensorboard_dir))
        return self

    def __call__(self, record: dict[str, Any]) -> None:
        with open(self.path, "a", encoding="utf-8", newline="") as fh:
            fh.write(csv_line(record))
            fh.flush()
        if self._writer is not None:
            for key in TENSORBOARD_SCALARS:
                if record.get(key) is not None:
                    self._writer.add_scalar(key, float(record[key]), int(record["epoch"]))
            self._writer.flush()

    def __exit__(self, *exc: Any) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
