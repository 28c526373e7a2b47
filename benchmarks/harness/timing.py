"""Wall-clock timing that is fair on CPU and CUDA, and thread/core control."""
from __future__ import annotations

import contextlib
import math
import os
import time
from typing import Any, Callable, Iterator

import torch


def sync(device: torch.device) -> None:
    """Wait for queued GPU work, so a timing covers the kernels it launched."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def best_time(fn: Callable[[], Any], device: torch.device, repeats: int,
              warmup: Callable[[], Any] | None = None) -> float:
    """Best wall time of ``repeats`` calls of ``fn`` (after one call of ``warmup``).

    Best-of, not mean: other processes share the cores, and the minimum is the run
    they disturbed least.
    """
    if warmup is not None:
        warmup()
        sync(device)
    best = math.inf
    for _ in range(max(1, repeats)):
        sync(device)
        start = time.perf_counter()
        fn()
        sync(device)
        best = min(best, time.perf_counter() - start)
    return best


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the body with ``n`` intra-op torch threads (``None``: unchanged)."""
    if n is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def limit_cores(n: int | None) -> list[int]:
    """Pin this process to its first ``n`` allowed cores (all when ``None``) and set
    torch's threads to match; returns the cores used.

    Pinning, not only ``torch.set_num_threads``: asdkit's log-mel kernel and faiss pick
    their own thread counts, and only the affinity binds every library alike.
    """
    allowed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(os.cpu_count() or 1))
    cores = allowed[:n] if n else allowed
    if n and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, cores)
    torch.set_num_threads(len(cores))
    return cores
