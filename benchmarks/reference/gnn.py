"""The graph network full-batch: whole union graph in, every node out.

The network is asdkit's ``GraphModel`` (PyG ``SAGEConv``/``GATConv`` layers and the
projection head) rebuilt from the bundle, run the way the PyG tutorials run a GNN:
one forward over all nodes (training clips and new clips together), no subgraphs.
Training is one plain full-batch step per epoch under an ArcFace loss written out here.
"""
from __future__ import annotations

from typing import Any, Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def graph_network(spec: Mapping[str, Any], tensors: Mapping[str, Tensor],
                  device: torch.device | str = "cpu") -> nn.Module:
    """The bundle's graph network + head in eval mode on ``device``."""
    from asdkit.pipeline.model import build_graph_model

    from asdkit.formats.bundle_schema import GraphSpec

    return build_graph_model(GraphSpec(**dict(spec)), dict(tensors)).to(device).eval()


@torch.no_grad()
def full_batch(model: nn.Module, x: Tensor, edge_index: Tensor) -> Tensor:
    """Outputs of every node of the graph, ``(N, D')``."""
    model.eval()
    return model(x, edge_index)


def arcface_loss(emb: Tensor, labels: Tensor, centres: Tensor, margin: float, scale: float) -> Tensor:
    """ArcFace (Deng et al. 2019): the angle to the true class centre grows by ``margin``."""
    cosine = F.linear(F.normalize(emb, dim=1), F.normalize(centres, dim=1)).clamp(-1 + 1e-7, 1 - 1e-7)
    with_margin = torch.cos(torch.acos(cosine) + margin)
    is_true = F.one_hot(labels, centres.shape[0]).bool()
    return F.cross_entropy(scale * torch.where(is_true, with_margin, cosine), labels)


class FullBatchTrainer:
    """One optimiser step per epoch on the whole graph (the plain PyG training loop)."""

    def __init__(self, model: nn.Module, n_classes: int, *, lr: float = 1e-3, margin: float = 0.5,
                 scale: float = 30.0) -> None:
        device = next(model.parameters()).device
        self.model, self.margin, self.scale = model, float(margin), float(scale)
        self.centres = nn.Parameter(torch.randn(n_classes, model.head_dim, device=device) * 0.01)
        self.optimiser = torch.optim.AdamW(list(model.parameters()) + [self.centres], lr=lr)

    def epoch(self, x: Tensor, edge_index: Tensor, labels: Tensor) -> float:
        """One epoch (= one step); returns the loss."""
        self.model.train()
        loss = arcface_loss(self.model(x, edge_index), labels, self.centres, self.margin, self.scale)
        self.optimiser.zero_grad()
        loss.backward()
        self.optimiser.step()
        return float(loss.detach())
