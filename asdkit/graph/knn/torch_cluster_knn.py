"""kNN through ``torch_cluster.knn`` (optional dependency, imported lazily).

``torch_cluster`` has no wheels for every torch version and compiles from source for
a long time, so it is not a dependency: constructing this backend without it raises
a :class:`~asdkit.errors.PluginError` that says how to install it. Measured on 2 CPU
cores it is much slower than faiss (10k x 128, k=10: 13 s vs 0.37 s); it is here for
setups that already have it on CUDA.

``torch_cluster.knn`` returns ``(2, M*k)`` pairs (query, base) without distances;
this backend computes the squared L2 distances and sorts each query's neighbours.
"""
from __future__ import annotations

import importlib

import torch
from torch import Tensor

from ...api import KnnBackend
from ...errors import PluginError
from ._common import check_base, check_k, check_query

INSTALL_HINT = "torch-cluster is not installed (pip install --no-build-isolation torch-cluster)"


def import_torch_cluster():
    try:
        return importlib.import_module("torch_cluster")
    except ImportError as exc:
        raise PluginError(f"kNN backend 'torch_cluster': {INSTALL_HINT}") from exc


class TorchClusterKnn(KnnBackend):
    def __init__(self, *, num_workers: int = 1) -> None:
        self._torch_cluster = import_torch_cluster()
        self.num_workers = int(num_workers)
        self._base: Tensor | None = None

    def build(self, base: Tensor) -> None:
        self._base = check_base(base).contiguous()

    def search(self, query: Tensor, k: int) -> tuple[Tensor, Tensor]:
        base = self._base
        query = check_query(query, None if base is None else base.shape[1])
        assert base is not None  # check_query refuses an unbuilt index
        k = check_k(k, base.shape[0])
        out_device = query.device
        query = query.to(base.device).contiguous()
        pairs = self._torch_cluster.knn(base, query, k, num_workers=self.num_workers)
        q_idx, b_idx = pairs[0], pairs[1]
        # Every query gets exactly k pairs (k <= N); order them query-major, nearest first.
        order = torch.argsort(q_idx, stable=True)
        b_idx = b_idx[order].view(-1, k)
        dist = (query.unsqueeze(1) - base[b_idx]).square().sum(-1)
        dist, pos = dist.sort(dim=1)
        return dist.to(out_device), b_idx.gather(1, pos).to(out_device, torch.int64)
