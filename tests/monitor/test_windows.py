"""Sliding windows do not depend on how a stream is chunked and hold bounded memory; the
alert hysteresis turns on and off only after runs of decisions."""
from __future__ import annotations

import numpy as np
import pytest

from asdkit.errors import ConfigError, InputError
from asdkit.monitor.windows import Hysteresis, SlidingWindows

SHAPES = [(10, 3), (10, 10), (5, 12), (1, 1), (7, 1), (16000, 4000)]


def _chunked(stream: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    cuts = np.sort(rng.integers(0, stream.size, size=rng.integers(1, 60)))
    return list(np.split(stream, cuts))  # empty pieces included on purpose


def _collect(windows: SlidingWindows, chunks: list[np.ndarray]) -> list[tuple[int, np.ndarray]]:
    return [item for chunk in chunks for item in windows.push(chunk)]


@pytest.mark.parametrize("window,hop", SHAPES)
def test_windows_are_the_stream_slices_whatever_the_chunking(window, hop):
    stream = np.random.default_rng(1).standard_normal(5 * window + 3 * hop + 7).astype(np.float32)
    expected_ends = list(range(window, stream.size + 1, hop))
    whole = SlidingWindows(window, hop).push(stream)
    assert [end for end, _ in whole] == expected_ends
    for end, data in whole:
        assert data.dtype == np.float32 and data.shape == (window,) and data.flags.c_contiguous
        np.testing.assert_array_equal(data, stream[end - window:end])
    for seed in range(5):
        chunks = _chunked(stream, np.random.default_rng(seed))
        got = _collect(SlidingWindows(window, hop), chunks)
        assert [end for end, _ in got] == expected_ends
        for (_, a), (_, b) in zip(got, whole):
            np.testing.assert_array_equal(a, b)
    one_by_one = _collect(SlidingWindows(window, hop), [stream[i:i + 1] for i in range(min(stream.size, 2000))])
    assert [end for end, _ in one_by_one] == [e for e in expected_ends if e <= 2000]


def test_returned_windows_do_not_change_with_later_pushes():
    windows = SlidingWindows(4, 2)
    (_, first), = windows.push(np.arange(4, dtype=np.float32))
    windows.push(np.full(100, -1.0, dtype=np.float32))
    np.testing.assert_array_equal(first, [0, 1, 2, 3])


@pytest.mark.parametrize("window,hop", [(1000, 250), (1000, 3000), (64, 64)])
def test_memory_stays_bounded_whatever_the_chunks(window, hop):
    windows = SlidingWindows(window, hop)
    rng = np.random.default_rng(0)
    sizes = [int(s) for s in rng.integers(0, 3 * window, 300)] + [50 * window]  # and one huge chunk
    total = 0
    for size in sizes:
        windows.push(np.ones(size, dtype=np.float32))
        total += size
        assert windows.buffered < window
        assert windows.capacity == 2 * window
        assert windows.received == total


def test_bad_arguments_are_one_line_errors():
    for window, hop in [(0, 1), (10, 0), (-3, 1), (2.5, 1), (10, True)]:
        with pytest.raises(ConfigError, match="must be an integer >= 1"):
            SlidingWindows(window, hop)
    with pytest.raises(InputError, match="1-D"):
        SlidingWindows(4, 1).push(np.zeros((4, 2), dtype=np.float32))


def _run(hysteresis: Hysteresis, decisions: str) -> list[str | None]:
    return [hysteresis.update(d == "A") for d in decisions]


def test_hysteresis_alerts_after_a_run_and_clears_after_a_run():
    h = Hysteresis(on_after=3, off_after=2)
    events = _run(h, "AANAANAAA" + "AAA" + "NANN" + "AAA")
    assert events == [None] * 8 + ["alert"] + [None] * 3 + [None, None, None, "clear"] + [None, None, "alert"]
    assert h.state


def test_hysteresis_state_and_counts_of_one():
    h = Hysteresis(1, 1)
    assert _run(h, "ANNAAN") == ["alert", "clear", None, "alert", None, "clear"]
    assert not h.state
    assert Hysteresis().on_after == 3 and Hysteresis().off_after == 3
    with pytest.raises(ConfigError):
        Hysteresis(0, 3)
    with pytest.raises(ConfigError):
        Hysteresis(3, 0)
