"""The signal rules of asdkit.audio.quality, one by one, and on real and synthetic clips."""
from __future__ import annotations

import glob
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from asdkit.audio import (
    AUDIO_EXTENSIONS, AudioPolicy, SignalCheck, SignalRules, decode, iter_audio, scan_dataset, signal_reasons,
)
from asdkit.errors import ConfigError, InputError

RATE = 16000
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"  # as tests/conftest.py


def noise(seconds: float = 4.0, channels: int = 1, level: float = 0.05, seed: int = 0) -> np.ndarray:
    return (level * np.random.default_rng(seed).standard_normal((int(seconds * RATE), channels))).astype(np.float32)


def reasons(data: np.ndarray, **kwargs) -> list[str]:
    return signal_reasons(data, RATE, **kwargs)


def test_ordinary_noise_passes():
    assert reasons(noise()) == []
    assert reasons(noise(channels=6)) == []
    assert reasons(noise(level=10 ** (-60 / 20))) == []  # quiet, yet 10 dB above the silence floor


def test_too_short_absolute_and_relative_to_training_clips():
    assert reasons(noise(0.99))[0].startswith("too short: 0.99 s, under the minimum of 1 s")
    assert reasons(noise(1.0)) == []
    assert reasons(noise(4.9), reference_seconds=10.0) == [
        "too short: 4.9 s, under 0.5 x the 10 s of the model's training clips"]
    assert reasons(noise(5.0), reference_seconds=10.0) == []
    assert reasons(noise(2.0), rules=SignalRules(min_relative=0.1), reference_seconds=10.0) == []


def test_a_short_clip_is_caught_before_the_policy_pads_it(tmp_path, make_wav):
    path = make_wav(tmp_path / "short.wav", seconds=0.1)
    check = SignalCheck(reference_seconds=10.0)
    with pytest.raises(InputError, match=r"short\.wav: bad signal \(too short: 0\.1 s"):
        list(iter_audio([path], AudioPolicy(seconds=10.0), signal=check))


def test_silence_every_zero_and_mostly_quiet():
    assert reasons(np.zeros((RATE * 4, 1), np.float32)) == ["silent: every sample is 0"]
    hiss = noise(level=10 ** (-80 / 20))
    assert reasons(hiss) == ["silent: 100% of the clip is below -70 dBFS"]
    half = noise()
    half[len(half) // 2:] = 0  # the second half dropped out
    assert reasons(half) == ["silent: 50% of the clip is below -70 dBFS"]
    half[len(half) // 2 - RATE // 10:] = noise()[: len(half) - len(half) // 2 + RATE // 10]
    assert reasons(half) == []  # 47.5 % quiet: under the limit


def test_constant_and_dc_offset():
    assert reasons(np.full((RATE * 4, 1), 0.5, np.float32))[0].startswith("constant (DC only): the samples stay at 0.5")
    assert reasons(noise() + 0.3) == ["DC offset 0.3 of full scale, over the limit of 0.1"]
    assert reasons(noise() + 0.05) == []


def test_clipping_counts_flat_samples_at_a_loud_peak():
    loud = noise(level=0.4)
    clipped = np.clip(loud, -1.0, 1.0)
    assert reasons(clipped)[0].startswith("clipped: ") and "peak of -6 dBFS or louder" in reasons(clipped)[0]
    assert reasons(np.clip(loud, -0.3, 0.3)) == []  # flat at -10 dBFS: left to the model
    assert reasons(np.clip(loud, -0.3, 0.3), rules=SignalRules(clip_dbfs=-12))[0].startswith("clipped")
    peak = noise(level=0.1)
    peak[1000:1010] = 0.9  # ten samples flat at the peak: 0.016 % of the clip
    assert reasons(peak) == []


def test_clipping_is_checked_per_channel_the_model_hears():
    data = noise(channels=4, level=0.2)
    data[:, 2] = np.clip(8 * data[:, 2], -1.0, 1.0)
    assert "in channel 2" in reasons(data)[0]
    assert reasons(data, policy=AudioPolicy(channel=1)) == []  # channel 2 is not heard


def test_levels_are_judged_on_the_part_the_policy_keeps():
    data = np.concatenate([np.zeros((RATE * 10, 1), np.float32), noise(20.0)])
    assert reasons(data) == []  # two thirds of the file carry sound
    assert reasons(data, policy=AudioPolicy(seconds=10.0)) == ["silent: every sample is 0"]


def test_flag_mode_loads_and_lists(tmp_path, make_wav):
    good = make_wav(tmp_path / "good.wav", seconds=2.0)
    silent = make_wav(tmp_path / "silent.wav", np.zeros(RATE * 2))
    batch = iter_audio([good, silent], signal=SignalCheck(on_bad="flag"))
    assert [Path(p) for p, _ in batch] == [good, silent]
    assert [str(p) for p in batch.summary.flagged] == [f"{silent}: bad signal (silent: every sample is 0)"]
    skipping = iter_audio([good, silent], on_error="skip", signal=SignalCheck())
    assert [Path(p) for p, _ in skipping] == [good]
    assert [p.path for p in skipping.summary.skipped] == [silent]


def test_rules_are_validated():
    with pytest.raises(ConfigError, match="silence_dbfs must be a level <= 0 dBFS"):
        SignalRules(silence_dbfs=3)
    with pytest.raises(ConfigError, match="min_seconds must be a number >= 0"):
        SignalRules(min_seconds=-1)
    with pytest.raises(ConfigError, match="--on-bad-signal must be one of refuse, flag"):
        SignalCheck(on_bad="ignore")
    assert SignalRules.from_dict(SignalRules().to_dict()) == SignalRules()


def test_the_help_text_states_the_default_thresholds():
    from asdkit.cli.options import BAD_SIGNAL_RULES

    rules = SignalRules()
    for text in (f"shorter than {rules.min_seconds:g} s", f"{rules.min_relative:g} x the median",
                 f"{100 * rules.max_quiet_fraction:g}% of its {1000 * rules.frame_seconds:g} ms frames",
                 f"below {rules.silence_dbfs:g} dBFS", f"above {rules.max_dc_offset:g} of full scale",
                 f"over {100 * rules.max_clipped_fraction:g}% of the samples",
                 f"peak of {rules.clip_dbfs:g} dBFS or louder"):
        assert text in BAD_SIGNAL_RULES, text


def test_synthetic_clipping_anomalies_stay_anomalies(tmp_path):
    """The synth's clipping fault flat-tops well below -6 dBFS: the model judges it."""
    from asdkit.synth import SynthConfig, generate

    generate(tmp_path / "data", SynthConfig(machines=("press", "valve"), train_source=2, train_target=1,
                                            test_clips=6, seconds=2.0, seed=4))
    clips = scan_dataset(tmp_path / "data").clips
    kinds = "".join(p.read_text() for p in (tmp_path / "data").glob("*/anomaly_types_*.csv"))
    assert "clip" in kinds
    assert {str(c.path): reasons for c in clips if (reasons := signal_reasons(*decode(c.path)))} == {}


def test_every_real_dcase_clip_passes():
    """Every clip under ../shared/data (WAV and FLAC), against the median duration of
    the training clips of its machine folder."""
    import soundfile as sf

    files = sorted(p for p in glob.glob(str(SHARED_DATA / "**" / "*"), recursive=True)
                   if Path(p).suffix.lower() in AUDIO_EXTENSIONS)
    if not files:
        pytest.skip("real DCASE data not available (../shared/data)")
    durations: dict[Path, list[float]] = defaultdict(list)
    for name in files:
        if Path(name).parent.name == "train":
            durations[Path(name).parent.parent].append(sf.info(name).duration)
    flagged = {}
    for name in files:
        train = durations.get(Path(name).parent.parent)
        found = signal_reasons(*decode(name), reference_seconds=float(np.median(train)) if train else None)
        if found:
            flagged[name] = found
    assert len(files) >= 100 and flagged == {}
