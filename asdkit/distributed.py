"""torch.distributed process groups for commands launched by ``torchrun``.

asdkit has no cluster protocol of its own: ``torchrun`` (torch's elastic launcher)
starts the processes, does the rendezvous and sets ``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK``, ``MASTER_ADDR`` and ``MASTER_PORT``; this module only reads them, opens
the default process group from them (``env://``: gloo on CPU, NCCL on CUDA) and offers
the three collectives the sharded commands need: a barrier, an all-gather of small
Python objects, and a check that every rank holds the same value.

A rank that dies makes ``torchrun`` stop the others and fail the job; a rank blocked in
a collective waits at most :func:`timeout` (``ASDKIT_DIST_TIMEOUT_S``, default 6 h,
as ranks may finish their shares far apart on large archives).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Iterator

from .errors import AsdkitError, ConfigError, InputError

#: Seconds a rank waits in a collective before giving up (torchrun stops dead ranks sooner).
DEFAULT_TIMEOUT_S = 6 * 3600.0


class RanksDisagree(InputError):
    """Ranks hold different values where they must agree (inputs, model, options).
    Every rank raises it; the CLI prints it on rank 0 only, so the job fails with one line."""


class PeerFailed(AsdkitError):
    """A collective failed because another rank died or left the job."""


@dataclass(frozen=True)
class Group:
    """This process's place in the job."""

    rank: int
    world_size: int
    local_rank: int
    backend: str

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def launched() -> bool:
    """True under ``torchrun`` (or any launcher that sets ``WORLD_SIZE``)."""
    return "WORLD_SIZE" in os.environ


def env_rank() -> int:
    """``RANK`` from the launcher's environment (0 outside one)."""
    return _env_int("RANK", 0)


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"environment variable {name}={value!r}: expected an integer (set by torchrun)") from None


def timeout() -> timedelta:
    """How long a collective may wait: ``ASDKIT_DIST_TIMEOUT_S`` seconds, default 6 h."""
    raw = os.environ.get("ASDKIT_DIST_TIMEOUT_S", "")
    try:
        seconds = float(raw) if raw.strip() else DEFAULT_TIMEOUT_S
    except ValueError:
        raise ConfigError(f"ASDKIT_DIST_TIMEOUT_S={raw!r}: expected a number of seconds") from None
    return timedelta(seconds=seconds)


def backend_for(device: str) -> str:
    """NCCL for CUDA devices, gloo for the CPU."""
    return "nccl" if device.startswith("cuda") else "gloo"


def rank_device(device: str, group: Group) -> str:
    """Each process on a node gets its own GPU (``cuda:LOCAL_RANK``); the CPU is shared."""
    return f"cuda:{group.local_rank}" if device.startswith("cuda") else device


@contextlib.contextmanager
def process_group(device: str = "cpu") -> Iterator[Group]:
    """Open the default process group from torchrun's environment, close it on exit."""
    import torch
    import torch.distributed as dist

    for name in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        if name not in os.environ:
            raise ConfigError(f"environment variable {name} is not set: launch with torchrun "
                              "(torchrun --nproc-per-node N -m asdkit ...)")
    backend = backend_for(device)
    local_rank = _env_int("LOCAL_RANK", 0)
    if backend == "nccl":
        torch.cuda.set_device(local_rank)  # NCCL collectives run on the current device
    dist.init_process_group(backend=backend, init_method="env://", timeout=timeout())
    try:
        yield Group(rank=dist.get_rank(), world_size=dist.get_world_size(), local_rank=local_rank, backend=backend)
    finally:
        dist.destroy_process_group()


@contextlib.contextmanager
def _collective(what: str) -> Iterator[None]:
    """A collective that fails because a peer died (the backend's RuntimeError, e.g.
    gloo's "Connection closed by peer") becomes one :class:`PeerFailed` line."""
    try:
        yield
    except RuntimeError as exc:
        raise peer_failed(f"waiting for it ({what})", exc) from None


def peer_failed(doing: str, exc: BaseException) -> PeerFailed:
    """The one line for a collective that failed because another rank left; ``doing``
    says what this rank was doing ("waiting for it (a barrier)", "training ...")."""
    first = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
    return PeerFailed(f"rank {env_rank()}: another rank left the job while this one was {doing}; "
                      f"that rank's own error comes first in the log [{first}]")


def barrier(what: str = "barrier") -> None:
    """Wait until every rank is here; ``what`` names the step in the error if a peer died."""
    import torch.distributed as dist

    with _collective(what):
        dist.barrier()


def all_gather_object(value: Any, what: str = "all-gather") -> list[Any]:
    """Every rank's ``value`` (small, picklable), in rank order."""
    import torch.distributed as dist

    gathered: list[Any] = [None] * dist.get_world_size()
    with _collective(what):
        dist.all_gather_object(gathered, value)
    return gathered


def digest(value: Any) -> str:
    """sha256 of ``value``'s canonical JSON: equal values give equal digests on every host."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def check_same(what: str, value: str, detail: str = "", hint: str = "") -> None:
    """Raise :class:`RanksDisagree` on every rank unless all ranks pass the same ``value``
    (a digest); the message names each rank's ``detail`` (e.g. its clip count)."""
    gathered = all_gather_object((value, detail), f"comparing {what}")
    if len({v for v, _ in gathered}) <= 1:
        return
    ranks = "; ".join(f"rank {r}: {d + ', ' if d else ''}digest {v[:12]}" for r, (v, d) in enumerate(gathered))
    raise RanksDisagree(f"ranks disagree on {what} ({ranks}){'; ' + hint if hint else ''}")


def fail_point(env_name: str, count: int, group: Group) -> None:
    """Test hook: with ``env_name=K`` set, rank ``ASDKIT_TEST_FAIL_RANK`` (default: the
    last rank) exits abruptly (``os._exit(3)``, as a killed process: no cleanup, no
    collective) when ``count`` reaches K. Nothing but the tests sets these variables."""
    raw = os.environ.get(env_name, "").strip()
    if not raw or int(raw) != count:
        return
    raw_rank = os.environ.get("ASDKIT_TEST_FAIL_RANK", "").strip()
    if group.rank == (int(raw_rank) if raw_rank else group.world_size - 1):
        print(f"{env_name}: rank {group.rank} stops after {count}", flush=True)
        os._exit(3)
