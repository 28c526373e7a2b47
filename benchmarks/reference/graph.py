"""The clip graph with torch-cluster, called directly (scikit-learn when it is missing).

Edge direction follows PyG's ``flow="source_to_target"``, as asdkit's does:
``edge_index[0]`` is the neighbour (message source), ``edge_index[1]`` the node whose
neighbourhood it is. ``torch_cluster.knn_graph(x, k)`` returns exactly that; for new
clips, ``torch_cluster.knn(train, new, k)`` returns ``(new index, train index)`` pairs,
which :func:`attach_edges` turns into edges from training clips to the new clips.

torch-cluster only ships as source and takes long to compile, so it may be absent;
then scikit-learn's exact brute-force ``NearestNeighbors`` stands in and
:data:`KNN_LIBRARY` says so (benchmarks print it next to every kNN figure).
"""
from __future__ import annotations

import torch
from torch import Tensor

try:
    import torch_cluster
except ImportError:  # optional: see module docstring
    torch_cluster = None

#: Which library the reference's kNN uses in this environment.
KNN_LIBRARY = ("torch_cluster" if torch_cluster is not None
               else "sklearn NearestNeighbors (brute; torch_cluster missing)")


def _workers() -> int:
    # torch_cluster's CPU kNN is single-threaded unless told otherwise; give it the
    # threads torch has, so the comparison is not lost on a default.
    return max(1, torch.get_num_threads())


def knn_graph_edges(x: Tensor, k: int) -> Tensor:
    """``(2, N*k)`` edges: each node receives one from each of its ``k`` nearest others."""
    if torch_cluster is not None:
        return torch_cluster.knn_graph(x, k, loop=False, flow="source_to_target", num_workers=_workers())
    from sklearn.neighbors import NearestNeighbors

    points = x.detach().cpu().numpy()
    index = NearestNeighbors(n_neighbors=k + 1, algorithm="brute", n_jobs=_workers()).fit(points)
    _, idx = index.kneighbors(points)
    idx = torch.from_numpy(idx)
    keep = idx != torch.arange(len(idx))[:, None]  # drop the point itself
    neighbours = torch.stack([row[mask][:k] for row, mask in zip(idx, keep)])
    centre = torch.arange(len(idx)).repeat_interleave(k)
    return torch.stack([neighbours.reshape(-1), centre]).to(x.device)


def attach_edges(train_x: Tensor, new_x: Tensor, k: int) -> Tensor:
    """Edges from each new clip's ``k`` nearest training clips to it; new clip ``j`` is
    node ``len(train_x) + j`` of the union graph."""
    n = train_x.shape[0]
    if torch_cluster is not None:
        new_idx, train_idx = torch_cluster.knn(train_x, new_x, k, num_workers=_workers())
        return torch.stack([train_idx, new_idx + n])
    from sklearn.neighbors import NearestNeighbors

    index = NearestNeighbors(n_neighbors=k, algorithm="brute", n_jobs=_workers())
    index.fit(train_x.detach().cpu().numpy())
    _, idx = index.kneighbors(new_x.detach().cpu().numpy())
    new_idx = torch.arange(new_x.shape[0]).repeat_interleave(k)
    return torch.stack([torch.from_numpy(idx).reshape(-1), new_idx + n]).to(new_x.device)
