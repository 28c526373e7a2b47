"""Operating conditions and the acoustic scene: what differs between source and target.

The target domain shifts the operating point (attribute values the source never
uses: other speeds, loads), the background (louder, differently coloured factory
noise) and the microphone (a different frequency colouring). Room reverberation is
a short synthetic impulse response per machine, domain and microphone position.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import fft as sfft

from .dsp import spectral_noise

N_POSITIONS = 3  # microphone positions per machine and domain
#: Background noise is cut from a long per-domain recording of the factory floor:
#: ambient noise needs no per-clip synthesis, and a random cut varies it clip to clip.
BACKGROUND_SECONDS = 60.0


@dataclass(frozen=True)
class Conditions:
    """One clip's operating point and recording set-up."""

    domain: str
    values: dict[str, int] = field(default_factory=dict)  # attribute -> value (speed, load...)
    background_snr_db: float = 20.0
    position: int = 0

    def value(self, key: str, default: float = 0.0) -> float:
        return float(self.values.get(key, default))


def draw_conditions(rng: np.random.Generator, attribute_values: dict[str, tuple[tuple[int, ...], tuple[int, ...]]],
                    domain: str) -> Conditions:
    """Pick attribute values from the domain's set, a background level and a position."""
    which = 0 if domain == "source" else 1
    values = {key: int(rng.choice(choices[which])) for key, choices in attribute_values.items()}
    snr_range = (18.0, 26.0) if domain == "source" else (9.0, 15.0)
    return Conditions(domain=domain, values=values,
                      background_snr_db=float(rng.uniform(*snr_range)),
                      position=int(rng.integers(N_POSITIONS)))


def _room_impulse(rng: np.random.Generator, sr: int, rt60: float) -> np.ndarray:
    """Direct sound, a few early reflections and an exponentially decaying diffuse tail."""
    length = int(sr * rt60)
    t = np.arange(length) / sr
    ir = rng.standard_normal(length) * np.exp(-6.9 * t / rt60) * rng.uniform(0.05, 0.12)
    ir[0] = 1.0
    delays = rng.integers(int(0.002 * sr), int(0.025 * sr), size=4)
    ir[delays] += rng.uniform(0.2, 0.5, size=4) * rng.choice([-1, 1], size=4)
    return (ir / np.sqrt(np.sum(ir**2))).astype(np.float32)


def _mic_curve(freqs: np.ndarray, tilt_db_per_oct: float, peak_hz: float, peak_db: float) -> np.ndarray:
    """Microphone colouring: spectral tilt, one resonance, and a 40 Hz high-pass."""
    octaves = np.log2(np.maximum(freqs, 1.0) / 1000.0)
    peak_octaves = np.log2(np.maximum(freqs, 1.0) / peak_hz)
    gain_db = tilt_db_per_oct * octaves + peak_db * np.exp(-0.5 * (peak_octaves / 0.35) ** 2)
    high_pass = freqs**2 / (freqs**2 + 40.0**2)
    return (10 ** (gain_db / 20) * high_pass).astype(np.float32)


def _background_shape(freqs: np.ndarray, rng: np.random.Generator, domain: str) -> np.ndarray:
    """Factory background: pink floor, mains hum lines, a broad band of distant machinery."""
    pink = 1.0 / np.sqrt(np.maximum(freqs, 20.0) / 20.0)
    mains = 50.0 if domain == "source" else 60.0
    hum = sum(np.exp(-0.5 * ((freqs - k * mains) / 1.5) ** 2) * (3.0 / k) for k in range(1, 5))
    band_hz = rng.uniform(500, 1200) if domain == "source" else rng.uniform(1800, 3500)
    band = 0.6 * np.exp(-0.5 * (np.log2(np.maximum(freqs, 1.0) / band_hz) / 0.6) ** 2)
    return (pink + hum + band).astype(np.float32)


class AcousticScene:
    """Room, microphone and background of one machine, for both domains (cached spectra)."""

    def __init__(self, rng: np.random.Generator, n: int, sr: int) -> None:
        self.n, self.sr = n, sr
        self.rt60 = float(rng.uniform(0.08, 0.25))
        self.n_fft = sfft.next_fast_len(n + int(sr * self.rt60), real=True)
        self.freqs = np.fft.rfftfreq(self.n_fft, 1 / sr).astype(np.float32)
        self._transfers: dict[tuple[str, int], np.ndarray] = {}
        self._mics = {
            "source": _mic_curve(self.freqs, rng.uniform(-0.5, 0.5), rng.uniform(3000, 5000), rng.uniform(1, 3)),
            "target": _mic_curve(self.freqs, rng.uniform(-3.0, -1.5), rng.uniform(600, 1500), rng.uniform(4, 7)),
        }
        self._background_shapes = {d: _background_shape(self.freqs, rng, d) * self._mics[d]
                                   for d in ("source", "target")}
        self._backgrounds: dict[str, np.ndarray] = {}
        self._room_seeds = rng.integers(0, 2**31, size=(2, N_POSITIONS))
        self._background_seeds = rng.integers(0, 2**31, size=2)

    def transfer(self, domain: str, position: int) -> np.ndarray:
        """Room x microphone frequency response for a domain and microphone position."""
        key = (domain, position)
        if key not in self._transfers:
            seed = int(self._room_seeds[0 if domain == "source" else 1, position])
            ir = _room_impulse(np.random.default_rng(seed), self.sr, self.rt60)
            self._transfers[key] = (sfft.rfft(ir, self.n_fft) * self._mics[domain]).astype(np.complex64)
        return self._transfers[key]

    def background(self, domain: str) -> np.ndarray:
        """The domain's long unit-RMS background recording (made on first use)."""
        if domain not in self._backgrounds:
            rng = np.random.default_rng(int(self._background_seeds[0 if domain == "source" else 1]))
            length = max(int(BACKGROUND_SECONDS * self.sr), 4 * self.n)
            n_fft = sfft.next_fast_len(length, real=True)
            freqs = np.fft.rfftfreq(n_fft, 1 / self.sr)
            shape = np.interp(freqs, self.freqs, self._background_shapes[domain]).astype(np.float32)
            noise = sfft.irfft(spectral_noise(rng, n_fft, shape), n_fft)[:length]
            self._backgrounds[domain] = (noise / np.sqrt(np.mean(noise**2))).astype(np.float32)
        return self._backgrounds[domain]

    def record(self, rng: np.random.Generator, dry: np.ndarray, conditions: Conditions) -> np.ndarray:
        """The machine in the room, through the microphone, over background noise."""
        spectrum = sfft.rfft(dry, self.n_fft) * self.transfer(conditions.domain, conditions.position)
        machine = sfft.irfft(spectrum, self.n_fft)[: self.n]
        bank = self.background(conditions.domain)
        start = int(rng.integers(0, len(bank) - self.n + 1))
        gain = np.sqrt(np.mean(machine**2)) * 10 ** (-conditions.background_snr_db / 20)
        return (machine + np.float32(gain) * bank[start : start + self.n]).astype(np.float32, copy=False)
