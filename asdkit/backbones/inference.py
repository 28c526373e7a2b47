"""A faster, numerically equivalent copy of a backbone for inference.

Three steps, each exact up to float rounding:

1. **BatchNorm folding.** In eval mode ``BN(W x + b) = W' x + b'`` with
   :math:`W' = \\gamma W / \\sqrt{\\sigma^2 + \\epsilon}` and
   :math:`b' = \\gamma (b - \\mu) / \\sqrt{\\sigma^2 + \\epsilon} + \\beta`; every
   ``Conv2d -> BatchNorm2d`` and ``Linear -> BatchNorm1d`` pair inside an
   ``nn.Sequential`` becomes one layer (the BN slot becomes ``nn.Identity``).
2. **channels_last** memory format, which oneDNN's depthwise and 1x1 convolutions
   run markedly faster on CPU.
3. **TorchScript, frozen and optimised** (``torch.jit.freeze`` +
   ``torch.jit.optimize_for_inference``): parameters become constants, Python
   overhead goes, and on CPU convolutions run on oneDNN's blocked layout. Backbones
   that cannot be scripted (some third-party ones) keep the eager copy.

The original model is not modified. Move the model to its device *before* calling:
a frozen module's constants do not follow a later ``.to(device)``.

Shapes:
    - same as the backbone: ``(B, 1, n_mels, T)`` -> ``(B, embedding_dim)``
"""
from __future__ import annotations

import copy
import warnings

import torch
from torch import Tensor, nn
from torch.nn.utils.fusion import fuse_conv_bn_eval, fuse_linear_bn_eval


def _fused(layer: nn.Module, norm: nn.Module) -> nn.Module | None:
    """``layer`` with the BatchNorm ``norm`` right after it folded in; None where they do not pair."""
    if isinstance(layer, nn.Conv2d) and type(norm) is nn.BatchNorm2d:
        if norm.track_running_stats and layer.out_channels == norm.num_features:
            return fuse_conv_bn_eval(layer, norm)
    elif isinstance(layer, nn.Linear) and type(norm) is nn.BatchNorm1d:
        if norm.track_running_stats and layer.out_features == norm.num_features:
            return fuse_linear_bn_eval(layer, norm)
    return None


def fuse_batchnorm(model: nn.Module) -> nn.Module:
    """Fold each eval-mode BatchNorm into the conv/linear right before it, in place."""
    for seq in [m for m in model.modules() if isinstance(m, nn.Sequential)]:
        for i in range(len(seq) - 1):
            fused = _fused(seq[i], seq[i + 1])
            if fused is None:
                continue
            seq[i] = fused
            seq[i + 1] = nn.Identity()
    return model


class ChannelsLast(nn.Module):
    """Feeds the wrapped model channels_last input (weights converted alongside)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.embedding_dim = int(getattr(model, "embedding_dim", 0))

    def forward(self, x: Tensor) -> Tensor:
        return self.model(x.contiguous(memory_format=torch.channels_last))


def _script_and_freeze(model: nn.Module) -> nn.Module | None:
    try:
        with warnings.catch_warnings():
            # TorchScript announces its deprecation; the frozen module is still the fastest CPU path.
            warnings.simplefilter("ignore")
            frozen = torch.jit.freeze(torch.jit.script(model.eval()), preserved_attrs=["embedding_dim"])
            # On CPU this also converts convolutions to oneDNN's blocked layout (~1.5x).
            return torch.jit.optimize_for_inference(frozen)
    except Exception:  # scripting is best effort: unsupported Python constructs
        return None


def optimize_for_inference(model: nn.Module, *, script: bool = True) -> nn.Module:
    """Eval-mode copy of ``model`` with BatchNorm folded, channels_last, scripted and frozen.

    The result has the same ``forward`` (and ``embedding_dim``); outputs match the
    original in eval mode to about 1e-5. It is for inference only: no training, no
    ``load_state_dict``.
    """
    fast = fuse_batchnorm(copy.deepcopy(model).eval())
    # Module.to accepts memory_format at runtime; torch's overload stubs omit it.
    fast = ChannelsLast(fast.to(memory_format=torch.channels_last)).eval()  # type: ignore[call-overload]
    if script:
        scripted = _script_and_freeze(fast)
        if scripted is not None:
            return scripted
    return fast
