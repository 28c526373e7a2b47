"""Scorer fit with scikit-learn K-means, and the anomaly score: cosine distance to the
nearest centre of the clip's machine type.

Scoring uses the centres stored in the bundle, so scores equal asdkit's; the K-means
fit is here to time the scorer-fit stage (scikit-learn's Euclidean K-means on unit
vectors, what most research code uses, not asdkit's spherical variant, so its centres
differ slightly and are never used for scoring).

:func:`score_space` and :func:`score_vectors` are the one place that decides which
vector a clip is scored on, following the bundle's config: the graph network's output
(the paper, ``score_on="refined"``, the default) or the backbone's embedding as it is
(``score_on="embedding"``: no graph network in the bundle).
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn


def score_space(config: Mapping[str, Any]) -> str:
    """``"refined"`` (graph network + head output) or ``"embedding"`` (backbone output)."""
    return config.get("score_on", "refined")


def score_vectors(graph_model: nn.Module, x: Tensor, edge_index: Tensor, nodes: Tensor) -> Tensor:
    """The vectors the scorers see for ``nodes``: the graph network's output (graph
    layer, then projection head), computed full-batch over the whole graph."""
    from .gnn import full_batch

    return full_batch(graph_model, x, edge_index)[nodes]


def bundle_centres(config: Mapping[str, Any], tensors: Mapping[str, Tensor],
                   device: torch.device | str = "cpu") -> dict[str, Tensor]:
    """Unit K-means centres ``(K, D)`` per machine type, as fitted by asdkit."""
    name = config["scorer"]["name"]
    if name != "kmeans":
        raise ValueError(f"the reference implements the paper's K-means cosine scorer; "
                         f"this bundle uses the '{name}' scorer")
    return {machine: F.normalize(tensors[f"scorer.{i}.centres"].float().to(device), dim=1)
            for i, machine in enumerate(config["machines"])}


def cosine_scores(vectors: Tensor, machines: Sequence[str], centres: Mapping[str, Tensor]) -> np.ndarray:
    """``1 - max cos(vector, centre)`` over the centres of each clip's machine type."""
    unit = F.normalize(vectors, dim=1)
    names = np.asarray(machines)
    scores = np.empty(len(machines))
    for machine in set(machines):
        rows = np.flatnonzero(names == machine)
        picked = unit[torch.as_tensor(rows, device=unit.device)]
        scores[rows] = (1.0 - (picked @ centres[machine].T).max(dim=1).values).double().cpu().numpy()
    return scores


def fit_kmeans(vectors: np.ndarray, n_clusters: int, max_iter: int = 100, seed: int = 0) -> np.ndarray:
    """scikit-learn K-means centres of unit ``vectors``, normalised ``(K, D)``."""
    from sklearn.cluster import KMeans

    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    k = max(1, min(n_clusters, len(unit)))
    km = KMeans(n_clusters=k, max_iter=max_iter, n_init="auto", random_state=seed).fit(unit)
    return km.cluster_centers_ / np.linalg.norm(km.cluster_centers_, axis=1, keepdims=True)
