"""The CLI under ``torchrun``: one place that opens the job's process group for a
command and keeps a disagreement between ranks to one line (printed by rank 0)."""
from __future__ import annotations

import contextlib
from typing import Any, Iterator


@contextlib.contextmanager
def one_line_from_rank0() -> Iterator[None]:
    """Every rank raises :class:`~asdkit.distributed.RanksDisagree` alike; only rank 0
    prints it, the others exit with status 1 silently."""
    from .. import distributed

    try:
        yield
    except distributed.RanksDisagree:
        if distributed.env_rank() != 0:
            raise SystemExit(1) from None
        raise


@contextlib.contextmanager
def job_group(device: str) -> Iterator[Any]:
    """The torchrun job's :class:`~asdkit.distributed.Group` (``None`` in a plain process)
    for a command that shares its work between ranks (extract, fit)."""
    from .. import distributed

    if not distributed.launched():
        yield None
        return
    with one_line_from_rank0(), distributed.process_group(device) as group:
        yield group
