"""How library code reports progress without printing.

Library functions take an optional :class:`Progress`; the CLI passes one that draws
rich progress bars, Python users pass nothing (silent) or their own.
"""
from __future__ import annotations

from typing import Any, Protocol


class Task(Protocol):
    def advance(self, n: int = 1) -> None: ...
    def set_info(self, **fields: Any) -> None: ...  # e.g. loss=0.12, acc=0.98
    def close(self) -> None: ...


class Progress(Protocol):
    def task(self, description: str, total: int | None = None) -> Task: ...
    def log(self, message: str) -> None: ...
    def warn(self, message: str) -> None: ...


class _NullTask:
    def advance(self, n: int = 1) -> None:
        pass

    def set_info(self, **fields: Any) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> "_NullTask":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class NullProgress:
    """Reports nothing; warnings go to Python's ``warnings`` module."""

    def task(self, description: str, total: int | None = None) -> _NullTask:  # noqa: ARG002 - the Progress protocol
        return _NullTask()

    def log(self, message: str) -> None:
        pass

    def warn(self, message: str) -> None:
        import warnings

        warnings.warn(message, stacklevel=2)


def ensure(progress: Progress | None) -> Progress:
    return progress if progress is not None else NullProgress()
