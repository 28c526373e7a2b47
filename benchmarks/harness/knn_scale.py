"""The kNN graph at scale: asdkit's faiss settings on 10k..1M clustered embeddings.

Data: ``bench_knn.clustered`` (a mixture of 64 Gaussians on the unit sphere in 128-d,
like clip embeddings of a few dozen machine types and sections). Each setting builds
the whole graph with ``asdkit.graph.build.knn_graph`` (index build + every point
queried); recall@k is measured against exact neighbours (faiss ``IndexFlatL2``) of a
random sample of query points, since exact search of every point at 1M would take
hours here; a sample of 2000 queries bounds the recall's standard error below 0.003.
"""
from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch

DIM = 128
#: Extra faiss settings besides asdkit's default; ``benchmarks/run.py --knn-variants``.
VARIANTS = {
    "hnsw": {"index": "hnsw"},
    "ivf": {"index": "ivf"},
    "ivf32": {"index": "ivf"},  # nprobe = nlist / 32, set per size below
    "flat": {"index": "flat"},
}
FLAT_MAX = 200_000  # exact flat graphs above this take hours on a few cores


def embeddings(n: int, seed: int = 0) -> torch.Tensor:
    from benchmarks.bench_knn import clustered

    return clustered(n, DIM, torch.Generator().manual_seed(seed))


def exact_neighbours(x: torch.Tensor, queries: torch.Tensor, k: int) -> torch.Tensor:
    """Exact ``k`` nearest other points of ``x[queries]`` (faiss flat), ``(Q, k)``."""
    import faiss

    base = np.ascontiguousarray(x.numpy())
    index = faiss.IndexFlatL2(DIM)
    index.add(base)
    _, idx = index.search(base[queries.numpy()], k + 1)
    idx = torch.from_numpy(idx)
    not_self = idx != queries[:, None]
    return torch.stack([row[mask][:k] for row, mask in zip(idx, not_self)])


def recall_at_k(edges: torch.Tensor, n: int, k: int, queries: torch.Tensor, exact: torch.Tensor) -> float:
    """Share of the exact neighbours the graph gives each sampled node."""
    found = edges[0].view(n, k)[queries]  # node i owns columns i*k .. i*k+k-1
    return float((found.unsqueeze(2) == exact.unsqueeze(1)).any(2).sum()) / exact.numel()


def variant_options(name: str, n: int) -> dict[str, Any] | None:
    """faiss options of a named setting at ``n`` points (``None``: skipped at this size)."""
    if name == "default":
        return {}
    options = dict(VARIANTS[name])
    if name == "flat" and n > FLAT_MAX:
        return None
    if name == "ivf32":
        nlist = max(1, min(n // 39, int(4 * math.sqrt(n))))  # asdkit's default list count
        options["ivf_nprobe"] = max(1, nlist // 32)
    return options


def label(name: str, n: int) -> str:
    from asdkit import registry

    if name == "default":
        return f"asdkit default (faiss {registry.create('knn', 'faiss').chosen_kind(n)})"
    return {"ivf32": "faiss ivf, nprobe nlist/32", "ivf": "faiss ivf (asdkit nprobe)"}.get(name, f"faiss {name}")


def measure_size(n: int, variants: list[str], k: int = 10, recall_queries: int = 2000,
                 log: Any = print, threads: int = 0) -> list[dict[str, Any]]:
    """Time and recall@k of each setting at ``n`` points (the default first); faiss
    runs ``threads`` threads (0: asdkit's default, every core)."""
    from asdkit import registry
    from asdkit.graph.build import knn_graph

    x = embeddings(n)
    queries = torch.randperm(n, generator=torch.Generator().manual_seed(1))[:min(n, recall_queries)]
    exact = exact_neighbours(x, queries, k)
    default_kind = registry.create("knn", "faiss").chosen_kind(n)
    rows = []
    for name in ["default"] + [v for v in variants if v != "default"]:
        options = variant_options(name, n)
        if options is None or (name != "default" and options == {"index": default_kind}):
            continue  # too slow at this size, or the same index as the default
        log(f"kNN graph: N={n:,} {label(name, n)} ...")
        start = time.perf_counter()
        edges = knn_graph(x, k, "faiss", {**options, "threads": threads} if threads else options)
        seconds = time.perf_counter() - start
        rows.append({"n": n, "setting": label(name, n), "options": options, "seconds": seconds,
                     "recall": recall_at_k(edges, n, k, queries, exact), "recall_queries": int(queries.numel())})
        del edges
    return rows
