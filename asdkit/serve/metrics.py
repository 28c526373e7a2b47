"""Prometheus metrics of one service, in a registry of its own (several apps in one
process, as in the tests, never share or clash).

- ``asdkit_requests_total{endpoint,status}``: requests answered, by route and status
- ``asdkit_request_latency_seconds{endpoint}``: time from request to response
- ``asdkit_score{machine}``: anomaly scores; the buckets sit around the machine types'
  decision thresholds (threshold + d * |threshold|, d in :data:`THRESHOLD_OFFSETS`),
  so the histogram shows how close clips come to the decision
- ``asdkit_decisions_total{machine,decision}``: ``normal`` / ``anomalous`` verdicts,
  and ``asdkit_bad_signals_total{machine}``: verdicts forced by a bad signal
- ``asdkit_batch_size``, ``asdkit_batch_seconds``: clips per backbone forward, its time
- ``asdkit_streams_open``: WebSocket streams being scored now
"""
from __future__ import annotations

import time
from typing import Any, Awaitable, Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from ..pipeline.online import Verdict

#: Score buckets, relative to a threshold ``t``: ``t + d * max(|t|, 1e-12)``.
THRESHOLD_OFFSETS = (-1.0, -0.5, -0.25, -0.1, 0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0)
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
#: Paths reported under their own label; anything else is "other" (bounded label values).
ENDPOINTS = ("/score", "/health", "/model", "/metrics", "/stream")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def score_buckets(thresholds: Iterable[float]) -> list[float]:
    """Histogram bucket bounds around each threshold (sorted, distinct, finite)."""
    bounds = {round(t + d * max(abs(t), 1e-12), 12) for t in thresholds for d in THRESHOLD_OFFSETS}
    return sorted(b for b in bounds if b == b and abs(b) != float("inf")) or [0.0]


class ServeMetrics:
    """The service's counters and histograms; :meth:`render` is the ``/metrics`` text."""

    def __init__(self, thresholds: Iterable[float]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        reg = self.registry
        self.requests = Counter("asdkit_requests", "Requests answered, by endpoint and HTTP status.",
                                ["endpoint", "status"], registry=reg)
        self.latency = Histogram("asdkit_request_latency_seconds", "Time from request to response.",
                                 ["endpoint"], buckets=LATENCY_BUCKETS, registry=reg)
        self.scores = Histogram("asdkit_score", "Anomaly scores (buckets around the decision thresholds).",
                                ["machine"], buckets=score_buckets(thresholds), registry=reg)
        self.decisions = Counter("asdkit_decisions", "Verdicts by machine type and decision.",
                                 ["machine", "decision"], registry=reg)
        self.bad_signals = Counter("asdkit_bad_signals", "Verdicts forced anomalous by a bad signal.",
                                   ["machine"], registry=reg)
        self.batch_size = Histogram("asdkit_batch_size", "Clips scored in one backbone forward.",
                                    buckets=BATCH_BUCKETS, registry=reg)
        self.batch_seconds = Histogram("asdkit_batch_seconds", "Time of one batched forward.",
                                       buckets=LATENCY_BUCKETS, registry=reg)
        self.streams = Gauge("asdkit_streams_open", "WebSocket streams open now.", registry=reg)

    def observe_request(self, endpoint: str, status: int, seconds: float) -> None:
        self.requests.labels(endpoint, str(status)).inc()
        self.latency.labels(endpoint).observe(seconds)

    def observe_verdict(self, verdict: Verdict) -> None:
        self.scores.labels(verdict.machine).observe(verdict.score)
        self.decisions.labels(verdict.machine, "anomalous" if verdict.anomalous else "normal").inc()
        if verdict.bad_signal:
            self.bad_signals.labels(verdict.machine).inc()

    def observe_batch(self, size: int, seconds: float) -> None:
        self.batch_size.observe(size)
        self.batch_seconds.observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def endpoint_label(path: str) -> str:
    return path if path in ENDPOINTS else "other"


class MetricsMiddleware:
    """Pure ASGI middleware counting every HTTP request by endpoint and final status
    (500 when the app raised before answering) and timing it."""

    def __init__(self, app: ASGIApp, metrics: ServeMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self.metrics.observe_request(endpoint_label(scope["path"]), status, time.perf_counter() - started)
