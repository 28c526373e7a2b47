"""Cutting a live stream into scoring windows, and turning window verdicts into alerts.

:class:`SlidingWindows` turns samples arriving in chunks of any size into fixed-length
windows ``[k*hop, k*hop + window)`` of the whole stream (k = 0, 1, ...): the windows do
not depend on how the stream was chunked, and only the samples a future window still
needs are kept (at most ``2 * window`` floats, whatever the chunk sizes).

:class:`Hysteresis` debounces per-window decisions: the alert state turns on after
``on_after`` anomalous windows in a row and off after ``off_after`` normal ones in a row,
so one noisy window neither raises nor clears an alert.
"""
from __future__ import annotations

import numpy as np

from ..errors import ConfigError, InputError


def _positive_int(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


class SlidingWindows:
    """Fixed windows of a 1-D stream: ``window`` samples, a new one every ``hop`` samples.

    Window ``k`` covers stream samples ``[k*hop, k*hop + window)``; it is emitted by the
    :meth:`push` that delivers its last sample, tagged with its end ``k*hop + window``
    (index of its last sample + 1). With ``hop > window`` the samples between windows
    are skipped and never stored.
    """

    def __init__(self, window: int, hop: int) -> None:
        self.window = _positive_int(window, "window")
        self.hop = _positive_int(hop, "hop")
        # live samples never exceed window - 1 after an emit, plus one piece <= window
        self._buf = np.zeros(2 * self.window, dtype=np.float32)
        self._len = 0            # live samples held in _buf[:_len]
        self._start = 0          # stream index of _buf[0]
        self._next_end = self.window  # end of the next window to emit
        self._received = 0

    @property
    def received(self) -> int:
        """Samples pushed so far (the stream position)."""
        return self._received

    @property
    def buffered(self) -> int:
        """Samples held now (always < ``window`` between pushes)."""
        return self._len

    @property
    def capacity(self) -> int:
        """Size of the fixed internal buffer in samples (``2 * window``)."""
        return int(self._buf.size)

    def push(self, samples: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """Add samples; return ``(end, window)`` for each window they complete, in order.

        ``window`` is a fresh ``(window,)`` float32 contiguous array.
        """
        data = np.asarray(samples, dtype=np.float32)
        if data.ndim != 1:
            raise InputError(f"stream samples must be 1-D (mono), got shape {data.shape}")
        out: list[tuple[int, np.ndarray]] = []
        # pieces of at most one window keep the buffer within 2 * window
        for lo in range(0, data.size, self.window):
            self._append(data[lo:lo + self.window])
            out.extend(self._emit())
        return out

    def _append(self, piece: np.ndarray) -> None:
        position = self._received
        self._received += piece.size
        keep_from = self._next_end - self.window
        if position < keep_from:  # hop > window: this piece starts in a gap between windows
            cut = min(keep_from - position, piece.size)
            piece = piece[cut:]
            self._start += cut  # _len is 0 here: everything before keep_from was dropped
        self._buf[self._len:self._len + piece.size] = piece
        self._len += piece.size

    def _emit(self) -> list[tuple[int, np.ndarray]]:
        out = []
        while self._start + self._len >= self._next_end:
            lo = self._next_end - self.window - self._start
            out.append((self._next_end, self._buf[lo:lo + self.window].copy()))
            self._next_end += self.hop
        # drop what no future window needs: everything before the next window's start
        drop = min(max(self._next_end - self.window - self._start, 0), self._len)
        if drop:
            self._buf[:self._len - drop] = self._buf[drop:self._len]  # numpy handles the overlap
            self._len -= drop
            self._start += drop
        return out


class Hysteresis:
    """Alert state from a sequence of window decisions.

    ``update`` returns ``"alert"`` on the window that makes ``on_after`` anomalous
    windows in a row while the state is off (the state turns on), ``"clear"`` on the
    window that makes ``off_after`` normal windows in a row while it is on (the state
    turns off), and ``None`` otherwise.
    """

    def __init__(self, on_after: int = 3, off_after: int = 3) -> None:
        self.on_after = _positive_int(on_after, "on_after")
        self.off_after = _positive_int(off_after, "off_after")
        self.state = False
        self._anomalous_run = 0
        self._normal_run = 0

    def update(self, anomalous: bool) -> str | None:
        if anomalous:
            self._anomalous_run += 1
            self._normal_run = 0
            if not self.state and self._anomalous_run >= self.on_after:
                self.state = True
                return "alert"
        else:
            self._normal_run += 1
            self._anomalous_run = 0
            if self.state and self._normal_run >= self.off_after:
                self.state = False
                return "clear"
        return None
