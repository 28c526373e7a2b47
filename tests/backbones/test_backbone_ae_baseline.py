"""DCASE autoencoder baseline backbone and its reconstruction-error scorer."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from asdkit import registry
from asdkit.backbones.ae_baseline import AEBaseline
from asdkit.backbones.embed import embed_clips
from asdkit.backbones.inference import optimize_for_inference
from asdkit.backbones.train import train_backbone
from asdkit.errors import InputError, ModelError
from asdkit.testing import check_backbone, check_scorer

from tests.backbones.backbone_helpers import synthetic_logmels

torch.set_num_threads(1)
AE_64 = {"n_mels": 64, "embedding_dim": 320}


def test_contract_kit():
    check_backbone("ae_baseline", AE_64)
    check_backbone("ae_baseline", {**AE_64, "standardize": False})
    check_scorer("ae_baseline")


def test_dcase_layout():
    model = AEBaseline()
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    widths = [linears[0].in_features] + [m.out_features for m in linears]
    assert widths == [640, 128, 128, 128, 128, 8, 128, 128, 128, 128, 640]
    assert sum(isinstance(m, torch.nn.BatchNorm1d) for m in model.modules()) == 9
    with pytest.raises(ValueError, match="n_mels \\* frames"):
        AEBaseline(n_mels=64)


def test_vectors_are_frame_major_windows():
    model = AEBaseline(n_mels=4, frames=3, embedding_dim=12, standardize=False)
    x = torch.arange(4 * 6, dtype=torch.float32).reshape(1, 1, 4, 6)
    v = model.vectors(x)
    assert v.shape == (1, 4, 12)
    torch.testing.assert_close(v[0, 1], torch.cat([x[0, 0, :, 1], x[0, 0, :, 2], x[0, 0, :, 3]]))


def test_embedding_is_per_dimension_error_and_scorer_takes_its_mean():
    torch.manual_seed(0)
    model = AEBaseline(n_mels=16, frames=5, embedding_dim=80, standardize=False).eval()
    x = torch.randn(2, 1, 16, 30)
    with torch.no_grad():
        v = model.vectors(x)
        mse = (v - model.reconstruct(v)).pow(2).mean(dim=(1, 2))
        emb = model(x)
    scorer = registry.create("scorer", "ae_baseline").fit(emb)
    torch.testing.assert_close(scorer.score(emb), mse)
    assert set(scorer.state_dict()) == {"train_score_mean", "train_score_std"}


@pytest.mark.slow
def test_training_improves_reconstruction_and_flags_outliers():
    feats, labels = synthetic_logmels(n_per_class=8, n_mels=64, frames=48)
    torch.manual_seed(0)
    model = registry.create("backbone", "ae_baseline", AE_64)
    history = train_backbone(model, feats, labels, epochs=8, batch_size=8, crop_frames=32, seed=0)
    assert all(h["acc"] is None for h in history)
    assert history[-1]["loss"] < 0.9 * history[0]["loss"]
    scorer = registry.create("scorer", "ae_baseline").fit(embed_clips(model, feats))
    normal = scorer.score(embed_clips(model, feats[:6]))
    odd = [f.copy() for f in feats[:6]]
    for f in odd:
        f[20:30] += 25.0  # a loud band the training data never had
    assert scorer.score(embed_clips(model, odd)).min() > normal.max()
    fast = optimize_for_inference(model)
    x = torch.as_tensor(np.stack(feats[:3]))[:, None]
    with torch.no_grad():
        torch.testing.assert_close(fast(x), model(x), atol=1e-4, rtol=1e-4)


def test_scorer_errors_and_state():
    scorer = registry.create("scorer", "ae_baseline")
    assert not scorer.is_fitted
    with pytest.raises(InputError):
        scorer.fit(torch.zeros(3))
    with pytest.raises(ModelError, match="train_score_std"):
        scorer.load_state_dict({"train_score_mean": torch.tensor(1.0)})
    scorer.fit(torch.tensor([[1.0, 3.0], [3.0, 5.0]]))
    torch.testing.assert_close(scorer.state_dict()["train_score_mean"], torch.tensor(3.0))
    torch.testing.assert_close(scorer.state_dict()["train_score_std"], torch.tensor(1.0))
