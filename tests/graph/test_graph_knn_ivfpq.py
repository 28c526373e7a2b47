"""The compressed (IVF-PQ) faiss path, run on a small problem by lowering its threshold."""
import numpy as np
import pytest
import torch

from asdkit import registry
from asdkit.graph.build import knn_graph
from asdkit.graph.knn._ivfpq import pq_subquantizers, rerank

from tests.graph import knn_helpers
from tests.graph.knn_helpers import exact_neighbours, recall

pytest.importorskip("faiss")

# Thresholds lowered so that 6000 points take the compressed path; 6-bit codes so that
# 6000 points are enough to train 64 centroids per sub-quantizer.
SMALL = {"exact_threshold": 100, "compressed_threshold": 1000, "pq_bits": 6, "threads": 2}
RECALL_FLOOR = 0.9  # recall@10 of new queries; calibration targets 0.95 on base points


def clustered(n, dim=32, clusters=16, seed=0):
    return knn_helpers.clustered(n, dim, clusters, seed)


def test_auto_switches_to_ivfpq_above_the_compressed_threshold():
    index = registry.create("knn", "faiss", {"exact_threshold": 10, "compressed_threshold": 100})
    assert [index.chosen_kind(n) for n in (10, 11, 100, 101)] == ["flat", "ivf", "ivf", "ivfpq"]
    default = registry.create("knn", "faiss")
    assert default.chosen_kind(2_000_000) == "ivf" and default.chosen_kind(2_000_001) == "ivfpq"


def test_ivfpq_reaches_recall_against_brute_force_and_reports_it():
    faiss = pytest.importorskip("faiss")
    base, query = clustered(6000), clustered(300, seed=1)
    index = registry.create("knn", "faiss", SMALL)
    index.build(base)
    assert isinstance(index._index, faiss.IndexIVFPQ) and index._index.pq.M == 8  # D/4
    assert index.calibration["recall"] >= 0.95 and index.calibration["k"] == 10
    assert index.calibration["nprobe"] < index.calibration["nlist"]
    dist, idx = index.search(query, 10)
    assert recall(idx, exact_neighbours(base, query, 10)) >= RECALL_FLOOR
    # Re-ranked distances are exact squared L2, nearest first.
    want = (query.unsqueeze(1) - base[idx]).square().sum(-1)
    assert torch.allclose(dist, want, atol=1e-5) and (dist.diff(dim=1) >= 0).all()


def test_ivfpq_without_rerank_loses_recall():
    """Why re-ranking is on: PQ distances alone miss neighbours within a cluster."""
    base, query = clustered(6000), clustered(300, seed=1)
    ranked = registry.create("knn", "faiss", SMALL)
    ranked.build(base)
    plain = registry.create("knn", "faiss", {**SMALL, "rerank": 1, "ivf_nprobe": ranked.calibration["nprobe"]})
    plain.build(base)
    exact = exact_neighbours(base, query, 10)
    got = [recall(index.search(query, 10)[1], exact) for index in (plain, ranked)]
    assert got[0] < 0.9 <= got[1]
    assert plain._base is None  # no reference to the base without re-ranking


def test_ivfpq_graph_is_deterministic_under_a_seed():
    base = clustered(6000)
    first = knn_graph(base, 10, "faiss", SMALL)
    again = knn_graph(base, 10, "faiss", SMALL)
    other = registry.create("knn", "faiss", {**SMALL, "seed": 7})
    other.build(base)
    assert torch.equal(first, again)
    assert other.calibration["recall"] >= 0.95  # another seed: another sample, still calibrated


def test_rerank_keeps_missing_hits_last():
    base = np.eye(4, dtype=np.float32)
    query = np.array([[1.0, 0.1, 0, 0]], dtype=np.float32)
    dist, idx = rerank(base, query, np.array([[-1, 1, 0]]), 3)
    assert idx.tolist() == [[0, 1, -1]] and np.isinf(dist[0, 2])
    assert dist[0, 0] == pytest.approx(0.01)


def test_subquantizer_count_divides_the_dimension():
    assert pq_subquantizers(128) == 32 and pq_subquantizers(30) == 6 and pq_subquantizers(3) == 1
    with pytest.raises(ValueError, match="pq_m=5 must divide"):
        pq_subquantizers(128, 5)


def test_ivfpq_search_in_query_chunks_gives_the_same_neighbours(monkeypatch):
    """Chunking bounds the candidates' memory at 10M; it must not change any result."""
    from asdkit.graph.knn import faiss_index

    base = clustered(3000)
    index = registry.create("knn", "faiss", {**SMALL, "ivf_nprobe": 8})
    index.build(base)
    whole = index.search(base[:500], 10)
    monkeypatch.setattr(faiss_index, "SEARCH_CHUNK", 7)
    chunked = index.search(base[:500], 10)
    assert torch.equal(whole[1], chunked[1]) and torch.equal(whole[0], chunked[0])
