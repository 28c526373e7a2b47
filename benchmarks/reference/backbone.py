"""The backbone as research code runs it: the eager module, one clip per forward.

The module is asdkit's own class (``asdkit.backbones.mobilenetv2``) with the bundle's
weights, but none of asdkit's inference work: no BatchNorm folding, no channels-last,
no TorchScript, no batching.
"""
from __future__ import annotations

from typing import Any, Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def plain_backbone(spec: Mapping[str, Any], tensors: Mapping[str, Tensor],
                   device: torch.device | str = "cpu") -> nn.Module:
    """The bundle's backbone as a plain eager module in eval mode on ``device``."""
    from asdkit.formats.bundle_schema import Component
    from asdkit.pipeline.model import build_backbone

    return build_backbone(Component(spec["name"], dict(spec["options"])), dict(tensors)).to(device).eval()


@torch.no_grad()
def embed_clip(backbone: nn.Module, logmel: Tensor, unit: bool = True) -> Tensor:
    """Embedding ``(D,)`` of one log-mel ``(n_mels, T)`` (batch of one), unit norm
    unless ``unit=False``."""
    device = next(backbone.parameters()).device
    x = logmel.to(device)[None, None]  # (1, 1, n_mels, T)
    emb = backbone(x)
    return (F.normalize(emb, dim=1) if unit else emb)[0]
