"""The torch path (CPU, and CUDA when present) against the float64 reference."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from asdkit.features import LogMelParams, compute_logmel, logmel_tensor, reference_logmel
from asdkit.features.torch_logmel import torch_logmel

from tests.features.logmel_helpers import assert_matches_reference

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("length", [1, 3, 511, 512, 1024, 1025, 30001])
def test_lengths_match_reference(device, length):
    p = LogMelParams()
    wave = np.random.default_rng(length).uniform(-1, 1, length).astype(np.float32)
    (out,) = compute_logmel(wave, p, backend="torch", device=device)
    assert_matches_reference(out, reference_logmel(wave.astype(np.float64), p))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(
    "params",
    [
        LogMelParams(sr=8000, n_fft=256, hop_length=100, n_mels=40),
        LogMelParams(sr=22050, n_fft=2048, hop_length=512, mel_scale="htk", mel_norm=None),
        LogMelParams(sr=16000, n_fft=1000, hop_length=250, n_mels=64, fmin=30.0),
        LogMelParams(sr=16000, n_fft=401, hop_length=160, n_mels=40),
    ],
    ids=lambda p: f"n{p.n_fft}-h{p.hop_length}-m{p.n_mels}-{p.mel_scale}",
)
def test_params_match_reference(device, params):
    wave = np.random.default_rng(2).standard_normal(9001).astype(np.float32)
    (out,) = compute_logmel(wave, params, backend="torch", device=device)
    assert_matches_reference(out, reference_logmel(wave.astype(np.float64), params))


@pytest.mark.parametrize("device", DEVICES)
def test_batch_stays_on_device(device):
    p = LogMelParams(n_mels=64)
    waves = torch.randn(3, 16000, device=device)
    out = torch_logmel(waves, p)
    assert out.device.type == device and out.shape == (3, 64, p.num_frames(16000))
    tensor = logmel_tensor([w.cpu().numpy() for w in waves], p, backend="torch", device=device)
    assert tensor.device.type == device
    assert torch.equal(tensor, out)


def test_logmel_tensor_auto_matches_torch_on_cpu():
    waves = [np.random.default_rng(i).standard_normal(20000).astype(np.float32) for i in range(3)]
    auto = logmel_tensor(waves)
    via_torch = logmel_tensor(waves, backend="torch")
    assert auto.shape == via_torch.shape == (3, 128, 40)
    assert torch.allclose(auto, via_torch, atol=2e-3)
