"""POST /score on the real service (uvicorn on loopback, httpx): the scores of ``asdkit
score``, the model's description, Prometheus metrics, dynamic batching."""
from __future__ import annotations

import asyncio
import json
import os

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
pytest.importorskip("prometheus_client")
httpx = pytest.importorskip("httpx")

from tests.serve.server_helpers import metric_samples, serve  # noqa: E402

# The default model's score is 1 - cosine in float32, resolved to 6e-8 (an ulp of 1.0):
# the same clip scored alone or in a batch of others (BLAS sums in another order) may
# move by a few such steps, which is more than 1e-5 relative for the smallest scores.
# float32 rounding of the cosine score moves with the batch a clip is scored in; the
# pure-Python log-mel (torch.stft, ASDKIT_PURE_PYTHON=1) moves more with it than the C++ kernel.
REL, ABS = 1e-5, (2e-6 if os.environ.get("ASDKIT_PURE_PYTHON", "") not in ("", "0") else 3e-7)


@pytest.fixture(scope="module")
def live(serve_run):
    with serve(serve_run) as server:
        yield server


def _post(client, path, machine: str):
    return client.post("/score", params={"machine": machine, "name": path.name}, content=path.read_bytes())


def test_scores_equal_the_score_command(live, test_clips, official_scores):
    thresholds = httpx.get(live.url + "/model").json()["thresholds"]
    with httpx.Client(base_url=live.url) as client:
        for machine, path in test_clips:
            response = _post(client, path, machine)
            assert response.status_code == 200, response.text
            body = response.json()
            assert set(body) == {"name", "machine", "section", "score", "threshold", "anomalous", "bad_signal",
                                 "latency_ms"}
            assert (body["name"], body["machine"], body["section"]) == (path.name, machine, "00")
            assert body["score"] == pytest.approx(official_scores[(machine, path.name)], rel=REL, abs=ABS)
            assert body["threshold"] == pytest.approx(thresholds[f"{machine}/00"])
            assert body["anomalous"] == (body["score"] > body["threshold"])
            assert body["bad_signal"] == [] and body["latency_ms"] > 0


def test_multipart_scores_several_files_in_order(live, test_clips, official_scores):
    valve = [path for machine, path in test_clips if machine == "valve"][:4]
    files = [("file", (path.name, path.read_bytes(), "audio/wav")) for path in valve]
    response = httpx.post(live.url + "/score", files=files, data={"machine": "valve", "section": "00"})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["name"] for r in results] == [path.name for path in valve]
    for result, path in zip(results, valve):
        assert result["machine"] == "valve"
        assert result["score"] == pytest.approx(official_scores[("valve", path.name)], rel=REL, abs=ABS)


@pytest.mark.parametrize("fmt, subtype", [("WAV", "FLOAT"), ("WAV", "PCM_24"), ("FLAC", "PCM_16"),
                                         ("WAV", "PCM_16")])
def test_other_encodings_of_a_clip_score_alike(live, test_clips, official_scores, fmt, subtype):
    """The same 16-bit samples as float, 24-bit WAV or FLAC (NumPy reads 16-bit and float
    WAV, libsndfile the rest; 2 channels mixed to mono): the same score."""
    import numpy as np
    import soundfile as sf

    from tests.serve.server_helpers import wav_bytes

    machine, path = test_clips[1]
    samples, rate = sf.read(path, dtype="float32")
    stereo = np.stack([samples, samples], axis=1)
    response = httpx.post(live.url + "/score", params={"machine": machine},
                          content=wav_bytes(stereo, rate, subtype, fmt))
    assert response.status_code == 200, response.text
    assert response.json()["score"] == pytest.approx(official_scores[(machine, path.name)], rel=REL, abs=ABS)


def test_machine_may_be_left_out_only_for_a_one_machine_model(single_machine_run, serve_data):
    clip = sorted((serve_data / "fan" / "test").glob("*.wav"))[0]
    with serve(single_machine_run) as server:
        response = httpx.post(server.url + "/score", content=clip.read_bytes())
        assert response.status_code == 200, response.text
        assert response.json()["machine"] == "fan"


def test_health_and_model(live, serve_run):
    health = httpx.get(live.url + "/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    info = httpx.get(live.url + "/model").json()
    manifest = json.loads((serve_run / "model" / "manifest.json").read_text())
    assert info["machines"] == ["fan", "valve"]
    assert set(info["thresholds"]) >= {"fan/00", "valve/00"}
    assert info["train_seconds"] == pytest.approx(2.0) and info["window_seconds"] == pytest.approx(2.0)
    assert info["checksum"]["tensors_sha256"] == manifest["tensors_sha256"]
    assert info["versions"]["bundle"] == manifest["versions"] and "asdkit" in info["versions"]["runtime"]
    assert info["audio"]["sr"] == 16000 and info["audio"]["strict"] is False
    assert info["backbone"] == "logmel_stats" and info["serving"]["max_batch"] == 32


def test_metrics_count_requests_scores_decisions_and_batches(live, test_clips):
    before = metric_samples(httpx.get(live.url + "/metrics").text)
    with httpx.Client(base_url=live.url) as client:
        verdicts = [_post(client, path, machine).json() for machine, path in test_clips[:5]]
        refused = client.post("/score", params={"machine": "fan"}, content=b"not audio")
    assert refused.status_code == 415
    response = httpx.get(live.url + "/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    after = metric_samples(response.text)

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert delta("asdkit_requests_total", endpoint="/score", status="200") == 5
    assert delta("asdkit_requests_total", endpoint="/score", status="415") == 1
    assert delta("asdkit_request_latency_seconds_count", endpoint="/score") == 6
    assert delta("asdkit_request_latency_seconds_bucket", endpoint="/score", le="+Inf") == 6
    scored = sum(delta("asdkit_score_count", machine=m) for m in ("fan", "valve"))
    decided = sum(delta("asdkit_decisions_total", machine=m, decision=d)
                  for m in ("fan", "valve") for d in ("normal", "anomalous"))
    anomalous = sum(delta("asdkit_decisions_total", machine=m, decision="anomalous") for m in ("fan", "valve"))
    assert scored == decided == 5 and anomalous == sum(v["anomalous"] for v in verdicts)
    assert delta("asdkit_batch_size_sum") == 5 and delta("asdkit_batch_size_count") >= 1
    assert ("asdkit_streams_open", ()) in after


async def _concurrent(url: str, clips, n: int) -> list:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        calls = [client.post("/score", params={"machine": machine, "name": path.name}, content=path.read_bytes())
                 for machine, path in (clips[i % len(clips)] for i in range(n))]
        return await asyncio.gather(*calls)


@pytest.mark.parametrize("batching", [True, False])
def test_concurrent_requests_are_batched_and_correct(serve_run, test_clips, official_scores, batching):
    with serve(serve_run, batching=batching, max_wait_ms=200) as server:
        responses = asyncio.run(_concurrent(server.url, test_clips, 16))
        metrics = metric_samples(httpx.get(server.url + "/metrics").text)
    for response in responses:
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["score"] == pytest.approx(official_scores[(body["machine"], body["name"])], rel=REL, abs=ABS)
    batches = metrics[("asdkit_batch_size_count", ())]
    alone = metrics[("asdkit_batch_size_bucket", (("le", "1.0"),))]
    assert metrics[("asdkit_batch_size_sum", ())] == 16
    if batching:
        assert batches < 16 and alone < batches  # some forward scored several clips
    else:
        assert batches == alone == 16  # every clip alone
