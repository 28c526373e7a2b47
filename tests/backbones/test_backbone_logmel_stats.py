"""The log-mel statistics backbone: contract, values, extract without training."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from asdkit.backbones.logmel_stats import LogMelStats
from asdkit.testing import check_backbone


def test_contract():
    check_backbone("logmel_stats", {"n_mels": 64})


def test_values_are_band_mean_then_std():
    x = np.random.default_rng(0).normal(size=(3, 1, 16, 50)) * 7 - 40
    got = LogMelStats(n_mels=16)(torch.tensor(x, dtype=torch.float32)).double().numpy()
    expected = np.concatenate([x[:, 0].mean(-1), x[:, 0].std(-1)], axis=1)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)


def test_refuses_other_sizes():
    with pytest.raises(ValueError, match="2 \\* n_mels = 32"):
        LogMelStats(n_mels=16, embedding_dim=10)
    with pytest.raises(ValueError, match="expected \\(B, 1, 16, T\\)"):
        LogMelStats(n_mels=16)(torch.zeros(2, 1, 8, 5))


def test_one_frame_has_zero_spread():
    out = LogMelStats(n_mels=4)(torch.ones(1, 1, 4, 1))
    assert torch.equal(out, torch.tensor([[1.0] * 4 + [0.0] * 4]))


def test_extract_embeds_without_training(synth_dataset, tmp_path):
    from asdkit.pipeline import ExtractSettings, run_extract

    result = run_extract(synth_dataset, tmp_path / "run", ExtractSettings(backbone="logmel_stats", epochs=5))
    assert result.objective == "none" and result.history == []
    emb = result.run.load_tensor(result.run.embeddings, "embeddings")
    assert emb.shape == (len(result.clips), 256)
