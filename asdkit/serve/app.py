"""The FastAPI app of ``asdkit serve``: a fitted model, loaded once, behind HTTP.

Routes:
    - ``POST /score`` — one file as the raw body (``?machine=fan&section=00&name=x.wav``)
      or a multipart form of files (+ ``machine``/``section`` fields): one JSON object
      per clip, ``{name, machine, section, score, threshold, anomalous, bad_signal,
      latency_ms}`` (a raw body gets that object, a form ``{"results": [...]}``)
    - ``GET /health`` — liveness, queue depth
    - ``GET /model`` — machines, thresholds, clip length, versions, bundle checksum,
      audio policy, serving options
    - ``GET /metrics`` — Prometheus text (:mod:`.metrics`)
    - WebSocket ``/stream`` — live PCM scored window by window (:mod:`.stream`)

Every refusal is a 4xx with ``{"error": "<one line>"}`` (:mod:`.uploads` lists the
checks); an unexpected failure is a 500 of the same shape, and the service goes on.
The model is read-only: requests share it, and only the batcher's one model thread
runs it (:mod:`.batcher`).
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator

import numpy as np
from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from .._version import __version__
from ..errors import AsdkitError
from ..pipeline.model import AsdModel
from ..pipeline.online import OnlineScorer, Verdict
from .batcher import Batcher
from .errors import ServeError, as_serve_error, error_body, internal_message, one_line
from .metrics import MetricsMiddleware, ServeMetrics
from .settings import ServeSettings
from .stream import serve_stream
from .uploads import Upload, decode_upload, parse_request, read_body, resolve_target

#: nginx's "client closed request": recorded in the metrics; nobody receives it.
CLIENT_CLOSED = 499


@dataclass
class ServeState:
    """What every request shares: the model (read-only), its scorers and the batcher."""

    model: AsdModel
    settings: ServeSettings
    scorer: OnlineScorer  # on_bad_signal as the settings say
    stream_scorer: OnlineScorer  # flags bad windows: a stream never refuses one
    batcher: Batcher
    metrics: ServeMetrics
    info: dict[str, Any]
    decoders: ThreadPoolExecutor
    started: float = field(default_factory=time.time)

    @property
    def strict(self) -> bool:
        return self.settings.strict or self.model.policy.strict

    def prepare(self, uploads: list[Upload]) -> list[tuple[np.ndarray, list[str]]]:
        """Decode and check each file (on a decoder thread): the waveform and the bad
        signal reasons of each, or the :class:`ServeError` of the first bad one."""
        prepared = []
        for upload in uploads:
            samples, rate = decode_upload(upload, self.model.policy, self.strict, self.settings.max_seconds)
            try:
                prepared.append(self.scorer.prepare(samples, rate, upload.name))
            except AsdkitError as exc:
                raise ServeError(422, str(exc)) from None
        return prepared


def create_app(model_path: str | Path, settings: ServeSettings | None = None, device: str = "cpu") -> FastAPI:
    """The service for the fitted model at ``model_path`` (a RUN folder or its bundle).

    The model is loaded here, once, so that a bad path fails before any port is opened."""
    settings = settings or ServeSettings()
    model = AsdModel.load(model_path, device)
    metrics = ServeMetrics(_effective_thresholds(model).values())
    batcher = Batcher(OnlineScorer(model), settings.batch_limit, settings.wait_seconds, metrics.observe_batch)
    state = ServeState(model, settings, OnlineScorer(model, settings.on_bad_signal),
                       OnlineScorer(model, "flag"), batcher, metrics, {},
                       ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1), thread_name_prefix="asdkit-decode"))
    state.info = model_info(state)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await state.batcher.start()
        try:
            yield
        finally:
            await state.batcher.stop()
            state.decoders.shutdown(wait=False, cancel_futures=True)

    # /metrics is the service's telemetry: FastAPI's own OpenTelemetry hooks (newer
    # versions) would look up providers on every request, a few % of its CPU.
    app = FastAPI(title="asdkit serve", version=__version__, lifespan=lifespan,
                  description="Anomalous sound detection: POST audio, get scores and decisions.",
                  telemetry={"tracing": False, "metrics": False, "logs": False})
    app.state.serve = state
    _add_routes(app, state)
    _add_error_handlers(app)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app


def _add_routes(app: FastAPI, state: ServeState) -> None:
    @app.post("/score")
    async def score(request: Request) -> Response:
        try:
            return await _score(request, state)
        except ClientDisconnect:  # gone mid-upload: nobody to answer; the service goes on
            return Response(status_code=CLIENT_CLOSED)

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "machines": state.model.machines, "queued": state.batcher.queued,
                "uptime_s": round(time.time() - state.started, 3), "version": __version__}

    @app.get("/model")
    async def model() -> dict[str, Any]:
        return state.info

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    @app.websocket("/stream")
    async def stream(websocket: WebSocket) -> None:
        state.metrics.streams.inc()
        try:
            await serve_stream(websocket, state.stream_scorer, state.batcher, state.strict,
                               state.metrics.observe_verdict)
        finally:
            state.metrics.streams.dec()


async def _score(request: Request, state: ServeState) -> Response:
    """``POST /score``: read, check, decode and prepare, then await the batched verdicts."""
    started = time.perf_counter()
    settings, model = state.settings, state.model
    with state.batcher.incoming():
        body = await read_body(request, settings.max_body_bytes, settings.read_timeout_s)
        parsed = parse_request(body, request.headers.get("content-type"),
                               request.query_params.get("name", "upload"), settings.max_files)
        machine, section = resolve_target(request.query_params, parsed.fields, model.machines)
        try:
            model.threshold(machine, section)  # an unknown section of a z-scored model
        except AsdkitError as exc:
            raise ServeError(422, str(exc)) from None
        loop = asyncio.get_running_loop()
        prepared = await loop.run_in_executor(state.decoders, state.prepare, parsed.uploads)

    async def verdict_of(wave: np.ndarray, reasons: list[str]) -> tuple[Verdict, float]:
        verdict = await state.batcher.score(wave, machine, section, reasons)
        return verdict, (time.perf_counter() - started) * 1000.0

    done = await asyncio.gather(*(verdict_of(w, r) for w, r in prepared))
    results = []
    for upload, (verdict, latency_ms) in zip(parsed.uploads, done):
        state.metrics.observe_verdict(verdict)
        results.append({"name": upload.name, **verdict.to_dict(), "latency_ms": round(latency_ms, 3)})
    return JSONResponse({"results": results} if parsed.multipart else results[0])


def _add_error_handlers(app: FastAPI) -> None:
    """Every error as ``{"error": "<one line>"}`` with its status."""

    async def refused(_: Request, exc: Exception) -> Response:
        error = as_serve_error(exc)
        return JSONResponse(error_body(error.message), status_code=error.status)

    async def http_error(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        detail = getattr(exc, "detail", "") or ""
        message = f"no such endpoint: {request.method} {request.url.path}" if status == 404 else one_line(detail)
        return JSONResponse(error_body(message), status_code=status)

    async def internal(_: Request, exc: Exception) -> Response:
        return JSONResponse(error_body(internal_message(exc)), status_code=500)

    app.add_exception_handler(ServeError, refused)
    app.add_exception_handler(AsdkitError, refused)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, internal)


_SECTION_KEY = re.compile(r"^(?P<machine>.+?)(?:/|_section_)(?P<section>[^/]+)$")


def _effective_thresholds(model: AsdModel) -> dict[str, float]:
    """Each stored threshold on the scale of the scores the service returns
    (z-scored by the section's held-out statistics when the model normalises)."""
    out = {}
    for key in model.config.thresholds:
        match = _SECTION_KEY.match(key)
        machine, section = (match["machine"], match["section"]) if match else (key, "00")
        if machine in model.scorers:
            out[key] = float(model.threshold(machine, section))
    return out


def model_info(state: ServeState) -> dict[str, Any]:
    """What ``GET /model`` says: the model, where it came from, and how it is served."""
    model, config = state.model, state.model.config
    manifest: dict[str, Any] = {}
    if model.bundle_path is not None:
        with contextlib.suppress(OSError, ValueError):
            manifest = json.loads((model.bundle_path / "manifest.json").read_text(encoding="utf-8"))
    from ..utils import package_versions

    policy = {**model.policy.to_dict(), "strict": state.strict}
    return {
        "bundle": str(model.bundle_path) if model.bundle_path else None,
        "machines": model.machines,
        "thresholds": _effective_thresholds(model),
        "normalizes_scores": model.normalizes_scores,
        "train_seconds": config.train_seconds,
        "window_seconds": _window_seconds(model),
        "audio": policy,
        "backbone": config.backbone.name, "scorer": config.scorer.name,
        "graph": config.gnn.name if config.gnn is not None else None, "score_on": config.score_on,
        "checksum": {"tensors_sha256": manifest.get("tensors_sha256"),
                     "manifest_sha256": manifest.get("manifest_sha256")},
        "versions": {"bundle": manifest.get("versions", {}), "runtime": package_versions()},
        "serving": state.settings.to_dict(),
    }


def _window_seconds(model: AsdModel) -> float | None:
    from ..monitor.runner import clip_seconds

    try:
        return clip_seconds(model)
    except AsdkitError:
        return None
