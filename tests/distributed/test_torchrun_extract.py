"""``extract`` under a real 2-process ``torchrun`` (gloo): the one-process RUN folder.

Stated tolerance (README, "Beyond one machine"): the default backbone (no training)
gives byte-identical embeddings; a trained backbone equals one process's to float32
rounding. The test trains MobileNetV2 with dropout, mixup and SpecAugment at a
learning rate too small to move float32 weights (1e-12), so that every other part of
training is compared without the chaos of many optimiser steps: crops, augmentations,
dropout masks, global-batch BatchNorm, loss, accuracy, BatchNorm recalibration and the
embeddings agree within 1e-5 (measured: ~5e-6). One optimiser step at a real learning
rate agrees to ~1e-4 (tests/parallel); over many steps, rounding grows the way a
different thread count makes it grow in one process.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from tests.distributed.conftest import ENV, asdkit, torchrun

TRAIN = ["--backbone", "mobilenetv2", "--backbone-opt", "width_mult=0.25", "--epochs", "2",
         "--batch-size", "8", "--mixup", "0.2", "--specaugment", "--lr", "1e-12"]


def _tensors(path: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(path))


def _close(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], tol: float) -> None:
    """Every tensor within ``tol`` of its largest magnitude (at least 1)."""
    assert a.keys() == b.keys()
    for key in a:
        x, y = a[key].double(), b[key].double()
        scale = max(float(x.abs().max()) if x.numel() else 0.0, 1.0)
        worst = float((x - y).abs().max()) / scale if x.numel() else 0.0
        print(f"{key}: {worst:.2e}")
        assert worst <= tol, key


@pytest.fixture(scope="module")
def trained_once(shard_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    cwd = tmp_path_factory.mktemp("extract-one")
    done = asdkit("extract", str(shard_data), "-o", "run", *TRAIN, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return cwd / "run"


def test_two_ranks_embed_the_default_backbone_byte_for_byte(shard_data: Path, shard_model: Path, tmp_path: Path):
    done = torchrun("extract", str(shard_data), "-o", "run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    run = tmp_path / "run"
    assert (run / "embeddings.safetensors").read_bytes() == (shard_model / "embeddings.safetensors").read_bytes()
    assert (run / "clips.csv").read_bytes() == (shard_model / "clips.csv").read_bytes()


def test_two_ranks_train_the_backbone_one_process_trains(shard_data: Path, trained_once: Path, tmp_path: Path):
    done = torchrun("extract", str(shard_data), "-o", "run", *TRAIN, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    run = tmp_path / "run"
    one = json.loads((trained_once / "history.json").read_text())["backbone"]
    two = json.loads((run / "history.json").read_text())["backbone"]
    assert [r["epoch"] for r in two] == [1, 2]
    for a, b in zip(one, two):
        assert b["loss"] == pytest.approx(a["loss"], rel=1e-5) and b["acc"] == pytest.approx(a["acc"], abs=1e-9)
    _close(_tensors(trained_once / "embeddings.safetensors"), _tensors(run / "embeddings.safetensors"), 1e-4)
    _close(_tensors(trained_once / "backbone" / "tensors.safetensors"),
           _tensors(run / "backbone" / "tensors.safetensors"), 1e-4)
    assert (run / "logs" / "backbone.csv").read_text().count("\n") == 3  # header + 2 epochs, rank 0 alone


def test_a_rank_killed_while_training_leaves_the_run_as_it_was(shard_data: Path, trained_once: Path,
                                                              tmp_path: Path):
    run = tmp_path / "run"
    shutil.copytree(trained_once, run)
    def results() -> dict[Path, bytes]:  # the training log shows the epochs the failed job ran
        return {p.relative_to(run): p.read_bytes() for p in run.rglob("*")
                if p.is_file() and not {"cache", "logs"} & set(p.parts)}

    before = results()
    env = {**ENV, "ASDKIT_TEST_FAIL_AFTER_EPOCHS": "1"}
    done = torchrun("extract", str(shard_data), "-o", "run", *TRAIN, "--epochs", "2",
                    cwd=tmp_path, env=env)
    assert done.returncode != 0
    assert "ASDKIT_TEST_FAIL_AFTER_EPOCHS: rank 1 stops after 1" in done.stdout + done.stderr
    assert results() == before


def test_featex_is_refused_under_torchrun_in_one_line(shard_data: Path, tmp_path: Path):
    done = torchrun("extract", str(shard_data), "-o", "run", "--backbone", "dual_branch", "--objective", "featex",
                    "--epochs", "1", cwd=tmp_path)
    assert done.returncode != 0
    errors = {line for line in done.stderr.splitlines() if line.startswith("error:")}
    assert errors == {"error: objective 'featex' pairs embeddings across the whole batch: it trains in one "
                      "process only (not under torchrun)"}, done.stderr
    assert not (tmp_path / "run" / "embeddings.safetensors").exists()
