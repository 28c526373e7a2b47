"""``kmeans``: cosine distance to the nearest K-means centre (the default scorer).

Fit: spherical K-means (:mod:`._kmeans`, deterministic under ``seed``) with
``n_clusters`` centres (capped by the number of clips) over the source-domain clips
(domain 0 or unknown); with ``target_centres`` each target-domain clip (domain 1, the
few clips of the shifted condition) is kept as a centre of its own, so normal
target-domain sounds are not flagged for being rare.

.. math::
    s(x) = 1 - \\max_{c \\in C} \\frac{x^\\top c}{\\lVert x\\rVert}

Shapes: fit ``(N, D)`` (+ ``domain`` ``(N,)``), score ``(M, D) -> (M,)``.
State: ``centres`` ``(K, D)`` unit rows.
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..api import Scorer
from ._common import check_fit_input, check_score_input, require_keys, unit
from ._kmeans import spherical_kmeans


class KMeansScorer(Scorer):
    def __init__(self, *, n_clusters: int = 16, target_centres: bool = True, seed: int = 0,
                 max_iter: int = 100) -> None:
        if n_clusters < 1 or max_iter < 1:
            raise ValueError("n_clusters and max_iter must be >= 1")
        self.n_clusters, self.target_centres = int(n_clusters), bool(target_centres)
        self.seed, self.max_iter = int(seed), int(max_iter)
        self.centres: Tensor | None = None

    def fit(self, x: Tensor, domain: Tensor | None = None) -> "KMeansScorer":
        x, domain = check_fit_input(x, domain, "kmeans scorer")
        x = unit(x)
        is_target = domain == 1
        source = x[~is_target] if (~is_target).any() else x
        centres = spherical_kmeans(source, self.n_clusters, seed=self.seed, max_iter=self.max_iter)
        if self.target_centres and is_target.any() and (~is_target).any():
            centres = torch.cat([centres, x[is_target]])
        self.centres = centres
        return self

    def score(self, x: Tensor) -> Tensor:
        x = check_score_input(x, self.centres, "kmeans scorer")
        assert self.centres is not None  # check_score_input refuses an unfitted scorer
        return 1.0 - (unit(x) @ self.centres.T).max(1).values

    def state_dict(self) -> dict[str, Tensor]:
        return {} if self.centres is None else {"centres": self.centres}

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        require_keys(state, ("centres",), "kmeans scorer")
        self.centres = state["centres"].to(torch.float32).clone()
