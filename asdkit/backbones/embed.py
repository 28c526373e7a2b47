"""Clip embeddings on full clips, batched by length.

Clips of equal length ``T`` are stacked into batches of up to ``batch_size``; no
padding, so each clip's embedding is what the backbone gives it alone (eval mode:
BatchNorm uses running statistics, so examples do not interact). Runs under
``torch.no_grad`` on ``device``; results stay there until one transfer to CPU at
the end. The backbone's train/eval mode is restored afterwards. Works with an
:func:`~asdkit.backbones.inference.optimize_for_inference` copy too.

Shapes:
    - **features:** ``N`` arrays ``(n_mels, T_i)``
    - **batch:** ``(b, 1, n_mels, T)`` with ``b <= batch_size``
    - **output:** ``(N, embedding_dim)`` float32 on CPU, in the order of ``features``
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Sequence

import torch
from torch import Tensor, nn

from ..api import as_float_tensor
from ..errors import ConfigError, InputError
from ..progress import Progress, ensure
from ..utils import resolve_device


def group_by_length(clips: Sequence[Tensor], batch_size: int) -> list[list[int]]:
    """Indices of clips in batches of equal ``T``, longest lengths first, input order within."""
    by_length: dict[int, list[int]] = defaultdict(list)
    for i, clip in enumerate(clips):
        by_length[int(clip.shape[-1])].append(i)
    batches = []
    for length in sorted(by_length, reverse=True):
        members = by_length[length]
        batches += [members[i:i + batch_size] for i in range(0, len(members), batch_size)]
    return batches


def _as_clips(features: Sequence[Any]) -> list[Tensor]:
    clips = [as_float_tensor(f, f"clip {i}") for i, f in enumerate(features)]
    for i, c in enumerate(clips):
        if c.dim() != 2 or c.shape[1] == 0:
            raise InputError(f"clip {i}: expected a (n_mels, T) log-mel, got shape {tuple(c.shape)}")
    return clips


def embed_clips(
    backbone: nn.Module,
    features: Sequence[Any],
    *,
    batch_size: int = 32,
    device: str | torch.device = "cpu",
    progress: Progress | None = None,
) -> Tensor:
    """Embedding of every full clip, ``(N, embedding_dim)`` float32 on CPU.

    The backbone is moved to ``device`` (a TorchScript copy must already be there).
    """
    if batch_size < 1:
        raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
    clips = _as_clips(features)
    dev = resolve_device(device)
    # A frozen TorchScript copy has neither a mode nor movable parameters: use it as is.
    scripted = isinstance(backbone, torch.jit.ScriptModule)
    was_training = False if scripted else backbone.training
    if not scripted:
        backbone.to(dev).eval()
    out: Tensor | None = None
    task = ensure(progress).task("embed clips", total=len(clips))
    try:
        with torch.no_grad():
            for batch in group_by_length(clips, batch_size):
                x = torch.stack([clips[i] for i in batch]).unsqueeze(1).to(dev, non_blocking=True)
                emb = backbone(x)
                if out is None:
                    out = torch.empty(len(clips), emb.shape[1], device=emb.device, dtype=torch.float32)
                out[torch.tensor(batch, device=emb.device)] = emb.float()
                task.advance(len(batch))
    finally:
        task.close()
        if not scripted:
            backbone.train(was_training)
    if out is None:
        return torch.empty(0, int(getattr(backbone, "embedding_dim", 0)))
    return out.cpu()
