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


def faiss_options(options: dict, threads: int) -> dict:
    """kNN options with faiss's thread count set to ``threads``.

    asdkit's faiss backend runs ``threads or os.cpu_count()`` OpenMP threads for each
    build and search: left at its default on a run pinned to fewer cores, it would
    put several threads on each pinned core. (Before asdkit a34aedb it also left that
    count in the OpenMP runtime torch shares, so torch then ran on every core too.)
    """
    return {**options, "threads": threads}


def pin_model_threads(model: object, threads: int) -> None:
    """Give a loaded ``AsdModel``'s faiss index ``threads`` threads (see
    :func:`faiss_options`; the same as ``asdkit fit --knn-opt threads=N``), and torch too."""
    knn = getattr(model, "knn", None)
    if knn is not None and hasattr(knn, "threads"):
        knn.threads = threads
    torch.set_num_threads(threads)
