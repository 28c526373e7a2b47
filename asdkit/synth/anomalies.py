"""Anomalies: faults added to, or changing, a machine's normal sound.

Difficulty is one number, ``anomaly_snr`` (dB):

- additive faults (``bearing``, ``imbalance``, ``rubbing``) are scaled so the dry
  machine sound is ``anomaly_snr`` dB above the fault sound (RMS);
- ``clipping`` picks the clipping level so the clipped-minus-original difference is
  ``anomaly_snr`` dB below the recording;
- faults that change how the machine runs map the SNR to a severity
  ``s = 10 ** (-snr / 20)`` (1 at 0 dB, 0.5 at 6 dB, 0.1 at 20 dB): ``drift`` changes
  speed by ``0.3 s`` over the clip, ``missing_events`` drops ``0.6 s`` of the events,
  ``extra_events`` adds ``0.6 s`` as many (at least one in both cases).
"""
from __future__ import annotations

import numpy as np

from . import dsp
from .families import MachineSignal, Modifiers

ANOMALY_KINDS = ("bearing", "imbalance", "rubbing", "drift", "missing_events", "extra_events", "clipping")
MODIFYING_KINDS = frozenset({"drift", "missing_events", "extra_events"})
ADDITIVE_KINDS = frozenset({"bearing", "imbalance", "rubbing"})

_MAX_FAULT_RATE_HZ = 300.0


def severity(snr_db: float) -> float:
    return float(np.clip(10 ** (-snr_db / 20), 0.02, 1.0))


def modifiers_for(kind: str | None, snr_db: float) -> Modifiers:
    """How a modifying fault changes the run; no change for other kinds."""
    s = severity(snr_db)
    if kind == "drift":
        return Modifiers(speed_drift=0.3 * s)
    if kind == "missing_events":
        return Modifiers(event_drop=0.6 * s)
    if kind == "extra_events":
        return Modifiers(event_extra=0.6 * s)
    return Modifiers()


def bearing_fault(rng: np.random.Generator, signal: MachineSignal, sr: int) -> np.ndarray:
    """Outer-race defect: impulses at a non-integer multiple of shaft speed ringing a
    high-frequency resonance, stronger when the defect passes the load zone."""
    n = len(signal.dry)
    ratio = rng.uniform(3.0, 5.5)
    ratio *= min(1.0, _MAX_FAULT_RATE_HZ / (ratio * float(signal.shaft_hz.mean()) + 1e-9))
    fault_cycles = signal.shaft_cycles * ratio
    onsets = np.flatnonzero(np.diff(np.floor(fault_cycles)) > 0) + 1
    load_zone = 1.0 + 0.6 * dsp.cosine(signal.shaft_cycles[onsets])
    kernel = dsp.resonance_kernel(sr, rng.uniform(2500, 5500, 2), 0.0015, rng, length_s=0.01)
    return dsp.render_events(n, onsets, load_zone * rng.uniform(0.7, 1.0, len(onsets)), kernel)


def imbalance(rng: np.random.Generator, signal: MachineSignal, sr: int) -> np.ndarray:  # noqa: ARG001 - fault signature
    """Once-per-revolution force: low shaft harmonics plus a wobble of the whole sound."""
    cycles = signal.shaft_cycles
    tone = dsp.cosine(cycles) + 0.5 * dsp.cosine(2 * cycles + rng.uniform()) + 0.3 * dsp.cosine(3 * cycles)
    wobble = signal.dry * dsp.cosine(cycles + rng.uniform())
    return (0.5 * tone * dsp.rms(signal.dry) + wobble).astype(np.float32)


def rubbing(rng: np.random.Generator, signal: MachineSignal, sr: int) -> np.ndarray:
    """Intermittent contact: rasping noise bursts at one angle of each revolution, in a
    few stretches of the clip."""
    n = len(signal.dry)
    revolutions = np.flatnonzero(np.diff(np.floor(signal.shaft_cycles + rng.uniform())) > 0) + 1
    active = np.zeros(n, dtype=bool)
    for _ in range(int(rng.integers(1, 4))):  # a handful of stretches, not samples
        start = int(rng.integers(0, n))
        active[start : start + int(rng.uniform(1.0, 3.0) * sr)] = True
    starts = revolutions[active[revolutions]] if len(revolutions) else np.zeros(0, dtype=np.int64)
    if not len(starts):
        starts = np.array([int(rng.integers(0, max(n - sr // 2, 1)))])
    burst_len = np.minimum(0.15 * sr / np.maximum(signal.shaft_hz[starts], 1e-3), 0.2 * sr)
    noise = dsp.coloured_noise(rng, n, sr, rng.uniform(1500, 4000), 0.9)
    return noise * dsp.gate(n, starts, burst_len, int(0.002 * sr))


_ADDERS = {"bearing": bearing_fault, "imbalance": imbalance, "rubbing": rubbing}


def add_fault(kind: str, rng: np.random.Generator, signal: MachineSignal, snr_db: float,
              sr: int) -> np.ndarray:
    """Dry sound with an additive fault at ``snr_db`` below it."""
    fault = _ADDERS[kind](rng, signal, sr)
    return signal.dry + dsp.scale_to_snr(fault, signal.dry, snr_db).astype(np.float32)


def clip_to_snr(wave: np.ndarray, snr_db: float, iterations: int = 24) -> np.ndarray:
    """Hard-clip ``wave`` at the level whose clipping distortion is ``snr_db`` below it."""
    peak = float(np.abs(wave).max())
    target = dsp.rms(wave) * 10 ** (-snr_db / 20)
    low, high = 0.0, peak  # distortion falls as the clipping level rises
    for _ in range(iterations):
        level = 0.5 * (low + high)
        distortion = dsp.rms(wave - np.clip(wave, -level, level))
        low, high = (level, high) if distortion > target else (low, level)
    level = 0.5 * (low + high)
    return np.clip(wave, -level, level)
