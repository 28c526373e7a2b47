"""Decode one audio file into the float32 mono waveform an :class:`AudioPolicy` asks for.

Decoding uses soundfile (libsndfile): WAV with 16/24/32-bit integer or float samples,
FLAC, OGG. Every way a file can be bad (missing, unreadable, empty, header only, not
audio, corrupt, NaN/Inf samples, implausible header) is an :class:`InputError` whose
one-line message names the file and the problem. Silence is valid audio here; whether
a decoded signal is usable (not silent, constant, clipped or too short) is the job of
:mod:`asdkit.audio.quality`, which scoring and extraction apply on top.
"""
from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile as sf

from ..errors import ConfigError, InputError
from ..progress import Progress, ensure
from .policy import AudioPolicy

#: Upper bound on decoded samples (frames x channels, 512 MiB as float32): a corrupt
#: header may claim billions of frames; we read in blocks and stop here instead.
MAX_SAMPLES = 2**27
_BLOCK_SAMPLES = 2**20
_PLAUSIBLE_RATES = (1000, 384000)


def _check_file(path: Path) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    if not path.is_file():
        raise InputError(f"{path}: not a file")
    if size == 0:
        raise InputError(f"{path}: empty file (0 bytes)")
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise InputError(f"{path}: cannot read file ({exc.strerror or exc})") from None


def _read_blocks(handle: sf.SoundFile, path: Path) -> np.ndarray:
    """All frames as ``(frames, channels)`` float32, without trusting the header's length."""
    block_frames = max(1, _BLOCK_SAMPLES // handle.channels)
    blocks, total = [], 0
    while True:
        block = handle.read(block_frames, dtype="float32", always_2d=True)
        if not len(block):
            break
        total += block.size
        if total > MAX_SAMPLES:
            raise InputError(f"{path}: longer than the supported {MAX_SAMPLES} samples")
        blocks.append(block)
    if not blocks:
        return np.zeros((0, handle.channels), dtype=np.float32)
    return np.concatenate(blocks) if len(blocks) > 1 else blocks[0]


def decode(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """``(frames, channels)`` float32 samples and the file's sample rate."""
    path = Path(path)
    _check_file(path)
    try:
        with sf.SoundFile(str(path)) as handle:
            rate = handle.samplerate
            if not _PLAUSIBLE_RATES[0] <= rate <= _PLAUSIBLE_RATES[1]:
                raise InputError(f"{path}: implausible sample rate {rate} Hz (corrupt header?)")
            if handle.frames == 0:
                raise InputError(f"{path}: contains no audio samples (header only)")
            data = _read_blocks(handle, path)
    except InputError:
        raise
    except MemoryError:
        raise InputError(f"{path}: too large to decode in memory") from None
    except Exception as exc:  # libsndfile reports every decoding failure its own way
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        reason = reason.replace(f"Error opening {str(path)!r}: ", "")
        raise InputError(f"{path}: not a readable audio file ({reason.rstrip('.')})") from None
    if data.shape[0] == 0:
        raise InputError(f"{path}: contains no audio samples (truncated after the header)")
    if not np.isfinite(data).all():
        raise InputError(f"{path}: contains NaN or Inf samples")
    return data, rate


def select_channel(data: np.ndarray, channel: int | str, path: str | os.PathLike = "") -> np.ndarray:
    """Mono from ``(frames, channels)``: the mean of channels or one channel."""
    if channel == "mean":
        return data[:, 0].copy() if data.shape[1] == 1 else data.mean(axis=1, dtype=np.float32)
    if isinstance(channel, str):  # AudioPolicy refuses these; a direct caller may not
        raise ConfigError(f"channel must be 'mean' or an index >= 0, got {channel!r}")
    if channel >= data.shape[1]:
        raise InputError(f"{path}: has {data.shape[1]} channel(s); channel {channel} does not exist "
                         "(channels count from 0)")
    return np.ascontiguousarray(data[:, channel])


def resample(wave: np.ndarray, rate_from: int, rate_to: int) -> np.ndarray:
    """Polyphase resampling; the ratio is reduced to a fraction with denominator <= 1000
    (exact for every common rate, within 0.1 % for odd ones) to bound filter length."""
    if rate_from == rate_to:
        return wave
    from scipy.signal import resample_poly

    ratio = Fraction(rate_to, rate_from).limit_denominator(1000)
    return resample_poly(wave, ratio.numerator, ratio.denominator).astype(np.float32, copy=False)


def fit_length(wave: np.ndarray, n_samples: int | None) -> np.ndarray:
    """Crop (keep the start) or zero-pad (at the end) to ``n_samples``; ``None`` keeps all."""
    if n_samples is None or len(wave) == n_samples:
        return wave
    if len(wave) > n_samples:
        return wave[:n_samples]
    return np.concatenate([wave, np.zeros(n_samples - len(wave), dtype=wave.dtype)])


def resample_message(path: str | os.PathLike, rate_from: int, rate_to: int) -> str:
    return f"{path}: sample rate {rate_from} Hz resampled to {rate_to} Hz"


def conform(data: np.ndarray, rate: int, policy: AudioPolicy, path: str | os.PathLike = "") -> np.ndarray:
    """Apply the policy's channel, rate and length rules to decoded samples."""
    if rate != policy.sr and policy.strict:
        raise InputError(f"{path}: sample rate {rate} Hz, expected {policy.sr} Hz "
                         "(strict audio policy; resample the data or drop strict)")
    wave = select_channel(data, policy.channel, path)
    wave = resample(wave, rate, policy.sr)
    return np.ascontiguousarray(fit_length(wave, policy.n_samples), dtype=np.float32)


def load_audio(path: str | os.PathLike, policy: AudioPolicy | None = None,
               progress: Progress | None = None) -> np.ndarray:
    """Decode ``path`` into a float32 mono waveform at ``policy.sr``.

    A sample-rate mismatch is resampled with a warning (through ``progress``, else
    Python's ``warnings``), or refused under ``policy.strict``.
    """
    policy = policy or AudioPolicy()
    data, rate = decode(path)
    wave = conform(data, rate, policy, path)
    if rate != policy.sr:
        ensure(progress).warn(resample_message(path, rate, policy.sr))
    return wave
