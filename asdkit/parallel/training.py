"""One global batch, N ranks: the slice each rank computes, the DDP wrapper, and sums.

The rule that makes N processes train the model one process trains: every rank draws
every random choice of the step for the *whole* global batch (the same NumPy generator,
the same torch generator, advanced alike), computes the forward and backward pass of
its contiguous slice of it (:func:`rank_slice`), and scales its slice's mean loss by
``n_rank * N / n_global`` so that DistributedDataParallel's gradient average is the
gradient of the global batch's mean loss. BatchNorm and dropout see the global batch
(:mod:`.batchnorm`, :mod:`.dropout`). What remains is the order of floating-point
sums (gradients summed across ranks, statistics summed in another order): results
agree with one process to float32 rounding, growing with the number of steps.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence, TypeVar

import torch
from torch import nn

from ..distributed import Group, fail_point, peer_failed
from ..errors import ConfigError
from .batchnorm import to_global_batchnorm, to_plain_batchnorm
from .dropout import to_global_dropout, to_plain_dropout

T = TypeVar("T")


def rank_slice(n: int, rank: int, world_size: int) -> tuple[int, int]:
    """``[lo, hi)`` of rank ``rank`` among ``world_size`` contiguous slices of ``n`` rows
    (sizes differ by at most one, the first ranks taking the extra rows)."""
    base, extra = divmod(n, world_size)
    lo = rank * base + min(rank, extra)
    return lo, lo + base + (1 if rank < extra else 0)


def smallest_batch(n: int, batch_size: int | None) -> int:
    """The fewest rows a batch holds when ``n`` rows are cut into ``batch_size`` batches
    and a lone last row is folded into its neighbour or dropped (the training loops' rule)."""
    if batch_size is None or n <= batch_size:
        return n
    rest = n % batch_size
    return batch_size if rest in (0, 1) else rest


def shard_batches(items: Sequence[T], rank: int, world_size: int) -> list[T]:
    """Items ``rank, rank + N, ...``: each rank's share of work that splits by item
    (clips to decode, embedding batches, scoring chunks); shares differ by one at most."""
    return list(items[rank::world_size])


@dataclass
class DataParallel:
    """This rank's part in data-parallel training: ``group`` from
    :func:`asdkit.distributed.process_group`, ``device`` this rank's device."""

    group: Group
    device: torch.device

    @property
    def world_size(self) -> int:
        return self.group.world_size

    def slice(self, n: int) -> tuple[int, int]:
        return rank_slice(n, self.group.rank, self.group.world_size)

    def loss_scale(self, n_local: int, n_global: int) -> float:
        """Factor on a slice's mean loss so that the DDP average is the global mean."""
        return n_local * self.group.world_size / max(n_global, 1)

    def check_batches(self, n: int, batch_size: int | None, rows: str, option: str) -> None:
        """Every rank needs a row of every batch: one line when ``n`` ``rows`` in batches of
        ``batch_size`` (the command's ``option``) leave a batch with fewer rows than ranks."""
        smallest = smallest_batch(n, batch_size)
        if self.world_size > smallest:
            raise ConfigError(f"{self.world_size} processes for batches of as few as {smallest} {rows} "
                              f"({n} {rows}, {option} {batch_size}): every process needs at least one of "
                              "each batch; use fewer processes or another batch size")

    @staticmethod
    def check_loss(loss_fn: nn.Module) -> None:
        """A loss whose scale adapts to each batch (AdaCos ``dynamic``) would adapt to each
        rank's slice: refused in one line."""
        if getattr(loss_fn, "dynamic", False):
            raise ConfigError(f"loss {type(loss_fn).__name__} adapts its scale to each batch (dynamic): it "
                              "trains in one process only; set its option dynamic false under torchrun")

    def convert(self, module: nn.Module) -> None:
        """BatchNorm and dropout of ``module`` (in place) made global-batch layers."""
        if to_global_dropout(to_global_batchnorm(module, self.device)) is not module:
            raise TypeError("the module itself is a BatchNorm or Dropout: wrap it in a container")

    @staticmethod
    def release(module: nn.Module) -> None:
        """Undo :meth:`convert`: the plain layers a single process saves."""
        to_plain_dropout(to_plain_batchnorm(module))

    def wrap(self, module: nn.Module) -> nn.Module:
        """``module`` under DistributedDataParallel (buffers are kept equal by the
        global-batch layers, so they are not broadcast each step). Every parameter must
        take part in each step's loss (no search for unused ones, which costs a graph
        traversal per step)."""
        from torch.nn.parallel import DistributedDataParallel

        ids = [self.device.index or 0] if self.device.type == "cuda" else None
        return DistributedDataParallel(module, device_ids=ids, forward_sync_buffers=False)

    def after_epoch(self, epoch: int) -> None:
        """The tests' rank-death hook (``ASDKIT_TEST_FAIL_AFTER_EPOCHS``)."""
        fail_point("ASDKIT_TEST_FAIL_AFTER_EPOCHS", epoch, self.group)

    def sum(self, values: Sequence[float], what: str) -> list[float]:
        """Elementwise sum of ``values`` over ranks (float64)."""
        import torch.distributed as dist

        tensor = torch.tensor(list(values), dtype=torch.float64,
                              device=self.device if self.group.backend == "nccl" else "cpu")
        try:
            dist.all_reduce(tensor)
        except RuntimeError as exc:
            raise peer_failed(what, exc) from None
        return [float(v) for v in tensor.cpu()]

