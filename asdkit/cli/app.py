"""The one module that owns the terminal: consoles, progress bars, errors -> exit codes.

Results go to stdout, messages and progress to stderr. Errors the user can cause
(:class:`~asdkit.errors.AsdkitError`) become one line on stderr and exit code 1;
usage errors exit 2 (click's own handling); unexpected exceptions also print one
line, with the traceback only when ``ASDKIT_DEBUG=1``.
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import click
from rich.console import Console
from rich.progress import (
    BarColumn, MofNCompleteColumn, Progress as RichProgressBar, SpinnerColumn, TextColumn,
    TimeElapsedColumn, TimeRemainingColumn,
)

from ..errors import AsdkitError

out = Console(soft_wrap=True)  # results: tables, paths
err = Console(stderr=True, soft_wrap=True)  # messages, warnings, progress
if not out.is_terminal and "COLUMNS" not in os.environ:
    out.width = 160  # piped or captured: rich would squeeze tables into 80 columns


def debug_enabled() -> bool:
    return os.environ.get("ASDKIT_DEBUG", "").strip() not in {"", "0"}


@dataclass
class AppState:
    """Global options, shared by every command through the click context."""

    verbosity: int = 0  # -1 quiet, 0 normal, >0 verbose
    device: str = "auto"
    seed: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def progress(self) -> "RichProgress":
        return RichProgress(self)


pass_state = click.make_pass_decorator(AppState, ensure=True)


#: Without a terminal (a log file, CI), a running task prints one plain line at most this
#: often, so a log shows the run is alive: ``ASDKIT_PROGRESS_SECONDS`` overrides it.
PLAIN_PROGRESS_SECONDS = 30.0


def _plain_interval() -> float:
    try:
        return max(0.0, float(os.environ.get("ASDKIT_PROGRESS_SECONDS", PLAIN_PROGRESS_SECONDS)))
    except ValueError:
        return PLAIN_PROGRESS_SECONDS


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


class _RichTask:
    """One task: a rich bar on a terminal, periodic plain lines otherwise."""

    def __init__(self, owner: "RichProgress", description: str, total: int | None) -> None:
        self._owner = owner
        self._description = description
        self._total = total
        self._done = 0
        self._info = ""
        self._started = self._last_line = time.perf_counter()
        self._bar = owner._bar
        self._id = self._bar.add_task(description, total=total, info="") if self._bar else None

    def advance(self, n: int = 1) -> None:
        self._done += n
        if self._bar is not None and self._id is not None:  # both set together in __init__
            self._bar.advance(self._id, n)
        else:
            self._maybe_plain_line()

    def set_info(self, **fields: Any) -> None:
        text = "  ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in fields.items())
        self._info = text
        if self._bar is not None and self._id is not None:
            self._bar.update(self._id, info=text)
        else:
            self._maybe_plain_line()
        if self._owner.state.verbosity > 0:
            err.print(f"[dim]{self._description}: {text}[/]")

    def plain_line(self) -> str:
        """``log-mel features: 120/600 (20%), 30 s elapsed, eta 2.0 min  loss=0.31``."""
        elapsed = time.perf_counter() - self._started
        text = f"{self._description}: {self._done}"
        if self._total:
            text += f"/{self._total} ({self._done / self._total:.0%})"
        text += f", {_duration(elapsed)} elapsed"
        if self._total and 0 < self._done < self._total:
            text += f", eta {_duration(elapsed * (self._total - self._done) / self._done)}"
        return text + (f"  {self._info}" if self._info else "")

    def _maybe_plain_line(self) -> None:
        now = time.perf_counter()
        if self._owner.plain and now - self._last_line >= _plain_interval():
            self._last_line = now
            err.print(self.plain_line(), markup=False, highlight=False)

    def close(self) -> None:
        if self._bar is not None and self._id is not None:
            self._bar.stop_task(self._id)
            self._bar.update(self._id, visible=False)
            self._owner._task_closed()
        elif self._owner.plain and time.perf_counter() - self._started >= _plain_interval():
            err.print(self.plain_line() + " - done", markup=False, highlight=False)
        if self._owner.state.verbosity > 0:
            err.print(f"[dim]{self._description}: {time.perf_counter() - self._started:.1f} s[/]")

    def __enter__(self) -> "_RichTask":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class RichProgress:
    """:class:`asdkit.progress.Progress` drawn with rich bars on stderr when it is a
    terminal, as periodic plain lines when it is not (``plain``)."""

    def __init__(self, state: AppState) -> None:
        self.state = state
        self._bar: RichProgressBar | None = None
        self._open = 0
        self.plain = not err.is_terminal and state.verbosity >= 0

    def _ensure_bar(self) -> None:
        if self._bar is None and self.state.verbosity >= 0 and not self.plain:
            self._bar = RichProgressBar(
                SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("eta"),
                TimeRemainingColumn(), TextColumn("{task.fields[info]}"),
                console=err, transient=True,
            )
            self._bar.start()

    def _task_closed(self) -> None:
        self._open -= 1
        if self._open <= 0 and self._bar is not None:
            self._bar.stop()
            self._bar = None

    def task(self, description: str, total: int | None = None) -> _RichTask:
        self._ensure_bar()
        self._open += 1
        return _RichTask(self, description, total)

    def log(self, message: str) -> None:
        if self.state.verbosity >= 0:
            err.print(message)

    def warn(self, message: str) -> None:
        """Each distinct warning once per run, as one line."""
        line = " ".join(str(message).split())
        if line in self.state.warnings:
            return
        self.state.warnings.append(line)
        if self.state.verbosity >= 0:
            err.print(f"[yellow]warning:[/] {line}", highlight=False)


def route_python_warnings(state: AppState) -> None:
    """Show warnings raised through Python's ``warnings`` module (by asdkit's library
    code or by torch/scikit-learn) as asdkit warnings: one line, once, no source line."""
    import warnings

    def show(message: Any, category: type, filename: str, lineno: int, file: Any = None,  # noqa: ARG001
             line: Any = None) -> None:  # noqa: ARG001 - warnings.showwarning's signature; no source line shown
        state.progress.warn(str(message) if category is UserWarning else f"{message} ({category.__name__})")

    warnings.showwarning = show


def report_error(exc: BaseException) -> int:
    """Print one line for an error and return the exit code."""
    lines = str(exc).strip().splitlines()
    first_line = lines[0] if lines else type(exc).__name__
    if isinstance(exc, OSError) and exc.filename and not isinstance(exc, AsdkitError):
        # The file system said no (permissions, disk full, a path that is a file): the
        # user's environment, not a bug; name the path.
        click.echo(f"error: {exc.filename}: {exc.strerror or first_line}", err=True)
        return 1
    if not isinstance(exc, AsdkitError):
        first_line = (f"internal error: {type(exc).__name__}: {first_line} "
                      "(set ASDKIT_DEBUG=1 for the traceback)")
    click.echo(f"error: {first_line}", err=True)
    return 1


def guarded(invoke: Callable[[], Any]) -> Any:
    """Run a command body; turn errors into one line and exit code 1."""
    try:
        return invoke()
    except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
        raise
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        if debug_enabled():
            raise
        sys.exit(report_error(exc))
