"""kNN with faiss: exact below a size threshold, approximate (HNSW, IVF, IVF-PQ) above.

``index="auto"`` (default) uses the exact ``IndexFlatL2`` for up to
``exact_threshold`` base points (default 20k) and IVF above, with ``nprobe``
**calibrated on the data**: approximate indexes lose recall, most on unclustered
data, so recall is measured rather than assumed. After building, ``calibration_queries``
(256) base points drawn with a fixed seed are searched exactly (``faiss.knn``) and
with the index; ``nprobe`` starts at ``nlist // 256`` and doubles until their
recall@k reaches ``target_recall`` (0.95), up to ``nlist`` (exhaustive). The measured
recall and the chosen ``nprobe`` are kept in ``calibration``. Figures behind it
(``benchmarks/bench_knn.py``, recall@10 against exact search, 100k x 128, 2 CPU
cores shared with other jobs, so times are rough):

=====================  ======================  ==============  ===========================
index                  clustered (unit-sphere  Gaussian noise  graph time, clustered
                       mixture, like clips)                    (build + N queries)
=====================  ======================  ==============  ===========================
flat (exact)           1.000                   1.000           ~35-110 s (O(N^2))
HNSW M32 ef 64         0.999                   0.819           ~42 s (22 s of it build)
HNSW M32 ef 256        1.000                   0.951           ~63 s
IVF nprobe nlist/32    1.000                   0.353           ~10 s
IVF nprobe nlist/2     1.000                   0.969           ~140 s
=====================  ======================  ==============  ===========================

On clustered embeddings like clips' calibration stops early (100k x 128, 64 clusters:
nprobe 16 of 1264 lists, recall 0.974, the whole graph in ~5 s on 2 cores); on noise it
keeps doubling until the target is met, paying the time recall costs there.

- IVF: ``ivf_nlist=0`` means ``4 * sqrt(N)`` lists, trained (10 k-means iterations) on at
  most 64 points per list (a sample drawn with a fixed seed); ``ivf_nprobe=0`` means calibrated, a
  positive value fixes it.
- HNSW (``index="hnsw"``): ``hnsw_m=32`` links per node, ``ef_construction=200``,
  ``ef_search=256`` (raised to ``k`` when smaller).
- Flat up to 20k points: exact, reproducible, and about a second at 20k x 128.

Compressed above ``compressed_threshold`` points (default 2M): ``index="auto"`` switches
from IVF to IVF-PQ (:mod:`._ivfpq`), because ``IndexIVFFlat`` keeps a float32 copy of
every vector (1 GiB at 2M x 128, 5 GiB at 10M) while IVF-PQ keeps ``m + 8`` bytes a
point (40 at D=128). Lists as for IVF (``ivf_nlist``), ``pq_m`` sub-quantizers (0: D/4)
of ``pq_bits`` bits, trained on a sample drawn with ``seed``; each search takes
``rerank * k`` PQ candidates and re-ranks them by exact distance on the base (kept by
reference, not copied; ``rerank=1`` keeps PQ's approximate distances and needs no
base). ``nprobe`` is calibrated exactly as for IVF, on the re-ranked results, and the
measured recall@k is kept in ``calibration``. Measured (``benchmarks/bench_graph_scale.py``,
1M x 128 clustered, 2 loaded cores): ``IVF4000,PQ32x8`` calibrated to nprobe 60, recall@10
0.971 against exact search on 2,000 nodes, the whole graph in 850 s, peak RSS 2.8 GiB
(IVF with flat lists: 349 s, recall 0.9997; more in ``docs/scaling.md``).

faiss uses ``threads`` OpenMP threads (``0`` = every core). The flat and IVF indexes
give the same neighbours run to run; a multi-threaded HNSW build inserts in a
nondeterministic order, so its approximate neighbours may differ slightly between
runs (use ``index="flat"`` or ``threads=1`` for reproducible graphs).
"""
from __future__ import annotations

import contextlib
import math
import os
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ...api import KnnBackend
from ...errors import AsdkitError
from ._common import check_base, check_k, check_query
from ._ivfpq import add_in_chunks, new_ivfpq, pq_subquantizers, rerank

INDEX_KINDS = ("auto", "flat", "hnsw", "ivf", "ivfpq")
SEARCH_CHUNK = 65_536  # IVF-PQ queries searched and re-ranked at a time


def _faiss():
    import faiss  # imported here so that loading asdkit never pulls faiss in

    return faiss


class FaissKnn(KnnBackend):
    def __init__(self, *, index: str = "auto", exact_threshold: int = 20_000,
                 hnsw_m: int = 32, ef_construction: int = 200, ef_search: int = 256,
                 ivf_nlist: int = 0, ivf_nprobe: int = 0, target_recall: float = 0.95,
                 calibration_k: int = 10, calibration_queries: int = 256, threads: int = 0,
                 compressed_threshold: int = 2_000_000, pq_m: int = 0, pq_bits: int = 8,
                 rerank: int = 10, seed: int = 1234) -> None:
        if index not in INDEX_KINDS:
            raise ValueError(f"index must be one of {', '.join(INDEX_KINDS)}, got {index!r}")
        if min(hnsw_m, ef_construction, ef_search) < 1 or min(ivf_nlist, ivf_nprobe, threads) < 0:
            raise ValueError("HNSW sizes must be >= 1; nlist, nprobe and threads >= 0")
        self.index_kind, self.exact_threshold = index, int(exact_threshold)
        self.hnsw_m, self.ef_construction, self.ef_search = int(hnsw_m), int(ef_construction), int(ef_search)
        self.ivf_nlist, self.ivf_nprobe, self.threads = int(ivf_nlist), int(ivf_nprobe), int(threads)
        if not 0.0 < target_recall <= 1.0 or min(calibration_k, calibration_queries) < 1:
            raise ValueError("target_recall must be in (0, 1]; calibration_k and calibration_queries >= 1")
        self.target_recall = float(target_recall)
        self.calibration_k, self.calibration_queries = int(calibration_k), int(calibration_queries)
        if min(compressed_threshold, pq_m) < 0 or not 1 <= pq_bits <= 16 or rerank < 1:
            raise ValueError("compressed_threshold and pq_m must be >= 0, pq_bits in [1, 16], rerank >= 1")
        self.compressed_threshold, self.pq_m, self.pq_bits = int(compressed_threshold), int(pq_m), int(pq_bits)
        self.rerank, self.seed = int(rerank), int(seed)
        self._base: np.ndarray | None = None  # kept for re-ranking IVF-PQ candidates only
        self.calibration: dict[str, float] = {}
        self._nprobe = 0
        self._index: Any = None  # a faiss index once built (faiss ships no type hints)
        self._dim: int | None = None
        self._n = 0

    def chosen_kind(self, n: int) -> str:
        """The index kind ``build`` uses for ``n`` base points."""
        if self.index_kind != "auto":
            return self.index_kind
        if n <= self.exact_threshold:
            return "flat"
        return "ivf" if n <= self.compressed_threshold else "ivfpq"

    @contextlib.contextmanager
    def _threads(self):
        """faiss's OpenMP thread count for one call, restored afterwards: the count is
        process-wide (torch may share the OpenMP runtime), and leaving it changed would
        change torch's later numerics, hence a seeded run's results."""
        faiss = _faiss()
        before = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(self.threads or os.cpu_count() or 1)
        try:
            yield
        finally:
            faiss.omp_set_num_threads(before)

    def _new_index(self, kind: str, base: np.ndarray):
        faiss = _faiss()
        n, dim = base.shape
        if kind == "flat":
            return faiss.IndexFlatL2(dim)
        if kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, self.hnsw_m)
            index.hnsw.efConstruction = self.ef_construction
            return index
        nlist = max(1, min(n // 39, self.ivf_nlist or int(4 * math.sqrt(n))))  # faiss wants >= 39 points per list
        if kind == "ivfpq":
            return new_ivfpq(faiss, base, nlist, pq_subquantizers(dim, self.pq_m), self.pq_bits, self.seed)
        index = faiss.IndexIVFFlat(faiss.IndexFlatL2(dim), dim, nlist)
        index.cp.max_points_per_centroid = 64  # a sample trains the lists as well, much faster at 1M
        index.cp.niter = 10  # coarse lists suffice: calibration widens nprobe where they are too coarse
        index.cp.seed = 1234
        index.train(base)
        return index

    def _calibrate_nprobe(self, base: np.ndarray) -> None:
        """Smallest ``nlist // 256 * 2**i`` whose recall@k on sampled base points reaches
        ``target_recall`` (see the module docstring)."""
        nlist = self._index.nlist
        if self.ivf_nprobe:
            self._nprobe = min(nlist, self.ivf_nprobe)
            return
        rng = np.random.default_rng(0)
        n = base.shape[0]
        queries = base[rng.choice(n, size=min(n, self.calibration_queries), replace=False)]
        k = min(self.calibration_k, n)
        _, exact = _faiss().knn(queries, base, k)
        nprobe = max(1, nlist // 256)
        while True:
            self._index.nprobe = nprobe
            _, found = self._search_once(queries, k)
            recall = float((found[:, :, None] == exact[:, None, :]).any(2).mean())
            if recall >= self.target_recall or nprobe >= nlist:
                break
            nprobe = min(nlist, nprobe * 2)
        self._nprobe = nprobe
        self.calibration = {"nprobe": nprobe, "nlist": nlist, "recall": recall, "queries": len(queries), "k": k}

    def build(self, base: Tensor) -> None:
        array = np.ascontiguousarray(check_base(base).detach().cpu().numpy())
        kind = self.chosen_kind(array.shape[0])
        self._base = array if kind == "ivfpq" and self.rerank > 1 else None
        with self._threads():
            self._index = self._new_index(kind, array)
            if kind == "ivfpq":
                add_in_chunks(self._index, array)
            else:
                self._index.add(array)
            if isinstance(self._index, _faiss().IndexIVF):
                self._calibrate_nprobe(array)
        self._dim, self._n = array.shape[1], array.shape[0]

    def search(self, query: Tensor, k: int) -> tuple[Tensor, Tensor]:
        query = check_query(query, self._dim)
        k = check_k(k, self._n)
        array = np.ascontiguousarray(query.detach().cpu().numpy())
        with self._threads():
            dist, idx = self._search_complete(array, k)
        return (torch.from_numpy(np.maximum(dist, 0.0)).to(query.device),
                torch.from_numpy(idx.astype(np.int64)).to(query.device))

    def _search_complete(self, array: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        self._set_search_width(k, widen=1)
        dist, idx = self._search_once(array, k)
        # An approximate index can return fewer than k hits (index -1): search those
        # rows again, wider each time; the widest setting is exhaustive.
        short, widen = np.flatnonzero((idx < 0).any(1)), 1
        while short.size:
            if widen >= 4 ** 8:  # efSearch / nprobe long past N: the index itself is broken
                raise AsdkitError(f"faiss index returned fewer than k={k} neighbours for {short.size} queries")
            widen *= 4
            self._set_search_width(k, widen)
            dist[short], idx[short] = self._search_once(array[short], k)
            short = short[(idx[short] < 0).any(1)]
        return dist, idx

    def _set_search_width(self, k: int, widen: int) -> None:
        faiss = _faiss()
        if isinstance(self._index, faiss.IndexHNSWFlat):
            self._index.hnsw.efSearch = min(self._n, max(self.ef_search, k) * widen)
        elif isinstance(self._index, faiss.IndexIVF):
            nlist = self._index.nlist
            self._index.nprobe = min(nlist, self._nprobe * widen)

    def _search_once(self, array: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """One search at the current width; IVF-PQ candidates re-ranked exactly when the
        base is kept (see the module docstring)."""
        if self._base is None:
            return self._index.search(array, k)
        # Queries a chunk at a time: the candidates of all 1M queries at once (r=10, k=11)
        # are 1.3 GB of distances and ids, 13 GB at 10M.
        width = min(self._base.shape[0], self.rerank * k)
        dist = np.empty((array.shape[0], k), dtype=np.float32)
        idx = np.empty((array.shape[0], k), dtype=np.int64)
        for start in range(0, array.shape[0], SEARCH_CHUNK):
            part = array[start:start + SEARCH_CHUNK]
            _, candidates = self._index.search(part, width)
            dist[start:start + len(part)], idx[start:start + len(part)] = rerank(self._base, part, candidates, k)
        return dist, idx
