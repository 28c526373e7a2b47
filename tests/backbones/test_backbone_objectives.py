"""Metadata-free objectives: statistics exchange, feature exchange, mixup targets."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from asdkit import registry
from asdkit.backbones.objectives import ClassifierObjective, _partners, exchange_statistics, resolve_objective
from asdkit.backbones.train import train_backbone
from asdkit.errors import ConfigError


def test_partners_never_pair_a_crop_with_itself():
    rng = np.random.default_rng(0)
    for n in (2, 3, 7, 32):
        for _ in range(20):
            p = _partners(n, rng).numpy()
            assert sorted(p.tolist()) == list(range(n)) and (p != np.arange(n)).all()


def test_exchange_gives_partner_band_statistics():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(4, 1, 8, 30, generator=gen) * torch.arange(1, 9).view(1, 1, 8, 1) + 5
    partner = torch.tensor([1, 2, 3, 0])
    y = exchange_statistics(x, partner)
    torch.testing.assert_close(y.mean(-1), x[partner].mean(-1), atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(y.std(-1), x[partner].std(-1), atol=1e-3, rtol=1e-3)
    # The temporal pattern is the crop's own: standardised, they agree.
    standard = lambda t: (t - t.mean(-1, keepdim=True)) / t.std(-1, keepdim=True)  # noqa: E731
    torch.testing.assert_close(standard(y), standard(x), atol=1e-3, rtol=1e-3)


def _objective(name: str, n_classes: int = 2, mixup: float = 0.0) -> ClassifierObjective:
    from asdkit.backbones.objectives import FACTORS

    loss = registry.create("loss", "adacos", {}, 6, n_classes * FACTORS[name])
    return ClassifierObjective(name, loss, n_classes, mixup)


class _TwoBranch(nn.Module):
    embedding_dim = 6

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(8, 3), nn.Linear(8, 3)

    def branch_embeddings(self, x):
        pooled = x.mean(dim=-1).flatten(1)
        return self.a(pooled), self.b(pooled)

    def forward(self, x):
        return torch.cat(self.branch_embeddings(x), 1)


def test_statex_labels_mark_the_exchanged_crops():
    obj = _objective("statex", n_classes=3)
    x, y = torch.randn(16, 1, 8, 10), torch.arange(16) % 3
    out, targets = obj._construct(x, y, np.random.default_rng(1))
    changed = (out != x).flatten(1).any(1)
    assert torch.equal(targets >= 3, changed) and torch.equal(targets % 3, y)
    assert 0 < changed.sum() < 16


def test_featex_doubles_the_batch_with_exchanged_pairs():
    obj = _objective("featex", n_classes=2)
    x, y = torch.randn(6, 1, 8, 10), torch.tensor([0, 1, 0, 1, 0, 1])
    loss, correct, seen = obj.loss(_TwoBranch(), x, y, np.random.default_rng(0))
    assert seen == 12 and torch.isfinite(loss)


def test_featex_needs_two_branches():
    obj = _objective("featex")
    with pytest.raises(ConfigError, match="two-branch backbone"):
        obj.loss(nn.Sequential(nn.Flatten(), nn.Linear(80, 6)), torch.randn(4, 1, 8, 10),
                 torch.zeros(4, dtype=torch.long), np.random.default_rng(0))


def test_mixup_gives_soft_targets_summing_to_one():
    obj = _objective("augmentation", n_classes=1, mixup=1.0)
    x, y = torch.randn(8, 1, 8, 10), torch.zeros(8, dtype=torch.long)
    out, targets = obj._mix(*obj._construct(x, y, np.random.default_rng(0)), np.random.default_rng(0))
    assert targets.shape == (8, 4)
    torch.testing.assert_close(targets.sum(1), torch.ones(8))
    assert (targets.max(1).values >= 0.5).all()  # the first crop stays the dominant one


def test_resolve_objective_names():
    assert resolve_objective("statex", 1) == "statex"
    with pytest.raises(ConfigError, match="valid: auto, arcface, augmentation, statex, featex"):
        resolve_objective("simclr", 1)


@pytest.mark.parametrize("objective,loss", [("statex", "subcluster_adacos"), ("augmentation", "adaproj"),
                                            ("arcface", "adacos")])
def test_train_backbone_with_objective_and_loss(objective, loss):
    from asdkit.backbones.mobilenetv2 import MobileNetV2

    rng = np.random.default_rng(0)
    feats = [rng.normal(size=(32, 40)).astype(np.float32) + i % 2 for i in range(8)]
    torch.manual_seed(0)
    net = MobileNetV2(width_mult=0.25, embedding_dim=16)
    history = train_backbone(net, feats, [i % 2 for i in range(8)], epochs=2, batch_size=4, crop_frames=16,
                             objective=objective, loss=loss, mixup=0.5)
    assert len(history) == 2 and all(np.isfinite(h["loss"]) and 0 <= h["acc"] <= 1 for h in history)


def test_dual_branch_featex_on_full_clips():
    from asdkit import registry
    from asdkit.testing import check_backbone

    check_backbone("dual_branch", {"n_mels": 32, "width_mult": 0.25, "embedding_dim": 16}, n_mels=32)
    rng = np.random.default_rng(0)
    feats = [rng.normal(size=(32, 40 + i)).astype(np.float32) - 30 for i in range(8)]
    torch.manual_seed(0)
    net = registry.create("backbone", "dual_branch", {"n_mels": 32, "width_mult": 0.25, "embedding_dim": 16})
    history = train_backbone(net, feats, [0] * 8, epochs=2, batch_size=4, crop_frames=0, objective="featex",
                             loss="subcluster_adacos", loss_options={"n_subclusters": 2})
    assert len(history) == 2 and all(0 <= h["acc"] <= 1 for h in history)
    first, second = net.branch_embeddings(torch.tensor(feats[0])[None, None])
    assert first.shape == (1, 8) and second.shape == (1, 8)


def test_long_term_spectrum_averages_power():
    from asdkit.backbones.dual_branch import DualBranch

    x = torch.tensor([[[[0.0, 10.0], [-20.0, -20.0]]]])  # dB: powers 1 and 10; 0.01 twice
    out = DualBranch.long_term_spectrum(x)
    torch.testing.assert_close(out, torch.tensor([[[10 * np.log10(5.5), -20.0]]], dtype=torch.float32))


def test_crop_frames_zero_is_full_clips_and_negative_is_refused():
    from asdkit.backbones.mobilenetv2 import MobileNetV2

    feats = [np.zeros((16, 20), np.float32) + i for i in range(4)]
    with pytest.raises(ConfigError, match="crop_frames must be >= 1, or 0 for full clips"):
        train_backbone(MobileNetV2(width_mult=0.25, embedding_dim=8), feats, [0, 1, 0, 1], epochs=1,
                       batch_size=2, crop_frames=-1)
