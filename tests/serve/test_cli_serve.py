"""``asdkit serve`` as a user starts it: a subprocess that prints its URL and answers."""
from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from tests.pipeline.pipeline_helpers import invoke  # noqa: E402


def _wait_for_url(proc: subprocess.Popen, timeout: float = 120.0) -> str:
    deadline = time.monotonic() + timeout
    assert proc.stderr is not None
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            raise AssertionError(f"asdkit serve exited with {proc.returncode}")
        found = re.search(r"http://127\.0\.0\.1:\d+", line)
        if found:
            return found.group(0)
    raise AssertionError("asdkit serve printed no URL")


@pytest.mark.slow
def test_serve_command_prints_its_url_and_scores(serve_run, test_clips):
    proc = subprocess.Popen([sys.executable, "-m", "asdkit.cli.main", "--device", "cpu", "serve", "--model",
                             str(serve_run), "--port", "0", "--max-batch", "8", "--log-level", "warning"],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        url = _wait_for_url(proc)
        for _ in range(200):  # the socket listens before uvicorn has started the app
            try:
                if httpx.get(url + "/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        machine, path = test_clips[0]
        response = httpx.post(url + "/score", params={"machine": machine}, content=path.read_bytes(), timeout=30)
        assert response.status_code == 200 and response.json()["machine"] == machine
        assert httpx.get(url + "/model").json()["serving"]["max_batch"] == 8
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_refuses_a_missing_model_and_bad_options(tmp_path):
    result = invoke("serve", "--model", str(tmp_path / "nothing"), "--port", "0")
    assert result.exit_code == 1 and "no such model" in result.stderr and result.stderr.count("\n") == 1
    result = invoke("serve", "--model", str(tmp_path), "--max-batch", "0")
    assert result.exit_code == 2 and "--max-batch" in result.stderr
