"""Real DCASE recordings (../shared/data/real-mini): naming, decoding, levels."""
import numpy as np

from asdkit.audio import AudioPolicy, iter_audio, scan_dataset


def test_real_dcase2020(real_mini):
    ds = scan_dataset(real_mini / "dcase2020")
    assert ds.layout == "dcase2020" and not ds.problems
    assert ds.machines == ["ToyCar", "ToyConveyor", "fan", "pump", "slider", "valve"]
    assert {c.split for c in ds.select(label="anomaly")} == {"test"}
    assert {c.label for c in ds.select(split="train")} == {"normal"}
    assert {c.section for c in ds} >= {"00", "02", "04", "06"}


def test_real_dcase2023(real_mini):
    ds = scan_dataset(real_mini / "dcase2023")
    assert ds.layout == "dcase2021" and not ds.problems and len(ds.machines) == 7
    assert {c.domain for c in ds} == {"source", "target"}
    train = ds.select(machine="ToyTrain", split="train")
    assert all(set(c.attributes) == {"car", "spd", "mic"} for c in train)


def test_real_audio_decodes_at_16k(real_mini):
    clips = scan_dataset(real_mini / "dcase2023").clips[::5]
    batch = iter_audio(clips, AudioPolicy(strict=True))
    for _, wave in batch:
        assert 9.5 * 16000 <= len(wave) <= 12.5 * 16000
        assert 1e-4 < np.sqrt(np.mean(wave**2)) < 0.5
    assert batch.summary.ok and batch.summary.loaded == len(clips)
