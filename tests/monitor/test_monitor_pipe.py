"""``asdkit monitor`` as users run it: a real process fed through a real pipe, a WAV stream,
a watched folder receiving files; the alert command fires with the expected delay."""
from __future__ import annotations

import io
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import resample_poly
from tests.monitor.conftest import s16_bytes

pytestmark = pytest.mark.slow

HOP, WINDOW, ALERT_AFTER = 1.0, 2.0, 3
# Writes the ASDKIT_* variables it was started with, as JSON, to the file in argv[1].
ALERT_CODE = ("import json, os, sys; json.dump({k: v for k, v in os.environ.items() if k.startswith('ASDKIT_')}, "
              "open(sys.argv[1], 'w'))")


def _start(run: Path, source: str, stderr: Path, *args: str, sigint_ignored: bool = False) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "asdkit.cli.main", "--device", "cpu", "monitor", "--model", str(run),
               "--machine", "fan", source, "--json", *args]
    # As a background job of a non-interactive shell starts it: SIGINT ignored on entry.
    start = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if sigint_ignored else None
    return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr.open("wb"),
                            env=env, preexec_fn=start)


def _feed(proc: subprocess.Popen, data: bytes, chunk: int = 3200) -> threading.Thread:
    """Write ``data`` to the process's stdin in small chunks from a thread, then close it."""
    def write() -> None:
        assert proc.stdin is not None
        try:
            for lo in range(0, len(data), chunk):
                proc.stdin.write(data[lo:lo + chunk])
                proc.stdin.flush()
            proc.stdin.close()
        except BrokenPipeError:
            pass  # the monitor stopped reading (a refused stream): what the test then checks

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    return writer


def _finish(proc: subprocess.Popen, writer: threading.Thread, timeout: float = 120) -> bytes:
    """Everything the process writes on stdout until it exits (the writer still feeding it)."""
    assert proc.stdout is not None
    out = proc.stdout.read()
    writer.join(timeout)
    proc.wait(timeout)
    return out


def _records(proc: subprocess.Popen, writer: threading.Thread) -> list[dict]:
    out = _finish(proc, writer)
    assert proc.returncode == 0
    return [json.loads(line) for line in out.decode().splitlines()]


def _check_switch(records: list[dict], switch: float, marker: Path) -> None:
    """One line per hop, increasing times; one alert, within the hysteresis count of the switch."""
    ends = [r["end_s"] for r in records]
    assert ends == pytest.approx([WINDOW + HOP * i for i in range(len(records))])
    assert len(records) == int((switch + 10.0 - WINDOW) / HOP) + 1
    assert [r["window"] for r in records] == list(range(len(records)))
    assert all(a["wall"] <= b["wall"] for a, b in zip(records, records[1:]))
    assert all(r["anomalous"] for r in records if r["start_s"] >= switch)
    alerts = [r for r in records if r["event"] == "alert"]
    assert len(alerts) == 1
    # the first window holding changed sound ends one hop after the switch, the first
    # holding only changed sound one window after it; the alert needs ALERT_AFTER in a row
    first_touching, first_whole = switch + HOP, switch + WINDOW
    assert first_touching + (ALERT_AFTER - 1) * HOP <= alerts[0]["end_s"] <= first_whole + (ALERT_AFTER - 1) * HOP
    assert not any(r["alert"] for r in records if r["end_s"] < alerts[0]["end_s"])
    assert all(r["alert"] for r in records if r["end_s"] >= alerts[0]["end_s"])
    fired = json.loads(marker.read_text())
    assert fired["ASDKIT_EVENT"] == "alert" and fired["ASDKIT_MACHINE"] == "fan"
    assert float(fired["ASDKIT_STREAM_SECONDS"]) == pytest.approx(alerts[0]["end_s"])
    assert float(fired["ASDKIT_SCORE"]) == pytest.approx(alerts[0]["score"], rel=1e-5)
    assert float(fired["ASDKIT_THRESHOLD"]) == pytest.approx(alerts[0]["threshold"], rel=1e-5)


def test_raw_pcm_pipe_alerts_when_the_stream_turns_anomalous(default_run, switching_stream, tmp_path):
    samples, switch = switching_stream
    marker, stderr = tmp_path / "alert.json", tmp_path / "stderr.txt"
    alert_cmd = shlex.join([sys.executable, "-c", ALERT_CODE, str(marker)])
    proc = _start(default_run, "-", stderr, "--hop", str(HOP), "--alert-after", str(ALERT_AFTER),
                  "--alert-cmd", alert_cmd)
    records = _records(proc, _feed(proc, s16_bytes(samples)))
    _check_switch(records, switch, marker)
    assert all(isinstance(r["delay_ms"], float) and r["delay_ms"] >= 0 for r in records)
    log = stderr.read_text()
    assert "from stdin (raw s16 16000 Hz x1): window 2 s, hop 1 s" in log
    assert f"end of stream: {len(records)} window(s) (22.0 s of audio)" in log and "1 alert(s)" in log


def test_wav_stream_at_another_rate_is_resampled(default_run, switching_stream, tmp_path):
    samples, switch = switching_stream
    buffer = io.BytesIO()
    sf.write(buffer, resample_poly(samples, 2, 1).astype(np.float32), 32000, subtype="PCM_16", format="WAV")
    marker, stderr = tmp_path / "alert.json", tmp_path / "stderr.txt"
    proc = _start(default_run, "-", stderr, "--alert-cmd", shlex.join([sys.executable, "-c", ALERT_CODE,
                                                                       str(marker)]))
    _check_switch(_records(proc, _feed(proc, buffer.getvalue())), switch, marker)
    log = stderr.read_text()
    assert "stdin (WAV s16 32000 Hz x1): sample rate 32000 Hz resampled to the model's 16000 Hz" in log

    strict = _start(default_run, "-", stderr, "--strict")
    out = _finish(strict, _feed(strict, buffer.getvalue()))
    assert strict.returncode == 1 and out == b""
    assert "error: stdin (WAV s16 32000 Hz x1): sample rate 32000 Hz, the model's is 16000 Hz" in stderr.read_text()


def _wait_for(path: Path, text: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while text not in path.read_text():
        assert proc.poll() is None, path.read_text()
        assert time.monotonic() < deadline, f"no {text!r} in {path.read_text()!r}"
        time.sleep(0.05)


def test_watched_folder_scores_each_new_file_once_complete(default_run, monitor_data, tmp_path):
    from asdkit.pipeline import AsdModel
    from asdkit.pipeline.online import OnlineScorer

    inbox, stderr = tmp_path / "inbox", tmp_path / "stderr.txt"
    inbox.mkdir()
    (inbox / "old.wav").write_bytes((monitor_data / "fan" / "train").glob("*.wav").__next__().read_bytes())
    normal = sorted((monitor_data / "fan" / "test").glob("*normal*.wav"))[0].read_bytes()
    other = sorted((monitor_data / "valve" / "test").glob("*normal*.wav"))[0].read_bytes()
    proc = _start(default_run, str(inbox), stderr, "--settle", "1.0")
    _wait_for(stderr, "watching", proc)
    (inbox / "recording.wav.part").write_bytes(normal)  # a recorder's temporary name: ignored
    os.replace(inbox / "recording.wav.part", inbox / "recording.wav")
    with (inbox / "growing.wav").open("wb") as handle:  # written in two halves, 0.4 s apart
        handle.write(other[:len(other) // 2])
        handle.flush()
        time.sleep(0.4)
        handle.write(other[len(other) // 2:])
    (inbox / "notes.txt").write_text("not audio")
    deadline = time.monotonic() + 60
    lines: list[dict] = []
    assert proc.stdout is not None
    while len(lines) < 2 and time.monotonic() < deadline:
        lines.append(json.loads(proc.stdout.readline()))
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=90)  # one CI run on a loaded machine took over 30 s
    assert rest == b"" and proc.returncode == 0
    by_name = {r["file"]: r for r in lines}
    assert set(by_name) == {"recording.wav", "growing.wav"}
    scorer = OnlineScorer(AsdModel.load(default_run, "cpu"), on_bad_signal="flag")
    for name, data in [("recording.wav", normal), ("growing.wav", other)]:
        assert by_name[name]["score"] == pytest.approx(scorer.score_bytes(data, "fan").score, rel=1e-5, abs=1e-6)
        assert by_name[name]["end_s"] - by_name[name]["start_s"] == pytest.approx(2.0)
    assert by_name["growing.wav"]["anomalous"] and not by_name["recording.wav"]["anomalous"]
    assert "interrupted: 2 file(s) (4.0 s of audio), 1 anomalous (50%), 0 alert(s)" in stderr.read_text()


def test_sigint_stops_a_monitor_started_with_sigint_ignored(default_run, tmp_path):
    # bash without job control starts background jobs with SIGINT ignored; the monitor
    # must still stop on it (two CI runs launched that way hung here before).
    inbox, stderr = tmp_path / "inbox", tmp_path / "stderr.txt"
    inbox.mkdir()
    proc = _start(default_run, str(inbox), stderr, sigint_ignored=True)
    _wait_for(stderr, "watching", proc)
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=60)
    assert rest == b"" and proc.returncode == 0
    assert "interrupted: " in stderr.read_text()

