"""A small synthetic dataset and a default model (log-mel statistics + K-means, seconds to fit)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from tests.pipeline.pipeline_helpers import default_model, synth_data


@pytest.fixture(scope="session")
def monitor_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth_data(tmp_path_factory.mktemp("monitor") / "data")


@pytest.fixture(scope="session")
def default_run(monitor_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return default_model(monitor_data, tmp_path_factory.mktemp("monitor") / "run")


def concatenated(folder: Path, pattern: str) -> np.ndarray:
    """The clips of ``folder`` matching ``pattern``, one after the other (mono float32)."""
    return np.concatenate([sf.read(str(p), dtype="float32")[0] for p in sorted(folder.glob(pattern))])


@pytest.fixture(scope="session")
def switching_stream(monitor_data: Path) -> tuple[np.ndarray, float]:
    """12 s of the fan's normal training sound, then 10 s of a different machine (a valve):
    the samples and the switch time in seconds."""
    normal = concatenated(monitor_data / "fan" / "train", "*source*")[:12 * 16000]
    changed = concatenated(monitor_data / "valve" / "test", "*normal*")[:10 * 16000]
    return np.concatenate([normal, changed]), 12.0


def s16_bytes(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
