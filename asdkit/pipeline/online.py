"""Scoring audio held in memory: the core of ``asdkit serve`` and ``asdkit monitor``.

``score`` reads files; a service and a live monitor get bytes (an uploaded WAV) or
samples (a window of a stream). :class:`OnlineScorer` takes those through exactly the
road ``score`` takes — the model's audio policy, the signal checks, log-mel, backbone,
graph refinement (inductive: a clip never depends on the others in its batch), the
machine's scorer, the held-out normalisation and the decision threshold — so a clip
gets the same score whichever way it arrives (tested against ``asdkit score``).

Shapes:
    - **samples:** ``(frames,)`` mono or ``(frames, channels)`` float32 at ``rate`` Hz
    - **result:** one :class:`Verdict` per input
"""
from __future__ import annotations

import io
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

import numpy as np

from ..audio.load import conform
from ..audio.quality import SignalCheck, bad_signal_message
from ..errors import InputError
from .model import AsdModel


@dataclass(frozen=True)
class Verdict:
    """What the model says of one clip: higher score = more anomalous; ``anomalous``
    when above the section's threshold or when the signal is bad (``bad_signal``)."""

    machine: str
    section: str
    score: float
    threshold: float
    anomalous: bool
    bad_signal: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def decode_bytes(data: bytes, name: str = "upload") -> tuple[np.ndarray, int]:
    """``(frames, channels)`` float32 and the sample rate of an encoded file (WAV, FLAC,
    OGG) held in memory; a one-line :class:`InputError` naming ``name`` otherwise."""
    import soundfile as sf

    if not data:
        raise InputError(f"{name}: empty upload (0 bytes)")
    try:
        samples, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except Exception as exc:  # libsndfile reports every decoding failure its own way
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{name}: not a readable audio file ({reason})") from None
    if samples.shape[0] == 0:
        raise InputError(f"{name}: contains no audio samples")
    if not np.isfinite(samples).all():
        raise InputError(f"{name}: contains NaN or Inf samples")
    return samples, int(rate)


class OnlineScorer:
    """A loaded model scoring in-memory clips; ``on_bad_signal`` as in ``asdkit score``.

    Args:
        model: a fitted :class:`AsdModel`.
        on_bad_signal: ``"refuse"`` (an :class:`InputError` for the clip) or ``"flag"``
            (scored, ``anomalous`` forced, the reasons in ``bad_signal``).
    """

    def __init__(self, model: AsdModel, on_bad_signal: str = "refuse") -> None:
        self.model = model
        self.check = SignalCheck(reference_seconds=model.config.train_seconds, on_bad=on_bad_signal)

    def prepare(self, samples: np.ndarray, rate: int, name: str = "clip") -> tuple[np.ndarray, list[str]]:
        """The waveform the model hears and the signal check's reasons (refused clips raise)."""
        data = np.asarray(samples, dtype=np.float32)
        data = data[:, None] if data.ndim == 1 else data
        if data.ndim != 2 or data.shape[0] == 0:
            raise InputError(f"{name}: expected (frames,) or (frames, channels) samples, got shape {data.shape}")
        if not np.isfinite(data).all():
            raise InputError(f"{name}: contains NaN or Inf samples")
        reasons = self.check.reasons(data, rate, self.model.policy)
        if reasons and self.check.on_bad == "refuse":
            raise InputError(bad_signal_message(name, reasons))
        return conform(data, rate, self.model.policy, name), reasons

    def score_waves(self, waves: Sequence[np.ndarray], machines: Sequence[str],
                    sections: Sequence[str], reasons: Sequence[list[str]] | None = None) -> list[Verdict]:
        """Score prepared waveforms (see :meth:`prepare`) of the given machines/sections."""
        from ..features import compute_logmel

        if not len(waves) == len(machines) == len(sections):
            raise InputError(f"{len(waves)} clips but {len(machines)} machines and {len(sections)} sections")
        if not waves:
            return []
        self.model.check_machines(machines)
        feats = compute_logmel(list(waves), self.model.params)
        refined = self.model.refine(self.model.embed(feats))
        raw = self.model.score_refined(refined, list(machines))
        scores = self.model.normalize(raw, list(machines), list(sections))
        reasons = list(reasons) if reasons is not None else [[] for _ in waves]
        verdicts = []
        for machine, section, score, why in zip(machines, sections, scores, reasons):
            threshold = self.model.threshold(machine, section)
            verdicts.append(Verdict(machine, section, float(score), float(threshold),
                                    bool(score > threshold or why), list(why)))
        return verdicts

    def score_samples(self, samples: np.ndarray, rate: int, machine: str, section: str = "00",
                      name: str = "clip") -> Verdict:
        """One clip of raw samples, end to end."""
        wave, reasons = self.prepare(samples, rate, name)
        return self.score_waves([wave], [machine], [section], [reasons])[0]

    def score_bytes(self, data: bytes, machine: str, section: str = "00", name: str = "upload") -> Verdict:
        """One encoded file (WAV, FLAC, OGG) held in memory, end to end."""
        samples, rate = decode_bytes(data, name)
        return self.score_samples(samples, rate, machine, section, name)
