"""generate_once: the same config reuses the folder, another one (a new seed) replaces it."""
from __future__ import annotations

import pytest

from asdkit.errors import ConfigError
from asdkit.synth import SynthConfig, generate_once


def _config(seed: int) -> SynthConfig:
    return SynthConfig(machines=("fan",), train_source=2, train_target=1, test_clips=1, seconds=0.5, seed=seed)


def _bytes(folder) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.wav"))}


def test_same_config_is_reused_and_another_seed_regenerates(tmp_path):
    data = tmp_path / "data"
    assert generate_once(data, _config(0)) is True
    first = _bytes(data)
    assert generate_once(data, _config(0)) is False and _bytes(data) == first
    assert generate_once(data, _config(3)) is True  # asdkit --seed 3 demo after asdkit demo
    assert _bytes(data) != first and len(_bytes(data)) == len(first)  # the old clips are gone


def test_a_folder_that_is_not_synthetic_is_never_replaced(tmp_path):
    data = tmp_path / "mine"
    data.mkdir()
    (data / "recordings.txt").write_text("keep")
    with pytest.raises(ConfigError, match="not empty"):
        generate_once(data, _config(0))
    assert (data / "recordings.txt").read_text() == "keep"
