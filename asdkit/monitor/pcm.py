"""Samples from bytes arriving on a pipe: raw PCM, or a WAV stream whose header comes first.

A WAV stream (``arecord -f S16_LE -r 16000 -t wav``, ``sox ... -t wav -``, ``ffmpeg ...
-f wav -``) is recognised by its ``RIFF``/``WAVE`` magic: the header is parsed (format,
channels, rate, bits), chunks before ``data`` are skipped, and the data is decoded as it
arrives. Streaming writers do not know the length in advance and write a placeholder
data size (0, or 0x7FFFF000 and above); then the data runs to the end of the stream,
otherwise it stops after the declared size (so a trailing ``LIST`` chunk is not heard
as audio).

Supported sample formats: 8-bit unsigned, 16/24/32-bit signed integer and 32/64-bit
float PCM, little endian (WAVE_FORMAT_PCM, _IEEE_FLOAT and _EXTENSIBLE of those);
integers are scaled to [-1, 1) by 2^(bits-1). Raw PCM is ``s16`` (signed 16-bit
little endian, the default of ``arecord``/``sox``) or ``f32`` (32-bit float).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from ..errors import InputError

RAW_FORMATS = ("s16", "f32")
WAV_MAGIC = b"RIFF"
#: Data sizes at or above this are the placeholders of streaming writers.
_UNKNOWN_SIZE = 0x7FFF0000
_TAG_PCM, _TAG_FLOAT, _TAG_EXTENSIBLE = 1, 3, 0xFFFE
_MAX_HEADER_CHUNK = 1 << 20  # a longer chunk before 'data' is not a plausible header


@dataclass(frozen=True)
class PcmFormat:
    """Interleaved little-endian samples: ``kind`` "int" (signed), "uint8" or "float"."""

    kind: str
    bits: int
    channels: int
    rate: int

    def __post_init__(self) -> None:
        valid = {"int": (16, 24, 32), "uint8": (8,), "float": (32, 64)}
        if self.bits not in valid.get(self.kind, ()):
            raise InputError(f"unsupported PCM sample format: {self.kind} {self.bits}-bit")
        if not 1 <= self.channels <= 64:
            raise InputError(f"implausible channel count {self.channels}")
        if not 1000 <= self.rate <= 384000:
            raise InputError(f"implausible sample rate {self.rate} Hz")

    @property
    def frame_bytes(self) -> int:
        return self.bits // 8 * self.channels

    def describe(self) -> str:
        name = {"int": f"s{self.bits}", "uint8": "u8", "float": f"f{self.bits}"}[self.kind]
        return f"{name} {self.rate} Hz x{self.channels}"

    def decode(self, data: bytes) -> np.ndarray:
        """Whole frames of ``data`` as ``(frames, channels)`` float32 (len must divide)."""
        if self.kind == "float":
            flat = np.frombuffer(data, dtype=f"<f{self.bits // 8}").astype(np.float32)
        elif self.kind == "uint8":
            flat = (np.frombuffer(data, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
        elif self.bits == 24:
            # sign-extend 3-byte samples into int32 via the top three bytes of each word
            raw = np.frombuffer(data, dtype=np.uint8).reshape(-1, 3)
            words = np.zeros((raw.shape[0], 4), dtype=np.uint8)
            words[:, 1:] = raw
            flat = (words.view("<i4").ravel() >> 8).astype(np.float32) / float(1 << 23)
        else:
            flat = np.frombuffer(data, dtype=f"<i{self.bits // 8}").astype(np.float32) / float(1 << (self.bits - 1))
        return flat.reshape(-1, self.channels)


def raw_format(name: str, rate: int, channels: int) -> PcmFormat:
    """The :class:`PcmFormat` of ``--format s16|f32``."""
    if name not in RAW_FORMATS:
        raise InputError(f"--format must be one of {', '.join(RAW_FORMATS)}, got {name!r}")
    return PcmFormat("int", 16, channels, rate) if name == "s16" else PcmFormat("float", 32, channels, rate)


def read_exact(stream: BinaryIO, n: int, what: str) -> bytes:
    """Exactly ``n`` bytes (the reads of a pipe may return less); an error at end of stream."""
    parts, got = [], 0
    while got < n:
        part = stream.read(n - got)
        if not part:
            raise InputError(f"{what}: stream ended after {got} of {n} bytes")
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _parse_fmt(body: bytes, where: str) -> PcmFormat:
    if len(body) < 16:
        raise InputError(f"{where}: 'fmt ' chunk of {len(body)} bytes (needs 16)")
    tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
    if tag == _TAG_EXTENSIBLE and len(body) >= 26:
        tag = struct.unpack("<H", body[24:26])[0]  # first two bytes of the sub-format GUID
    if tag == _TAG_FLOAT:
        kind = "float"
    elif tag == _TAG_PCM:
        kind = "uint8" if bits == 8 else "int"
    else:
        raise InputError(f"{where}: WAV format tag {tag:#x} is not PCM or float (compressed WAV streams "
                         "are not supported)")
    try:
        return PcmFormat(kind, bits, channels, rate)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None


def read_wav_header(stream: BinaryIO, magic: bytes, where: str = "stdin") -> tuple[PcmFormat, int | None]:
    """Parse a WAV header whose first 4 bytes (``magic``) were already read; return the
    format and the data size in bytes (``None``: until the end of the stream)."""
    head = magic + read_exact(stream, 12 - len(magic), f"{where}: WAV header")
    if head[:4] != WAV_MAGIC or head[8:12] != b"WAVE":
        raise InputError(f"{where}: not a RIFF/WAVE stream")
    fmt: PcmFormat | None = None
    while True:
        chunk_id, size = struct.unpack("<4sI", read_exact(stream, 8, f"{where}: WAV header"))
        if chunk_id == b"data":
            break
        if size > _MAX_HEADER_CHUNK:
            raise InputError(f"{where}: WAV header chunk {chunk_id!r} of {size} bytes before the data (corrupt?)")
        body = read_exact(stream, size + (size & 1), f"{where}: WAV header")  # chunks are word aligned
        if chunk_id == b"fmt ":
            fmt = _parse_fmt(body[:size], where)
    if fmt is None:
        raise InputError(f"{where}: WAV stream has no 'fmt ' chunk before its data")
    return fmt, (None if size == 0 or size >= _UNKNOWN_SIZE else size)


class FrameReader:
    """Cuts arbitrary byte reads into whole frames, keeping a partial frame for the next read,
    and stops after ``limit`` bytes when the stream declared its length."""

    def __init__(self, fmt: PcmFormat, limit: int | None = None) -> None:
        self.fmt = fmt
        self.remaining = limit
        self._tail = b""

    @property
    def done(self) -> bool:
        return self.remaining is not None and self.remaining <= 0

    def feed(self, data: bytes) -> np.ndarray:
        """``(frames, channels)`` float32 of the whole frames completed by ``data``."""
        if self.remaining is not None:
            data = data[:self.remaining]
            self.remaining -= len(data)
        data = self._tail + data
        whole = len(data) - len(data) % self.fmt.frame_bytes
        self._tail = data[whole:]
        return self.fmt.decode(data[:whole])

    @property
    def leftover(self) -> int:
        """Bytes of an incomplete last frame (reported at the end of the stream)."""
        return len(self._tail)
