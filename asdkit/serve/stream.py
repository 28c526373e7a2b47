"""The WebSocket ``/stream``: a live signal scored window by window, as ``asdkit monitor`` does.

Query: ``machine`` (optional when the model knows one type), ``section`` (00),
``rate`` (the client's sample rate, default the model's), ``format`` (``f32`` or
``s16``: little-endian PCM), ``channels`` (1; interleaved, mixed by the model's channel
rule), ``hop`` (seconds between window starts, default :data:`DEFAULT_HOP_SECONDS`),
``window`` (seconds, default the model's clip length), ``on_after``/``off_after``
(hysteresis: windows in a row that raise / clear an alert, 3/3).

The client sends binary frames of PCM (any size; a frame may end mid-sample). The
server cuts windows of the model's clip length (``policy.seconds``, else the training
clips' median duration) every ``hop`` (:class:`~asdkit.monitor.windows.SlidingWindows`)
and answers one JSON text message per window, in order, with the keys of ``asdkit
monitor``'s JSON lines: ``window``, ``start_s``, ``end_s``, ``end_sample`` (the
window's last sample + 1, in stream samples), ``machine``, ``section``, ``score``,
``threshold``, ``anomalous``, ``bad_signal``, ``anomaly_rate``, ``alert`` (the state),
``event`` (``"alert"``/``"clear"`` when it changes, else null) and ``delay_ms`` (from
the frame that completed the window to the
verdict). Windows are scored through the service's batcher, with the HTTP clips.

As in ``monitor``, a bad window (silent, constant, clipped, NaN) is never "normal":
it is scored, its decision forced to anomalous and the reasons listed. A bad query is
one ``{"error": ...}`` message, then the socket closes with code 1008; a text frame
is answered the same way with code 1003.
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from ..errors import AsdkitError
from ..monitor.pcm import FrameReader, PcmFormat, raw_format
from ..monitor.runner import check_rate, clip_seconds
from ..monitor.windows import Hysteresis, SlidingWindows
from ..pipeline.online import OnlineScorer, Verdict
from .batcher import Batcher
from .errors import ServeError, error_body, internal_message
from .uploads import resolve_target

DEFAULT_HOP_SECONDS = 1.0
CLOSE_POLICY, CLOSE_UNSUPPORTED, CLOSE_INTERNAL = 1008, 1003, 1011


@dataclass(frozen=True)
class StreamOptions:
    """A stream's parameters, from its query string."""

    machine: str
    section: str
    fmt: PcmFormat
    window: int  # samples at the client's rate
    hop: int
    on_after: int
    off_after: int

    @classmethod
    def from_query(cls, query: Mapping[str, str], scorer: OnlineScorer, strict: bool) -> "StreamOptions":
        model = scorer.model
        machine, section = resolve_target(query, {}, model.machines)
        try:
            model.threshold(machine, section)  # an unknown section fails now, not per window
            rate = _int(query, "rate", model.policy.sr)
            fmt = raw_format(query.get("format", "f32"), rate, _int(query, "channels", 1))
            check_rate(rate, model.policy.sr, strict or model.policy.strict, "stream")
            window_s = _float(query, "window", 0.0) or clip_seconds(model)
        except AsdkitError as exc:
            raise ServeError(422, str(exc)) from None
        hop_s = _float(query, "hop", DEFAULT_HOP_SECONDS)
        if not hop_s > 0 or not window_s > 0:
            raise ServeError(422, f"hop and window must be > 0 seconds, got {hop_s:g} and {window_s:g}")
        on_after, off_after = _int(query, "on_after", 3), _int(query, "off_after", 3)
        if on_after < 1 or off_after < 1:
            raise ServeError(422, "on_after and off_after must be >= 1")
        return cls(machine, section, fmt, max(1, round(window_s * rate)), max(1, round(hop_s * rate)),
                   on_after, off_after)


def _int(query: Mapping[str, str], key: str, default: int) -> int:
    text = query.get(key)
    if text is None:
        return default
    try:
        return int(text)
    except ValueError:
        raise ServeError(422, f"{key} must be an integer, got {text!r}") from None


def _float(query: Mapping[str, str], key: str, default: float) -> float:
    text = query.get(key)
    if text is None:
        return default
    try:
        return float(text)
    except ValueError:
        raise ServeError(422, f"{key} must be a number, got {text!r}") from None


class StreamSession:
    """One open stream: bytes in, one record per completed window out."""

    def __init__(self, options: StreamOptions, scorer: OnlineScorer, batcher: Batcher,
                 on_verdict: Any = None) -> None:
        self.options = options
        self.scorer = scorer  # on_bad_signal="flag": a window is never refused
        self.batcher = batcher
        self.on_verdict = on_verdict
        self.frames = FrameReader(options.fmt)
        self.windows = SlidingWindows(options.window, options.hop)
        self.hysteresis = Hysteresis(options.on_after, options.off_after)
        self.count = 0
        self.anomalous = 0

    async def feed(self, data: bytes) -> list[dict[str, Any]]:
        """Records of the windows that ``data`` completes, scored in stream order."""
        from ..audio.load import select_channel

        received = time.perf_counter()
        mono = select_channel(self.frames.feed(data), self.scorer.model.policy.channel, "stream")
        records = []
        for end, window in self.windows.push(mono):
            wave, reasons = self._prepare(window)
            verdict = await self.batcher.score(wave, self.options.machine, self.options.section, reasons)
            if self.on_verdict is not None:
                self.on_verdict(verdict)
            records.append(self._record(end, verdict, (time.perf_counter() - received) * 1000.0))
        return records

    def _prepare(self, window: np.ndarray) -> tuple[np.ndarray, list[str]]:
        extra: list[str] = []
        if not np.isfinite(window).all():  # an f32 stream can carry them: flagged, heard as 0
            extra = ["not finite: NaN or Inf samples (scored as 0)"]
            window = np.nan_to_num(window, nan=0.0, posinf=0.0, neginf=0.0)
        wave, reasons = self.scorer.prepare(window, self.options.fmt.rate, "window")
        return wave, extra + reasons

    def _record(self, end: int, verdict: Verdict, delay_ms: float) -> dict[str, Any]:
        rate = self.options.fmt.rate
        self.count += 1
        self.anomalous += bool(verdict.anomalous)
        event = self.hysteresis.update(bool(verdict.anomalous))
        return {"window": self.count - 1, "start_s": round((end - self.options.window) / rate, 6),
                "end_s": round(end / rate, 6), "end_sample": int(end), "machine": verdict.machine,
                "section": verdict.section, "score": verdict.score, "threshold": verdict.threshold,
                "anomalous": bool(verdict.anomalous), "bad_signal": list(verdict.bad_signal),
                "anomaly_rate": self.anomalous / self.count, "alert": self.hysteresis.state, "event": event,
                "delay_ms": round(delay_ms, 3)}


async def serve_stream(websocket: Any, scorer: OnlineScorer, batcher: Batcher, strict: bool,
                       on_verdict: Any = None) -> None:
    """Run one WebSocket stream until the client closes it."""
    from starlette.websockets import WebSocketDisconnect

    await websocket.accept()
    try:
        options = StreamOptions.from_query(websocket.query_params, scorer, strict)
    except ServeError as exc:
        await _close_with(websocket, exc.message, CLOSE_POLICY)
        return
    session = StreamSession(options, scorer, batcher, on_verdict)
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("bytes")
            if data is None:
                await _close_with(websocket, "send binary frames of PCM samples, not text", CLOSE_UNSUPPORTED)
                return
            for record in await session.feed(data):
                await websocket.send_json(record)
    except WebSocketDisconnect:
        return
    except AsdkitError as exc:  # samples the model cannot take: this stream ends, the service goes on
        await _close_with(websocket, str(exc), CLOSE_POLICY)
    except Exception as exc:  # one stream's failure closes that stream only
        await _close_with(websocket, internal_message(exc), CLOSE_INTERNAL)


async def _close_with(websocket: Any, message: str, code: int) -> None:
    """Send one error message and close; the client may already be gone."""
    with contextlib.suppress(Exception):
        await websocket.send_json(error_body(message))
        await websocket.close(code=code)
