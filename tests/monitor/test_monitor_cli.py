"""``asdkit monitor`` in process: the terminal line format, user mistakes as one-line errors."""
from __future__ import annotations

import sys

import numpy as np
import pytest
from click.testing import CliRunner
from tests.monitor.conftest import s16_bytes

from asdkit.cli.main import cli


def _monitor(run, *args: str, input: bytes | None = None):
    return CliRunner().invoke(cli, ["--device", "cpu", "monitor", "--model", str(run), *args], input=input)


def test_terminal_lines_and_summary(default_run, switching_stream):
    samples, _ = switching_stream
    result = _monitor(default_run, "--machine", "fan", "--hop", "2", "-", input=s16_bytes(samples))
    assert result.exit_code == 0, result.output + result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 11  # windows ending at 2, 4, ..., 22 s
    assert lines[0].lstrip().startswith("2.0 s") and "normal" in lines[0] and " ms" in lines[0]
    assert "ANOMALOUS" in lines[-1] and "ALERT" in lines[-1] and "rate" in lines[-1]
    assert "end of stream: 11 window(s) (22.0 s of audio)" in result.stderr


def test_silence_shows_its_reason(default_run):
    result = _monitor(default_run, "--machine", "fan", "-", input=b"\x00\x00" * 16000 * 3)
    assert result.exit_code == 0
    assert result.stdout.count("ANOMALOUS") == 2 and "bad signal: silent" in result.stdout


def test_a_failing_alert_command_is_a_warning_and_the_monitor_goes_on(default_run, switching_stream):
    samples, _ = switching_stream
    command = f"{sys.executable} -c 'raise SystemExit(4)'"
    result = _monitor(default_run, "--machine", "fan", "--json", "--alert-cmd", command, "-",
                      input=s16_bytes(samples))
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 21
    assert result.stderr.count("warning:") == 1 and "exited with status 4" in result.stderr


@pytest.mark.parametrize("args,input,message", [
    (["--machine", "drill", "-"], b"",
     "error: --machine: machine type(s) drill unseen in training (the model knows fan, pump, valve)"),
    (["--machine", "fan", "-"], b"", "error: stdin: empty stream (no samples)"),
    (["--machine", "fan", "no/such/folder"], None, "error: no/such/folder: no such folder to watch"),
    (["--machine", "fan", "--alert-cmd", "", "-"], b"\x00\x00", "error: --alert-cmd: empty command"),
])
def test_mistakes_are_one_line_errors(default_run, args, input, message):
    result = _monitor(default_run, *args, input=input)
    assert result.exit_code == 1 and result.stderr.strip() == message


def test_bad_option_values_are_usage_errors(default_run):
    for args in (["--hop", "0"], ["--alert-after", "0"], ["--format", "s24"], ["--rate", "10"]):
        result = _monitor(default_run, "--machine", "fan", *args, "-", input=b"")
        assert result.exit_code == 2, args


def test_microphone_without_sounddevice_is_one_line(default_run, monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # import sounddevice -> ImportError
    result = _monitor(default_run, "--machine", "fan", "mic")
    assert result.exit_code == 1
    assert result.stderr.strip() == ("error: microphone input needs the optional sounddevice package: "
                                     "pip install 'asdkit[mic]'")


def test_f32_stream_with_channels(default_run, switching_stream):
    samples, _ = switching_stream
    stereo = np.stack([samples[:5 * 16000], samples[:5 * 16000]], axis=1).astype("<f4")
    result = _monitor(default_run, "--machine", "fan", "--format", "f32", "--channels", "2", "--json", "-",
                      input=stereo.tobytes())
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 4
    assert "from stdin (raw f32 16000 Hz x2)" in result.stderr


def test_a_stream_shorter_than_a_window_says_so(default_run, switching_stream):
    samples, _ = switching_stream
    result = _monitor(default_run, "--machine", "fan", "-", input=s16_bytes(samples[:16000]))
    assert result.exit_code == 0 and result.stdout == ""
    assert "the stream ended before one whole window (2 s) arrived" in result.stderr
    assert "end of stream: 0 window(s)" in result.stderr
