"""WebSocket /stream on the real service: one message per hop, the scores of the
windows scored alone, alerts with hysteresis, bad streams refused with a close code."""
from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
ws_client = pytest.importorskip("websockets.sync.client")
from websockets.exceptions import ConnectionClosed  # noqa: E402

from tests.serve.server_helpers import noise, serve  # noqa: E402

RATE, WINDOW = 16000, 32000  # the model's clip length: the 2 s training clips


@pytest.fixture(scope="module")
def live(serve_run):
    with serve(serve_run) as server:
        yield server


@pytest.fixture(scope="module")
def signal(serve_data) -> np.ndarray:
    """4 s of normal fan test clips, then 4 s of loud white noise (anomalous)."""
    clips = sorted((serve_data / "fan" / "test").glob("*normal*.wav"))[:2]
    normal = np.concatenate([sf.read(path, dtype="float32")[0] for path in clips])
    return np.concatenate([normal, noise(4.0, level=0.3, seed=3)]).astype(np.float32)


def _stream(server, samples: bytes, query: str, expected: int, chunk: int = 3001) -> list[dict]:
    """Send ``samples`` in odd-sized frames; the ``expected`` messages that come back."""
    messages = []
    with ws_client.connect(f"{server.ws_url}/stream?{query}", max_size=None) as ws:
        for lo in range(0, len(samples), chunk):
            ws.send(samples[lo:lo + chunk])
        while len(messages) < expected:
            messages.append(json.loads(ws.recv(timeout=60)))
        with pytest.raises(TimeoutError):  # and no more
            ws.recv(timeout=0.3)
    return messages


def _reference_events(anomalous: list[bool], on_after: int, off_after: int) -> list[str | None]:
    """The hysteresis rule written out: alert after on_after anomalous windows in a row,
    clear after off_after normal ones in a row."""
    state, run_bad, run_good, events = False, 0, 0, []
    for bad in anomalous:
        run_bad, run_good = (run_bad + 1, 0) if bad else (0, run_good + 1)
        event = None
        if not state and run_bad >= on_after:
            state, event = True, "alert"
        elif state and run_good >= off_after:
            state, event = False, "clear"
        events.append(event)
    return events


def test_one_message_per_hop_with_the_scores_of_the_windows(live, signal):
    hop = 4000  # 0.25 s
    expected = (len(signal) - WINDOW) // hop + 1
    f32 = signal.astype("<f4").tobytes()
    messages = _stream(live, f32, "machine=fan&section=00&format=f32&hop=0.25&on_after=2&off_after=2",
                       expected, chunk=4 * 3001 + 2)  # frames end mid-sample too
    assert [m["end_sample"] for m in messages] == [WINDOW + k * hop for k in range(expected)]
    assert [m["window"] for m in messages] == list(range(expected))
    scorer = live.state.stream_scorer
    for m in messages[::5]:
        alone = scorer.score_samples(signal[m["end_sample"] - WINDOW:m["end_sample"]], RATE, "fan")
        assert m["score"] == pytest.approx(alone.score, rel=1e-5, abs=3e-7)
        assert m["start_s"] == pytest.approx((m["end_sample"] - WINDOW) / RATE)
    anomalous = [m["anomalous"] for m in messages]
    assert not any(anomalous[:3]) and all(anomalous[-3:])  # normal at first, the noise anomalous
    assert [m["event"] for m in messages] == _reference_events(anomalous, 2, 2)
    assert "alert" in [m["event"] for m in messages] and messages[-1]["alert"] is True


def test_s16_frames_give_the_same_windows(live, signal):
    s16 = np.clip(np.round(signal * 32768), -32768, 32767).astype("<i2").tobytes()
    expected = (len(signal) - WINDOW) // RATE + 1  # the default hop: 1 s
    messages = _stream(live, s16, "machine=fan&format=s16", expected)
    assert [m["end_sample"] for m in messages] == [WINDOW + k * RATE for k in range(expected)]
    assert all(np.isfinite(m["score"]) for m in messages)


def test_a_silent_window_is_flagged_not_refused(live):
    silence = np.zeros(WINDOW, dtype="<f4").tobytes()
    (message,) = _stream(live, silence, "machine=fan&hop=2", 1)
    assert message["anomalous"] is True and message["bad_signal"]


@pytest.mark.parametrize("query, fragment", [("machine=drill", "unseen in training"),
                                             ("machine=fan&format=u8", "--format"),
                                             ("machine=fan&hop=-1", "hop"),
                                             ("machine=fan&rate=abc", "rate")])
def test_a_bad_query_is_one_error_then_close_1008(live, query, fragment):
    with ws_client.connect(f"{live.ws_url}/stream?{query}") as ws:
        error = json.loads(ws.recv(timeout=10))
        assert list(error) == ["error"] and fragment in error["error"]
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


def test_a_text_frame_closes_with_1003(live):
    with ws_client.connect(f"{live.ws_url}/stream?machine=fan") as ws:
        ws.send("hello")
        assert "binary frames" in json.loads(ws.recv(timeout=10))["error"]
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1003


def test_another_rate_is_refused_under_strict(serve_run):
    with serve(serve_run, strict=True) as strict:
        with ws_client.connect(f"{strict.ws_url}/stream?machine=fan&rate=22050") as ws:
            assert "sample rate 22050 Hz" in json.loads(ws.recv(timeout=10))["error"]
