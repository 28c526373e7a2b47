r"""Dropout whose mask is the one a single process draws for the whole global batch.

One process training on a batch of ``B`` rows draws one ``(B, *)`` Bernoulli mask per
dropout layer from torch's generator. A rank that holds rows ``rows`` of that batch
draws the same ``(B, *)`` mask (every rank's generator is seeded alike and advances
alike) and keeps its rows:

.. math::
    m \sim \mathrm{Bernoulli}(1 - p)^{B \times \dots}, \qquad
    y = x \odot \frac{m_{\mathrm{rows}}}{1 - p}

so N processes apply exactly the masks one process applies. This matches
:class:`torch.nn.Dropout` on the CPU, whose mask is ``bernoulli_(1 - p)`` of the
input's shape (tested); CUDA's fused dropout draws differently, so there the masks,
and only they, differ from a single process.

``rows`` and ``B`` are set before each forward with :func:`set_dropout_rows`; without
them (or in eval mode) the layer is :class:`torch.nn.Dropout`. For graph layers ``B`` is
the number of nodes one process computes on and ``rows`` the rank's nodes among them.

Shapes:
    - **input:** ``(len(rows), *)``
    - **output:** same as input
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class GlobalDropout(nn.Dropout):
    """:class:`torch.nn.Dropout` drawing the global batch's mask and keeping its rows."""

    rows: Tensor | None = None
    global_rows: int = 0

    def forward(self, input: Tensor) -> Tensor:
        if not self.training or self.p == 0.0 or self.rows is None:
            return F.dropout(input, self.p, self.training, self.inplace)
        if self.rows.numel() != input.shape[0]:
            raise RuntimeError(f"GlobalDropout: {self.rows.numel()} rows set for an input of {input.shape[0]}")
        mask = torch.empty((self.global_rows, *input.shape[1:]), dtype=input.dtype, device=input.device)
        mask.bernoulli_(1.0 - self.p)
        return input * mask[self.rows.to(input.device)].div_(1.0 - self.p)


def set_dropout_rows(module: nn.Module, rows: Tensor | None, global_rows: int) -> None:
    """Tell every :class:`GlobalDropout` of ``module`` which rows of a ``global_rows``
    batch its next input holds (``None``: behave as plain dropout)."""
    for m in module.modules():
        if isinstance(m, GlobalDropout):
            m.rows, m.global_rows = rows, int(global_rows)


def _swap(module: nn.Module, target: type[nn.Dropout]) -> nn.Module:
    for name, child in module.named_children():
        setattr(module, name, _swap(child, target))
    if type(module) not in (nn.Dropout, GlobalDropout) or type(module) is target:
        return module
    swapped = target.__new__(target)
    swapped.__dict__ = module.__dict__
    swapped.__dict__.pop("rows", None)
    swapped.__dict__.pop("global_rows", None)
    return swapped


def to_global_dropout(module: nn.Module) -> nn.Module:
    """Every :class:`torch.nn.Dropout` of ``module`` as a :class:`GlobalDropout`."""
    return _swap(module, GlobalDropout)


def to_plain_dropout(module: nn.Module) -> nn.Module:
    """Undo :func:`to_global_dropout`."""
    return _swap(module, nn.Dropout)
