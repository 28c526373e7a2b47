"""``asdkit monitor``: score a live stream window by window; alert when it turns anomalous."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import click

from .app import AppState, err, out, pass_state


def _warner(state: AppState) -> Callable[[str], None]:
    from rich.markup import escape

    def warn(line: str) -> None:
        if state.verbosity >= 0:
            err.print(f"[yellow]warning:[/] {escape(' '.join(line.split()))}", highlight=False)
    return warn


def _open_source(source: str, fmt: str, rate: int | None, channels: int, device_index: int | None,
                 settle: float, model_rate: int, warn: Callable[[str], None]) -> Any:
    """The stream (stdin, mic) or the folder watch named by SOURCE."""
    import sys

    from ..monitor.sources import FolderWatch, MicStream, open_stdin

    if source == "-":
        stream = open_stdin(sys.stdin.buffer, fmt, rate or model_rate, channels, warn)
        if rate is not None and stream.description.startswith("stdin (WAV") and rate != stream.rate:
            warn(f"--rate {rate} ignored: the WAV header of stdin says {stream.rate} Hz")
        return stream
    if source == "mic":
        return MicStream(device_index, rate or model_rate, channels, warn)
    return FolderWatch(Path(source), warn, settle=settle)


def _stop_signals_as_interrupt() -> Callable[[], None]:
    """A service manager's stop (SIGTERM) and SIGINT end the monitor like Ctrl-C, with the
    summary; returns the function that puts the previous handlers back. SIGINT is set
    too because a process started in the background by a non-interactive shell inherits
    it ignored (bash does that without job control), and ``kill -INT`` must still stop it."""
    import signal

    def interrupt(signum: int, frame: Any) -> None:  # noqa: ARG001 - signal handler signature
        raise KeyboardInterrupt

    previous: dict[int, Any] = {}
    try:
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, interrupt)
    except ValueError:  # not the main thread (an embedding application): leave it alone
        return lambda: None

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return restore


@click.command("monitor")
@click.argument("source")
@click.option("--model", "model_path", type=click.Path(path_type=Path), required=True,
              help="A fitted RUN folder (or its model/ bundle).")
@click.option("--machine", required=True, help="Machine type of the stream (one the model knows).")
@click.option("--section", default="00", show_default=True, help="Section whose threshold decides.")
@click.option("--hop", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="Seconds between the starts of consecutive windows.")
@click.option("--window", "window_seconds", type=click.FloatRange(min=0, min_open=True),
              help="Window length in seconds (default: the model's clip length).")
@click.option("--format", "fmt", type=click.Choice(["s16", "f32"]), default="s16", show_default=True,
              help="Raw PCM sample format on stdin (a WAV stream's header overrides it).")
@click.option("--rate", type=click.IntRange(1000, 384000), help="Sample rate of raw PCM or the microphone "
              "(default: the model's).")
@click.option("--channels", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Interleaved channels of raw PCM or the microphone (mixed by the model's channel rule).")
@click.option("--strict", is_flag=True, help="Refuse a stream or file whose rate is not the model's "
              "(default: resample).")
@click.option("--json", "as_json", is_flag=True, help="One JSON line per window on stdout.")
@click.option("--alert-cmd", help="Command to run when the alert turns on (split like a shell line, "
              "run without a shell; ASDKIT_MACHINE, ASDKIT_SCORE, ASDKIT_THRESHOLD, ASDKIT_STREAM_SECONDS "
              "... in its environment).")
@click.option("--alert-shell", is_flag=True, help="Run --alert-cmd through /bin/sh (pipes, redirections).")
@click.option("--alert-after", type=click.IntRange(min=1), default=3, show_default=True,
              help="Anomalous windows in a row that turn the alert on.")
@click.option("--clear-after", type=click.IntRange(min=1), default=3, show_default=True,
              help="Normal windows in a row that turn it off again.")
@click.option("--device-index", type=click.IntRange(min=0), help="Microphone: PortAudio input device index.")
@click.option("--settle", type=click.FloatRange(min=0), default=0.5, show_default=True,
              help="Folder: seconds a new file must stop growing before it is read.")
@pass_state
def command(state: AppState, source: str, model_path: Path, machine: str, section: str, hop: float,
            window_seconds: float | None, fmt: str, rate: int | None, channels: int, strict: bool,
            as_json: bool, alert_cmd: str | None, alert_shell: bool, alert_after: int, clear_after: int,
            device_index: int | None, settle: float) -> None:
    """Score a live stream window by window and alert when it turns anomalous.

    SOURCE is '-' (raw PCM on stdin, or a WAV stream: detected by its RIFF
    header), a folder (each new audio file is scored as one clip once it stops
    growing), or 'mic' (a microphone; needs the optional sounddevice package).
    Streams are cut into windows of the model's clip length every --hop seconds;
    each window is scored like 'asdkit score' scores a file (resampled to the
    model's rate unless --strict). One line per window: time, score, decision,
    running anomaly rate, alert state, delay from the last sample to the verdict.
    Silent, constant or clipped windows (a dead microphone) are flagged
    anomalous with the reason. The alert turns on after --alert-after anomalous
    windows in a row (then --alert-cmd runs, in the background) and off after
    --clear-after normal ones. Ctrl-C or the end of the stream prints a summary.

    \b
    Example:
      arecord -f S16_LE -r 16000 -c 1 | asdkit monitor --model run/ --machine fan -
      sox machine.wav -t wav - | asdkit monitor --model run/ --machine fan - --json
      asdkit monitor --model run/ --machine fan incoming/ --alert-cmd "notify-send fan anomalous"
    """
    import sys

    from ..monitor.alerts import AlertCommand
    from ..monitor.output import json_writer, text_writer
    from ..monitor.runner import Monitor, check_rate, clip_seconds, run_clips, run_stream
    from ..monitor.sources import FolderWatch
    from ..monitor.windows import Hysteresis
    from ..pipeline import AsdModel
    from ..pipeline.online import OnlineScorer
    from ..utils import resolve_device

    warn = _warner(state)
    alert = AlertCommand(alert_cmd, warn, shell=alert_shell) if alert_cmd is not None else None
    model = AsdModel.load(model_path, resolve_device(state.device))
    report = json_writer(sys.stdout) if as_json else text_writer(out)
    monitor = Monitor(OnlineScorer(model, on_bad_signal="flag"), machine, section, report,
                      Hysteresis(alert_after, clear_after), alert)
    seconds = window_seconds or clip_seconds(model)
    monitor.warm_up(seconds)
    strict = strict or model.policy.strict
    opened = _open_source(source, fmt, rate, channels, device_index, settle, model.policy.sr, warn)
    monitor.source = opened.description
    restore_signals = _stop_signals_as_interrupt()
    ending = "end of stream"
    try:
        if isinstance(opened, FolderWatch):
            ready = f"watching {opened.folder} for {machine}/{section}: each new file scored as one clip"
            run_clips(opened.clips(on_ready=lambda: state.progress.log(ready)), monitor, warn, strict)
        else:
            note = check_rate(opened.rate, model.policy.sr, strict, opened.description)
            if note:
                warn(note)
            state.progress.log(f"monitoring {machine}/{section} from {opened.description}: "
                               f"window {seconds:g} s, hop {hop:g} s")
            run_stream(opened, monitor, seconds, hop)
            if not monitor.stats.windows:
                warn(f"{opened.description}: the stream ended before one whole window ({seconds:g} s) arrived")
    except KeyboardInterrupt:
        ending = "interrupted"
    except BrokenPipeError:
        ending = "output closed"
        _silence_stdout()
    finally:
        restore_signals()
        monitor.close()
        unit = "file" if isinstance(opened, FolderWatch) else "window"
        err.print(f"{ending}: {monitor.stats.summary(unit)}", highlight=False)


def _silence_stdout() -> None:
    """The reader of stdout went away (``| head``): drop what is still buffered for it."""
    import os
    import sys

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
