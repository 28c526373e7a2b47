r"""BatchNorm over the global batch of a data-parallel step, on any device.

In training mode a BatchNorm normalises with the statistics of its batch. When N ranks
each hold a slice of the global batch, plain BatchNorm would use the slice's
statistics and N processes would train another model than one process. torch's
:class:`torch.nn.SyncBatchNorm` fixes that on CUDA only (its kernels,
``batch_norm_stats`` and friends, have no CPU implementation), so on CPU/gloo this layer
computes the same statistics (in float64) with one differentiable all-reduce
(``torch.distributed.all_reduce`` in an autograd function whose backward all-reduces
the gradients, as SyncBatchNorm's does):

.. math::
    n = \sum_r n_r, \qquad \mu = \frac{1}{n} \sum_r \sum_{i \in r} x_i, \qquad
    \sigma^2 = \frac{1}{n} \sum_r \sum_{i \in r} x_i^2 - \mu^2, \qquad
    y = \gamma \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta

with sums over the batch and every non-channel dimension. Running statistics are
updated as BatchNorm updates them (momentum, or the cumulative average with
``momentum=None``; the unbiased variance :math:`\sigma^2 n / (n - 1)`), so that they
are identical on every rank. In eval mode it is plain BatchNorm. Outside a process
group (one process) the sums are local and the layer equals BatchNorm.

:func:`to_global_batchnorm` swaps every BatchNorm of a module for this layer (or for
SyncBatchNorm on CUDA) sharing the same parameters and buffers; :func:`to_plain_batchnorm`
swaps them back, so that the saved state dict is the one a single process saves.

Shapes:
    - **input:** ``(B_r, C)`` or ``(B_r, C, *)``, ``B_r`` may be 0 on some ranks
    - **output:** same as input
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

_BN = nn.modules.batchnorm._BatchNorm


class _SumOverRanks(torch.autograd.Function):
    """All-reduce (sum) whose gradient is the all-reduced (summed) incoming gradient:
    rank r's statistics feed every rank's loss."""

    @staticmethod
    def forward(ctx: Any, value: Tensor) -> Tensor:  # noqa: ARG004 - autograd's signature
        import torch.distributed as dist

        total = value.clone()
        dist.all_reduce(total)
        return total

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # noqa: ARG004
        import torch.distributed as dist

        total = grad.contiguous().clone()
        dist.all_reduce(total)
        return total


def _sum_over_ranks(value: Tensor) -> Tensor:
    import torch.distributed as dist

    if not dist.is_available() or not dist.is_initialized() or dist.get_world_size() == 1:
        return value
    return _SumOverRanks.apply(value)


class GlobalBatchNorm(_BN):
    """BatchNorm (1d, 2d or 3d) whose training statistics cover every rank's slice."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input, got {input.dim()}D")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else float(self.momentum)
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            factor = 1.0 / float(self.num_batches_tracked) if self.momentum is None else factor
        if not self.training and self.running_mean is not None:
            return F.batch_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                                False, 0.0, self.eps)
        dims = [0, *range(2, input.dim())]
        shape = [1, -1] + [1] * (input.dim() - 2)
        # Statistics in float64, as torch's CPU BatchNorm accumulates them, and in one
        # all-reduce (sum, sum of squares, count): in float64 the one-pass variance loses
        # nothing that float32 keeps, and each collective costs a round trip.
        wide = input.double()
        count = torch.tensor([input.numel() // input.shape[1]], dtype=torch.float64, device=input.device)
        totals = _sum_over_ranks(torch.cat([wide.sum(dims), (wide * wide).sum(dims), count]))
        channels = input.shape[1]
        n = totals[-1].detach()
        mean = totals[:channels] / n
        var = (totals[channels:2 * channels] / n - mean * mean).clamp(min=0.0)
        # The affine form torch's CPU kernel applies: y = x * alpha + beta, alpha and beta
        # in float32 from the float32-rounded mean and inverse std.
        mean32, invstd32 = mean.to(input.dtype), torch.rsqrt(var + self.eps).to(input.dtype)
        alpha = invstd32 if self.weight is None else invstd32 * self.weight
        beta = -mean32 * alpha if self.bias is None else self.bias - mean32 * alpha
        out = input * alpha.view(shape) + beta.view(shape)
        if self.training and self.track_running_stats and self.running_mean is not None \
                and self.running_var is not None:
            with torch.no_grad():
                unbiased = var.detach() * (n / (n - 1).clamp(min=1))
                self.running_mean.mul_(1 - factor).add_(mean.detach().to(self.running_mean.dtype), alpha=factor)
                self.running_var.mul_(1 - factor).add_(unbiased.to(self.running_var.dtype), alpha=factor)
        return out


def _swap(module: nn.Module, convert: type[_BN] | None) -> nn.Module:
    """``module`` with every BatchNorm replaced by ``convert`` (None: by the plain
    BatchNorm of its dimension), parameters and buffers shared, mode kept."""
    for name, child in module.named_children():
        setattr(module, name, _swap(child, convert))
    if not isinstance(module, _BN) or (convert is not None and type(module) is convert):
        return module
    if convert is None and type(module) in (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d):
        return module
    target = convert or _plain_type(module)
    swapped = target.__new__(target)
    swapped.__dict__ = module.__dict__  # the same Parameters, buffers and hooks
    if convert is None:
        swapped.__dict__.pop("_asdkit_dims", None)
    if isinstance(swapped, nn.SyncBatchNorm):
        swapped.process_group = None
    return swapped


def _plain_type(module: _BN) -> type[_BN]:
    dims = getattr(module, "_asdkit_dims", None)
    return {1: nn.BatchNorm1d, 2: nn.BatchNorm2d, 3: nn.BatchNorm3d}[dims or 2]


def _mark_dims(module: nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, _BN) and not hasattr(m, "_asdkit_dims"):
            m.__dict__["_asdkit_dims"] = {nn.BatchNorm1d: 1, nn.BatchNorm2d: 2, nn.BatchNorm3d: 3}.get(type(m), 2)


def to_global_batchnorm(module: nn.Module, device: torch.device) -> nn.Module:
    """Every BatchNorm of ``module`` (in place where possible) as a global-batch one:
    :class:`torch.nn.SyncBatchNorm` on CUDA, :class:`GlobalBatchNorm` elsewhere."""
    _mark_dims(module)
    return _swap(module, nn.SyncBatchNorm if device.type == "cuda" else GlobalBatchNorm)


def to_plain_batchnorm(module: nn.Module) -> nn.Module:
    """Undo :func:`to_global_batchnorm`: plain BatchNorm1d/2d/3d, same tensors."""
    return _swap(module, None)
