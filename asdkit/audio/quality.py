"""Signal checks: decoded audio that cannot be judged as a machine sound.

A file can decode perfectly and still carry no usable sound: a dead microphone
(silence), a disconnected input (a constant or DC-only signal), a saturated converter
(clipping), or a clip cut far shorter than the model's training clips. A detector
trained on normal sounds scores such inputs unpredictably, often as *more* normal
than real clips, so they are refused (or, on request, scored and flagged) instead.

The rules (:class:`SignalRules`, defaults in brackets) look at the raw decoded
samples, before resampling or zero-padding, so a 0.1 s clip that the audio policy
pads to 10 s is still a 0.1 s clip here:

- **too short**: duration below ``min_seconds`` [1 s], or below ``min_relative``
  [0.5] times the median duration of the model's training clips (when known).
- **silent**: every sample is 0, or at least ``max_quiet_fraction`` [50%] of the
  ``frame_seconds`` [50 ms] frames have an RMS around their mean below
  ``silence_dbfs`` [-70 dBFS]. Of the 879 real DCASE clips under ../shared/data the
  quietest (median frame) is at -51 dBFS and at most 10% of a clip's frames are
  below -70 dBFS (the silent lead-in of a few ToyCar recordings).
- **constant (DC only)**: as silent, but the clip's mean is above the silence level:
  the samples sit at a fixed non-zero value.
- **DC offset**: the mean exceeds ``max_dc_offset`` [0.1 of full scale] in magnitude.
- **clipped**: in a channel the model hears, more than ``max_clipped_fraction``
  [0.1%] of the samples sit exactly at the channel's positive or negative peak,
  counted only for a peak at or above ``clip_dbfs`` [-6 dBFS]. An unclipped recording
  reaches its peak once or twice; a saturated one sits there for many samples. Flat
  tops below -6 dBFS are left to the model: they may be a machine's fault.

The duration is that of the whole decoded file; levels and DC offset are measured on
the mono waveform the model sees (after channel selection, cropped to the policy's
length, never padded); clipping on each channel that goes into it.
:func:`signal_reasons` returns one short reason per broken rule; an empty list is a
usable signal. The synthetic clipping anomalies of ``asdkit synth`` flat-top at
-15 dBFS or lower, so they stay anomalies for the model to find.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

import numpy as np

from ..config import dataclass_from_dict
from ..errors import ConfigError
from .policy import AudioPolicy

BAD_SIGNAL_MODES = ("refuse", "flag")
#: Float tolerance of "at the peak": far below one 24-bit step, so only equal samples count.
_PEAK_TOL = 1e-7


@dataclass(frozen=True)
class SignalRules:
    """Thresholds of the signal checks (see the module docstring for each rule)."""

    min_seconds: float = 1.0
    min_relative: float = 0.5
    silence_dbfs: float = -70.0
    frame_seconds: float = 0.05
    max_quiet_fraction: float = 0.5
    max_dc_offset: float = 0.1
    clip_dbfs: float = -6.0
    max_clipped_fraction: float = 0.001

    def __post_init__(self) -> None:
        for name in ("min_seconds", "min_relative", "frame_seconds", "max_quiet_fraction",
                     "max_dc_offset", "max_clipped_fraction"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
                raise ConfigError(f"signal rules: {name} must be a number >= 0, got {value!r}")
        for name in ("silence_dbfs", "clip_dbfs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value <= 0:
                raise ConfigError(f"signal rules: {name} must be a level <= 0 dBFS, got {value!r}")
        if self.frame_seconds == 0:
            raise ConfigError("signal rules: frame_seconds must be > 0")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "SignalRules":
        return dataclass_from_dict(cls, data, "signal rules")


def _amplitude(dbfs: float) -> float:
    return float(10.0 ** (dbfs / 20.0))


def _percent(fraction: float) -> str:
    return f"{100 * fraction:.3g}%"


def duration_reasons(seconds: float, rules: SignalRules, reference_seconds: float | None = None) -> list[str]:
    """The too-short rules: absolute, and relative to the training clips' median duration."""
    if seconds < rules.min_seconds:
        return [f"too short: {seconds:.3g} s, under the minimum of {rules.min_seconds:g} s"]
    if reference_seconds and seconds < rules.min_relative * reference_seconds:
        return [f"too short: {seconds:.3g} s, under {rules.min_relative:g} x the {reference_seconds:.3g} s "
                "of the model's training clips"]
    return []


def _frame_levels(wave: np.ndarray, frame: int) -> np.ndarray:
    """RMS around the mean (standard deviation) of each whole frame; one frame when shorter."""
    n = len(wave) // frame
    frames = wave[:n * frame].reshape(n, frame) if n else wave[None, :]
    return frames.std(axis=1, dtype=np.float64)


def level_reasons(wave: np.ndarray, rate: int, rules: SignalRules) -> list[str]:
    """Silent, constant (DC only) and DC-offset rules on the mono waveform."""
    if not wave.any():
        return ["silent: every sample is 0"]
    floor = _amplitude(rules.silence_dbfs)
    levels = _frame_levels(wave, max(1, int(round(rules.frame_seconds * rate))))
    quiet = float(np.mean(levels < floor))
    mean = float(np.mean(wave, dtype=np.float64))
    if quiet >= rules.max_quiet_fraction and quiet > 0:
        if abs(mean) >= floor:
            return [f"constant (DC only): the samples stay at {mean:.3g} with nothing above "
                    f"{rules.silence_dbfs:g} dBFS around it in {_percent(quiet)} of the clip"]
        return [f"silent: {_percent(quiet)} of the clip is below {rules.silence_dbfs:g} dBFS"]
    if abs(mean) > rules.max_dc_offset:
        return [f"DC offset {mean:.3g} of full scale, over the limit of {rules.max_dc_offset:g}"]
    return []


def clipped_fraction(channel: np.ndarray, rules: SignalRules) -> float:
    """Share of samples sitting at the channel's positive or negative peak, counting only
    a peak at or above ``clip_dbfs``."""
    level = _amplitude(rules.clip_dbfs)
    at_peak = 0
    top, bottom = float(channel.max()), float(channel.min())
    if top >= level:
        at_peak += int(np.count_nonzero(channel >= top - _PEAK_TOL))
    if -bottom >= level:
        at_peak += int(np.count_nonzero(channel <= bottom + _PEAK_TOL))
    return at_peak / max(1, len(channel))


def clipping_reasons(channels: np.ndarray, rules: SignalRules) -> list[str]:
    """The clipping rule on each column of ``(frames, channels)``; one reason for the worst."""
    worst, where = 0.0, 0
    for index in range(channels.shape[1]):
        fraction = clipped_fraction(channels[:, index], rules)
        if fraction > worst:
            worst, where = fraction, index
    if worst <= rules.max_clipped_fraction:
        return []
    channel = f" in channel {where}" if channels.shape[1] > 1 else ""
    return [f"clipped: {_percent(worst)} of the samples{channel} sit flat at a peak of "
            f"{rules.clip_dbfs:g} dBFS or louder, over the limit of {_percent(rules.max_clipped_fraction)}"]


def heard_channels(data: np.ndarray, policy: AudioPolicy) -> np.ndarray:
    """The columns of ``(frames, channels)`` the policy mixes into the model's mono input."""
    channel = policy.channel
    if isinstance(channel, str) or channel >= data.shape[1]:  # str: "mean", the one word AudioPolicy allows
        return data
    return data[:, channel:channel + 1]


def signal_reasons(data: np.ndarray, rate: int, policy: AudioPolicy | None = None,
                   rules: SignalRules | None = None, reference_seconds: float | None = None) -> list[str]:
    """Why decoded ``(frames, channels)`` samples at ``rate`` are not a usable signal
    (empty list: usable). ``reference_seconds`` is the median duration of the model's
    training clips, for the relative minimum duration."""
    from .load import select_channel

    policy = policy or AudioPolicy()
    rules = rules or SignalRules()
    reasons = duration_reasons(data.shape[0] / rate, rules, reference_seconds)
    if policy.seconds is not None:  # judge what the model hears: the cropped start
        data = data[:max(1, int(round(policy.seconds * rate)))]
    level = level_reasons(select_channel(data, policy.channel), rate, rules)
    reasons += level
    if not level or level[0].startswith("DC offset"):  # silence and DC-only sit "flat" everywhere
        reasons += clipping_reasons(heard_channels(data, policy), rules)
    return reasons


def bad_signal_message(path: object, reasons: list[str]) -> str:
    """The one-line refusal: ``PATH: bad signal (reason; reason)``."""
    return f"{path}: bad signal ({'; '.join(reasons)})"


@dataclass(frozen=True)
class SignalCheck:
    """What a batch load does with signals: the rules, the training clips' median
    duration (``None``: unknown, no relative rule) and ``on_bad``: ``"refuse"`` (an
    :class:`~asdkit.errors.InputError`, failed or skipped like any bad file) or
    ``"flag"`` (loaded and listed in ``LoadSummary.flagged``)."""

    rules: SignalRules = field(default_factory=SignalRules)
    reference_seconds: float | None = None
    on_bad: str = "refuse"

    def __post_init__(self) -> None:
        if self.on_bad not in BAD_SIGNAL_MODES:
            raise ConfigError(f"--on-bad-signal must be one of {', '.join(BAD_SIGNAL_MODES)}, "
                              f"got '{self.on_bad}'")

    def reasons(self, data: np.ndarray, rate: int, policy: AudioPolicy) -> list[str]:
        return signal_reasons(data, rate, policy, self.rules, self.reference_seconds)
