"""Synthetic dataset: layout, determinism, distinguishable machines, domains, anomalies, speed."""
import dataclasses
import functools

import numpy as np
import pytest
import soundfile as sf

from asdkit.audio import load_audio, scan_dataset
from asdkit.errors import ConfigError
from asdkit.synth import MACHINE_TYPES, SynthConfig, generate
from asdkit.synth.anomalies import ANOMALY_KINDS, clip_to_snr
from asdkit.synth.families import FAMILIES
from asdkit.synth.writer import ClipSpec, MachineSynth


def _log_spectrum(wave: np.ndarray, bands: int = 48) -> np.ndarray:
    power = np.abs(np.fft.rfft(wave)) ** 2
    edges = np.geomspace(30, len(power) - 1, bands + 1).astype(int)
    return np.log10(np.array([power[a:b + 1].mean() for a, b in zip(edges[:-1], edges[1:])]) + 1e-12)


def test_layout_is_read_back_as_dcase(synth_dataset):
    ds = scan_dataset(synth_dataset)
    assert ds.layout == "dcase2021" and not ds.problems
    assert ds.machines == ["fan", "valve"]
    counts = ds.counts()
    assert counts[("fan", "train", "source", "normal")] == 4
    assert counts[("fan", "train", "target", "normal")] == 2
    for domain in ("source", "target"):
        for label in ("normal", "anomaly"):
            assert counts[("valve", "test", domain, label)] == 2
    fan = ds.select(machine="fan")
    assert all(set(c.attributes) == {"speed", "load"} for c in fan)
    assert all(c.attributes == {} for c in ds.select(machine="valve"))  # hidden attributes
    assert all(f"speed_{c.attributes['speed']}_load_{c.attributes['load']}" in c.name for c in fan)
    info = sf.info(str(fan[0].path))
    assert (info.samplerate, info.channels, info.subtype, info.frames) == (16000, 1, "PCM_16", 16000)


def test_same_seed_same_bytes(tmp_path, synth_dataset):
    config = SynthConfig(machines=("fan", "valve"), train_source=4, train_target=2, test_clips=2,
                         seconds=1.0, seed=3)
    generate(tmp_path / "again", config)
    for path in sorted(synth_dataset.rglob("*")):
        if path.is_file():
            assert (tmp_path / "again" / path.relative_to(synth_dataset)).read_bytes() == path.read_bytes()


def test_other_seed_other_sound(tmp_path):
    config = SynthConfig(machines=("fan",), train_source=1, train_target=0, test_clips=0, seconds=0.5)
    generate(tmp_path / "a", config)
    generate(tmp_path / "b", dataclasses.replace(config, seed=1))
    a = next((tmp_path / "a").rglob("*.wav")).read_bytes()
    b = next((tmp_path / "b").rglob("*.wav")).read_bytes()
    assert a != b


@functools.lru_cache(maxsize=None)
def _synth(machine, seconds, snr, seed):
    return MachineSynth(SynthConfig(seconds=seconds, seed=seed, anomaly_snr=snr), machine, 0)


def _render(machine, index, domain="source", label="normal", seconds=2.0, snr=6.0, seed=0):
    synth = _synth(machine, seconds, snr, seed)
    samples, conditions, kind = synth.render(ClipSpec(machine, 0, "train", domain, label, index))
    return samples.astype(np.float32) / 32768, conditions, kind


def test_machine_types_are_distinguishable_and_clips_vary():
    spectra = {m: np.array([_log_spectrum(_render(m, i)[0]) for i in range(4)]) for m in MACHINE_TYPES}
    centroids = {m: s[:2].mean(0) for m, s in spectra.items()}
    for machine, rows in spectra.items():
        assert not np.allclose(rows[2], rows[3])  # clip-to-clip variation
        for row in rows[2:]:  # held-out clips go to their own type's centroid
            nearest = min(centroids, key=lambda m: np.linalg.norm(row - centroids[m]))
            assert nearest == machine


def test_target_domain_shifts_conditions():
    for machine in ("fan", "press"):
        family = FAMILIES[machine]
        for domain, which in (("source", 0), ("target", 1)):
            _, conditions, _ = _render(machine, 5, domain=domain, seconds=0.5)
            for key, choices in family.attributes.items():
                assert conditions.values[key] in choices[which]


def test_every_family_produces_its_anomalies():
    for machine, family in FAMILIES.items():
        assert set(family.anomalies) <= set(ANOMALY_KINDS)
        kinds = {_render(machine, i, label="anomaly", seconds=1.0)[2] for i in range(12)}
        assert kinds <= set(family.anomalies) and len(kinds) >= 2
        wave = _render(machine, 0, label="anomaly", seconds=1.0)[0]
        assert np.isfinite(wave).all() and np.abs(wave).max() > 0.01


def test_anomaly_snr_controls_difficulty():
    """The same anomalous clip drifts further from its barely-faulty version as SNR falls."""
    def distance(machine, index, snr):
        reference = _log_spectrum(_render(machine, index, label="anomaly", snr=60.0)[0])
        return np.linalg.norm(_log_spectrum(_render(machine, index, label="anomaly", snr=snr)[0]) - reference)

    cases = [(m, i) for m in ("fan", "gearbox", "press") for i in range(3)]
    strong = np.mean([distance(m, i, 0.0) for m, i in cases])
    subtle = np.mean([distance(m, i, 20.0) for m, i in cases])
    assert strong > 1.5 * subtle


def test_clip_to_snr_hits_the_target():
    wave = np.random.default_rng(0).standard_normal(16000).astype(np.float32)
    clipped = clip_to_snr(wave, 20.0)
    snr = 20 * np.log10(np.sqrt(np.mean(wave**2)) / np.sqrt(np.mean((wave - clipped) ** 2)))
    assert abs(snr - 20.0) < 0.1


def test_config_validation_and_small_preset(tmp_path):
    small = SynthConfig.small()
    assert (len(small.machines), small.train_source, small.train_target, small.test_clips) == (4, 60, 6, 10)
    full = SynthConfig()
    assert (len(full.machines), full.train_source, full.train_target, full.test_clips,
            full.seconds, full.sr) == (7, 990, 10, 50, 10.0, 16000)
    for bad in ({"machines": ("toaster",)}, {"train_source": -1}, {"seconds": 0}, {"anomaly_snr": 99}):
        with pytest.raises(ConfigError):
            SynthConfig(**bad)
    (tmp_path / "user.txt").write_text("precious")
    with pytest.raises(ConfigError, match="not empty"):
        generate(tmp_path, SynthConfig.small())


def test_loader_reads_synthetic_audio(synth_dataset):
    clip = scan_dataset(synth_dataset).clips[0]
    wave = load_audio(clip.path)
    assert wave.shape == (16000,) and 0.005 < np.sqrt(np.mean(wave**2)) < 0.2
