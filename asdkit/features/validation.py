"""Input checks shared by every log-mel backend.

Turns what users pass (one 1-D array or a sequence of them; float16/32/64 or
int16 PCM, contiguous or not) into a list of contiguous float arrays, and turns
bad input into a one-line :class:`asdkit.errors.InputError` naming the clip.

Shapes:
    - **input:** ``(samples,)`` or a sequence of ``(samples_i,)``
    - **output:** list of ``(samples_i,)`` float32 (or float64 when asked), C-contiguous
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import InputError

_INT16_SCALE = 1.0 / 32768.0
_FLOAT_KINDS = (np.float16, np.float32, np.float64)


def clip_label(index: int, names: Sequence[str] | None) -> str:
    return f"clip {names[index]!r}" if names is not None else f"clip #{index}"


def as_clip_list(waves: Any, names: Sequence[str] | None = None) -> list[np.ndarray]:
    """One 1-D array, or a list/tuple of them, as a list of arrays (no copies yet)."""
    if isinstance(waves, (list, tuple)):
        clips = [np.asarray(w) for w in waves]
    else:
        array = np.asarray(waves)
        if array.ndim != 1:
            raise InputError(
                f"clip #0: expected a 1-D waveform or a list of them, got an array of shape {array.shape}"
            )
        clips = [array]
    if names is not None and len(names) != len(clips):
        raise InputError(f"names has {len(names)} entries for {len(clips)} clips")
    return clips


def checked_clip(wave: np.ndarray, label: str, dtype: type = np.float32) -> np.ndarray:
    """A valid mono clip as a C-contiguous ``dtype`` array; raises InputError otherwise."""
    if wave.ndim != 1:
        raise InputError(f"{label}: expected a 1-D mono waveform, got shape {wave.shape}")
    if wave.size == 0:
        raise InputError(f"{label}: empty waveform")
    if wave.dtype == np.int16:
        return np.ascontiguousarray(wave, dtype=dtype) * dtype(_INT16_SCALE)
    if wave.dtype not in _FLOAT_KINDS:
        raise InputError(f"{label}: unsupported sample type {wave.dtype} (use float32/float64 or int16 PCM)")
    clip: np.ndarray = np.ascontiguousarray(wave, dtype=dtype)
    # One cheap reduction first; the exact per-sample check runs only when the sum
    # is not finite (NaN/Inf present, or a float32 overflow of huge samples).
    if not np.isfinite(clip.sum()):
        bad = np.flatnonzero(~np.isfinite(clip))
        if bad.size:
            raise InputError(f"{label}: {bad.size} NaN or Inf sample(s), first at sample {bad[0]}")
    return clip


def checked_clips(waves: Any, names: Sequence[str] | None = None, dtype: type = np.float32) -> list[np.ndarray]:
    return [checked_clip(w, clip_label(i, names), dtype) for i, w in enumerate(as_clip_list(waves, names))]
