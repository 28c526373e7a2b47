"""Builders of small score folders with DCASE development-style names (shared by tests)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def dev_name(domain: str, label: str, index: int, section: int = 0) -> str:
    return f"section_{section:02d}_{domain}_test_{label}_{index:04d}_spd_1.wav"


def write_rows(path: Path, rows) -> Path:
    path.write_text("".join(f"{name},{value}\n" for name, value in rows))
    return path


def make_section(rng: np.random.Generator, n_per_cell: int = 10, shift: float = 1.0, section: int = 0):
    """(name, score, anomalous) rows: n_per_cell clips per domain x label."""
    rows = []
    index = 0
    for domain in ("source", "target"):
        for label in ("normal", "anomaly"):
            for _ in range(n_per_cell):
                score = rng.normal(shift if label == "anomaly" else 0.0)
                rows.append((dev_name(domain, label, index, section), float(score), label == "anomaly"))
                index += 1
    return rows




def scored_run(root: Path, name: str, config: dict, shift: float, seed: int, n_per_cell: int = 10) -> Path:
    """A RUN folder with one fan section scored (anomalies shifted by ``shift``) and a config.json."""
    run = root / name
    (run / "scores").mkdir(parents=True)
    rows = make_section(np.random.default_rng(seed), n_per_cell=n_per_cell, shift=shift)
    write_rows(run / "scores" / "anomaly_score_fan_section_00_test.csv", [(n, s) for n, s, _ in rows])
    (run / "config.json").write_text(json.dumps(config))
    return run
