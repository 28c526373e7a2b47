"""Per-frequency input standardisation stored inside a backbone.

.. math::
    \\tilde{x}_{f,t} = \\frac{x_{f,t} - \\mu_f}{\\sigma_f}

:math:`\\mu_f, \\sigma_f` are the mean and standard deviation of mel band ``f`` over
every frame of every training clip (:func:`frequency_stats`). They live as buffers of
an :class:`InputStandardizer` submodule that the backbone applies first thing in its
``forward``, so training, :func:`~asdkit.backbones.embed.embed_clips`, a saved and
reloaded model, and an optimised copy all see the same input. Before fitting the
buffers are empty and the module is the identity; on ``load_state_dict`` they take
the saved shape, so a fresh backbone built from its options reloads fitted stats of
any number of mel bands.

Shapes:
    - **input:** ``(B, 1, n_mels, T)``
    - **mean, std:** ``(n_mels,)`` once fitted, ``(0,)`` before
    - **output:** same as input
"""
from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import Tensor, nn

from ..api import as_float_tensor
from ..errors import InputError

#: Bands whose spread is below this are (nearly) constant: divide by 1 instead.
MIN_STD = 1e-5


class InputStandardizer(nn.Module):
    """Subtracts a per-band mean and divides by a per-band std; identity until fitted."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(0))
        self.register_buffer("std", torch.ones(0))
        # The buffers' types, for type checkers (in __init__: TorchScript cannot resolve
        # postponed class-level annotations).
        self.mean: Tensor
        self.std: Tensor

    @property
    def is_fitted(self) -> bool:
        return self.mean.numel() > 0

    def set_stats(self, mean: Tensor, std: Tensor) -> None:
        mean, std = mean.detach().reshape(-1).float(), std.detach().reshape(-1).float()
        if mean.shape != std.shape:
            raise InputError(f"standardisation: mean {tuple(mean.shape)} and std {tuple(std.shape)} differ")
        device = self.mean.device
        self.mean = mean.to(device)
        self.std = torch.where(std < MIN_STD, torch.ones_like(std), std).to(device)

    def forward(self, x: Tensor) -> Tensor:
        if self.mean.numel() == 0:
            return x
        if x.shape[-2] != self.mean.shape[0]:
            raise ValueError(
                f"input has {x.shape[-2]} mel bands, the backbone was trained on {self.mean.shape[0]}"
            )
        return (x - self.mean[:, None]) / self.std[:, None]

    def _load_from_state_dict(self, state_dict: dict[str, Any], prefix: str, *args: Any) -> None:
        # Fitted buffers have a data-dependent size: adopt the saved one before copying.
        for name in ("mean", "std"):
            saved = state_dict.get(prefix + name)
            if isinstance(saved, Tensor) and saved.shape != getattr(self, name).shape:
                setattr(self, name, torch.empty_like(saved, device=getattr(self, name).device))
        super()._load_from_state_dict(state_dict, prefix, *args)


def frequency_stats(features: Sequence[Any]) -> tuple[Tensor, Tensor]:
    """Mean and std of every mel band over all frames of all clips (float64 sums).

    Shapes:
        - **features:** ``N`` arrays ``(n_mels, T_i)``
        - **output:** mean ``(n_mels,)``, std ``(n_mels,)`` float32
    """
    shift: Tensor | None = None
    total: Tensor | None = None
    total_sq: Tensor | None = None
    frames = 0
    for clip in features:
        c = as_float_tensor(clip, "features").double()
        # Shift by the first clip's band means: sums of squares stay well conditioned.
        if shift is None or total is None or total_sq is None:  # the first clip (all three set together)
            shift = c.mean(dim=1)
            total, total_sq = torch.zeros_like(shift), torch.zeros_like(shift)
        d = c - shift[:, None]
        total += d.sum(dim=1)
        total_sq += (d * d).sum(dim=1)
        frames += c.shape[1]
    if shift is None or total is None or total_sq is None or frames == 0:
        raise InputError("standardisation: no training frames")
    mean_d = total / frames
    var = (total_sq / frames - mean_d * mean_d).clamp_min(0.0)
    return (mean_d + shift).float(), var.sqrt().float()


def find_standardizer(backbone: nn.Module) -> InputStandardizer | None:
    """The backbone's standardiser, if it has one (third-party backbones may not)."""
    found = getattr(backbone, "standardize", None)
    return found if isinstance(found, InputStandardizer) else None
