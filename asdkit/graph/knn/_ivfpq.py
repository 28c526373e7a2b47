"""The compressed faiss index of :class:`~.faiss_index.FaissKnn`: IVF-PQ, trained on a
sample, with exact re-ranking of its candidates.

Why compressed: ``IndexIVFFlat`` keeps its own float32 copy of every vector
(``4 * D`` bytes a point: 5 GiB at 10M x 128, on top of the caller's embeddings);
IVF-PQ keeps ``m`` one-byte codes and an 8-byte id a point (40 bytes at ``m = 32``:
about 400 MB at 10M).

- ``m`` (``pq_m=0``): the largest divisor of ``D`` not above ``D / 4`` (4 dimensions
  per sub-quantizer, 32 at D=128), ``pq_bits`` (8) bits each. Measured on clustered
  100k x 128 (``bench_knn.clustered``, 2 cores): ``m = D/8`` never reached recall@10 0.95
  even probing every list (0.65 with r=4, 0.85 with r=10), ``m = D/4`` did at nprobe 32
  (r=4, recall 0.95) or nprobe 16 (r=10, recall 0.98, ~15 s for the whole graph's search).
- Training sample: at most ``max(64 * nlist, 256 * 2**pq_bits)`` points drawn with
  ``seed``. Passing the whole base would make faiss compute residuals of all of it
  (another ``4 * N * D`` bytes); the lists are trained (10 k-means iterations) and the
  codebooks fitted on the sample only.
- Re-ranking (``rerank`` = r > 1, default 10): PQ distances are approximate, so the index returns
  ``r * k`` candidates whose exact squared L2 distances to the query are recomputed from
  the base (the caller's array, referenced, never copied) and the nearest ``k`` kept.
  Re-ranking stays on at 10M: the base is the array the caller already holds (5 GiB at
  10M x 128, in RAM or memory-mapped, then it should fit the page cache, as the gathers
  are random), so it costs no extra memory, only ``r * k`` row reads a query.
  Candidates are gathered ``RERANK_CHUNK`` queries at a time, bounding the extra memory
  to ``RERANK_CHUNK * r * k * D * 4`` bytes (about 115 MB at r=10, k=11, D=128).
"""
from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

RERANK_CHUNK = 2048


def pq_subquantizers(dim: int, requested: int = 0) -> int:
    """``requested`` if given (it must divide ``dim``), else the largest divisor of
    ``dim`` that is at most ``max(1, dim // 4)``."""
    if requested:
        if dim % requested:
            raise ValueError(f"pq_m={requested} must divide the embedding dimension {dim}")
        return requested
    target = max(1, dim // 4)
    return next(m for m in range(target, 0, -1) if dim % m == 0)


def training_sample(base: np.ndarray, nlist: int, pq_bits: int, seed: int) -> np.ndarray:
    """Rows of ``base`` to train on (sorted indices: a memory-mapped base is read in order)."""
    n = base.shape[0]
    size = min(n, max(64 * nlist, 256 * 2 ** pq_bits))
    if size == n:
        return np.ascontiguousarray(base)
    rows = np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))
    return np.ascontiguousarray(base[rows])


def new_ivfpq(faiss: Any, base: np.ndarray, nlist: int, m: int, pq_bits: int, seed: int) -> Any:
    """An ``IVF{nlist},PQ{m}x{pq_bits}`` index on an exact coarse quantizer, trained on a
    sample of ``base`` (not yet filled)."""
    dim = base.shape[1]
    index = faiss.IndexIVFPQ(faiss.IndexFlatL2(dim), dim, nlist, m, pq_bits)
    index.cp.max_points_per_centroid = 64
    index.cp.niter = 10
    index.cp.seed = seed
    index.pq.cp.seed = seed
    # 64 points a centroid and 10 iterations: re-ranking absorbs coarser codebooks.
    index.pq.cp.max_points_per_centroid = 64
    index.pq.cp.niter = 10
    with _blas_distances(faiss):
        index.train(training_sample(base, nlist, pq_bits, seed))
    return index


@contextlib.contextmanager
def _blas_distances(faiss: Any):
    """faiss computes exact distances without BLAS below ``distance_compute_blas_threshold``
    queries (128000 in this build), which at 4 dimensions a sub-quantizer made the
    codebooks' k-means 20x slower (0.36 s vs 0.018 s for 256 centroids on 16k points;
    32 codebooks: 14 s). The threshold is process-wide, so it is lowered for training
    only and restored: flat and IVF searches elsewhere keep their exact numerics."""
    before = faiss.cvar.distance_compute_blas_threshold
    faiss.cvar.distance_compute_blas_threshold = 1
    try:
        yield
    finally:
        faiss.cvar.distance_compute_blas_threshold = before


def add_in_chunks(index: Any, base: np.ndarray, chunk: int = 1_000_000) -> None:
    """Add ``base`` a chunk at a time: a memory-mapped base is then read (and converted
    to contiguous float32) a chunk at a time rather than all at once."""
    for start in range(0, base.shape[0], chunk):
        index.add(np.ascontiguousarray(base[start:start + chunk], dtype=np.float32))


def rerank(base: np.ndarray, query: np.ndarray, candidates: np.ndarray,
           k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` candidates nearest each query by exact squared L2, nearest first.

    ``candidates`` is ``(M, K)`` base row ids, ``-1`` for a missing hit (faiss's
    convention); missing hits sort last, keeping ``-1`` so that the caller can widen the
    search. A stable sort keeps equal distances in the index's order (deterministic).
    """
    m = query.shape[0]
    dist = np.empty((m, k), dtype=np.float32)
    idx = np.empty((m, k), dtype=np.int64)
    for start in range(0, m, RERANK_CHUNK):
        cand = candidates[start:start + RERANK_CHUNK]
        missing = cand < 0
        rows = base[np.where(missing, 0, cand)]  # (c, K, D)
        diff = rows - query[start:start + RERANK_CHUNK, None, :]
        exact = np.einsum("ckd,ckd->ck", diff, diff)
        exact[missing] = np.inf
        order = np.argsort(exact, axis=1, kind="stable")[:, :k]
        idx[start:start + cand.shape[0]] = np.where(np.take_along_axis(missing, order, 1), -1,
                                                    np.take_along_axis(cand, order, 1))
        dist[start:start + cand.shape[0]] = np.take_along_axis(exact, order, 1)
    return dist, idx
