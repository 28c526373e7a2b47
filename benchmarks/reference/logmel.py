"""Log-mel per clip: ``torch.stft`` then a dense mel-matrix product.

The filterbank is written out here from the textbook definition (triangles evenly
spaced on the mel scale, Slaney's area normalisation) rather than taken from asdkit,
so the equivalence check in ``benchmarks/run.py`` also checks asdkit's spec:

.. math::
    S = 10 \\log_{10} \\max\\big(F\\,|\\mathrm{STFT}(x)|^2,\\ a_{\\min}\\big)

with a periodic Hann window and centred frames (reflect padding). That equals
asdkit's spec for every clip longer than ``n_fft // 2`` samples (asdkit also defines
shorter ones, which never occur here).
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np
import torch


def hz_to_mel(hz: np.ndarray, scale: str) -> np.ndarray:
    """Slaney (linear to 1 kHz, then logarithmic) or HTK mel scale."""
    hz = np.asarray(hz, dtype=np.float64)
    if scale == "htk":
        return 2595.0 * np.log10(1.0 + hz / 700.0)
    step = math.log(6.4) / 27.0  # Slaney: 27 mel steps per factor 6.4 above 1 kHz
    return np.where(hz < 1000.0, 3.0 * hz / 200.0, 15.0 + np.log(np.maximum(hz, 1e-9) / 1000.0) / step)


def mel_to_hz(mel: np.ndarray, scale: str) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    if scale == "htk":
        return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)
    step = math.log(6.4) / 27.0
    return np.where(mel < 15.0, 200.0 * mel / 3.0, 1000.0 * np.exp(step * (mel - 15.0)))


def mel_matrix(features: Mapping[str, Any]) -> torch.Tensor:
    """Triangular filters ``(n_mels, n_fft // 2 + 1)`` float32 for an asdkit features dict."""
    sr, n_fft, n_mels = int(features["sr"]), int(features["n_fft"]), int(features["n_mels"])
    scale = features.get("mel_scale", "slaney")
    fmax = features.get("fmax") or sr / 2
    edges_hz = mel_to_hz(np.linspace(hz_to_mel(features.get("fmin", 0.0), scale),
                                     hz_to_mel(fmax, scale), n_mels + 2), scale)
    bins_hz = np.arange(n_fft // 2 + 1) * sr / n_fft
    lower, centre, upper = edges_hz[:-2, None], edges_hz[1:-1, None], edges_hz[2:, None]
    rising = (bins_hz - lower) / (centre - lower)
    falling = (upper - bins_hz) / (upper - centre)
    weights = np.clip(np.minimum(rising, falling), 0.0, None)
    if features.get("mel_norm", "slaney") == "slaney":
        weights *= 2.0 / (upper - lower)  # equal area per filter
    return torch.from_numpy(weights).float()


class ClipLogMel:
    """Callable computing one clip's log-mel ``(n_mels, frames)`` on ``device``."""

    def __init__(self, features: Mapping[str, Any], device: torch.device | str = "cpu") -> None:
        self.n_fft, self.hop = int(features["n_fft"]), int(features["hop_length"])
        self.amin = float(features.get("amin", 1e-10))
        self.device = torch.device(device)
        self.window = torch.hann_window(self.n_fft, periodic=True, device=self.device)
        self.mel = mel_matrix(features).to(self.device)

    @torch.no_grad()
    def __call__(self, wave: np.ndarray) -> torch.Tensor:
        x = torch.from_numpy(wave).to(self.device)
        spec = torch.stft(x, self.n_fft, self.hop, window=self.window, center=True,
                          pad_mode="reflect", return_complex=True)
        power = spec.abs() ** 2
        return 10.0 * torch.log10(torch.clamp(self.mel @ power, min=self.amin))
