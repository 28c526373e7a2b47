"""Local Outlier Factor scorer (novelty mode), in plain torch."""
from __future__ import annotations

import torch
from torch import Tensor

from asdkit.api import Scorer, as_float_tensor
from asdkit.errors import InputError

METRICS = ("cosine", "euclidean")

# Added to the mean reachability distance before inverting it, as scikit-learn does,
# so duplicated training points give a huge but finite density instead of inf.
_DENSITY_EPS = 1e-10

# Distance blocks are computed a slab of query rows at a time, each slab holding at
# most this many float64 entries (128 MiB), so large training sets fit in memory.
_MAX_BLOCK_ENTRIES = 1 << 24


class LOFScorer(Scorer):
    r"""The Local Outlier Factor from the `"LOF: Identifying Density-Based Local
    Outliers" <https://doi.org/10.1145/342009.335388>`_ paper (Breunig et al., 2000),
    used in novelty mode: fitted on normal clips, applied to new ones.

    With :math:`N_k(p)` the :math:`k` nearest training points of :math:`p` and
    :math:`d_k(o)` the distance from training point :math:`o` to its own
    :math:`k`-th nearest other training point:

    .. math::
        \mathrm{reach}_k(p, o) = \max\left(d_k(o),\, d(p, o)\right)

    .. math::
        \mathrm{lrd}_k(p) = \left( \frac{1}{k} \sum_{o \in N_k(p)}
        \mathrm{reach}_k(p, o) + 10^{-10} \right)^{-1}

    .. math::
        \mathrm{LOF}_k(p) = \frac{1}{k} \sum_{o \in N_k(p)}
        \frac{\mathrm{lrd}_k(o)}{\mathrm{lrd}_k(p)}

    The score is :math:`\mathrm{LOF}_k` of the query: about 1 inside a normal
    cluster, larger where the query is sparser than its neighbours (higher = more
    anomalous). It equals ``-LocalOutlierFactor(novelty=True).score_samples`` of
    scikit-learn. During fitting a training point is not its own neighbour.

    Args:
        n_neighbors (int): :math:`k`; capped at ``n_train - 1``. (default: 20)
        metric (str): ``"cosine"`` (:math:`1 - \cos`, suits embeddings trained
            with an angular loss such as ArcFace) or ``"euclidean"``.
            (default: ``"cosine"``)

    Fitted state (tensors only): ``train`` :math:`(N, D)`, ``k_distance``
    :math:`(N,)` holding :math:`d_k`, ``lrd`` :math:`(N,)` holding
    :math:`\mathrm{lrd}_k` of the training points.

    Shapes:
        - **fit:** :math:`(N, D)` with :math:`N \geq 2`; ``domain`` is ignored
        - **score:** :math:`(M, D) \rightarrow (M,)` float32
    """

    def __init__(self, *, n_neighbors: int = 20, metric: str = "cosine"):
        if n_neighbors < 1:
            raise ValueError(f"n_neighbors must be at least 1, got {n_neighbors}")
        if metric not in METRICS:
            raise ValueError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
        self.n_neighbors = n_neighbors
        self.metric = metric
        self._state: dict[str, Tensor] = {}

    # ------------------------------------------------------------ contract

    def fit(self, x: Tensor, domain: Tensor | None = None) -> "LOFScorer":  # noqa: ARG002 - the Scorer contract
        train = self._check_matrix(as_float_tensor(x, "lof fit input"), "lof fit input")
        if train.shape[0] < 2:
            raise InputError(f"lof: needs at least 2 training points, got {train.shape[0]}")
        k = self._effective_k(train.shape[0])
        dist, idx = self._nearest(train, train, k, exclude_self=True)
        k_distance = dist[:, -1]
        lrd = self._local_reachability_density(dist, idx, k_distance)
        # A private copy: the caller may later modify the tensor it passed in.
        self._state = {"train": train.detach().clone(),
                       "k_distance": k_distance.float(), "lrd": lrd.float()}
        return self

    def score(self, x: Tensor) -> Tensor:
        train = self._fitted_train()
        query = self._check_matrix(as_float_tensor(x, "lof score input"), "lof score input")
        if query.shape[1] != train.shape[1]:
            raise InputError(f"lof: fitted on dimension {train.shape[1]}, got {query.shape[1]}")
        query = query.to(train.device)
        k_distance = self._state["k_distance"].double()
        lrd_train = self._state["lrd"].double()
        dist, idx = self._nearest(query, train, self._effective_k(train.shape[0]))
        lrd_query = self._local_reachability_density(dist, idx, k_distance)
        return (lrd_train[idx].mean(dim=1) / lrd_query).float()

    def state_dict(self) -> dict[str, Tensor]:
        return dict(self._state)

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        missing = {"train", "k_distance", "lrd"} - set(state)
        if missing:
            raise InputError(f"lof: state lacks {', '.join(sorted(missing))}")
        n_train = state["train"].shape[0]
        if state["k_distance"].shape != (n_train,) or state["lrd"].shape != (n_train,):
            raise InputError("lof: state tensors disagree on the number of training points")
        self._state = {k: state[k] for k in ("train", "k_distance", "lrd")}

    # ------------------------------------------------------------ internals

    def _effective_k(self, n_train: int) -> int:
        return max(1, min(self.n_neighbors, n_train - 1))

    def _fitted_train(self) -> Tensor:
        if not self._state:
            raise InputError("lof: score called before fit (or load_state_dict)")
        return self._state["train"]

    @staticmethod
    def _check_matrix(x: Tensor, name: str) -> Tensor:
        if x.ndim != 2:
            raise InputError(f"{name}: expected a (N, D) matrix, got shape {tuple(x.shape)}")
        return x

    def _distances(self, query: Tensor, train: Tensor) -> Tensor:
        """Pairwise distances in float64: LOF divides densities, so rounding compounds."""
        query, train = query.double(), train.double()
        if self.metric == "euclidean":
            return torch.cdist(query, train)
        cos = torch.nn.functional.normalize(query, dim=1) @ torch.nn.functional.normalize(train, dim=1).T
        return (1.0 - cos).clamp_min(0.0)

    def _nearest(self, query: Tensor, train: Tensor, k: int,
                 exclude_self: bool = False) -> tuple[Tensor, Tensor]:
        """k nearest training points of each query row, nearest first, in row slabs.

        ``exclude_self`` (query is train) removes each point from its own neighbours
        by index, so a duplicated training point still counts as a neighbour.
        """
        rows = max(1, _MAX_BLOCK_ENTRIES // max(1, train.shape[0]))
        dists, idxs = [], []
        # At least one (possibly empty) slab, so an empty query gives (0, k) results.
        for start in range(0, max(1, query.shape[0]), rows):
            block = self._distances(query[start:start + rows], train)
            if exclude_self:
                own = torch.arange(block.shape[0], device=block.device)
                block[own, own + start] = float("inf")
            dist, idx = block.topk(k, dim=1, largest=False, sorted=True)
            dists.append(dist)
            idxs.append(idx)
        return torch.cat(dists), torch.cat(idxs)

    @staticmethod
    def _local_reachability_density(dist: Tensor, idx: Tensor, k_distance: Tensor) -> Tensor:
        """lrd of each row from its neighbour distances and the neighbours' k-distance."""
        reach = torch.maximum(dist, k_distance.to(dist.dtype)[idx])
        return 1.0 / (reach.mean(dim=1) + _DENSITY_EPS)
