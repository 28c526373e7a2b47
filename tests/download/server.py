"""A real HTTP server on 127.0.0.1 serving test archives, with misbehaviours on demand,
and builders for small archives in the DCASE layout."""
from __future__ import annotations

import hashlib
import io
import json
import socket
import tarfile
import threading
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.conftest import write_wav


@dataclass
class Route:
    body: bytes
    drop_first: bool = False  # the first GET sends half the body, then closes the connection
    ignore_range: bool = False  # always answers 200 with the whole body
    status: int = 200  # anything else: that status and no body
    hits: int = 0


@dataclass
class Request:
    path: str
    headers: dict[str, str] = field(default_factory=dict)


class ArchiveServer:
    """``ThreadingHTTPServer`` on a free port; ``requests`` logs every GET."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def add(self, name: str, body: bytes, **behaviour: Any) -> str:
        self.routes[name] = Route(body, **behaviour)
        return self.url(name)

    def requests_for(self, name: str) -> list[Request]:
        return [r for r in self.requests if r.path == f"/{name}"]

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                with server._lock:
                    server.requests.append(Request(self.path, dict(self.headers.items())))
                    route = server.routes.get(self.path.lstrip("/"))
                    if route is not None:
                        route.hits += 1
                if route is None or route.status != 200:
                    self.send_response(404 if route is None else route.status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self._serve(route)

            def _serve(self, route: Route) -> None:
                body, start = route.body, 0
                wanted = self.headers.get("Range", "")
                if wanted.startswith("bytes=") and not route.ignore_range:
                    start = int(wanted[len("bytes="):].split("-")[0])
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(body)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(body) - start))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                if route.drop_first and route.hits == 1:
                    self.wfile.write(body[start:start + (len(body) - start) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(body[start:])

        return Handler


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dcase_members(tmp: Path, machine: str, splits=("train", "test"), clips: int = 2) -> dict[str, bytes]:
    """Archive members for one machine in the DCASE 2021-2024 layout, as real WAVs."""
    members = {}
    for split in splits:
        for i in range(clips):
            label = "normal" if split == "train" or i % 2 == 0 else "anomaly"
            name = f"{machine}/{split}/section_00_source_{split}_{label}_{i:04d}_a_1.wav"
            members[name] = write_wav(tmp / name, seed=i).read_bytes()
    return members


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data)  # ZipInfo keeps the name as given, '..' included
    return buffer.getvalue()


def tar_gz_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def md5(data: bytes) -> str:
    return "md5:" + hashlib.md5(data).hexdigest()


def write_table(path: Path, datasets: dict[str, dict]) -> Path:
    """A table file in asdkit's format: ``{name: {"folder": ..., "archives": [...]}}``."""
    path.write_text(json.dumps({"format": 1, "datasets": datasets}), encoding="utf-8")
    return path


class RecordingProgress:
    """:class:`asdkit.progress.Progress` that remembers what it was told."""

    def __init__(self) -> None:
        self.tasks: list[str] = []
        self.logs: list[str] = []
        self.warnings: list[str] = []

    def task(self, description: str, total: int | None = None) -> "_Task":  # noqa: ARG002 - the protocol
        self.tasks.append(description)
        return _Task()

    def log(self, message: str) -> None:
        self.logs.append(message)

    def warn(self, message: str) -> None:
        self.warnings.append(message)


class _Task:
    def __init__(self) -> None:
        self.done = 0

    def advance(self, n: int = 1) -> None:
        self.done += n

    def set_info(self, **fields: Any) -> None:
        pass

    def close(self) -> None:
        pass
