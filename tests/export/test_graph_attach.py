"""The dense graph attach equals asdkit's inductive refinement, for every built-in layer,
in torch and once exported to ONNX."""
from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from asdkit import registry
from asdkit.errors import ModelError
from asdkit.export.graph_attach import AttachedGraph
from asdkit.graph.build import knn_graph
from asdkit.graph.model import GraphModel, refine_inductive

LAYERS = [("sage", {}), ("sage", {"aggr": "max"}), ("sage", {"aggr": "sum"}), ("gat", {"heads": 2}),
          ("sage_gat", {"heads": 3}), ("gcn", {}), ("none", {})]
K = 4


def _setup(name: str, options: dict, seed: int = 0) -> tuple[GraphModel, torch.Tensor, torch.Tensor, torch.Tensor]:
    torch.manual_seed(seed)
    layer = registry.create("graph_layer", name, {"hidden_dim": 24, **options}, 16, 12)
    model = GraphModel(layer, head_dim=8, head_hidden_dim=20).eval()
    with torch.no_grad():  # non-trivial BatchNorm statistics in the head
        bn = model.head.net[1]
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
    train_x = F.normalize(torch.randn(40, 16), dim=1)
    new_x = F.normalize(torch.randn(7, 16), dim=1)
    return model, train_x, knn_graph(train_x, K, backend="brute"), new_x


def _expected(model: GraphModel, train_x: torch.Tensor, edge_index: torch.Tensor, new_x: torch.Tensor) -> torch.Tensor:
    backend = registry.create("knn", "brute", {})
    backend.build(train_x)
    return refine_inductive(model, train_x, edge_index, new_x, backend, K)


@pytest.mark.parametrize(("name", "options"), LAYERS, ids=[f"{n}-{o}" for n, o in LAYERS])
def test_dense_attach_equals_inductive_refinement(name: str, options: dict) -> None:
    model, train_x, edge_index, new_x = _setup(name, options)
    attach = AttachedGraph(model, train_x, edge_index, K, name).eval()
    with torch.no_grad():
        got = attach(new_x)
    torch.testing.assert_close(got, _expected(model, train_x, edge_index, new_x), rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize(("name", "options"), LAYERS, ids=[f"{n}-{o}" for n, o in LAYERS])
def test_dense_attach_runs_in_onnxruntime(name: str, options: dict) -> None:
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    model, train_x, edge_index, new_x = _setup(name, options, seed=1)
    attach = AttachedGraph(model, train_x, edge_index, K, name).eval()
    buffer = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the exporter's own deprecation notices
        torch.onnx.export(attach, (new_x[:2],), buffer, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}}, opset_version=17, dynamo=False)
    sess = ort.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"x": new_x.numpy()})[0]  # another batch size than traced
    np.testing.assert_allclose(got, _expected(model, train_x, edge_index, new_x).numpy(), rtol=1e-4, atol=1e-5)


def test_a_layer_of_unknown_structure_is_refused() -> None:
    model, train_x, edge_index, _ = _setup("sage", {})
    model.layer = torch.nn.Identity()  # e.g. a plugin layer that is not a two-layer stack
    with pytest.raises(ModelError, match="graph layer 'plugin_layer' cannot be exported to ONNX"):
        AttachedGraph(model, train_x, edge_index, K, "plugin_layer")
