"""The monitor loop: a source, sliding windows, batched scoring, one record per window.

A stream is cut into windows of the model's clip length (``policy.n_samples`` when the
audio policy fixes one, else the median duration of the training clips) every ``hop``
seconds (:class:`~asdkit.monitor.windows.SlidingWindows`, on the mono signal the
model's channel rule makes). Each window goes through
:class:`~asdkit.pipeline.online.OnlineScorer` — resampling by the model's policy,
signal checks, log-mel, backbone, graph, scorer, threshold — so a window scores what
``asdkit score`` gives for the same samples saved as a file. Windows that complete
together (a consumer catching up) are scored in one batch.

Bad signals are never normal: a silent, constant, clipped or non-finite window is
scored and its decision forced to anomalous, the reasons in ``bad_signal``.

Each verdict becomes a record (see :data:`RECORD_FIELDS`); the alert state follows
:class:`~asdkit.monitor.windows.Hysteresis`, and an :class:`AlertCommand` runs when it
turns on. ``delay_ms`` is the wall time from receiving the block that held the
window's last sample to the verdict (queueing behind earlier windows included).
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from ..errors import InputError, ModelError
from .alerts import AlertCommand
from .sources import Block, Clip, QueuedStream
from .windows import Hysteresis, SlidingWindows

#: Keys of a window's record, in order (also the JSON line's keys).
RECORD_FIELDS = ("window", "file", "start_s", "end_s", "wall", "machine", "section", "score", "threshold",
                 "anomalous", "bad_signal", "anomaly_rate", "alert", "event", "delay_ms")
_DELAYS_KEPT = 100_000  # the summary's percentiles cover the latest windows of a long run


def clip_seconds(model: Any) -> float:
    """Window length in seconds: the policy's fixed clip length, else the median
    duration of the model's training clips."""
    if model.policy.n_samples:
        return float(model.policy.n_samples / model.policy.sr)
    if model.config.train_seconds:
        return float(model.config.train_seconds)
    raise ModelError(f"{model.bundle_path}: the model records no clip length; give --window SECONDS")


@dataclass(frozen=True)
class Pending:
    """A window (or clip) waiting for its verdict; times in stream seconds."""

    samples: np.ndarray
    rate: int
    start: float
    end: float
    received: float
    name: str | None = None


@dataclass
class MonitorStats:
    """Running counts and the latest delays (milliseconds)."""

    windows: int = 0
    anomalous: int = 0
    bad_signal: int = 0
    alerts: int = 0
    stream_seconds: float = 0.0
    delays: deque = field(default_factory=lambda: deque(maxlen=_DELAYS_KEPT))

    @property
    def anomaly_rate(self) -> float:
        return self.anomalous / self.windows if self.windows else 0.0

    def delay_percentile(self, q: float) -> float | None:
        return float(np.percentile(np.asarray(self.delays), q)) if self.delays else None

    def summary(self, unit: str = "window") -> str:
        """``12 windows (13.0 s of stream), 5 anomalous (42%), 1 alert, ...`` on one line."""
        text = (f"{self.windows} {unit}(s) ({self.stream_seconds:.1f} s of audio), {self.anomalous} anomalous "
                f"({self.anomaly_rate:.0%}), {self.alerts} alert(s)")
        if self.bad_signal:
            text += f", {self.bad_signal} with a bad signal"
        p50, p99 = self.delay_percentile(50), self.delay_percentile(99)
        if p50 is not None and p99 is not None:
            text += f"; delay p50 {p50:.1f} ms, p99 {p99:.1f} ms"
        return text


class Monitor:
    """Scores pending windows of one machine/section and reports each verdict.

    Args:
        scorer: an :class:`~asdkit.pipeline.online.OnlineScorer` with ``on_bad_signal="flag"``.
        report: called with each record (a dict with :data:`RECORD_FIELDS`).
        hysteresis: the alert state machine.
        alert: the command to run when the state turns on, or ``None``.
        source: a description of the source, passed to the alert command.
    """

    def __init__(self, scorer: Any, machine: str, section: str, report: Callable[[dict], None],
                 hysteresis: Hysteresis | None = None, alert: AlertCommand | None = None,
                 source: str = "") -> None:
        if scorer.check.on_bad != "flag":
            raise ValueError("a monitor flags bad signals: build the scorer with on_bad_signal='flag'")
        scorer.model.check_machines([machine], "--machine")
        scorer.model.threshold(machine, section)  # an unknown section fails now, not per window
        self.scorer, self.machine, self.section = scorer, machine, section
        self.report = report
        self.hysteresis = hysteresis or Hysteresis()
        self.alert = alert
        self.source = source
        self.stats = MonitorStats()

    def warm_up(self, seconds: float) -> None:
        """Score one throw-away window of noise, so that the first real window does not pay
        for lazy initialisation (kernels, allocator) in its delay."""
        rate = self.scorer.model.policy.sr
        noise = np.random.default_rng(0).normal(0.0, 0.05, max(1, round(seconds * rate))).astype(np.float32)
        wave, reasons = self.scorer.prepare(noise, rate, "warm-up")
        self.scorer.score_waves([wave], [self.machine], [self.section], [reasons])

    def _prepare(self, item: Pending) -> tuple[np.ndarray, list[str]]:
        samples = item.samples
        extra: list[str] = []
        if not np.isfinite(samples).all():  # an f32 stream can carry them; a file is refused on decode
            extra = ["not finite: NaN or Inf samples (scored as 0)"]
            samples = np.nan_to_num(samples, nan=0.0, posinf=0.0, neginf=0.0)
        wave, reasons = self.scorer.prepare(samples, item.rate, item.name or "window")
        return wave, extra + reasons

    def score(self, items: Sequence[Pending]) -> list[dict]:
        """Score ``items`` in one batch; report and return their records in order."""
        if not items:
            return []
        prepared = [self._prepare(item) for item in items]
        n = len(items)
        verdicts = self.scorer.score_waves([w for w, _ in prepared], [self.machine] * n, [self.section] * n,
                                           [r for _, r in prepared])
        done = time.perf_counter()
        wall = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        records = []
        for item, verdict in zip(items, verdicts):
            records.append(self._record(item, verdict, (done - item.received) * 1000.0, wall))
        return records

    def _record(self, item: Pending, verdict: Any, delay_ms: float, wall: str) -> dict:
        stats = self.stats
        stats.windows += 1
        stats.anomalous += bool(verdict.anomalous)
        stats.bad_signal += bool(verdict.bad_signal)
        stats.stream_seconds = max(stats.stream_seconds, item.end)
        stats.delays.append(delay_ms)
        event = self.hysteresis.update(bool(verdict.anomalous))
        if event == "alert":
            stats.alerts += 1
            if self.alert is not None:  # before printing: the alert is the urgent part
                self.alert.fire({"event": "alert", "machine": self.machine, "section": self.section,
                                 "score": f"{verdict.score:.6g}", "threshold": f"{verdict.threshold:.6g}",
                                 "stream_seconds": f"{item.end:.3f}", "source": self.source})
        record = {"window": stats.windows - 1, "file": item.name, "start_s": round(item.start, 6),
                  "end_s": round(item.end, 6), "wall": wall, "machine": self.machine, "section": self.section,
                  "score": verdict.score, "threshold": verdict.threshold, "anomalous": bool(verdict.anomalous),
                  "bad_signal": list(verdict.bad_signal), "anomaly_rate": stats.anomaly_rate,
                  "alert": self.hysteresis.state, "event": event, "delay_ms": round(delay_ms, 3)}
        self.report(record)
        return record

    def close(self) -> None:
        if self.alert is not None:
            self.alert.close()


def check_rate(rate: int, model_rate: int, strict: bool, where: str) -> str | None:
    """Refuse a rate other than the model's under ``strict``; else the line to warn with
    (``None`` when the rates agree)."""
    if rate == model_rate:
        return None
    if strict:
        raise InputError(f"{where}: sample rate {rate} Hz, the model's is {model_rate} Hz (--strict or a "
                         "strict audio policy; resample the stream or drop --strict)")
    return f"{where}: sample rate {rate} Hz resampled to the model's {model_rate} Hz"


def windows_of(blocks: Sequence[Block], windows: SlidingWindows, rate: int, channel: int | str,
               where: str) -> list[Pending]:
    """The windows completed by ``blocks``, each stamped with its last block's arrival."""
    from ..audio.load import select_channel

    pending = []
    for block in blocks:
        mono = select_channel(block.samples, channel, where)
        for end, window in windows.push(mono):
            pending.append(Pending(window, rate, (end - windows.window) / rate, end / rate, block.received))
    return pending


def run_stream(source: QueuedStream | Any, monitor: Monitor, window_seconds: float, hop_seconds: float,
               max_batch: int = 16) -> None:
    """Score ``source`` window by window until it ends (or Ctrl-C).

    ``source`` has ``rate``, ``description`` and ``batches()`` (lists of blocks that
    arrived together).
    """
    rate = source.rate
    windows = SlidingWindows(max(1, round(window_seconds * rate)), max(1, round(hop_seconds * rate)))
    channel = monitor.scorer.model.policy.channel
    for blocks in source.batches():
        pending = windows_of(blocks, windows, rate, channel, source.description)
        for lo in range(0, len(pending), max_batch):
            monitor.score(pending[lo:lo + max_batch])


def run_clips(clips: Iterator[Clip], monitor: Monitor, warn: Callable[[str], None], strict: bool) -> None:
    """Score each clip (a watched folder's file) as a whole; a bad file is a warning."""
    model_rate = monitor.scorer.model.policy.sr
    warned: set[int] = set()
    offset = 0.0
    for clip in clips:
        seconds = clip.samples.shape[0] / clip.rate
        try:
            note = check_rate(clip.rate, model_rate, strict, clip.name)
            if note and clip.rate not in warned:
                warned.add(clip.rate)
                warn(note)
            monitor.score([Pending(clip.samples, clip.rate, offset, offset + seconds, clip.received, clip.name)])
        except InputError as exc:
            warn(str(exc))
            continue
        offset += seconds
