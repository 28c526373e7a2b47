"""Load many clips in order, failing on the first bad file or skipping and listing them.

Batch commands iterate :func:`iter_audio` and then look at ``.summary``: with
``on_error="skip"`` every skipped file is listed there (path + reason) so the command
can print them and exit non-zero unless the user passed ``--allow-skips``.

With a :class:`~asdkit.audio.quality.SignalCheck` the decoded samples are also checked
for signals that cannot be judged (silent, constant, clipped, too short): refused like
any bad file, or loaded and listed in ``.summary.flagged``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Iterable, Iterator, TypeVar

import numpy as np

from ..errors import ConfigError, InputError
from ..progress import Progress, ensure
from .load import conform, decode
from .policy import AudioPolicy
from .quality import SignalCheck, bad_signal_message
from ..formats.clips_table import Problem

ClipLike = TypeVar("ClipLike")


#: A file a batch load left out, and why (the same record as a scan's problems).
SkippedFile = Problem


@dataclass
class LoadSummary:
    """What a batch load did: how many files loaded, which were skipped and why, which
    were loaded with a bad signal (``flagged``), and each loaded file's duration."""

    loaded: int = 0
    skipped: list[SkippedFile] = field(default_factory=list)
    resampled: dict[int, int] = field(default_factory=dict)  # source rate -> number of files
    flagged: list[Problem] = field(default_factory=list)  # loaded under on_bad="flag"
    seconds: dict[str, float] = field(default_factory=dict)  # str(path) -> decoded duration

    @property
    def ok(self) -> bool:
        return not self.skipped

    def describe(self) -> str:
        """One line, e.g. ``loaded 98 file(s), skipped 2``."""
        text = f"loaded {self.loaded} file(s)"
        if self.skipped:
            text += f", skipped {len(self.skipped)}"
        if self.flagged:
            text += f", flagged {len(self.flagged)} bad signal(s)"
        return text

    def absorb(self, other: "LoadSummary") -> None:
        """Add another summary's counts and lists to this one."""
        self.loaded += other.loaded
        self.skipped.extend(other.skipped)
        self.flagged.extend(other.flagged)
        self.seconds.update(other.seconds)
        for rate, n in other.resampled.items():
            self.resampled[rate] = self.resampled.get(rate, 0) + n


def _path_of(clip: Any) -> Path:
    """``clip.path`` of a clip record, else the clip itself as a path."""
    return Path(clip.path) if hasattr(clip, "path") else Path(os.fspath(clip))


class AudioBatch(Generic[ClipLike]):
    """Iterable of ``(clip, waveform)``; see :func:`iter_audio`."""

    def __init__(self, clips: Iterable[ClipLike], policy: AudioPolicy, on_error: str,
                 progress: Progress | None, signal: SignalCheck | None = None) -> None:
        if on_error not in ("fail", "skip"):
            raise ConfigError(f"on_error must be 'fail' or 'skip', got '{on_error}'")
        self.clips = list(clips)
        self.policy = policy
        self.on_error = on_error
        self.signal = signal
        self.progress = ensure(progress)
        self.summary = LoadSummary()

    def __len__(self) -> int:
        return len(self.clips)

    def __iter__(self) -> Iterator[tuple[ClipLike, np.ndarray]]:
        task = self.progress.task("loading audio", total=len(self.clips))
        try:
            for clip in self.clips:
                wave = self._load(clip)
                task.advance()
                if wave is not None:
                    self.summary.loaded += 1
                    yield clip, wave
        finally:
            task.close()

    def _load(self, clip: ClipLike) -> np.ndarray | None:
        path = _path_of(clip)
        try:
            data, rate = decode(path)
            wave = conform(data, rate, self.policy, path)
            self._check_signal(path, data, rate)
        except InputError as exc:
            if self.on_error == "fail":
                raise
            reason = str(exc)
            prefix = f"{path}: "
            self.summary.skipped.append(SkippedFile(path, reason[len(prefix):]
                                                    if reason.startswith(prefix) else reason))
            return None
        if rate != self.policy.sr:
            self._note_resampled(path, rate)
        self.summary.seconds[str(path)] = data.shape[0] / rate
        return wave

    def _check_signal(self, path: Path, data: np.ndarray, rate: int) -> None:
        """Refuse (an :class:`InputError`) or flag a bad signal; nothing for a good one."""
        if self.signal is None:
            return
        reasons = self.signal.reasons(data, rate, self.policy)
        if not reasons:
            return
        message = bad_signal_message(path, reasons)
        if self.signal.on_bad == "refuse":
            raise InputError(message)
        self.summary.flagged.append(Problem(path, message[len(f"{path}: "):]))

    def _note_resampled(self, path: Path, rate: int) -> None:
        """Warn once per source rate, not once per file."""
        count = self.summary.resampled.get(rate, 0)
        if count == 0:
            self.progress.warn(f"files at {rate} Hz are resampled to {self.policy.sr} Hz "
                               f"(first: {path})")
        self.summary.resampled[rate] = count + 1


def iter_audio(clips: Iterable[ClipLike], policy: AudioPolicy | None = None,
               on_error: str = "fail", progress: Progress | None = None,
               signal: SignalCheck | None = None) -> AudioBatch[ClipLike]:
    """Yield ``(clip, waveform)`` for each clip (a :class:`Clip` or a path), in order.

    ``on_error="fail"`` raises the first :class:`InputError`; ``"skip"`` leaves bad
    files out and records them in ``.summary.skipped`` of the returned object.
    ``signal`` (default: none) also checks each decoded signal
    (:mod:`asdkit.audio.quality`): a bad one is an :class:`InputError` like a corrupt
    file (``on_bad="refuse"``) or is yielded and listed in ``.summary.flagged``.
    """
    return AudioBatch(clips, policy or AudioPolicy(), on_error, progress, signal)
