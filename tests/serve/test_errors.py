"""Bad requests get a 4xx and one line of JSON, and never take the service down:
malformed audio, unknown machines, wrong rates under --strict, bad signals, oversized
bodies, clients that stall or vanish mid-upload, and internal failures (500)."""
from __future__ import annotations

import socket
import time

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from tests.serve.server_helpers import assert_refusal, metric_samples, noise, serve, wav_bytes  # noqa: E402


@pytest.fixture(scope="module")
def live(serve_run):
    with serve(serve_run, max_seconds=5.0, max_body_mb=1.0, read_timeout_s=1.0) as server:
        yield server


@pytest.fixture(scope="module")
def good(test_clips) -> bytes:
    return test_clips[0][1].read_bytes()


def _score(server, content: bytes, **params: str):
    return httpx.post(server.url + "/score", params={"machine": "fan", **params}, content=content, timeout=30)


def _still_serving(server, good: bytes) -> None:
    response = _score(server, good)
    assert response.status_code == 200, response.text


def test_malformed_audio_is_refused_with_one_line(live, good):
    assert_refusal(_score(live, b"hello, this is text, not audio"), 415, "upload: not a readable audio file")
    assert_refusal(_score(live, b""), 400, "empty upload")
    nan = noise(2.0)
    nan[100:200] = np.nan
    assert_refusal(_score(live, wav_bytes(nan, subtype="FLOAT"), name="nan.wav"), 422, "nan.wav", "NaN")
    assert_refusal(_score(live, good[:44]), 422, "no audio samples")  # the header alone
    assert_refusal(_score(live, good[:1044]), 422, "bad signal", "too short")  # cut after 500 samples
    assert_refusal(_score(live, good[:20]), 415, "not a readable audio file")  # cut inside the header
    _still_serving(live, good)


def test_machine_and_section_are_checked(live, good):
    assert_refusal(_score(live, good, machine="drill"), 422, "drill", "unseen in training", "fan, valve")
    response = httpx.post(live.url + "/score", content=good)
    assert_refusal(response, 400, "machine is required")
    assert_refusal(_score(live, good, section="../00"), 422, "section")


def test_bad_signals_are_refused_or_flagged(serve_run, live):
    silent = wav_bytes(np.zeros(32000, dtype=np.float32))
    assert_refusal(_score(live, silent, name="silent.wav"), 422, "silent.wav: bad signal", "silent")
    with serve(serve_run, on_bad_signal="flag") as flagging:
        response = _score(flagging, silent)
    assert response.status_code == 200, response.text
    assert response.json()["anomalous"] is True and response.json()["bad_signal"]


def test_wrong_rate_is_refused_under_strict_and_resampled_otherwise(serve_run, live):
    other_rate = wav_bytes(noise(2.0, rate=22050), rate=22050)
    assert _score(live, other_rate).status_code == 200
    with serve(serve_run, strict=True) as strict:
        assert httpx.get(strict.url + "/model").json()["audio"]["strict"] is True
        assert_refusal(_score(strict, other_rate, name="x.wav"), 422, "x.wav: sample rate 22050 Hz",
                       "expected 16000 Hz")
        assert _score(strict, wav_bytes(noise(2.0))).status_code == 200


def test_too_long_and_too_large_are_413(live, good):
    assert_refusal(_score(live, wav_bytes(noise(6.0))), 413, "6.0 s of audio", "--max-seconds")
    big = b"\0" * (1024 * 1024 + 1)
    assert_refusal(_score(live, big), 413, "over the limit", "--max-body-mb")

    def chunks():  # no Content-Length: the limit holds while the body streams in
        for _ in range(40):
            yield b"\0" * 65536

    response = httpx.post(live.url + "/score", params={"machine": "fan"}, content=chunks(), timeout=30)
    assert_refusal(response, 413, "over the limit")
    _still_serving(live, good)


def test_multipart_mistakes(live, good):
    response = httpx.post(live.url + "/score", data={"machine": "fan"}, files={"note": (None, "text")})
    assert_refusal(response, 400, "no file")
    response = httpx.post(live.url + "/score", content=b"--xyz\r\nContent-Disposition: form-data; name=\"f\"",
                          headers={"content-type": "multipart/form-data; boundary=xyz"})
    assert_refusal(response, 400, "truncated")
    files = [("file", ("a.wav", good)), ("file", ("b.txt", b"not audio"))]
    assert_refusal(httpx.post(live.url + "/score", files=files, data={"machine": "fan"}), 415, "b.txt")


def test_unknown_routes_and_methods(live):
    assert_refusal(httpx.get(live.url + "/nothing"), 404, "no such endpoint")
    assert_refusal(httpx.get(live.url + "/score"), 405)


def _raw_request(server, head: str, body: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.sendall(head.encode("ascii") + body)
    return sock


def test_a_client_that_vanishes_mid_upload_leaves_the_service_serving(live, good):
    before = metric_samples(httpx.get(live.url + "/metrics").text)
    head = "POST /score?machine=fan HTTP/1.1\r\nHost: x\r\nContent-Length: 900000\r\n\r\n"
    for _ in range(3):
        _raw_request(live, head, good[:5000]).close()
    deadline = time.monotonic() + 10
    closed = 0.0
    while time.monotonic() < deadline and closed < 3:  # the server notices the disconnects
        after = metric_samples(httpx.get(live.url + "/metrics").text)
        closed = after.get(("asdkit_requests_total", (("endpoint", "/score"), ("status", "499"))), 0.0) - \
            before.get(("asdkit_requests_total", (("endpoint", "/score"), ("status", "499"))), 0.0)
        time.sleep(0.05)
    assert closed == 3
    _still_serving(live, good)


def test_a_client_that_stalls_mid_upload_gets_408(live, good):
    head = "POST /score?machine=fan HTTP/1.1\r\nHost: x\r\nContent-Length: 900000\r\n\r\n"
    sock = _raw_request(live, head, good[:5000])
    try:  # headers and body may arrive in separate segments: read until the server closes
        sock.settimeout(10)
        chunks = []
        while not chunks or b"}" not in b"".join(chunks):
            chunk = sock.recv(4096)
            if not chunk:
                break
            chunks.append(chunk)
        answer = b"".join(chunks).decode("latin-1")
    finally:
        sock.close()
    assert answer.startswith("HTTP/1.1 408"), answer
    assert '{"error":"request body not received within 1 s"}' in answer
    _still_serving(live, good)


def test_an_internal_error_is_a_500_and_the_service_goes_on(live, good, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("model exploded\nsecond line")

    monkeypatch.setattr(live.state.batcher.scorer, "score_waves", broken)
    assert_refusal(_score(live, good), 500, "internal error: RuntimeError: model exploded")
    monkeypatch.undo()
    _still_serving(live, good)
