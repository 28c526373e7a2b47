"""train_backbone with bfloat16 autocast and channels-last tensors (the GPU options),
checked on the CPU: channels-last is float32 arithmetic in another memory order, bf16
still learns, and both hand back float32 weights in torch's default layout."""
from __future__ import annotations

import pytest
import torch

from asdkit import registry
from asdkit.backbones.embed import embed_clips
from asdkit.backbones.train import train_backbone
from asdkit.errors import ConfigError
from asdkit.pipeline.settings import ExtractSettings

from tests.backbones.backbone_helpers import synthetic_logmels


def _train(epochs: int, lr: float = 3e-3, **options):
    feats, labels = synthetic_logmels(n_mels=64, frames=96)
    torch.manual_seed(0)
    model = registry.create("backbone", "mobilenetv2", {"width_mult": 0.25, "embedding_dim": 32})
    history = train_backbone(model, feats, labels, epochs=epochs, batch_size=14, lr=lr, crop_frames=96, seed=0,
                             **options)
    return model, history, feats, labels


def _float32_default_layout(model: torch.nn.Module) -> bool:
    tensors = [t for t in model.state_dict().values() if t.is_floating_point()]
    return all(t.dtype == torch.float32 and t.is_contiguous() for t in tensors)


def test_channels_last_is_float32_in_another_memory_order():
    # At a learning rate too small to move float32 weights: the steps' arithmetic is
    # compared without the chaos of training (other conv kernels round otherwise).
    _, reference, _, _ = _train(2, lr=1e-12)
    model, history, _, _ = _train(2, lr=1e-12, channels_last=True)
    assert _float32_default_layout(model)
    for a, b in zip(reference, history):
        assert b["loss"] == pytest.approx(a["loss"], rel=1e-4) and b["acc"] == a["acc"]


def test_bf16_autocast_learns_three_machine_types():
    model, history, feats, labels = _train(12, precision="bf16", channels_last=True)
    assert _float32_default_layout(model)
    assert history[-1]["acc"] >= 0.85 and history[-1]["loss"] < history[0]["loss"]
    emb, y = embed_clips(model, feats), torch.as_tensor(labels)
    centres = torch.stack([emb[y == c].mean(0) for c in range(3)])
    assert (torch.cdist(emb, centres).argmin(1) == y).float().mean() >= 0.85


def test_unknown_precision_is_one_line():
    with pytest.raises(ConfigError, match="--precision must be one of fp32, bf16, got 'fp16'"):
        ExtractSettings(precision="fp16")
