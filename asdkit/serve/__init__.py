"""``asdkit serve``: a fitted model behind an HTTP service (FastAPI + uvicorn).

- :mod:`.app` — :func:`create_app`, the routes (``POST /score``, ``GET /health``,
  ``GET /model``, ``GET /metrics``, WebSocket ``/stream``)
- :mod:`.batcher` — dynamic batching: concurrent clips scored in one backbone forward
- :mod:`.uploads` — request bodies to decoded audio, every bad input a 4xx
- :mod:`.stream` — the WebSocket stream, scored window by window
- :mod:`.metrics` — Prometheus counters and histograms, one registry per app
- :mod:`.settings` — :class:`ServeSettings`, the service's options

Importing this package needs the ``serve`` extra (fastapi, uvicorn, prometheus-client).
"""
from __future__ import annotations

from .app import create_app
from .settings import ServeSettings

__all__ = ["ServeSettings", "create_app"]
