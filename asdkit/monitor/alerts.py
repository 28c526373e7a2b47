"""Running a user's command when a monitor raises an alert, without ever stalling the monitor.

The command line is split with :func:`shlex.split` and started directly (no shell), so
a score or a file name can never be interpreted by a shell; ``shell=True`` runs it
through ``/bin/sh -c`` for users who want pipes or redirections. It is started and left
running (the monitor does not wait), with its stdout sent to the monitor's stderr so
that JSON lines on stdout stay clean. What the alert is about is passed in the
environment: ``ASDKIT_EVENT`` ("alert"), ``ASDKIT_MACHINE``, ``ASDKIT_SECTION``,
``ASDKIT_SCORE``, ``ASDKIT_THRESHOLD``, ``ASDKIT_STREAM_SECONDS`` (the end of the
window that raised it) and ``ASDKIT_SOURCE``. A command that cannot start, or exits
non-zero, is reported as one warning line.
"""
from __future__ import annotations

import os
import shlex
import subprocess
import sys
import threading
import time
from typing import Callable, Mapping

from ..errors import ConfigError


def _stderr_target() -> int:
    """The monitor's stderr for the command's output; discarded when stderr has no file
    descriptor (an embedding application that captured it)."""
    try:
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return subprocess.DEVNULL


class AlertCommand:
    """A command to run on each alert; :meth:`fire` returns at once."""

    def __init__(self, command: str, warn: Callable[[str], None], shell: bool = False) -> None:
        self.shell = shell
        if shell:
            self.argv = [command]
        else:
            try:
                self.argv = shlex.split(command)
            except ValueError as exc:
                raise ConfigError(f"--alert-cmd: cannot split {command!r} ({exc})") from None
        if not self.argv or not self.argv[0].strip():
            raise ConfigError("--alert-cmd: empty command")
        self.command = command
        self._warn = warn
        self._waiters: list[threading.Thread] = []
        self.fired = 0

    def fire(self, info: Mapping[str, object]) -> None:
        """Start the command with ``ASDKIT_<KEY>=value`` for each item of ``info``."""
        env = dict(os.environ)
        env.update({f"ASDKIT_{key.upper()}": str(value) for key, value in info.items()})
        self.fired += 1
        try:
            proc = subprocess.Popen(self.argv[0] if self.shell else self.argv, shell=self.shell, env=env,
                                    stdin=subprocess.DEVNULL, stdout=_stderr_target(), close_fds=True)
        except (OSError, ValueError) as exc:
            self._warn(f"--alert-cmd {self.command!r} did not start: {getattr(exc, 'strerror', None) or exc}")
            return
        waiter = threading.Thread(target=self._wait, args=(proc,), name="asdkit-alert", daemon=True)
        waiter.start()
        self._waiters = [w for w in self._waiters if w.is_alive()] + [waiter]

    def _wait(self, proc: subprocess.Popen) -> None:
        code = proc.wait()
        if code != 0:
            self._warn(f"--alert-cmd {self.command!r} exited with status {code}")

    def close(self, timeout: float = 10.0) -> None:
        """Wait up to ``timeout`` seconds in all for commands still running (they are left
        running after that), so their failures are still reported."""
        deadline = time.monotonic() + timeout
        for waiter in self._waiters:
            waiter.join(max(0.0, deadline - time.monotonic()))
