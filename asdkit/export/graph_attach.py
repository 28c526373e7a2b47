"""Inductive graph refinement of new clips as dense tensor ops (ONNX-exportable).

``asdkit score`` attaches new clip ``i`` to its ``k`` nearest training clips
(:func:`asdkit.graph.build.attach`: edges from them to it, none back) and runs the
two-layer graph network on the union graph (:func:`asdkit.graph.model.refine_inductive`).
Since a new clip sends no edges, every training node's first-layer output ``h_j`` is what
it is on the training graph alone: it is computed once here, at export, and stored. What
is left per clip is dense, with exactly ``k`` neighbours:

1. kNN: :math:`d_j = \\lVert x\\rVert^2 - 2 x^\\top t_j + \\lVert t_j\\rVert^2` against the
   stored training embeddings (one matmul), then ``TopK(k, smallest)`` (the brute/flat
   search of the kNN backends; exact);
2. first layer at the clip: :math:`h = \\sigma(f_1(x, \\{t_j\\}) + P_1 x)`;
3. second layer at the clip: :math:`y = f_2(h, \\{h_j\\}) + P_2 h`;
4. the projection head.

``f`` is the layer's convolution applied to one target node and its ``k`` sources
(self-loop added where the PyG layer adds one):

- SAGE: :math:`W_l\\,\\mathrm{aggr}_j x_j + b + W_r x` (mean, max or sum);
- GAT: :math:`\\alpha_j = \\mathrm{softmax}_{j \\in N \\cup \\{i\\}} \\mathrm{LeakyReLU}
  (a_s^\\top \\Theta x_j + a_d^\\top \\Theta x_i)` per head, :math:`\\sum_j \\alpha_j \\Theta x_j`,
  heads concatenated or averaged, plus bias;
- GCN: :math:`\\Theta^\\top (x_i / \\hat d_i + \\sum_j x_j / \\sqrt{\\hat d_j \\hat d_i}) + b`
  with :math:`\\hat d = 1 + ` in-degree (the training nodes' from the training graph,
  :math:`\\hat d_i = k + 1`);
- ``none``: a linear map of the node alone (no kNN at all).

Shapes:
    - **input:** ``(B, D)`` unit embeddings
    - **output:** ``(B, head_dim)`` unit vectors
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import ModelError

if TYPE_CHECKING:
    from ..graph.model import GraphModel

SUPPORTED_LAYERS = ("sage", "gat", "sage_gat", "gcn", "none")


class DenseSage(nn.Module):
    """PyG ``SAGEConv`` at one target node with ``k`` sources."""

    def __init__(self, conv: Any) -> None:  # a PyG convolution (untyped)
        super().__init__()
        aggr = conv.aggr if isinstance(conv.aggr, str) else None
        if aggr not in ("mean", "max", "sum") or conv.project or conv.normalize:
            raise ModelError(f"graph layer: SAGEConv with aggr={conv.aggr}, project={conv.project}, "
                             f"normalize={conv.normalize} cannot be exported")
        self.aggr = aggr
        self.lin_l = conv.lin_l
        self.lin_r = conv.lin_r if conv.root_weight else None

    def forward(self, x: Tensor, nbr: Tensor, nbr_deg: Tensor) -> Tensor:  # noqa: ARG002 - GCN's input
        if self.aggr == "mean":
            pooled = nbr.mean(dim=1)
        elif self.aggr == "max":
            pooled = nbr.max(dim=1).values
        else:
            pooled = nbr.sum(dim=1)
        out = self.lin_l(pooled)
        return out if self.lin_r is None else out + self.lin_r(x)


class DenseGat(nn.Module):
    """PyG ``GATConv`` (self-loops added) at one target node with ``k`` sources."""

    def __init__(self, conv: Any) -> None:  # a PyG convolution (untyped)
        super().__init__()
        if not conv.add_self_loops or conv.edge_dim is not None:
            raise ModelError("graph layer: GATConv without self-loops or with edge features cannot be exported")
        self.heads, self.channels, self.concat = int(conv.heads), int(conv.out_channels), bool(conv.concat)
        self.negative_slope = float(conv.negative_slope)
        shared = conv.lin is not None
        self.lin_src = conv.lin if shared else conv.lin_src
        self.lin_dst = conv.lin if shared else conv.lin_dst
        self.att_src, self.att_dst = conv.att_src, conv.att_dst  # (1, H, C)
        self.res = conv.res
        self.bias = conv.bias

    def forward(self, x: Tensor, nbr: Tensor, nbr_deg: Tensor) -> Tensor:  # noqa: ARG002 - GCN's input
        b, k = nbr.shape[0], nbr.shape[1]
        h, c = self.heads, self.channels
        own_src = self.lin_src(x).reshape(b, 1, h, c)
        own_dst = self.lin_dst(x).reshape(b, 1, h, c)
        # Sources: the k neighbours, then the self-loop (the node as its own source).
        sources = torch.cat([self.lin_src(nbr).reshape(b, k, h, c), own_src], dim=1)  # (B, k+1, H, C)
        logits = (sources * self.att_src).sum(-1) + (own_dst * self.att_dst).sum(-1)  # (B, k+1, H)
        alpha = torch.softmax(F.leaky_relu(logits, self.negative_slope), dim=1)
        out = (alpha.unsqueeze(-1) * sources).sum(dim=1)  # (B, H, C)
        out = out.reshape(b, h * c) if self.concat else out.mean(dim=1)
        if self.res is not None:
            out = out + self.res(x)
        return out if self.bias is None else out + self.bias


class DenseGcn(nn.Module):
    """PyG ``GCNConv`` (self-loops, symmetric normalisation) at one target node with ``k`` sources."""

    def __init__(self, conv: Any, k: int) -> None:  # a PyG GCNConv (untyped)
        super().__init__()
        if not conv.normalize or not conv.add_self_loops:
            raise ModelError("graph layer: GCNConv without normalisation or self-loops cannot be exported")
        self.fill = 2.0 if conv.improved else 1.0
        self.own_deg = float(k) + self.fill
        self.lin = conv.lin
        self.bias = conv.bias

    def forward(self, x: Tensor, nbr: Tensor, nbr_deg: Tensor) -> Tensor:
        own = self.lin(x) * (self.fill / self.own_deg)
        weights = torch.rsqrt((nbr_deg + self.fill) * self.own_deg).unsqueeze(-1)  # (B, k, 1)
        out = own + (self.lin(nbr) * weights).sum(dim=1)
        return out if self.bias is None else out + self.bias


class DenseSelf(nn.Module):
    """The ``none`` layer's convolution: a linear map of the node's own features."""

    def __init__(self, conv: Any) -> None:  # a PyG convolution (untyped)
        super().__init__()
        self.linear = conv.linear

    def forward(self, x: Tensor, nbr: Tensor, nbr_deg: Tensor) -> Tensor:  # noqa: ARG002 - same call as the others
        return self.linear(x)


def dense_conv(conv: Any, k: int, layer_name: str) -> nn.Module:
    """The dense equivalent of a graph layer's convolution; :class:`ModelError` when unknown."""
    from torch_geometric.nn import GATConv, GCNConv, SAGEConv

    from ..graph.layers.mlp import _IgnoreEdges

    if isinstance(conv, SAGEConv):
        return DenseSage(conv)
    if isinstance(conv, GATConv):
        return DenseGat(conv)
    if isinstance(conv, GCNConv):
        return DenseGcn(conv, k)
    if isinstance(conv, _IgnoreEdges):
        return DenseSelf(conv)
    raise ModelError(f"graph layer '{layer_name}' cannot be exported to ONNX: its convolution "
                     f"{type(conv).__name__} is not one of {', '.join(SUPPORTED_LAYERS)}")


class AttachedGraph(nn.Module):
    """Unit embeddings of new clips -> refined unit vectors, on the stored training graph.

    Args:
        graph_model: the fitted :class:`~asdkit.graph.model.GraphModel` (eval mode).
        train_x: ``(N, D)`` training embeddings (unit rows), as in the bundle.
        train_edge_index: ``(2, E)`` training graph (``edge_index[1]`` receives).
        k: neighbours each new clip is attached to.
        layer_name: the graph layer's registered name, for error messages.
    """

    def __init__(self, graph_model: GraphModel, train_x: Tensor, train_edge_index: Tensor, k: int,
                 layer_name: str) -> None:
        super().__init__()
        from ..graph.layers._stack import TwoLayerGraph

        layer = graph_model.layer
        if not isinstance(layer, TwoLayerGraph):
            raise ModelError(f"graph layer '{layer_name}' cannot be exported to ONNX "
                             f"(supported: {', '.join(SUPPORTED_LAYERS)})")
        self.conv1, self.conv2 = dense_conv(layer.conv1, k, layer_name), dense_conv(layer.conv2, k, layer_name)
        self.skip1, self.skip2, self.activation = layer.skip1, layer.skip2, layer.activation
        self.head = graph_model.head
        self.uses_neighbours = (layer.num_hops or 0) > 0
        self.k = int(k)
        train_x = train_x.detach().float().cpu()
        n = train_x.shape[0]
        if self.uses_neighbours and not 1 <= self.k <= n:
            raise ModelError(f"graph attach: k={k} neighbours but {n} training clips")
        self.register_buffer("train_x", train_x.contiguous())
        self.register_buffer("train_sq", train_x.square().sum(1))
        self.register_buffer("train_h", first_layer_outputs(layer, train_x, train_edge_index))
        in_deg = torch.bincount(train_edge_index[1].cpu().long(), minlength=n).float()
        self.register_buffer("train_deg", in_deg)
        self.train_x: Tensor
        self.train_sq: Tensor
        self.train_h: Tensor
        self.train_deg: Tensor

    def neighbours(self, x: Tensor) -> Tensor:
        """``(B, k)`` indices of the nearest training clips (squared L2, as the kNN backends)."""
        dist = x.square().sum(1, keepdim=True) - 2.0 * x @ self.train_x.T + self.train_sq
        return torch.topk(dist, self.k, dim=1, largest=False, sorted=True).indices

    def forward(self, x: Tensor) -> Tensor:
        if self.uses_neighbours:
            idx = self.neighbours(x)
            x_nbr, h_nbr, deg_nbr = self.train_x[idx], self.train_h[idx], self.train_deg[idx]
        else:  # the graph-free layer: nothing to gather
            x_nbr = h_nbr = x.unsqueeze(1)
            deg_nbr = x.new_zeros(x.shape[0], 1)
        h = self.conv1(x, x_nbr, deg_nbr)
        if self.skip1 is not None:
            h = h + self.skip1(x)
        h = self.activation(h)  # dropout: identity in eval mode
        out = self.conv2(h, h_nbr, deg_nbr)
        if self.skip2 is not None:
            out = out + self.skip2(h)
        return self.head(out)


@torch.no_grad()
def first_layer_outputs(layer: Any, x: Tensor, edge_index: Tensor) -> Tensor:  # a TwoLayerGraph
    """``(N, hidden)``: the first layer's activations of every training node on the
    training graph (what a new clip's second layer gathers from its neighbours)."""
    device = next(layer.parameters()).device
    x, edge_index = x.to(device), edge_index.to(device)
    h = layer.conv1(x, edge_index)
    if layer.skip1 is not None:
        h = h + layer.skip1(x)
    return layer.activation(h).detach().float().cpu().contiguous()
