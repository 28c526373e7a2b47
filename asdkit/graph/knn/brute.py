"""Exact kNN by matrix products in chunks, on the base tensor's device.

:math:`\\lVert q - b\\rVert^2 = \\lVert q\\rVert^2 - 2\\,q^\\top b + \\lVert b\\rVert^2`,
computed for ``chunk_size`` queries at a time so memory stays at
``chunk_size x N`` floats. Runs wherever the base lives (CUDA when it is there);
results come back on the query's device.
"""
from __future__ import annotations

import torch
from torch import Tensor

from ...api import KnnBackend
from ._common import check_base, check_k, check_query


class BruteKnn(KnnBackend):
    """Exact search; the reference the approximate backends are measured against."""

    def __init__(self, *, chunk_size: int = 2048) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        self.chunk_size = int(chunk_size)
        self._base: Tensor | None = None
        self._base_sq: Tensor | None = None

    def build(self, base: Tensor) -> None:
        self._base = check_base(base).contiguous()
        self._base_sq = self._base.square().sum(1)

    def search(self, query: Tensor, k: int) -> tuple[Tensor, Tensor]:
        base, base_sq = self._base, self._base_sq
        query = check_query(query, None if base is None else base.shape[1])
        assert base is not None and base_sq is not None  # check_query refuses an unbuilt index
        k = check_k(k, base.shape[0])
        out_device = query.device
        query = query.to(base.device)
        dists, idxs = [], []
        for chunk in query.split(self.chunk_size):
            sq = chunk.square().sum(1, keepdim=True) - 2.0 * chunk @ base.T + base_sq
            d, i = sq.topk(k, dim=1, largest=False, sorted=True)
            dists.append(d.clamp_min_(0.0))
            idxs.append(i)
        return torch.cat(dists).to(out_device), torch.cat(idxs).to(out_device, torch.int64)
