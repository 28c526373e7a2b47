"""``knn``: mean cosine distance to the ``k`` nearest training embeddings.

.. math::
    s(x) = \\frac{1}{k} \\sum_{j \\in \\mathrm{kNN}(x)} \\big(1 - \\hat x^\\top \\hat t_j\\big)

**Domain memory banks** (``domain_banks``, default on): when the training clips carry
domains, source and target clips are kept as two banks and the score is the smaller
of the two distances, :math:`s(x) = \\min(s_{source}(x), s_{target}(x))` (``k``
capped by each bank's size), so the few target-domain clips are not outvoted by the
many source ones (Wilkinghoff 2023; the ASDKit study's best backend).

**Standardisation** (``standardize``): each dimension is centred on the training
mean and divided by its training standard deviation before the cosine, so that
dimensions count by their spread, not their raw level (log-mel statistics in dB:
a loud band would otherwise decide every angle).

``k`` is capped by the number of training clips. Exact search by matrix products,
``chunk_size`` query rows at a time, on the device of the stored embeddings.

Shapes: fit ``(N, D)`` (+ ``domain`` ``(N,)``: 0 source, 1 target, -1 unknown),
score ``(M, D) -> (M,)``. State: ``bank`` ``(N, D)`` unit rows, ``is_target`` ``(N,)``,
``shift`` and ``spread`` ``(D,)`` (zeros and ones without standardisation).
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..api import Scorer
from ._common import check_fit_input, check_score_input, require_keys, unit


class KNNScorer(Scorer):
    def __init__(self, *, k: int = 5, domain_banks: bool = True, standardize: bool = False,
                 chunk_size: int = 4096) -> None:
        if k < 1 or chunk_size < 1:
            raise ValueError("k and chunk_size must be >= 1")
        self.k, self.chunk_size = int(k), int(chunk_size)
        self.domain_banks, self.standardize = bool(domain_banks), bool(standardize)
        self.bank: Tensor | None = None
        self.is_target: Tensor | None = None
        self.shift: Tensor | None = None
        self.spread: Tensor | None = None

    def fit(self, x: Tensor, domain: Tensor | None = None) -> "KNNScorer":
        x, domain = check_fit_input(x, domain, "knn scorer")
        self.shift = x.mean(0) if self.standardize else torch.zeros(x.shape[1], device=x.device)
        self.spread = (x.std(0, unbiased=False).clamp_min(1e-6) if self.standardize and x.shape[0] > 1
                       else torch.ones(x.shape[1], device=x.device))
        self.bank = unit(self._scaled(x))
        self.is_target = domain == 1
        return self

    def _scaled(self, x: Tensor) -> Tensor:
        assert self.shift is not None and self.spread is not None  # set by fit and load_state_dict
        return (x - self.shift) / self.spread

    def _distance(self, sims: Tensor) -> Tensor:
        k = min(self.k, sims.shape[1])
        return (1.0 - sims.topk(k, dim=1).values).mean(1)

    def score(self, x: Tensor) -> Tensor:
        x = unit(self._scaled(check_score_input(x, self.bank, "knn scorer")))
        bank, is_target = self.bank, self.is_target
        assert bank is not None and is_target is not None  # fitted (checked above); set with the bank
        split = self.domain_banks and bool(is_target.any()) and bool((~is_target).any())
        parts = []
        for chunk in x.split(self.chunk_size):
            sims = chunk @ bank.T
            if split:
                parts.append(torch.minimum(self._distance(sims[:, ~is_target]),
                                           self._distance(sims[:, is_target])))
            else:
                parts.append(self._distance(sims))
        return torch.cat(parts) if parts else x.new_empty(0)

    def state_dict(self) -> dict[str, Tensor]:
        if self.bank is None:
            return {}
        assert self.is_target is not None and self.shift is not None and self.spread is not None  # set with the bank
        return {"bank": self.bank, "is_target": self.is_target.to(torch.uint8), "shift": self.shift,
                "spread": self.spread}

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        require_keys(state, ("bank",), "knn scorer")
        self.bank = state["bank"].to(torch.float32).clone()
        n, d = self.bank.shape
        # Bundles written before the domain banks hold the bank alone: one bank, no scaling.
        self.is_target = state.get("is_target", torch.zeros(n, dtype=torch.uint8)).to(torch.bool).clone()
        self.shift = state.get("shift", torch.zeros(d)).to(torch.float32).clone()
        self.spread = state.get("spread", torch.ones(d)).to(torch.float32).clone()
