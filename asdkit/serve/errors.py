"""Errors a request can cause, as an HTTP status and one line of JSON.

Every refusal is ``{"error": "<one line>"}``: 400 (malformed request), 408 (body
too slow), 413 (too large or too long), 415 (not audio), 422 (audio or options
the model cannot score). An unexpected failure is a 500 of the same shape.
"""
from __future__ import annotations

from typing import Any

from ..errors import AsdkitError


class ServeError(Exception):
    """A refused request: ``status`` and a one-line ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(one_line(message))
        self.status = status
        self.message = one_line(message)


def one_line(text: object) -> str:
    """The first non-empty line of ``text`` (errors are one line on the wire)."""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[0] if lines else "unknown error"


def as_serve_error(exc: BaseException, status: int = 422) -> ServeError:
    """A library error (bad audio, unseen machine, ...) as a refusal with ``status``."""
    if isinstance(exc, ServeError):
        return exc
    if isinstance(exc, AsdkitError):
        return ServeError(status, str(exc))
    return ServeError(500, internal_message(exc))


def internal_message(exc: BaseException) -> str:
    return one_line(f"internal error: {type(exc).__name__}: {one_line(exc)}")


def error_body(message: str) -> dict[str, Any]:
    return {"error": one_line(message)}
