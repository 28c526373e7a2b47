"""The two-layer skeleton the built-in graph layers share.

.. math::
    h = \\mathrm{drop}(\\sigma(f_1(x, \\mathcal{E}) + P_1 x)), \\qquad
    y = f_2(h, \\mathcal{E}) + P_2 h

with :math:`f_1, f_2` the layer's convolutions, :math:`\\sigma` the activation and
:math:`P_i` the residual connections: identity when the sizes match, a bias-free
linear projection otherwise, absent with ``residual=False``. The output is left
linear: the projection head that follows starts with a linear layer.
"""
from __future__ import annotations

from torch import Tensor, nn

from ...api import GraphLayer

ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "elu": nn.ELU, "leaky_relu": nn.LeakyReLU,
               "silu": nn.SiLU, "tanh": nn.Tanh}


def make_activation(name: str) -> nn.Module:
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]()


def make_skip(in_dim: int, out_dim: int, residual: bool) -> nn.Module | None:
    if not residual:
        return None
    return nn.Identity() if in_dim == out_dim else nn.Linear(in_dim, out_dim, bias=False)


class TwoLayerGraph(GraphLayer):
    """Subclasses call this constructor, then set ``conv1`` (in -> hidden) and
    ``conv2`` (hidden -> out), both called as ``conv(x, edge_index)``."""

    num_hops: int = 2

    def __init__(self, in_dim: int, out_dim: int, hidden_dim: int, dropout: float,
                 activation: str, residual: bool) -> None:
        super().__init__()
        if min(in_dim, out_dim, hidden_dim) < 1:
            raise ValueError("in_dim, out_dim and hidden_dim must be >= 1")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.in_dim, self.out_dim, self.hidden_dim = int(in_dim), int(out_dim), int(hidden_dim)
        self.activation = make_activation(activation)
        self.dropout = nn.Dropout(dropout)
        self.skip1 = make_skip(in_dim, hidden_dim, residual)
        self.skip2 = make_skip(hidden_dim, out_dim, residual)
        # Set by the subclass. Declared here, not in the class body: TorchScript cannot
        # resolve the postponed (string) annotation of a class attribute.
        self.conv1: nn.Module
        self.conv2: nn.Module

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        h = self.conv1(x, edge_index)
        if self.skip1 is not None:
            h = h + self.skip1(x)
        h = self.dropout(self.activation(h))
        out = self.conv2(h, edge_index)
        if self.skip2 is not None:
            out = out + self.skip2(h)
        return out
