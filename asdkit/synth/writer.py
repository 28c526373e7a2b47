"""Render clips and write them as a DCASE 2024-layout dataset.

::

    OUT/synth_config.json                      the SynthConfig and asdkit version
    OUT/<machine>/attributes_NN.csv            file_name,d1p,d1v,d2p,d2v (official form)
    OUT/<machine>/anomaly_types_NN.csv         file_name,kind (which fault each anomaly has)
    OUT/<machine>/train/section_NN_{source,target}_train_normal_NNNN_<attrs>.wav
    OUT/<machine>/test/section_NN_{source,target}_test_{normal,anomaly}_NNNN_<attrs>.wav

Every clip has its own random generator seeded from (seed, machine, section, split,
domain, label, index), so output does not depend on generation order and the same
seed gives byte-identical files.
"""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import soundfile as sf

from .._version import __version__
from ..errors import ConfigError
from ..progress import Progress, ensure
from ..utils import atomic_open, atomic_write_bytes, atomic_write_json, atomic_write_text
from .anomalies import ADDITIVE_KINDS, add_fault, clip_to_snr, modifiers_for
from .config import SynthConfig
from .families import FAMILIES, Family
from .shifts import AcousticScene, Conditions, draw_conditions

_CODES = {"train": 0, "test": 1, "source": 0, "target": 1, "normal": 0, "anomaly": 1}
_TARGET_RMS_DB = -24.0
_PEAK_LIMIT = 0.98


@dataclass(frozen=True)
class ClipSpec:
    machine: str
    section: int
    split: str
    domain: str
    label: str
    index: int

    def seed(self, base: int) -> list[int]:
        return [base, zlib.crc32(self.machine.encode()), self.section, _CODES[self.split],
                _CODES[self.domain], _CODES[self.label], self.index]


@dataclass
class SynthSummary:
    out_dir: Path
    clips: int
    machines: tuple[str, ...]


def clip_specs(config: SynthConfig, machine: str, section: int) -> Iterator[ClipSpec]:
    counts = [("train", "source", "normal", config.train_source),
              ("train", "target", "normal", config.train_target)]
    counts += [("test", d, lab, config.test_clips) for d in ("source", "target") for lab in ("normal", "anomaly")]
    for split, domain, label, count in counts:
        for index in range(count):
            yield ClipSpec(machine, section, split, domain, label, index)


def attribute_string(family: Family, conditions: Conditions) -> str:
    if family.hidden_attributes:
        return "noAttribute"
    return "_".join(f"{k}_{v}" for k, v in conditions.values.items())


def file_name(spec: ClipSpec, attributes: str) -> str:
    return (f"section_{spec.section:02d}_{spec.domain}_{spec.split}_{spec.label}_"
            f"{spec.index:04d}_{attributes}.wav")


def to_pcm16(rng: np.random.Generator, wave: np.ndarray) -> np.ndarray:
    """Level to about -24 dBFS RMS (+-2 dB per clip), limited below full scale."""
    gain = 10 ** ((_TARGET_RMS_DB + rng.uniform(-2, 2)) / 20) / (np.sqrt(np.mean(wave**2)) + 1e-12)
    wave = wave * gain
    peak = float(np.abs(wave).max())
    if peak > _PEAK_LIMIT:
        wave = wave * (_PEAK_LIMIT / peak)
    return np.round(wave * 32767).astype(np.int16)


class MachineSynth:
    """Renders the clips of one machine type and section."""

    def __init__(self, config: SynthConfig, machine: str, section: int) -> None:
        self.config, self.family = config, FAMILIES[machine]
        self.n = int(round(config.seconds * config.sr))
        machine_rng = np.random.default_rng([config.seed, zlib.crc32(machine.encode()), section])
        self.params = self.family.draw_params(machine_rng)
        self.scene = AcousticScene(machine_rng, self.n, config.sr)

    def render(self, spec: ClipSpec) -> tuple[np.ndarray, Conditions, str | None]:
        """``(int16 samples, conditions, anomaly kind or None)``."""
        rng = np.random.default_rng(spec.seed(self.config.seed))
        conditions = draw_conditions(rng, self.family.attributes, spec.domain)
        kind = str(rng.choice(self.family.anomalies)) if spec.label == "anomaly" else None
        snr, sr = self.config.anomaly_snr, self.config.sr
        signal = self.family.render(rng, self.params, conditions, modifiers_for(kind, snr), self.n, sr)
        dry = add_fault(kind, rng, signal, snr, sr) if kind in ADDITIVE_KINDS else signal.dry
        wave = self.scene.record(rng, dry.astype(np.float32), conditions)
        if kind == "clipping":
            wave = clip_to_snr(wave, snr)
        return to_pcm16(rng, wave), conditions, kind


def _wav_bytes(samples: np.ndarray, sr: int) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, sr, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def _write_table(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with atomic_open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _attribute_row(relative: str, family: Family, conditions: Conditions) -> list[str]:
    if family.hidden_attributes:
        return [relative, "noAttribute", ""]
    return [relative] + [str(x) for k, v in conditions.values.items() for x in (k, v)]


def _check_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"{out_dir}: exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / "synth_config.json").exists():
        raise ConfigError(f"{out_dir}: folder is not empty and holds no synthetic dataset; "
                          "choose an empty or new folder")


def generate(out_dir: str | os.PathLike, config: SynthConfig | None = None,
             progress: Progress | None = None) -> SynthSummary:
    """Write a synthetic DCASE 2024-layout dataset to ``out_dir`` (see module docs)."""
    config = config or SynthConfig()
    out_dir = Path(out_dir)
    _check_out_dir(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out_dir / "synth_config.json", {"config": config.to_dict(), "asdkit": __version__})
    task = ensure(progress).task("synthesising clips", total=config.total_clips)
    try:
        for machine in config.machines:
            for section in range(config.sections):
                _write_section(out_dir, config, machine, section, task)
    finally:
        task.close()
    return SynthSummary(out_dir=out_dir, clips=config.total_clips, machines=config.machines)


#: Written last, holding the config: a folder without it (or with another config) is not
#: the dataset :func:`generate_once` was asked for.
COMPLETE_MARKER = ".synth-complete"


def generate_once(out_dir: str | os.PathLike, config: SynthConfig, progress: Progress | None = None) -> bool:
    """Make the dataset of ``config`` at ``out_dir`` unless that exact dataset is already
    there (complete); a synthetic dataset of another config (seed, size) is replaced.
    Returns whether anything was generated."""
    out_dir = Path(out_dir)
    wanted = json.dumps(config.to_dict(), sort_keys=True)
    marker = out_dir / COMPLETE_MARKER
    if marker.is_file() and marker.read_text(encoding="utf-8") == wanted:
        return False
    if (out_dir / "synth_config.json").is_file():  # ours, but another config or half written
        ensure(progress).log(f"regenerating {out_dir} (made with another seed or size, or incomplete)")
        shutil.rmtree(out_dir)
    generate(out_dir, config, progress)
    atomic_write_text(marker, wanted)
    return True


def _write_section(out_dir: Path, config: SynthConfig, machine: str, section: int, task) -> None:
    synth = MachineSynth(config, machine, section)
    attribute_rows, anomaly_rows = [], []
    for spec in clip_specs(config, machine, section):
        samples, conditions, kind = synth.render(spec)
        name = file_name(spec, attribute_string(synth.family, conditions))
        relative = f"{machine}/{spec.split}/{name}"
        atomic_write_bytes(out_dir / relative, _wav_bytes(samples, config.sr))
        attribute_rows.append(_attribute_row(relative, synth.family, conditions))
        if kind:
            anomaly_rows.append([relative, kind])
        task.advance()
    width = max(len(r) for r in attribute_rows) if attribute_rows else 3
    header = ["file_name"] + [f"d{i}{c}" for i in range(1, (width - 1) // 2 + 1) for c in ("p", "v")]
    _write_table(out_dir / machine / f"attributes_{section:02d}.csv", header, attribute_rows)
    _write_table(out_dir / machine / f"anomaly_types_{section:02d}.csv", ["file_name", "kind"], anomaly_rows)
