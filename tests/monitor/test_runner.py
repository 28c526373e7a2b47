"""The monitor loop in process: windows score like ``score`` scores the same samples, bad
signals are flagged, alerts follow the hysteresis, alert commands never stop it."""
from __future__ import annotations

import sys
import time

import numpy as np
import pytest
from scipy.signal import resample_poly

from asdkit.errors import ConfigError, InputError
from asdkit.monitor.alerts import AlertCommand
from asdkit.monitor.runner import Monitor, check_rate, clip_seconds, run_stream
from asdkit.monitor.sources import Block
from asdkit.monitor.windows import Hysteresis


class ListSource:
    """Blocks of a stream delivered in uneven batches, stamped as they are handed out."""

    def __init__(self, samples: np.ndarray, rate: int, seed: int = 0) -> None:
        self.rate, self.description = rate, "test stream"
        rng = np.random.default_rng(seed)
        cuts = np.sort(rng.integers(0, len(samples), 80))
        self.pieces = [p[:, None] for p in np.split(samples.astype(np.float32), cuts)]

    def batches(self):
        for lo in range(0, len(self.pieces), 3):
            yield [Block(p, time.perf_counter()) for p in self.pieces[lo:lo + 3]]


@pytest.fixture(scope="module")
def scorer(default_run):
    from asdkit.pipeline import AsdModel
    from asdkit.pipeline.online import OnlineScorer

    return OnlineScorer(AsdModel.load(default_run, "cpu"), on_bad_signal="flag")


def _monitor(scorer, **kwargs) -> tuple[Monitor, list[dict]]:
    records: list[dict] = []
    return Monitor(scorer, "fan", "00", records.append, **kwargs), records


def test_windows_score_like_the_same_samples_scored_alone(scorer, switching_stream):
    samples, switch = switching_stream
    monitor, records = _monitor(scorer, hysteresis=Hysteresis(3, 3))
    seconds = clip_seconds(scorer.model)
    assert seconds == pytest.approx(2.0)  # the training clips' length (the policy keeps full clips)
    run_stream(ListSource(samples, 16000), monitor, seconds, 0.5)
    assert [r["end_s"] for r in records] == pytest.approx(list(np.arange(2.0, 22.0 + 1e-9, 0.5)))
    for record in records[::5]:
        lo, hi = round(record["start_s"] * 16000), round(record["end_s"] * 16000)
        alone = scorer.score_samples(samples[lo:hi], 16000, "fan")
        assert record["score"] == pytest.approx(alone.score, rel=1e-5, abs=1e-6)  # scores ~1e-2
        assert record["anomalous"] == alone.anomalous
    assert all(r["anomalous"] for r in records if r["start_s"] >= switch)
    alerts = [r for r in records if r["event"] == "alert"]
    assert len(alerts) == 1 and switch + 3 * 0.5 <= alerts[0]["end_s"] <= switch + seconds + 2 * 0.5
    assert monitor.stats.alerts == 1 and monitor.stats.windows == len(records)
    assert records[-1]["anomaly_rate"] == pytest.approx(monitor.stats.anomalous / len(records))
    assert all(r["delay_ms"] >= 0 for r in records)


def test_a_dead_microphone_is_flagged_never_normal(scorer, switching_stream):
    samples, _ = switching_stream
    stream = np.concatenate([samples[:6 * 16000], np.zeros(6 * 16000, dtype=np.float32)])
    monitor, records = _monitor(scorer)
    run_stream(ListSource(stream, 16000), monitor, 2.0, 1.0)
    silent = [r for r in records if r["start_s"] >= 6.0]
    assert silent and all(r["anomalous"] and r["bad_signal"] for r in silent)
    assert any("silent" in reason for reason in silent[0]["bad_signal"])
    assert [r["event"] for r in records].count("alert") == 1
    assert "with a bad signal" in monitor.stats.summary()


def test_non_finite_samples_are_flagged(scorer, switching_stream):
    samples = switching_stream[0][:4 * 16000].copy()
    samples[2 * 16000 + 5] = np.nan  # in the windows [1 s, 3 s) and [2 s, 4 s)
    monitor, records = _monitor(scorer)
    run_stream(ListSource(samples, 16000), monitor, 2.0, 1.0)
    assert [r["anomalous"] for r in records] == [False, True, True]
    assert "not finite" in records[1]["bad_signal"][0]


def test_other_rates_are_resampled_or_refused(scorer, switching_stream):
    samples, switch = switching_stream
    fast = resample_poly(samples, 2, 1).astype(np.float32)
    monitor, records = _monitor(scorer)
    run_stream(ListSource(fast, 32000), monitor, 2.0, 1.0)
    assert [r["end_s"] for r in records] == pytest.approx(list(np.arange(2.0, 22.5, 1.0)))
    assert all(r["anomalous"] for r in records if r["start_s"] >= switch)
    assert check_rate(32000, 16000, False, "x") == "x: sample rate 32000 Hz resampled to the model's 16000 Hz"
    assert check_rate(16000, 16000, True, "x") is None
    with pytest.raises(InputError, match="x: sample rate 32000 Hz, the model's is 16000 Hz"):
        check_rate(32000, 16000, True, "x")


def test_monitor_checks_machine_section_and_mode(scorer, default_run):
    from asdkit.pipeline.online import OnlineScorer

    with pytest.raises(InputError, match="unseen in training"):
        Monitor(scorer, "drill", "00", print)
    with pytest.raises(ValueError, match="flags bad signals"):
        Monitor(OnlineScorer(scorer.model), "fan", "00", print)


def test_alert_commands_get_the_alert_and_their_failures_are_warnings(tmp_path):
    warnings: list[str] = []
    marker = tmp_path / "env.txt"
    code = ("import os, sys; "
            "open(sys.argv[1], 'w').write(os.environ['ASDKIT_SCORE'] + ' ' + os.environ['ASDKIT_MACHINE'])")
    command = AlertCommand(f"{sys.executable} -c \"{code}\" {marker}", warnings.append)
    command.fire({"score": 1.5, "machine": "fan"})
    command.close()
    assert marker.read_text() == "1.5 fan" and warnings == []
    failing = AlertCommand(f"{sys.executable} -c 'raise SystemExit(3)'", warnings.append)
    failing.fire({})
    failing.close()
    missing = AlertCommand("/no/such/alert-program --now", warnings.append)
    missing.fire({})
    missing.close()
    assert len(warnings) == 2
    assert warnings[0].endswith("exited with status 3")
    assert "'/no/such/alert-program --now' did not start" in warnings[1]
    shell_marker = tmp_path / "shell.txt"
    AlertCommand(f"echo $ASDKIT_EVENT > {shell_marker}", warnings.append, shell=True).fire({"event": "alert"})
    deadline = time.monotonic() + 10
    while not (shell_marker.exists() and shell_marker.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert shell_marker.read_text().strip() == "alert"
    with pytest.raises(ConfigError, match="empty command"):
        AlertCommand("  ", warnings.append)
    with pytest.raises(ConfigError, match="cannot split"):
        AlertCommand("notify 'unclosed", warnings.append)
