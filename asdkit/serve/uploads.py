"""From an HTTP request to decoded audio: every way a request can be bad is a 4xx.

A ``POST /score`` body is either one encoded file (WAV, FLAC, OGG; any content type
but ``multipart/form-data``) or a multipart form with one or more files and optional
``machine``/``section`` fields. The checks run cheapest first, so that a huge or
foreign body is refused before anything is decoded:

1. body size over ``max_body_bytes`` (from ``Content-Length``, or while reading) -> 413
2. empty body or file -> 400
3. the header is not audio libsndfile reads -> 415 (16-bit and float WAV are read by
   NumPy, bit-identical and faster; every other format by libsndfile)
4. implausible sample rate (outside 1 kHz..384 kHz) -> 422
5. longer than ``max_seconds`` (header, then decoded length) -> 413
6. sample rate other than the model's under a strict policy -> 422
7. undecodable samples, no samples after the header, NaN/Inf -> 422

Messages name the file as :func:`asdkit.pipeline.online.decode_bytes` does.
"""
from __future__ import annotations

import asyncio
import io
import re
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import HTTP
from typing import Any, Mapping

import numpy as np

from ..audio import AudioPolicy
from ..errors import AsdkitError
from ..monitor.pcm import WAV_MAGIC, PcmFormat, read_wav_header
from .errors import ServeError, one_line

#: Names a section may take (DCASE uses "00".."99"; kept short and plain for logs).
_SECTION = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
#: Sample rates a real file can have (asdkit.audio.load refuses files outside them too).
PLAUSIBLE_RATES = (1000, 384000)
#: libsndfile's prefix naming the in-memory file object (noise in a message).
_OPENING = re.compile(r"^Error opening .*?: ")


@dataclass(frozen=True)
class Upload:
    """One file of a request: the name it is reported under and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class ParsedRequest:
    """The files of a ``POST /score`` and the form fields sent with them."""

    uploads: list[Upload]
    fields: dict[str, str]
    multipart: bool


async def read_body(request: Any, max_bytes: int, timeout_s: float) -> bytes:
    """The whole body, refused with 413 as soon as it is known to exceed ``max_bytes``
    and with 408 when it takes longer than ``timeout_s`` to arrive. A client that
    disconnects midway raises starlette's ``ClientDisconnect`` (nobody to answer)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ServeError(400, f"invalid Content-Length header {declared!r}")
        if int(declared) > max_bytes:
            raise ServeError(413, f"request body of {int(declared)} bytes is over the limit of "
                                  f"{max_bytes} bytes (--max-body-mb)")
    chunks: list[bytes] = []
    size = 0

    async def collect() -> None:
        nonlocal size
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_bytes:
                raise ServeError(413, f"request body is over the limit of {max_bytes} bytes (--max-body-mb)")
            chunks.append(chunk)

    try:
        await asyncio.wait_for(collect(), timeout_s)
    except asyncio.TimeoutError:
        raise ServeError(408, f"request body not received within {timeout_s:g} s") from None
    return b"".join(chunks)


def parse_request(body: bytes, content_type: str | None, name: str, max_files: int) -> ParsedRequest:
    """Split a body into its files: one raw file named ``name``, or the files of a form."""
    if not (content_type or "").lower().startswith("multipart/form-data"):
        return ParsedRequest([Upload(name, body)], {}, multipart=False)
    uploads, fields = split_multipart(body, content_type or "")
    if not uploads:
        raise ServeError(400, "multipart request holds no file (send the audio as file fields)")
    if len(uploads) > max_files:
        raise ServeError(413, f"multipart request holds {len(uploads)} files, over the limit of {max_files}")
    return ParsedRequest(uploads, fields, multipart=True)


def _boundary(content_type: str) -> bytes:
    header = Message()
    header["content-type"] = content_type
    boundary = header.get_param("boundary")
    if not isinstance(boundary, str) or not boundary or len(boundary) > 200:
        raise ServeError(400, "multipart/form-data without a valid boundary parameter")
    return boundary.encode("latin-1")


def split_multipart(body: bytes, content_type: str) -> tuple[list[Upload], dict[str, str]]:
    """The file parts (in order) and text fields of a ``multipart/form-data`` body.

    RFC 7578 / 2046: parts are separated by ``CRLF--boundary``; each part is header
    lines, an empty line, then its bytes verbatim. Part headers are parsed by the
    standard library's email parser; the bytes are cut exactly, never re-encoded."""
    delimiter = b"--" + _boundary(content_type)
    start = body.find(delimiter)
    if start < 0:
        raise ServeError(400, "multipart body does not contain its boundary")
    pos = start + len(delimiter)
    uploads: list[Upload] = []
    fields: dict[str, str] = {}
    while not body.startswith(b"--", pos):  # "--boundary--" closes the body
        line_end = body.find(b"\r\n", pos)
        end = body.find(b"\r\n" + delimiter, line_end) if line_end >= 0 else -1
        if end < 0:
            raise ServeError(400, "multipart body is truncated (no closing boundary)")
        part = body[line_end + 2:end]
        if part.startswith(b"\r\n"):  # a part without headers
            head, content = b"", part[2:]
        else:
            separator = part.find(b"\r\n\r\n")
            if separator < 0:
                raise ServeError(400, "multipart part without the empty line that ends its headers")
            head, content = part[:separator + 2], part[separator + 4:]
        headers = BytesHeaderParser(policy=HTTP).parsebytes(head)
        field_name = headers.get_param("name", header="content-disposition")
        filename = headers.get_filename()
        if filename is not None:
            uploads.append(Upload(filename or f"file{len(uploads)}", content))
        elif isinstance(field_name, str):
            fields[field_name] = content.decode("utf-8", errors="replace").strip()
        pos = end + 2 + len(delimiter)
    return uploads, fields


def resolve_target(query: Mapping[str, str], fields: Mapping[str, str], machines: list[str]) -> tuple[str, str]:
    """``(machine, section)`` of a request: form fields win over query parameters; the
    machine may be left out only when the model knows a single machine type."""
    machine = fields.get("machine") or query.get("machine") or ""
    section = fields.get("section") or query.get("section") or "00"
    if not machine:
        if len(machines) != 1:
            raise ServeError(400, f"machine is required (the model knows {', '.join(machines)}): "
                                  "add ?machine=NAME or a machine form field")
        machine = machines[0]
    if machine not in machines:
        raise ServeError(422, f"machine type '{machine}' unseen in training (the model knows "
                              f"{', '.join(machines)})")
    if not _SECTION.match(section):
        raise ServeError(422, f"section {section!r} is not a plain name like 00 (letters, digits, _ or -)")
    return machine, section


def decode_upload(upload: Upload, policy: AudioPolicy, strict: bool, max_seconds: float) -> tuple[np.ndarray, int]:
    """``(frames, channels)`` float32 and the rate of one file, or a :class:`ServeError`
    whose status says which check it failed (see the module docstring). The header is
    checked before a single sample is decoded."""
    name = upload.name
    if not upload.data:
        raise ServeError(400, f"{name}: empty upload (0 bytes)")
    fast = _plain_wav(upload.data)
    if fast is not None:
        fmt, body = fast
        _check_header(name, fmt.rate, len(body) // fmt.frame_bytes, policy, strict, max_seconds)
        samples, rate = fmt.decode(body), fmt.rate
    else:
        samples, rate = _decode_soundfile(upload, policy, strict, max_seconds)
    if samples.shape[0] == 0:
        raise ServeError(422, f"{name}: contains no audio samples (truncated after the header?)")
    if samples.shape[0] / rate > max_seconds:  # the header understated the length
        raise ServeError(413, f"{name}: {samples.shape[0] / rate:.1f} s of audio, over the limit of "
                              f"{max_seconds:g} s (--max-seconds)")
    if not np.isfinite(samples).all():
        raise ServeError(422, f"{name}: contains NaN or Inf samples")
    return samples, rate


def _plain_wav(data: bytes) -> tuple[PcmFormat, bytes] | None:
    """The format and whole frames of a 16-bit integer or 32-bit float PCM WAV, or None
    for anything else (decoded by libsndfile). NumPy reads these two as libsndfile does,
    bit for bit (int16 / 32768; float32 as is), about 9x faster on a 10 s clip than
    libsndfile reading from memory through Python callbacks."""
    if not (data.startswith(WAV_MAGIC) and data[8:12] == b"WAVE"):
        return None
    stream = io.BytesIO(data)
    try:
        fmt, size = read_wav_header(stream, stream.read(4), "upload")
    except AsdkitError:  # compressed, odd or broken: libsndfile decides
        return None
    if size is None or (fmt.kind, fmt.bits) not in (("int", 16), ("float", 32)):
        return None
    body = stream.read(size)  # a truncated file: the frames it has, as libsndfile reads them
    return fmt, body[:len(body) - len(body) % fmt.frame_bytes]


def _decode_soundfile(upload: Upload, policy: AudioPolicy, strict: bool, max_seconds: float) -> tuple[np.ndarray, int]:
    """Any format libsndfile reads, opened once: the header checked before decoding."""
    import soundfile as sf

    name = upload.name
    try:
        handle = sf.SoundFile(io.BytesIO(upload.data))
    except Exception as exc:  # libsndfile reports every foreign format its own way
        raise ServeError(415, f"{name}: not a readable audio file ({_reason(exc)}); send WAV, FLAC or OGG") from None
    with handle:
        _check_header(name, handle.samplerate, handle.frames, policy, strict, max_seconds)
        try:
            samples = handle.read(dtype="float32", always_2d=True)
        except Exception as exc:
            raise ServeError(422, f"{name}: not a readable audio file ({_reason(exc)})") from None
        return samples, int(handle.samplerate)


def _check_header(name: str, rate: int, frames: int, policy: AudioPolicy, strict: bool, max_seconds: float) -> None:
    if not PLAUSIBLE_RATES[0] <= rate <= PLAUSIBLE_RATES[1]:
        raise ServeError(422, f"{name}: implausible sample rate {rate} Hz (corrupt header?)")
    if frames / rate > max_seconds:
        raise ServeError(413, f"{name}: {frames / rate:.1f} s of audio, over the limit of {max_seconds:g} s "
                              "(--max-seconds)")
    if strict and rate != policy.sr:
        raise ServeError(422, f"{name}: sample rate {rate} Hz, expected {policy.sr} Hz "
                              "(strict: resample the audio, or serve without --strict)")


def _reason(exc: BaseException) -> str:
    return _OPENING.sub("", one_line(exc)).rstrip(".")
