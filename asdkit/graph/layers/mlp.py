"""``none``: the graph-free baseline, an MLP as deep as the graph layers.

.. math::
    h = \\mathrm{drop}(\\sigma(W_1 x + b_1 + P_1 x)), \\qquad y = W_2 h + b_2 + P_2 h

The same skeleton as the graph layers (see :mod:`._stack`) with each convolution
replaced by a linear map of the node's own features, so an ablation ``none`` vs
``sage_gat`` changes only whether neighbours are used. ``edge_index`` is ignored.

Shapes:
    - **input:** node features :math:`(N, F_{in})`, edge indices :math:`(2, E)` (ignored)
    - **output:** node features :math:`(N, F_{out})`
"""
from __future__ import annotations

from torch import Tensor, nn

from ._stack import TwoLayerGraph


class _IgnoreEdges(nn.Module):
    def __init__(self, in_dim: int, out_dim: int) -> None:
        super().__init__()
        self.linear = nn.Linear(in_dim, out_dim)

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:  # noqa: ARG002 - the no-graph ablation ignores edges
        return self.linear(x)


class NoGraph(TwoLayerGraph):
    num_hops = 0

    def __init__(self, in_dim: int, out_dim: int, *, hidden_dim: int = 256, dropout: float = 0.1,
                 activation: str = "relu", residual: bool = True) -> None:
        super().__init__(in_dim, out_dim, hidden_dim, dropout, activation, residual)
        self.conv1 = _IgnoreEdges(in_dim, hidden_dim)
        self.conv2 = _IgnoreEdges(hidden_dim, out_dim)
