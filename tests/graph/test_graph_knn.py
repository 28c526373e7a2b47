"""kNN backends: exactness, recall of the faiss settings, the optional torch_cluster."""
import sys

import pytest
import torch

from asdkit import registry
from asdkit.errors import AsdkitError, InputError, PluginError

from tests.graph.knn_helpers import clustered, exact_neighbours, recall


def test_brute_is_exact_with_squared_distances():
    base, query = clustered(600), clustered(50, seed=1)
    index = registry.create("knn", "brute", {"chunk_size": 7})
    index.build(base)
    dist, idx = index.search(query, 10)
    assert idx.dtype == torch.int64 and dist.shape == (50, 10)
    assert recall(idx, exact_neighbours(base, query, 10)) == 1.0
    want = (query.unsqueeze(1) - base[idx]).square().sum(-1)
    assert torch.allclose(dist, want, atol=1e-5)
    assert (dist.diff(dim=1) >= 0).all()


FLAT, HNSW, IVF, AUTO_IVF = {"index": "flat"}, {"index": "hnsw"}, {"index": "ivf"}, {"exact_threshold": 100}


@pytest.mark.parametrize("data,options", [
    ("clustered", FLAT), ("clustered", HNSW), ("clustered", IVF), ("clustered", AUTO_IVF),
    ("noise", FLAT), ("noise", HNSW), ("noise", IVF), ("noise", AUTO_IVF),
])
def test_faiss_default_settings_reach_recall(data, options):
    """Measured, not assumed: the defaults keep recall@10 >= 0.95, even on noise (IVF
    calibrates nprobe on sampled base points; the queries here are new points, so allow
    a little below the calibration target)."""
    if data == "clustered":
        base, query = clustered(2000), clustered(200, seed=2)
    else:
        gen = torch.Generator().manual_seed(0)
        base, query = torch.randn(2000, 32, generator=gen), torch.randn(200, 32, generator=gen)
    index = registry.create("knn", "faiss", options)
    index.build(base)
    dist, idx = index.search(query, 10)
    assert recall(idx, exact_neighbours(base, query, 10)) >= (0.93 if "hnsw" not in str(options) else 0.95)
    assert (dist.diff(dim=1) >= -1e-6).all() and (idx >= 0).all()


def test_ivf_calibration_widens_nprobe_only_where_recall_needs_it():
    """Clustered data needs few probed lists, noise many more; the target recall is
    measured and met either way."""
    gen = torch.Generator().manual_seed(0)
    cheap = registry.create("knn", "faiss", {"index": "ivf"})
    cheap.build(clustered(4000, clusters=64))
    wide = registry.create("knn", "faiss", {"index": "ivf"})
    wide.build(torch.randn(4000, 32, generator=gen))
    assert cheap.calibration["nprobe"] <= cheap.calibration["nlist"] // 8
    assert wide.calibration["nprobe"] >= 4 * cheap.calibration["nprobe"]
    for index in (cheap, wide):
        assert index.calibration["recall"] >= 0.95
    fixed = registry.create("knn", "faiss", {"index": "ivf", "ivf_nprobe": 3})
    fixed.build(clustered(4000))
    fixed.search(clustered(5, clusters=64), 4)
    assert fixed._index.nprobe == 3 and fixed.calibration == {}


def test_weak_approximate_settings_do_lose_recall():
    """Why the defaults are wide: cheap settings miss neighbours within a cluster."""
    base, query = clustered(2000), clustered(200, seed=2)
    index = registry.create("knn", "faiss", {"index": "ivf", "ivf_nlist": 16, "ivf_nprobe": 1})
    index.build(base)
    assert recall(index.search(query, 10)[1], exact_neighbours(base, query, 10)) < 0.95


def test_faiss_auto_picks_flat_below_threshold_and_ivf_above():
    index = registry.create("knn", "faiss", {"exact_threshold": 1000})
    assert index.chosen_kind(1000) == "flat" and index.chosen_kind(1001) == "ivf"
    assert registry.create("knn", "faiss").chosen_kind(20_000) == "flat"


def test_search_errors_name_the_problem():
    index = registry.create("knn", "faiss")
    with pytest.raises(InputError, match="before build"):
        index.search(torch.zeros(1, 4), 1)
    index.build(torch.randn(5, 4))
    with pytest.raises(InputError, match="k=6"):
        index.search(torch.zeros(1, 4), 6)
    with pytest.raises(InputError, match=r"\(M, 4\)"):
        index.search(torch.zeros(1, 3), 1)


def test_torch_cluster_missing_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch_cluster", None)  # makes the import fail
    with pytest.raises(PluginError,
                       match=r"torch-cluster is not installed \(pip install --no-build-isolation torch-cluster\)"):
        registry.create("knn", "torch_cluster")
    assert issubclass(PluginError, AsdkitError)


def test_torch_cluster_backend_sorts_and_measures(monkeypatch):
    """With a stand-in for torch_cluster.knn (pairs in scrambled order), the backend
    returns each query's neighbours nearest first with squared distances."""
    import types

    def fake_knn(x, y, k, num_workers=1):
        idx = torch.cdist(y, x).topk(k, largest=False).indices.flip(1)  # farthest first
        pairs = torch.stack([torch.arange(y.shape[0]).repeat_interleave(k), idx.reshape(-1)])
        return pairs[:, torch.randperm(pairs.shape[1], generator=torch.Generator().manual_seed(0))]

    monkeypatch.setitem(sys.modules, "torch_cluster", types.SimpleNamespace(knn=fake_knn))
    base, query = clustered(300), clustered(20, seed=3)
    index = registry.create("knn", "torch_cluster")
    index.build(base)
    dist, idx = index.search(query, 5)
    assert torch.equal(idx, exact_neighbours(base, query, 5))
    assert (dist.diff(dim=1) >= 0).all()


def test_faiss_leaves_the_process_openmp_thread_count_alone():
    """faiss's thread count is process-wide (torch may share the OpenMP runtime): a
    build or search that left it changed made later seeded torch training differ."""
    faiss = pytest.importorskip("faiss")
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        knn = registry.create("knn", "faiss", {"threads": 2})
        knn.build(torch.randn(50, 8))
        knn.search(torch.randn(5, 8), 3)
        assert faiss.omp_get_max_threads() == 1
    finally:
        faiss.omp_set_num_threads(before)
