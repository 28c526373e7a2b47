"""In-memory scoring (the core of serve and monitor) gives what ``asdkit score`` gives."""
from __future__ import annotations

import csv

import numpy as np
import pytest
import soundfile as sf

from asdkit.errors import InputError
from asdkit.pipeline import AsdModel
from asdkit.pipeline.online import OnlineScorer, decode_bytes
from asdkit.formats.score_files import score_file_name


def _official(run, machine: str) -> dict[str, float]:
    path = run / "scores" / score_file_name(machine, "00")
    return {name: float(value) for name, value in csv.reader(path.open())}


def test_bytes_and_samples_score_like_the_score_command(fitted_run, tiny_data):
    scorer = OnlineScorer(AsdModel.load(fitted_run, "cpu"))
    official = _official(fitted_run, "valve")
    threshold = scorer.model.threshold("valve", "00")
    for path in sorted((tiny_data / "valve" / "test").glob("*.wav"))[:3]:
        verdict = scorer.score_bytes(path.read_bytes(), "valve", "00", name=path.name)
        assert verdict.score == pytest.approx(official[path.name], rel=1e-5, abs=1e-7)
        assert verdict.anomalous == (verdict.score > threshold) and verdict.threshold == threshold
        samples, rate = sf.read(path, dtype="float32")
        assert scorer.score_samples(samples, rate, "valve").score == pytest.approx(verdict.score, rel=1e-6)


def test_bad_inputs_are_one_line_errors_or_flagged(fitted_run):
    model = AsdModel.load(fitted_run, "cpu")
    with pytest.raises(InputError, match="upload: empty upload"):
        decode_bytes(b"")
    with pytest.raises(InputError, match="x.wav: not a readable audio file"):
        decode_bytes(b"hello, not audio", "x.wav")
    silent = np.zeros(16000 * 2, dtype=np.float32)
    with pytest.raises(InputError, match="bad signal"):
        OnlineScorer(model).score_samples(silent, 16000, "valve")
    flagged = OnlineScorer(model, on_bad_signal="flag").score_samples(silent, 16000, "valve")
    assert flagged.anomalous and flagged.bad_signal
    with pytest.raises(InputError, match="unseen in training"):
        OnlineScorer(model).score_samples(np.random.default_rng(0).normal(0, 0.1, 32000), 16000, "drill")
