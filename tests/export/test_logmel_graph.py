"""The exportable log-mel follows asdkit's spec: two-stage and dense DFT, in torch and ONNX."""
from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
import torch

from asdkit.export.logmel import OnnxLogMel, split_size
from asdkit.features import LogMelParams, compute_logmel, reference_logmel

PARAMS = [LogMelParams(), LogMelParams(n_fft=512, hop_length=128, n_mels=64),
          LogMelParams(n_fft=1000, hop_length=250, fmin=50.0, fmax=7000.0),
          LogMelParams(sr=22050, n_fft=400, hop_length=160, n_mels=40, mel_scale="htk", mel_norm=None)]


def _waves(n: int, samples: int, seed: int = 0) -> np.ndarray:
    """Tones in noise: a spectrum spanning many decades, like machine sounds."""
    rng = np.random.default_rng(seed)
    t = np.arange(samples) / 16000
    tones = sum(np.sin(2 * np.pi * f * t + rng.uniform(0, 6)) * a for f, a in ((120, 0.3), (1250, 0.05), (5400, 0.01)))
    return (tones + rng.normal(0, 0.01, (n, samples))).astype(np.float32)


def test_split_size_picks_a_divisor_of_the_hop() -> None:
    assert split_size(1024, 512) == (32, 32)
    assert split_size(2048, 512) == (32, 64)
    assert split_size(1000, 250) == (25, 40)
    assert split_size(400, 160) == (1, 400)  # the hop does not divide n_fft: dense DFT


def _check(got: np.ndarray, waves: np.ndarray, params: LogMelParams) -> None:
    """At least as close to the float64 reference as asdkit's own float32 log-mel."""
    ref = np.stack([reference_logmel(w.astype(np.float64), params) for w in waves])
    ours = np.stack(compute_logmel(list(waves), params))
    assert got.shape == ref.shape
    assert np.abs(got - ref).max() <= max(np.abs(ours - ref).max(), 1e-5)


@pytest.mark.parametrize("params", PARAMS, ids=lambda p: f"nfft{p.n_fft}-hop{p.hop_length}")
def test_matches_the_reference_log_mel(params: LogMelParams) -> None:
    waves = _waves(3, 12345)
    with torch.no_grad():
        _check(OnnxLogMel(params)(torch.from_numpy(waves)).numpy(), waves, params)


@pytest.mark.parametrize("params", PARAMS[:2] + PARAMS[3:], ids=lambda p: f"nfft{p.n_fft}-hop{p.hop_length}")
def test_onnx_graph_accepts_any_batch_and_length(params: LogMelParams) -> None:
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    buffer = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the exporter's own deprecation notices
        torch.onnx.export(OnnxLogMel(params), (torch.from_numpy(_waves(2, 8000)),), buffer, input_names=["w"],
                          output_names=["s"], dynamic_axes={"w": {0: "b", 1: "n"}}, opset_version=17, dynamo=False)
    sess = ort.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
    for batch, samples in ((1, 16000), (4, 9999), (2, params.n_fft // 2 + 1)):
        waves = _waves(batch, samples, seed=samples)
        _check(sess.run(None, {"w": waves})[0], waves, params)
