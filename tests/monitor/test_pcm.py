"""WAV streams and raw PCM decode to what soundfile reads from the same bytes."""
from __future__ import annotations

import io
import struct

import numpy as np
import pytest
import soundfile as sf

from asdkit.errors import InputError
from asdkit.monitor.pcm import FrameReader, PcmFormat, raw_format, read_wav_header
from asdkit.monitor.sources import open_stdin


def _wav_bytes(samples: np.ndarray, rate: int, subtype: str) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, subtype=subtype, format="WAV")
    return buffer.getvalue()


def _drain(stream) -> np.ndarray:
    blocks = [block.samples for batch in stream.batches() for block in batch]
    return np.concatenate(blocks)


@pytest.fixture
def stereo() -> np.ndarray:
    return (0.4 * np.random.default_rng(0).uniform(-1, 1, (3001, 2))).astype(np.float32)


@pytest.mark.parametrize("subtype", ["PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"])
def test_wav_streams_decode_like_soundfile(stereo, subtype):
    data = _wav_bytes(stereo, 22050, subtype)
    expected, _ = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    stream = open_stdin(io.BytesIO(data), "s16", 16000, 1)
    assert stream.rate == 22050 and stream.format.channels == 2 and "WAV" in stream.description
    np.testing.assert_allclose(_drain(stream), expected, atol=1e-6)


def test_wav_stream_with_extra_chunks_and_a_placeholder_size(stereo):
    data = _wav_bytes(stereo, 16000, "PCM_16")
    pcm = data[44:]
    fmt_chunk = data[12:36]
    listing = b"LIST" + struct.pack("<I", 5) + b"hello\x00"  # odd size: padded to a word
    for size in (0, 0xFFFFFFFF, 0x7FFFF000):
        streamed = (b"RIFF" + struct.pack("<I", 0xFFFFFFFF) + b"WAVE" + fmt_chunk + listing
                    + b"data" + struct.pack("<I", size) + pcm)
        stream = open_stdin(io.BytesIO(streamed), "s16", 16000, 1)
        assert _drain(stream).shape == stereo.shape


def test_declared_data_size_stops_before_trailing_chunks():
    samples = np.linspace(-0.5, 0.5, 100, dtype=np.float32)
    data = _wav_bytes(samples, 16000, "PCM_16") + b"LIST" + struct.pack("<I", 4) + b"junk"
    got = _drain(open_stdin(io.BytesIO(data), "s16", 16000, 1))
    assert got.shape == (100, 1)


def test_raw_pcm_in_any_split_of_bytes():
    samples = np.random.default_rng(2).uniform(-1, 1, (999, 3)).astype(np.float32)
    ints = (samples * 32767).astype("<i2")
    for name, raw, expected in [("s16", ints.tobytes(), ints / 32768.0),
                                ("f32", samples.astype("<f4").tobytes(), samples)]:
        fmt = raw_format(name, 16000, 3)
        reader = FrameReader(fmt)
        cuts = sorted(np.random.default_rng(3).integers(0, len(raw), 40).tolist())
        pieces = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)])]
        decoded = np.concatenate([reader.feed(piece) for piece in pieces])
        np.testing.assert_allclose(decoded, expected, rtol=1e-7)
        assert reader.leftover == 0


def test_raw_stdin_keeps_its_first_bytes_and_reports_a_partial_frame():
    samples = (np.arange(10, dtype=np.float32) - 5) / 8
    warnings: list[str] = []
    stream = open_stdin(io.BytesIO(samples.astype("<f4").tobytes() + b"\x01\x02"), "f32", 8000, 1,
                        warn=warnings.append)
    np.testing.assert_array_equal(_drain(stream)[:, 0], samples)
    assert stream.rate == 8000 and warnings == ["stdin (raw f32 8000 Hz x1): 2 trailing byte(s) of an "
                                                "incomplete frame ignored"]


@pytest.mark.parametrize("data,match", [
    (b"", "empty stream"),
    (b"RIFF\x00\x00", "WAV header: stream ended"),
    (b"RIFF" + b"\x00" * 4 + b"WAVX", "not a RIFF/WAVE stream"),
    (b"RIFF" + b"\x00" * 4 + b"WAVE" + b"data" + b"\x00" * 4, "no 'fmt ' chunk"),
    (b"RIFF" + b"\x00" * 4 + b"WAVE" + b"fmt " + struct.pack("<IHHIIHH", 16, 0x55, 1, 16000, 0, 0, 16),
     "not PCM or float"),
    (b"RIFF" + b"\x00" * 4 + b"WAVE" + b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 50, 0, 0, 16),
     "implausible sample rate"),
])
def test_bad_streams_are_one_line_errors(data, match):
    with pytest.raises(InputError, match=match):
        open_stdin(io.BytesIO(data), "s16", 16000, 1)


def test_formats_are_checked():
    with pytest.raises(InputError, match="unsupported PCM"):
        PcmFormat("int", 12, 1, 16000)
    with pytest.raises(InputError, match="--format"):
        raw_format("s24", 16000, 1)
    with pytest.raises(InputError, match="not a RIFF"):
        read_wav_header(io.BytesIO(b"\x00" * 8), b"RIFX")
