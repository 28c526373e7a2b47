"""Options shared by several commands, and the end-of-run summary of skipped files."""
from __future__ import annotations

from typing import Any, Callable

import click

from ..config import parse_option_pairs
from .app import err

F = Callable[..., Any]


def component_option(flag: str, kind_label: str, default: str) -> Callable[[F], F]:
    """``--NAME`` to pick a component and repeatable ``--NAME-opt key=value`` for its options."""
    def decorate(fn: F) -> F:
        fn = click.option(f"--{flag}-opt", f"{flag.replace('-', '_')}_opts", multiple=True,
                          metavar="KEY=VALUE",
                          help=f"Option for the {kind_label} (repeatable), e.g. --{flag}-opt key=value.")(fn)
        return click.option(f"--{flag}", default=default, show_default=True,
                            help=f"The {kind_label} (see 'asdkit plugins').")(fn)
    return decorate


def parse_opts(pairs: tuple[str, ...], flag: str) -> dict[str, Any]:
    return parse_option_pairs(pairs, f"--{flag}-opt")


def on_error_options(fn: F) -> F:
    fn = click.option("--allow-skips", is_flag=True,
                      help="Exit 0 even when --on-error skip left files out.")(fn)
    return click.option("--on-error", type=click.Choice(["fail", "skip"]), default="fail",
                        show_default=True,
                        help="On a bad audio file: stop (fail), or leave it out and list it at the end (skip).")(fn)


#: The rules of asdkit.audio.quality.SignalRules() in words; a test keeps them equal.
BAD_SIGNAL_RULES = (
    "A bad signal is: shorter than 1 s or than 0.5 x the median duration of the model's "
    "training clips; silent (every sample 0, or at least 50% of its 50 ms frames below "
    "-70 dBFS); constant (DC only); a DC offset above 0.1 of full scale; or clipped (over "
    "0.1% of the samples of a channel flat at a peak of -6 dBFS or louder). Measured on the "
    "decoded samples, before resampling or zero-padding."
)


def bad_signal_option(fn: F) -> F:
    return click.option(
        "--on-bad-signal", type=click.Choice(["refuse", "flag"]), default="refuse", show_default=True,
        help="On a file that decodes but carries no usable signal: refuse it like a bad file "
        "(--on-error then stops or skips), or score it, force its decision to 1 (anomalous) and "
        f"list it (printed, and OUT/bad_signals.csv). {BAD_SIGNAL_RULES}")(fn)


def finish_flags(summary: Any) -> None:
    """List every clip scored with a bad signal (its decision was forced to 1)."""
    flagged = list(getattr(summary, "flagged", []) or [])
    if not flagged:
        return
    err.print(f"[yellow]flagged {len(flagged)} clip(s) with a bad signal (decision forced to 1):[/]")
    for item in flagged:
        err.print(f"  {item}", markup=False, highlight=False)


def finish_skips(summary: Any, allow_skips: bool) -> None:
    """List every skipped file; exit 1 when anything was skipped, unless allowed."""
    skipped = list(getattr(summary, "skipped", []) or [])
    if not skipped:
        return
    err.print(f"[yellow]skipped {len(skipped)} file(s):[/]")
    for item in skipped:
        err.print(f"  {item}", markup=False, highlight=False)
    if not allow_skips:
        click.echo(f"error: {len(skipped)} file(s) skipped (use --allow-skips to accept)", err=True)
        raise SystemExit(1)


def feature_options(fn: F) -> F:
    """Log-mel and audio policy options (defaults: the DCASE baseline front end)."""
    opts = [
        click.option("--sr", type=int, default=16000, show_default=True, help="Model sample rate (Hz)."),
        click.option("--n-mels", type=int, default=128, show_default=True, help="Mel bands."),
        click.option("--n-fft", type=int, default=1024, show_default=True, help="FFT size."),
        click.option("--hop", type=int, default=512, show_default=True, help="Hop length (samples)."),
        click.option("--channel", default="mean", show_default=True,
                     help="Multi-channel files: 'mean' of channels or a 0-based channel index."),
        click.option("--seconds", type=float, default=None,
                     help="Crop or zero-pad every clip to this length (default: full clips)."),
        click.option("--strict", is_flag=True, help="Refuse files at another sample rate instead of resampling."),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


def feature_settings(sr: int, n_mels: int, n_fft: int, hop: int, channel: str, seconds: float | None,
                     strict: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    from ..audio import AudioPolicy
    from ..features import LogMelParams

    chan: int | str = int(channel) if channel.isdigit() else channel
    params = LogMelParams(sr=sr, n_fft=n_fft, hop_length=hop, n_mels=n_mels)
    policy = AudioPolicy(sr=sr, channel=chan, seconds=seconds, strict=strict)
    return params.to_dict(), policy.to_dict()
