"""Decode one file with soundfile, the way most research code does.

Mirrors asdkit's audio policy (channel, sample rate, fixed length) so both pipelines
see the same samples, but with none of asdkit's checks: a bad file raises whatever
soundfile raises.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any, Mapping

import numpy as np
import soundfile as sf


def decode_clip(path: Any, audio: Mapping[str, Any]) -> np.ndarray:
    """Float32 mono waveform of ``path`` under an asdkit audio-policy dict.

    ``audio`` holds ``sr``, ``channel`` (``"mean"`` or an index) and ``seconds``
    (``None`` keeps the whole clip), as stored in a model bundle's config.
    """
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    if audio.get("channel", "mean") == "mean":
        wave = data.mean(axis=1, dtype=np.float32)
    else:
        wave = data[:, int(audio["channel"])]
    wave = resample_if_needed(wave, rate, int(audio["sr"]))
    return fix_length(wave, audio.get("seconds"), int(audio["sr"]))


def resample_if_needed(wave: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Polyphase resampling to ``target`` Hz (nothing to do for matching rates)."""
    if rate == target:
        return wave
    from scipy.signal import resample_poly

    ratio = Fraction(target, rate).limit_denominator(1000)
    return resample_poly(wave, ratio.numerator, ratio.denominator).astype(np.float32)


def fix_length(wave: np.ndarray, seconds: float | None, sr: int) -> np.ndarray:
    """Crop (keep the start) or zero-pad (at the end) to ``seconds``; ``None`` keeps all."""
    if seconds is None:
        return np.ascontiguousarray(wave)
    n = int(round(seconds * sr))
    if len(wave) >= n:
        return np.ascontiguousarray(wave[:n])
    return np.concatenate([wave, np.zeros(n - len(wave), dtype=np.float32)])
