"""``asdkit serve``: a fitted model behind an HTTP service (FastAPI + uvicorn)."""
from __future__ import annotations

import socket
from pathlib import Path

import click

from ..errors import ConfigError
from .app import AppState, err, pass_state


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: any free port), IPv4 or IPv6."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        raise ConfigError(f"--host {host} --port {port}: cannot listen there ({exc.strerror or exc})") from None


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@click.command("serve")
@click.option("--model", "model_path", type=click.Path(path_type=Path), required=True,
              help="A fitted RUN folder (or its model/ bundle).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0: any free port, printed at start).")
@click.option("--max-batch", type=click.IntRange(min=1), default=32, show_default=True,
              help="Most clips scored in one backbone forward.")
@click.option("--max-wait-ms", type=click.FloatRange(min=0), default=5.0, show_default=True,
              help="Longest a clip waits for others to join its batch (only while more are arriving).")
@click.option("--no-batching", is_flag=True, help="Score every clip alone (for comparison).")
@click.option("--max-seconds", type=click.FloatRange(min=0, min_open=True), default=60.0, show_default=True,
              help="Longest clip accepted (longer: 413).")
@click.option("--max-body-mb", type=click.FloatRange(min=0, min_open=True), default=32.0, show_default=True,
              help="Largest request body accepted (larger: 413).")
@click.option("--read-timeout", "read_timeout_s", type=click.FloatRange(min=0, min_open=True), default=30.0,
              show_default=True, help="Seconds a request body may take to arrive (slower: 408).")
@click.option("--strict", is_flag=True,
              help="Refuse clips whose sample rate is not the model's (422) instead of resampling them.")
@click.option("--on-bad-signal", type=click.Choice(["refuse", "flag"]), default="refuse", show_default=True,
              help="A silent, constant, clipped or too short clip: refuse it (422), or score it with its "
                   "decision forced to anomalous and the reasons in bad_signal.")
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info", "debug"]),
              default="info", show_default=True, help="uvicorn's log level.")
@click.option("--access-log", is_flag=True, help="Log every request (costs throughput).")
@pass_state
def command(state: AppState, model_path: Path, host: str, port: int, max_batch: int, max_wait_ms: float,
            no_batching: bool, max_seconds: float, max_body_mb: float, read_timeout_s: float, strict: bool,
            on_bad_signal: str, log_level: str, access_log: bool) -> None:
    """Serve a fitted model over HTTP: POST audio, get scores and decisions.

    \b
    POST /score     a WAV/FLAC/OGG body (?machine=fan&section=00), or a
                    multipart form of files with a machine field: JSON per
                    clip (score, threshold, anomalous, bad_signal, latency_ms)
    GET  /health    liveness;  GET /model: machines, thresholds, versions,
                    bundle checksum, audio policy;  GET /metrics: Prometheus
    WS   /stream    live PCM (?machine=fan&rate=16000&format=f32|s16&hop=1),
                    one JSON message per window, alerts with hysteresis

    Concurrent clips are scored together in one backbone forward (dynamic
    batching, bounded by --max-batch and --max-wait-ms); scores equal those of
    'asdkit score'. Bad input gets a 4xx and {"error": "<one line>"}: 400 empty
    or malformed, 413 too large or too long, 415 not audio, 422 NaN samples,
    unknown machine, bad signal, or wrong rate under --strict.

    \b
    Example:
      asdkit serve --model run/ --port 8000
      curl --data-binary @clip.wav 'http://127.0.0.1:8000/score?machine=fan'
      curl -F machine=fan -F file=@a.wav -F file=@b.wav http://127.0.0.1:8000/score
    """
    import uvicorn

    from ..serve import ServeSettings, create_app
    from ..utils import resolve_device

    settings = ServeSettings(max_batch=max_batch, max_wait_ms=max_wait_ms, batching=not no_batching,
                             max_seconds=max_seconds, max_body_mb=max_body_mb, read_timeout_s=read_timeout_s,
                             strict=strict, on_bad_signal=on_bad_signal)
    app = create_app(model_path, settings, device=str(resolve_device(state.device)))
    sock = bind(host, port)
    batching = "no batching" if no_batching else f"batches of up to {max_batch}, wait {max_wait_ms:g} ms"
    err.print(f"serving {model_path} at {url_of(sock)} ({batching}); Ctrl-C stops", markup=False, highlight=False)
    server = uvicorn.Server(uvicorn.Config(app, log_level=log_level, access_log=access_log,
                                           timeout_graceful_shutdown=5))
    server.run(sockets=[sock])
