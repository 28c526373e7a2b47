"""train_backbone: learning, determinism, standardisation, objectives, augmentation."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from asdkit import registry
from asdkit.backbones.augment import TRANSFORMS, apply_transforms, random_crops, spec_augment
from asdkit.backbones.embed import embed_clips
from asdkit.backbones.standardize import frequency_stats
from asdkit.backbones.objectives import resolve_objective
from asdkit.backbones.train import train_backbone
from asdkit.errors import ConfigError, InputError

from tests.backbones.backbone_helpers import synthetic_logmels

torch.set_num_threads(1)


def _mobilenet(seed: int = 0):
    torch.manual_seed(seed)
    return registry.create("backbone", "mobilenetv2", {"width_mult": 0.25, "embedding_dim": 32})


class _Recorder:
    def __init__(self):
        self.infos, self.advanced, self.closed = [], 0, False

    def task(self, description, total=None):  # noqa: ARG002 - the Progress protocol
        self.total = total
        return self

    def set_info(self, **fields):
        self.infos.append(fields)

    def advance(self, n=1):
        self.advanced += n

    def close(self):
        self.closed = True


@pytest.mark.slow
def test_learns_three_machine_types():
    feats, labels = synthetic_logmels(n_mels=64, frames=96)
    model = _mobilenet()
    progress = _Recorder()
    history = train_backbone(model, feats, labels, epochs=12, batch_size=14, lr=3e-3,
                             crop_frames=96, seed=0, progress=progress)
    assert [h["epoch"] for h in history] == list(range(1, 13))
    assert history[-1]["acc"] >= 0.85 and history[-1]["loss"] < history[0]["loss"]
    assert progress.total == 12 and progress.advanced == 12 and progress.closed
    assert {"loss", "acc"} <= set(progress.infos[-1])
    assert not model.training
    emb = embed_clips(model, feats)
    y = torch.as_tensor(labels)
    centres = torch.stack([emb[y == c].mean(0) for c in range(3)])
    assert (torch.cdist(emb, centres).argmin(1) == y).float().mean() >= 0.9


def _tiny_run(**options):
    feats, labels = synthetic_logmels(n_per_class=4, n_mels=32, frames=40)
    model = _mobilenet(seed=5)
    history = train_backbone(model, feats, labels, epochs=2, batch_size=6, crop_frames=24, seed=3, **options)
    return history, model.state_dict()


def test_deterministic_under_seed_with_augmentation():
    h1, s1 = _tiny_run(mixup=0.4, specaugment=True)
    h2, s2 = _tiny_run(mixup=0.4, specaugment=True)
    assert h1 == h2
    for key in s1:
        assert torch.equal(s1[key], s2[key]), key


def test_standardisation_is_stored_in_the_backbone():
    feats, labels = synthetic_logmels(n_per_class=2, n_mels=32, frames=40)
    feats[0] = feats[0][:, :25]  # lengths may differ
    model = _mobilenet()
    train_backbone(model, feats, labels, epochs=1, batch_size=3, crop_frames=30, seed=0)
    frames = np.concatenate(feats, axis=1).astype(np.float64)
    torch.testing.assert_close(model.standardize.mean, torch.tensor(frames.mean(1), dtype=torch.float32))
    torch.testing.assert_close(model.standardize.std, torch.tensor(frames.std(1), dtype=torch.float32))


def test_single_class_trains_the_self_supervised_objective():
    feats, _ = synthetic_logmels(n_per_class=3, n_mels=32, frames=40)
    history = train_backbone(_mobilenet(), feats, np.zeros(len(feats)), epochs=1, batch_size=5,
                             crop_frames=24, seed=0)
    assert history[0]["acc"] is not None and np.isfinite(history[0]["loss"])
    assert resolve_objective("auto", 1) == "augmentation"
    assert resolve_objective("auto", 4) == "arcface"
    with pytest.raises(ConfigError, match="objective"):
        resolve_objective("contrastive", 2)


def test_bad_inputs():
    feats, labels = synthetic_logmels(n_per_class=2, n_mels=32, frames=40)
    model = _mobilenet()
    with pytest.raises(InputError, match="labels"):
        train_backbone(model, feats, labels[:-1], epochs=1)
    with pytest.raises(InputError, match="mel bands"):
        train_backbone(model, feats + [np.zeros((16, 40), np.float32)], np.r_[labels, 0], epochs=1)
    with pytest.raises(InputError, match="NaN"):
        train_backbone(model, [np.full((32, 40), np.nan, np.float32)] * 2, [0, 1], epochs=1)
    with pytest.raises(ConfigError, match="batch_size"):
        train_backbone(model, feats, labels, epochs=1, batch_size=1)


def test_random_crops_tile_short_clips():
    clips = [torch.arange(10.0).repeat(3, 1), torch.arange(40.0).repeat(3, 1)]
    crops = random_crops(clips, np.array([0, 1]), 16, np.random.default_rng(0))
    assert crops.shape == (2, 1, 3, 16)
    start = int(crops[0, 0, 0, 0])
    assert crops[0, 0, 0].tolist() == [float((start + i) % 10) for i in range(16)]


def test_transforms_and_spec_augment():
    x = torch.randn(4, 1, 32, 10)
    out = apply_transforms(x, torch.arange(4))
    assert len(TRANSFORMS) == 4
    torch.testing.assert_close(out[0], x[0])
    torch.testing.assert_close(out[1], x[1].flip(-1))
    torch.testing.assert_close(out[2, 0, 2:], x[2, 0, :-2])  # up by 32 // 16 bands
    torch.testing.assert_close(out[3, 0, :-2], x[3, 0, 2:])
    fill = torch.full((32,), 7.0)
    masked = spec_augment(torch.zeros(8, 1, 32, 40), fill, np.random.default_rng(1))
    assert set(masked.unique().tolist()) <= {0.0, 7.0} and (masked == 7.0).any()


def test_frequency_stats_match_numpy():
    rng = np.random.default_rng(0)
    clips = [rng.normal(-60, 5, size=(8, t)).astype(np.float32) for t in (10, 33)]
    mean, std = frequency_stats(clips)
    joined = np.concatenate(clips, axis=1).astype(np.float64)
    np.testing.assert_allclose(mean.numpy(), joined.mean(1), rtol=1e-5)
    np.testing.assert_allclose(std.numpy(), joined.std(1), rtol=1e-4)
