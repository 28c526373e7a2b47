"""A deterministic corpus of good, bad and broken audio files for the signal checks.

Every entry is ``(name, bytes, expect)``; ``expect`` says what the load + signal-check
path must do with it, for a model whose training clips last ``REFERENCE_SECONDS``:

- ``GOOD``: a usable signal, at least 5 s long: it must load and pass every rule;
- ``BAD``: no usable signal (silent, constant, DC, clipped, too short, NaN/Inf,
  unreadable): it must be refused with a one-line :class:`InputError`;
- ``EITHER``: a mutation whose decoded content cannot be known beforehand (a flipped
  header byte, a lying bit depth): any clean outcome is right, a crash or hang is not.

WAV files are encoded here byte by byte (not through libsndfile), so that headers can
lie: a data chunk size, sample rate, channel count, bit depth or format tag may say
anything.
"""
from __future__ import annotations

import io
import struct
from typing import Iterator

import numpy as np
import soundfile as sf

GOOD, BAD, EITHER = "good", "bad", "either"
REFERENCE_SECONDS = 10.0  # median duration of the (pretend) model's training clips
MIN_GOOD_SECONDS = 5.0  # 0.5 x the reference: the relative duration rule
RATES = (8000, 11025, 16000, 22050, 32000, 44100, 48000, 96000)
FORMATS = ("u8", "s16", "s24", "s32", "f32", "f64")
_BITS = {"u8": 8, "s16": 16, "s24": 24, "s32": 32, "f32": 32, "f64": 64}
_MAX_SAMPLES = 3_000_000  # frames x channels per generated file: keeps the corpus small

Entry = tuple[str, bytes, str]


def encode(x: np.ndarray, fmt: str) -> bytes:
    """Interleaved little-endian sample bytes of ``(frames, channels)`` floats."""
    if fmt == "u8":
        return np.clip(np.round(x * 128) + 128, 0, 255).astype(np.uint8).tobytes()
    if fmt == "s16":
        return np.clip(np.round(x * 32768), -32768, 32767).astype("<i2").tobytes()
    if fmt == "s24":
        ints = np.clip(np.round(x * 2**23), -2**23, 2**23 - 1).astype("<i4")
        return ints.reshape(-1, 1).view(np.uint8)[:, :3].tobytes()
    if fmt == "s32":
        return np.clip(np.round(x * 2.0**31), -2**31, 2**31 - 1).astype("<i4").tobytes()
    return x.astype("<f4" if fmt == "f32" else "<f8").tobytes()


def wav(x: np.ndarray, rate: int, fmt: str = "s16", *, data_size: int | None = None,
        riff_size: int | None = None, rate_field: int | None = None, channels_field: int | None = None,
        bits_field: int | None = None, tag_field: int | None = None, align_field: int | None = None) -> bytes:
    """A canonical 44-byte-header WAV of ``x`` ``(frames, channels)``; each ``*_field``
    or size given replaces the honest value in the header."""
    x = x.reshape(len(x), -1) if x.ndim == 1 else x
    channels, bits = x.shape[1], _BITS[fmt]
    data = encode(x, fmt)
    align = channels * bits // 8
    tag = (3 if fmt.startswith("f") else 1) if tag_field is None else tag_field
    fmt_chunk = struct.pack("<HHIIHH", tag, channels if channels_field is None else channels_field,
                            rate if rate_field is None else rate_field, rate * align,
                            align if align_field is None else align_field,
                            bits if bits_field is None else bits_field)
    body = (b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt_chunk
            + b"data" + struct.pack("<I", (len(data) if data_size is None else data_size) & 0xFFFFFFFF) + data)
    return b"RIFF" + struct.pack("<I", (len(body) if riff_size is None else riff_size) & 0xFFFFFFFF) + body


def noise(rng: np.random.Generator, seconds: float, rate: int, channels: int = 1, level: float = 0.1) -> np.ndarray:
    """A usable machine-like signal: noise plus a hum, ``level`` RMS per channel."""
    n = max(1, int(round(seconds * rate)))
    t = np.arange(n) / rate
    hum = 0.5 * np.sin(2 * np.pi * 120.0 * t)[:, None]
    return (level * (rng.standard_normal((n, channels)) + hum) / np.sqrt(1.125)).astype(np.float64)


def _by_duration(seconds: float) -> str:
    return GOOD if seconds >= MIN_GOOD_SECONDS else BAD


def good_signals(rng: np.random.Generator) -> Iterator[Entry]:
    """Every bit depth x 1-8 channels x 8-96 kHz, and 0.1-60 s of mono 16-bit."""
    durations = (5.5, 7.0, 10.0, 12.0, 20.0)
    for i in range(48):
        fmt, channels, rate = FORMATS[i % 6], i // 6 + 1, RATES[i % 8]
        seconds = min(durations[i % 5], _MAX_SAMPLES / (rate * channels))
        frames = int(round(seconds * rate))
        yield (f"noise_{fmt}_{channels}ch_{rate}.wav", wav(noise(rng, seconds, rate, channels), rate, fmt),
               _by_duration(frames / rate))
    for seconds in (0.1, 0.3, 0.5, 0.99, 1.0, 2.0, 4.9, 5.0, 7.0, 30.0, 60.0):
        yield f"noise_{seconds:g}s.wav", wav(noise(rng, seconds, 16000), 16000), _by_duration(seconds)
    for subtype in ("PCM_16", "PCM_24"):  # FLAC, through libsndfile
        buffer = io.BytesIO()
        sf.write(buffer, noise(rng, 8.0, 16000), 16000, format="FLAC", subtype=subtype)
        yield f"noise_{subtype}.flac", buffer.getvalue(), GOOD


def _bad_waves(rng: np.random.Generator, rate: int) -> Iterator[tuple[str, np.ndarray]]:
    n = 10 * rate
    signal = noise(rng, 10.0, rate)
    yield "zeros", np.zeros((n, 1))
    yield "hiss_-90dB", 10 ** (-90 / 20) * rng.standard_normal((n, 1))
    yield "hiss_-80dB", 10 ** (-80 / 20) * rng.standard_normal((n, 1))
    yield "dc_0.5", np.full((n, 1), 0.5)
    yield "dc_-0.3", np.full((n, 1), -0.3)
    yield "dc_offset_noise", 0.5 + 0.5 * signal
    yield "clipped_full_scale", np.clip(8 * signal, -1.0, 1.0)
    yield "flat_top_-3dB", np.clip(8 * signal, -0.7, 0.7)
    one_sided = np.minimum(4 * signal, 0.9)  # flat at +0.9; the negative half scaled to stay unclipped
    one_sided[one_sided < 0] *= 0.25
    yield "clipped_positive_only", one_sided
    mostly_silent = signal.copy()
    mostly_silent[3 * rate:] = 0.0
    yield "70pct_silent", mostly_silent


def bad_signals(rng: np.random.Generator) -> Iterator[Entry]:
    """Silent, quiet, constant, DC, clipped and partly silent clips in four formats;
    dead or clipped channels; NaN and Inf samples."""
    for fmt in ("u8", "s16", "s24", "f32"):
        for name, x in _bad_waves(rng, 16000):
            yield f"{name}_{fmt}.wav", wav(x, 16000, fmt), BAD
    rate = 22050
    four = noise(rng, 10.0, rate, 4)
    four[:, 2] = np.clip(8 * four[:, 2], -1.0, 1.0)  # one saturated microphone among four
    yield "one_clipped_channel_of_4.wav", wav(four, rate, "s16"), BAD
    yield "silent_6ch.wav", wav(np.zeros((10 * rate, 6)), rate, "s24"), BAD
    inverted = noise(rng, 10.0, rate)
    yield "phase_inverted_stereo.wav", wav(np.hstack([inverted, -inverted]), rate, "f32"), BAD  # the mean is 0
    for fmt in ("f32", "f64"):
        for value, label in ((np.nan, "nan"), (np.inf, "inf"), (-np.inf, "-inf")):
            for where in (0, 80000, -1):
                x = noise(rng, 10.0, 16000)
                x[where] = value
                yield f"{label}_at_{where}_{fmt}.wav", wav(x, 16000, fmt), BAD


def truncations(rng: np.random.Generator) -> Iterator[Entry]:
    """Files cut at many points: before, in and after the header, inside samples."""
    base = wav(noise(rng, 10.0, 16000), 16000, "s16")
    cuts = (1, 2, 4, 8, 12, 16, 20, 24, 36, 40, 43, 44, 45, 46, 47, 100, 1000, 16044, 32044, 32045,
            64044, 128044, 160043, 160044, 160045, 200044, 300000, len(base) - 1)
    for cut in cuts:
        seconds = max(0, cut - 44) // 2 / 16000
        yield f"cut_s16_{cut}.wav", base[:cut], _by_duration(seconds)
    stereo = wav(noise(rng, 10.0, 48000, 2), 48000, "s24")
    for fraction in (0.01, 0.1, 0.3, 0.49, 0.51, 0.7, 0.999):
        cut = int(len(stereo) * fraction)
        seconds = max(0, cut - 44) // 6 / 48000
        yield f"cut_s24_stereo_{fraction:g}.wav", stereo[:cut], _by_duration(seconds)
    floats = wav(noise(rng, 10.0, 16000), 16000, "f32")
    for cut in (30, 44, 47, 64044, 200047, len(floats) - 3):
        seconds = max(0, cut - 44) // 4 / 16000
        yield f"cut_f32_{cut}.wav", floats[:cut], _by_duration(seconds)


def _flipped(data: bytes, positions: list[int]) -> bytes:
    out = bytearray(data)
    for position in positions:
        out[position] ^= 0xFF
    return bytes(out)


def byte_flips(rng: np.random.Generator) -> Iterator[Entry]:
    """Each header byte flipped; sample bytes flipped in good, silent and float files."""
    good = wav(noise(rng, 10.0, 16000), 16000, "s16")
    silent = wav(np.zeros((160000, 1)), 16000, "s16")
    floats = wav(noise(rng, 10.0, 16000), 16000, "f32")
    for position in range(44):
        yield f"flip_header_{position}.wav", _flipped(good, [position]), EITHER
        yield f"flip_silent_header_{position}.wav", _flipped(silent, [position]), BAD
    data_positions = [int(p) for p in rng.integers(44, len(good), 12)]
    for position in data_positions:  # one click in a real signal: still a good clip
        yield f"flip_data_{position}.wav", _flipped(good, [position]), GOOD
        yield f"flip_silent_data_{position}.wav", _flipped(silent, [position]), BAD  # silence + one click
        yield f"flip_float_data_{position}.wav", _flipped(floats, [position]), EITHER  # may be NaN
    yield "flip_data_x8.wav", _flipped(good, [int(p) for p in rng.integers(44, len(good), 8)]), GOOD


def lying_headers(rng: np.random.Generator) -> Iterator[Entry]:
    """Headers whose sizes, rate, channels, bit depth or format say something else."""
    x = noise(rng, 10.0, 16000)
    n = 320000  # honest data size in bytes
    yield "data_size_double.wav", wav(x, 16000, data_size=2 * n), GOOD
    yield "data_size_odd.wav", wav(x, 16000, data_size=n - 1), GOOD
    yield "data_size_6s.wav", wav(x, 16000, data_size=6 * 32000), GOOD
    yield "data_size_max.wav", wav(x, 16000, data_size=0xFFFFFFFF), EITHER
    for seconds in (0, 0.5, 1, 4):
        yield f"data_size_{seconds}s.wav", wav(x, 16000, data_size=int(seconds * 32000)), BAD
    for riff in (0, 4, n // 2, 0xFFFFFFFF):
        yield f"riff_size_{riff}.wav", wav(x, 16000, riff_size=riff), EITHER
    for rate, expect in ((0, BAD), (1, BAD), (999, BAD), (500000, BAD), (0xFFFFFFFF, BAD),
                         (8000, GOOD), (32000, GOOD), (48000, BAD), (96000, BAD)):
        yield f"rate_{rate}.wav", wav(x, 16000, rate_field=rate), expect  # 48 kHz: the clip lasts 3.3 s
    for channels, expect in ((0, BAD), (2, EITHER), (3, BAD), (200, BAD), (65535, BAD)):
        yield f"channels_{channels}.wav", wav(x, 16000, channels_field=channels), expect
    for bits in (0, 1, 7, 8, 12, 24, 32, 64, 65535):
        yield f"bits_{bits}.wav", wav(x, 16000, bits_field=bits), EITHER
    for tag in (0, 2, 3, 6, 7, 0x55, 0xFFFE, 0xFFFF):
        yield f"format_tag_{tag}.wav", wav(x, 16000, tag_field=tag), EITHER
    for align in (0, 1, 3, 1000):
        yield f"block_align_{align}.wav", wav(x, 16000, align_field=align), EITHER
    zeros = np.zeros((160000, 1))
    for name, kwargs in (("rate_8000", {"rate_field": 8000}), ("bits_8", {"bits_field": 8}),
                         ("data_size_double", {"data_size": 2 * n}), ("channels_2", {"channels_field": 2}),
                         ("format_tag_3", {"tag_field": 3})):
        yield f"silent_{name}.wav", wav(zeros, 16000, **kwargs), BAD  # zeros stay zeros whatever the header says


def not_audio(rng: np.random.Generator) -> Iterator[Entry]:
    """Empty, text, random bytes, and other formats named .wav."""
    yield "empty.wav", b"", BAD
    yield "text.wav", b"hello, this is not audio\n", BAD
    yield "csv.wav", b"path,machine,section\nclip.wav,fan,00\n" * 50, BAD
    yield "json.wav", b'{"samples": [0, 1, 2], "rate": 16000}', BAD
    yield "html.wav", b"<!doctype html><html><body>404</body></html>", BAD
    yield "png.wav", b"\x89PNG\r\n\x1a\n" + rng.bytes(2000), BAD
    yield "riff_only.wav", b"RIFF", BAD
    yield "riff_text.wav", b"RIFF\x24\x00\x00\x00WAVE" + b"not a chunk at all" * 20, BAD
    yield "header_then_text.wav", wav(np.zeros((0, 1)), 16000)[:44] + b"lorem ipsum " * 4000, EITHER
    for size in (1, 17, 44, 1000, 100000):
        yield f"random_{size}.wav", rng.bytes(size), BAD
    yield "header_only.wav", wav(np.zeros((0, 1)), 16000), BAD


def build_corpus(seed: int = 0) -> list[Entry]:
    """The whole corpus, the same bytes for the same seed."""
    rng = np.random.default_rng(seed)
    entries: list[Entry] = []
    for part in (good_signals, bad_signals, truncations, byte_flips, lying_headers, not_audio):
        entries.extend(part(rng))
    names = [name for name, _, _ in entries]
    assert len(set(names)) == len(names), "corpus names must be unique"
    return entries
