"""Build the clip graph from embeddings, extend it with new clips, describe it.

Direction: ``edge_index[0]`` is the neighbour (message source), ``edge_index[1]`` the
node whose neighbourhood it belongs to (message target), as in PyG's default
``flow="source_to_target"``. So in :func:`knn_graph` every node receives exactly
``k`` messages, from its ``k`` nearest other clips; in :func:`attach` a new clip
receives messages from its ``k`` nearest training clips and sends none, so adding new
clips never changes what a training clip (or another new clip) computes.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from .. import registry
from ..api import KnnBackend, as_float_tensor
from ..errors import InputError


def make_backend(backend: str | KnnBackend | None = "faiss", options: dict[str, Any] | None = None) -> KnnBackend:
    """A kNN backend instance: pass one through, or create a registered one by name."""
    if backend is None:
        backend = "faiss"
    if isinstance(backend, str):
        return registry.create("knn", backend, options or {})
    return backend


def _drop_self(idx: Tensor, k: int, first_row: int = 0) -> Tensor:
    """Per row, the first ``k`` neighbours that are not the row itself.

    The row's own index is usually first, but with duplicate points it may come later
    or (approximate search) be missing; either way it is masked, then ``k`` kept.
    Row ``i`` of ``idx`` is node ``first_row + i``.
    """
    rows = torch.arange(first_row, first_row + idx.shape[0], device=idx.device).unsqueeze(1)
    is_self = idx == rows
    # Stable sort on the self mask moves self (if present) to the end, keeping order.
    order = torch.argsort(is_self.to(torch.int8), dim=1, stable=True)
    return idx.gather(1, order)[:, :k]


def knn_graph(x: Tensor, k: int, backend: str | KnnBackend | None = "faiss",
              backend_options: dict[str, Any] | None = None) -> Tensor:
    """Directed kNN graph over ``x``: each node receives edges from its ``k`` nearest others.

    Shapes:
        - **x:** ``(N, D)``
        - **output:** ``(2, N*k)`` int64; column ``j`` is ``(neighbour, node)``, grouped
          by node (node ``i`` owns columns ``i*k .. i*k+k-1``, nearest first). No self-loops.
    """
    x = as_float_tensor(x, "graph embeddings")
    n = x.shape[0]
    if not 1 <= k < n:
        raise InputError(f"kNN graph: k={k} needs 1 <= k < number of clips ({n})")
    index = make_backend(backend, backend_options)
    index.build(x)
    src = neighbours_of_rows(index, x, k, 0, n)
    dst = torch.arange(n).repeat_interleave(k)
    return torch.stack([src.reshape(-1), dst])


def neighbours_of_rows(index: KnnBackend, x: Tensor, k: int, lo: int, hi: int) -> Tensor:
    """``(hi - lo, k)`` int64: the ``k`` nearest other nodes of nodes ``lo .. hi-1`` in
    ``index`` (built on all of ``x``). Ranks of a torchrun job search their row ranges
    and concatenate them into :func:`knn_graph`'s sources."""
    _, idx = index.search(x[lo:hi], k + 1)
    return _drop_self(idx.to(torch.int64), k, lo).cpu()


def attach(query: Tensor, backend: KnnBackend, k: int, n_base: int) -> Tensor:
    """Edges from each new clip's ``k`` nearest base clips to the new clip.

    ``backend`` must already be built on the ``n_base`` training embeddings. New clip
    ``j`` becomes node ``n_base + j`` (inductive scoring on the union graph).

    Shapes:
        - **query:** ``(M, D)``
        - **output:** ``(2, M*k)`` int64, sources in ``[0, n_base)``, targets in
          ``[n_base, n_base + M)``
    """
    query = as_float_tensor(query, "new clips")
    m = query.shape[0]
    if m == 0:
        return torch.empty(2, 0, dtype=torch.int64)
    _, idx = backend.search(query, k)
    idx = idx.to(torch.int64).cpu()
    if idx.numel() and int(idx.max()) >= n_base:
        raise InputError(f"attach: the kNN index holds more than n_base={n_base} points")
    dst = torch.arange(n_base, n_base + m).repeat_interleave(k)
    return torch.stack([idx.reshape(-1), dst])


def graph_stats(edge_index: Tensor, num_nodes: int, labels: Tensor | None = None) -> dict[str, float]:
    """Degrees, isolated nodes, self-loops and (given labels) the share of edges joining
    clips of different machine types (how much the graph mixes types)."""
    src, dst = edge_index[0].cpu(), edge_index[1].cpu()
    in_deg = torch.bincount(dst, minlength=num_nodes).float()
    out_deg = torch.bincount(src, minlength=num_nodes).float()
    stats = {
        "nodes": float(num_nodes), "edges": float(src.numel()),
        "in_degree_mean": in_deg.mean().item() if num_nodes else 0.0,
        "in_degree_min": in_deg.min().item() if num_nodes else 0.0,
        "in_degree_max": in_deg.max().item() if num_nodes else 0.0,
        "out_degree_max": out_deg.max().item() if num_nodes else 0.0,
        "isolated": float(((in_deg == 0) & (out_deg == 0)).sum()),
        "self_loops": float((src == dst).sum()),
    }
    if labels is not None:
        labels = labels.cpu()
        cross = (labels[src] != labels[dst]).float()
        stats["cross_type_share"] = cross.mean().item() if cross.numel() else 0.0
    return stats
