"""NumPy float64 reference of the log-mel spec, and the mel filterbank used by all paths.

.. math::
    X[k, t] = \\sum_{n=0}^{N-1} w[n]\\, \\tilde x[t h + n]\\, e^{-2\\pi i k n / N},
    \\qquad w[n] = \\tfrac12 - \\tfrac12 \\cos(2\\pi n / N)

    S[m, t] = 10 \\log_{10} \\max\\big(\\textstyle\\sum_k F[m, k]\\, |X[k, t]|^2,\\ a_{\\min}\\big)

Mel scale (``"slaney"``, librosa's default): linear below 1 kHz
(``m = 3 f / 200``), logarithmic above (``m = 15 + 27 \\ln(f / 1000) / \\ln 6.4``);
``"htk"``: ``m = 2595 \\log_{10}(1 + f / 700)``. Filters are triangles between
``n_mels + 2`` points equally spaced in mel between fmin and fmax; Slaney
normalisation scales filter ``m`` by ``2 / (f_{m+2} - f_m)`` (constant area).
This matches ``librosa.filters.mel`` for the same options.

Shapes:
    - **wave:** ``(samples,)``
    - **mel_filterbank:** ``(n_mels, n_fft // 2 + 1)``
    - **output:** ``(n_mels, frames)``, ``frames = 1 + (samples + 2 (N//2) - N) // h``
"""
from __future__ import annotations

import numpy as np

from .params import LogMelParams

_SLANEY_F_SP = 200.0 / 3
_SLANEY_MIN_LOG_HZ = 1000.0
_SLANEY_MIN_LOG_MEL = _SLANEY_MIN_LOG_HZ / _SLANEY_F_SP
_SLANEY_LOGSTEP = np.log(6.4) / 27.0


def hz_to_mel(freqs: float | np.ndarray, scale: str = "slaney") -> np.ndarray:
    freqs = np.asarray(freqs, dtype=np.float64)
    if scale == "htk":
        return 2595.0 * np.log10(1.0 + freqs / 700.0)
    linear = freqs / _SLANEY_F_SP
    safe = np.maximum(freqs, _SLANEY_MIN_LOG_HZ)  # keeps log() away from 0 on the linear side
    logarithmic = _SLANEY_MIN_LOG_MEL + np.log(safe / _SLANEY_MIN_LOG_HZ) / _SLANEY_LOGSTEP
    return np.where(freqs >= _SLANEY_MIN_LOG_HZ, logarithmic, linear)


def mel_to_hz(mels: float | np.ndarray, scale: str = "slaney") -> np.ndarray:
    mels = np.asarray(mels, dtype=np.float64)
    if scale == "htk":
        return 700.0 * (10.0 ** (mels / 2595.0) - 1.0)
    linear = _SLANEY_F_SP * mels
    logarithmic = _SLANEY_MIN_LOG_HZ * np.exp(_SLANEY_LOGSTEP * (mels - _SLANEY_MIN_LOG_MEL))
    return np.where(mels >= _SLANEY_MIN_LOG_MEL, logarithmic, linear)


def mel_filterbank(params: LogMelParams) -> np.ndarray:
    """Triangular mel filters, float64 ``(n_mels, n_fft // 2 + 1)``."""
    fft_freqs = np.fft.rfftfreq(params.n_fft, d=1.0 / params.sr)
    mel_edges = np.linspace(
        hz_to_mel(params.fmin, params.mel_scale), hz_to_mel(params.fmax_hz, params.mel_scale), params.n_mels + 2
    )
    hz_edges = mel_to_hz(mel_edges, params.mel_scale)
    widths = np.diff(hz_edges)
    ramps = hz_edges[:, None] - fft_freqs[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    if params.mel_norm == "slaney":
        weights *= (2.0 / (hz_edges[2:] - hz_edges[:-2]))[:, None]
    return weights


def periodic_hann(n_fft: int) -> np.ndarray:
    """Periodic Hann window (``torch.hann_window(periodic=True)``), float64."""
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n_fft) / n_fft)


def pad_for_frames(wave: np.ndarray, n_fft: int) -> np.ndarray:
    """Centre padding: reflect ``n_fft // 2`` samples each side; for short signals
    reflect as far as possible (``len - 1``) and zero-pad the rest."""
    pad = n_fft // 2
    reflect = min(pad, len(wave) - 1)
    padded = np.pad(wave, reflect, mode="reflect") if reflect > 0 else wave
    return np.pad(padded, pad - reflect, mode="constant")


def reference_power_spectrogram(wave: np.ndarray, params: LogMelParams) -> np.ndarray:
    """|STFT|^2 in float64, ``(n_fft // 2 + 1, frames)``."""
    padded = pad_for_frames(np.asarray(wave, dtype=np.float64), params.n_fft)
    frames = params.num_frames(len(wave))
    starts = np.arange(frames) * params.hop_length
    framed = padded[starts[:, None] + np.arange(params.n_fft)[None, :]]
    spectrum = np.fft.rfft(framed * periodic_hann(params.n_fft), axis=1)
    return (spectrum.real**2 + spectrum.imag**2).T


def reference_logmel(wave: np.ndarray, params: LogMelParams) -> np.ndarray:
    """Log-mel spectrogram in float64, ``(n_mels, frames)``."""
    mel = mel_filterbank(params) @ reference_power_spectrogram(wave, params)
    return 10.0 * np.log10(np.maximum(mel, params.amin))
