"""Data-parallel graph-network training: 2 torchrun ranks (gloo) train what one process trains.

One plain run and one 2-rank launch of ``graph_train_check.py`` (the same four runs in
each, shared by the tests), plus in-process checks of each rank's subgraph and of what
is refused. Measured on CPU, one thread per process (torch 2.x):

- lr=0, 3 epochs, dropout 0.3 (every dropout mask, BatchNorm statistic and loss value),
  full batch and mini-batch of 16: history losses agree to 9e-8 relative, accuracies
  exactly, refined outputs to 1.3e-7 absolute, state (running statistics) to 1.1e-7
  relative; tested at rtol 1e-5, atol 1e-6.
- one AdamW step, lr 1e-3, full batch: the update ``dw`` agrees to 1.9e-7 relative
  (||dw_2 - dw_1|| / ||dw_1||, as 2 threads vs 1 in one process: 3.3e-7; tested < 1e-5),
  except for the two biases whose effect
  the head's train-mode BatchNorm removes (``head.net.0.bias`` and the layer's output
  bias ``layer.conv2.bias``, a shift shared by every node): their gradient is zero in
  exact arithmetic, so it is float32 rounding noise, which Adam's first step turns into
  updates of size ~lr and random sign. One process run with 2 threads instead of 1
  differs from itself there as much (89% and 106%; over all parameters 7.6%, 2 ranks
  10%), so they are left out.
- the two ranks hold bitwise the same weights and history.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
import torch
import torch.distributed as dist

from asdkit import registry
from asdkit.distributed import Group
from asdkit.errors import ConfigError
from asdkit.graph.model import GraphModel
from asdkit.graph.parallel_step import check_parallel, rank_batch
from asdkit.graph.sampler import InEdgeIndex, in_subgraph
from asdkit.parallel import DataParallel
from tests.distributed.conftest import ENV, LAUNCH_TIMEOUT_S, torchrun

pytestmark = pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(),
                                reason="torch.distributed with gloo is not available")

SCRIPT = Path(__file__).with_name("graph_train_check.py")
RUNS = {"full": "lr=0,epochs=3,batch_size=none,dropout=0.3",
        "mini": "lr=0,epochs=3,batch_size=16,dropout=0.3",
        "step": "lr=1e-3,epochs=1,batch_size=none,dropout=0.3",
        "sampled": "lr=0,epochs=1,batch_size=16,num_neighbors=3:2"}
#: Zero gradient in exact arithmetic (module docstring): rounding noise, amplified by Adam.
BN_CANCELLED = ("head.net.0.bias", "layer.conv2.bias")

Loader = Callable[[str, str, int], dict[str, Any]]


@pytest.fixture(scope="session")
def launched(tmp_path_factory: pytest.TempPathFactory) -> Loader:
    """Runs both launches once; ``load(kind, run, rank)`` reads a result."""
    root = tmp_path_factory.mktemp("graph_train")
    single = subprocess.run([sys.executable, str(SCRIPT), str(root / "single"), *RUNS.values()], cwd=root,
                            env=ENV, capture_output=True, text=True, timeout=LAUNCH_TIMEOUT_S)
    assert single.returncode == 0, single.stderr
    two = torchrun(str(SCRIPT), str(root / "two"), *RUNS.values(), cwd=root, module=None)
    assert two.returncode == 0, two.stderr
    names = list(RUNS)

    def load(kind: str, run: str, rank: int = 0) -> dict[str, Any]:
        return torch.load(root / kind / f"run{names.index(run)}.rank{rank}.pt", weights_only=False)
    return load


def close(a: float | torch.Tensor, b: float | torch.Tensor) -> bool:
    return torch.allclose(torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64),
                          rtol=1e-5, atol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("run", ["full", "mini"])
def test_two_ranks_draw_and_compute_what_one_process_does(launched: Loader, run: str):
    one, two, other_rank = launched("single", run, 0), launched("two", run, 0), launched("two", run, 1)
    assert [h["epoch"] for h in two["history"]] == [1, 2, 3]
    for a, b in zip(one["history"], two["history"]):
        assert close(a["loss"], b["loss"]) and close(a["acc"], b["acc"]), (one["history"], two["history"])
    assert close(one["refined"], two["refined"])
    assert set(two["state_dict"]) == set(one["state_dict"])  # plain BatchNorm/Dropout again
    for name, value in one["state_dict"].items():
        assert close(value, two["state_dict"][name]), name
    # The ranks agree bit for bit: the same all-reduced gradients and statistics.
    assert other_rank["history"] == two["history"]
    assert all(torch.equal(v, other_rank["state_dict"][k]) for k, v in two["state_dict"].items())


@pytest.mark.slow
def test_one_optimiser_step_updates_alike(launched: Loader):
    start = launched("single", "full", 0)  # lr=0: the initial parameters

    def update(result: dict[str, Any]) -> torch.Tensor:
        parts = [result["state_dict"][k] - start["state_dict"][k] for k in result["params"] if k not in BN_CANCELLED]
        parts += [result["loss_state"][k] - start["loss_state"][k] for k in result["loss_state"]]
        return torch.cat([p.double().flatten() for p in parts])

    one, two = update(launched("single", "step", 0)), update(launched("two", "step", 0))
    assert one.norm() > 1e-3  # it moved
    assert ((two - one).norm() / one.norm()).item() < 1e-5


@pytest.mark.slow
def test_neighbour_sampling_is_refused_under_torchrun(launched: Loader):
    assert "error" not in launched("single", "sampled", 0)
    for rank in (0, 1):
        error = launched("two", "sampled", rank)["error"]
        assert error.startswith("num_neighbors (neighbour sampling) trains in one process only") and "\n" not in error


def fake_parallel(world_size: int, rank: int = 0) -> DataParallel:
    return DataParallel(Group(rank=rank, world_size=world_size, local_rank=rank, backend="gloo"),
                        torch.device("cpu"))


def small_model(name: str = "gcn", **options: Any) -> tuple[GraphModel, torch.Tensor, torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(40, 6, generator=gen)
    edges = torch.stack([torch.randint(0, 40, (160,), generator=gen), torch.arange(40).repeat(4)])
    torch.manual_seed(0)
    layer = registry.create("graph_layer", name, {"hidden_dim": 8, **options}, 6, 8)
    return GraphModel(layer, 4, 8).eval(), x, edges, torch.arange(40) % 3


@pytest.mark.parametrize("full_batch", [True, False])
def test_each_rank_computes_its_seeds_exactly_as_the_batch_graph_does(full_batch: bool):
    """GCN (degree normalisation): each rank's subgraph gives its seeds' outputs on the graph
    one process computes on (the whole graph, or the batch's num_hops subgraph U)."""
    model, x, edges, labels = small_model()
    index = InEdgeIndex(edges, 40)
    seeds = None if full_batch else torch.randperm(40, generator=torch.Generator().manual_seed(2))[:13]
    if seeds is None:
        reference, targets = model(x, edges), labels
    else:
        union = in_subgraph(seeds, index, 2)
        reference = model(x[union.nodes], union.edge_index, torch.arange(13))
        targets = labels[seeds]
    parts = [rank_batch(fake_parallel(3, r), model, x, edges, labels, index, seeds) for r in range(3)]
    with torch.no_grad():
        outputs = torch.cat([model(p.x, p.edge_index, p.seeds) for p in parts])
    assert torch.allclose(outputs, reference, atol=1e-6)
    assert torch.equal(torch.cat([p.target for p in parts]), targets)
    assert {p.n_global for p in parts} == {40 if full_batch else 13}


def test_what_one_process_only_can_train_is_refused_in_one_line():
    model, *_ = small_model()
    arcface = registry.create("loss", "arcface", {}, 4, 3)
    check_parallel(fake_parallel(3), model, arcface, 7, 3, None)  # batches 3, 3 (a lone node is dropped)
    refusals = [
        ((fake_parallel(3), model, arcface, 8, 3, None), "3 processes for batches of as few as 2 nodes"),
        ((fake_parallel(2), model, arcface, 40, None, [3, 2]), "num_neighbors (neighbour sampling)"),
        ((fake_parallel(2), model, registry.create("loss", "adacos", {}, 4, 3), 40, None, None),
         "loss AdaCosLoss adapts its scale"),
        ((fake_parallel(2), small_model("gat", heads=2, attention_dropout=0.2)[0], arcface, 40, None, None),
         "graph layer module 'layer.conv1' drops attention weights"),
    ]
    for args, start in refusals:
        with pytest.raises(ConfigError) as caught:
            check_parallel(*args)
        assert str(caught.value).startswith(start) and "\n" not in str(caught.value)
    check_parallel(fake_parallel(2), model, registry.create("loss", "adacos", {"dynamic": False}, 4, 3),
                   40, None, None)
