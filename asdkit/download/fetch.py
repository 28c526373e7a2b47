"""Fetch one URL into a ``.part`` file: resume with HTTP Range, retry with backoff.

Rules:

- A ``.part`` file of N bytes is resumed with ``Range: bytes=N-``. A ``206`` whose
  ``Content-Range`` starts at N is appended; anything else (a ``200``: the server
  ignored Range; a 206 that starts elsewhere) restarts the file from byte 0.
  ``416`` with a total equal to N means the file was already complete.
- Connection errors, timeouts, truncated bodies, HTTP 429 and 5xx are retried
  ``retries`` times, waiting ``retry_delay * 2**k`` seconds (at most 30 s); each
  retry resumes from what arrived. Other HTTP errors fail at once.
- Bytes are taken raw (``Accept-Encoding: identity``) so that offsets are file
  offsets. ``cancel`` (set when another archive failed or on Ctrl-C) stops the
  transfer between chunks; the ``.part`` file stays for the next run.
"""
from __future__ import annotations

import errno
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import httpx

from ..progress import Progress, Task
from .errors import DownloadError

_MIB = 1 << 20
_MAX_DELAY = 30.0
_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)")


@dataclass(frozen=True)
class FetchOptions:
    retries: int = 5
    retry_delay: float = 1.0  # seconds before the first retry; doubles each time
    timeout: float = 60.0  # seconds without progress before a read counts as failed


class Cancelled(Exception):
    """Another archive failed (or Ctrl-C): stop, keep the partial file."""


class _Retryable(Exception):
    """An HTTP status worth retrying (429, 5xx)."""


class _Restart(Exception):
    """The partial file cannot be resumed: it was removed, start again from 0."""


class _ByteTask:
    """A progress task counted in MiB (the protocol counts whole units)."""

    def __init__(self, progress: Progress, label: str, total_bytes: int | None, done_bytes: int) -> None:
        total = None if total_bytes is None else max(1, -(-total_bytes // _MIB))
        self._task: Task = progress.task(f"{label} (MiB)", total)
        self._bytes = 0
        self._shown = 0
        self.add(done_bytes)

    def add(self, n: int) -> None:
        self._bytes += n
        whole = self._bytes // _MIB
        if whole > self._shown:
            self._task.advance(whole - self._shown)
            self._shown = whole

    def close(self, complete: bool) -> None:
        if complete and self._bytes % _MIB:
            self._task.advance(1)  # the last, partial MiB
        self._task.close()


def client(timeout: float = 60.0) -> httpx.Client:
    """One HTTP client shared by the download threads (connection pooling)."""
    from .._version import __version__

    return httpx.Client(follow_redirects=True, headers={"User-Agent": f"asdkit/{__version__}"},
                        timeout=httpx.Timeout(timeout, connect=min(timeout, 20.0)))


def _range_of(response: httpx.Response) -> tuple[int | None, int | None]:
    """(first byte, total size) from ``Content-Range``; None where absent or ``*``."""
    match = _CONTENT_RANGE.match(response.headers.get("content-range", ""))
    if not match:
        return None, None
    start, total = match.groups()
    return (int(start) if start else None), (int(total) if total and total != "*" else None)


def _check_status(response: httpx.Response, url: str) -> None:
    status = response.status_code
    if status == 429 or status >= 500:
        raise _Retryable(f"HTTP {status} {response.reason_phrase} from {url}")
    if status >= 400:
        raise DownloadError(f"HTTP {status} {response.reason_phrase} for {url}")


def _write_body(response: httpx.Response, part: Path, mode: str, bar: _ByteTask, cancel: threading.Event) -> None:
    try:
        with open(part, mode) as fh:
            for chunk in response.iter_raw():
                if cancel.is_set():
                    raise Cancelled()
                fh.write(chunk)
                bar.add(len(chunk))
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise DownloadError(f"{part}: disk full (no space left on device); free some space and run "
                                "again: the partial file resumes") from None
        raise


def _fetch_once(http: httpx.Client, url: str, part: Path, label: str, progress: Progress,
                cancel: threading.Event) -> int:
    offset = part.stat().st_size if part.exists() else 0
    headers = {"Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    with http.stream("GET", url, headers=headers) as response:
        if response.status_code == 416 and offset:
            if _range_of(response)[1] == offset:
                return offset  # the partial file was already whole
            part.unlink()
            raise _Restart()
        _check_status(response, url)
        resumed = offset > 0 and response.status_code == 206 and _range_of(response)[0] == offset
        start = offset if resumed else 0  # a 200 (Range ignored) or a shifted 206: from byte 0
        length = response.headers.get("content-length")
        total = start + int(length) if length and length.isdigit() else None
        bar = _ByteTask(progress, label, total, start)
        complete = False
        try:
            _write_body(response, part, "ab" if resumed else "wb", bar, cancel)
            complete = True
        finally:
            bar.close(complete)
    return part.stat().st_size


def _network_error(url: str, exc: Exception, tries: int) -> DownloadError:
    host = httpx.URL(url).host
    reason = " ".join(str(exc).split()) or type(exc).__name__
    attempts = f"{tries} attempt{'s' if tries > 1 else ''}"
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return DownloadError(f"cannot reach {host}: {reason} (after {attempts}; is the network up?)")
    return DownloadError(f"download from {host} failed: {reason} (after {attempts}; run again to resume)")


def fetch(http: httpx.Client, url: str, part: Path, *, label: str, progress: Progress,
          cancel: threading.Event, options: FetchOptions) -> int:
    """Download ``url`` into ``part`` (resuming what is there); returns its size."""
    failures = 0
    restarted = False
    while True:
        try:
            return _fetch_once(http, url, part, label, progress, cancel)
        except _Restart:
            if restarted:
                raise DownloadError(f"{url}: the server refuses the byte ranges asdkit asks for") from None
            restarted = True
        except (httpx.TransportError, _Retryable) as exc:
            failures += 1
            if failures > options.retries:
                if isinstance(exc, _Retryable):
                    raise DownloadError(f"{exc} (after {failures} attempt{'s' if failures > 1 else ''})") from None
                raise _network_error(url, exc, failures) from None
            delay = min(_MAX_DELAY, options.retry_delay * 2 ** (failures - 1))
            progress.log(f"{label}: {type(exc).__name__}: {' '.join(str(exc).split())}; "
                         f"retry {failures}/{options.retries} in {delay:.0f} s")
            if cancel.wait(delay):
                raise Cancelled() from None
