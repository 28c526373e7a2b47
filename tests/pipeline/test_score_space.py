"""Scoring on backbone embeddings: the DCASE autoencoder baseline end to end, and the
graph-free ablation; the backbone objective option."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from tests.pipeline.pipeline_helpers import invoke, ok

from asdkit.audio import read_clips_csv
from asdkit.bundle import load_bundle
from asdkit.metrics import read_score_csv
from asdkit.pipeline.runfolder import RunFolder, embeddings_of


def _scores(out: Path) -> dict[str, float]:
    scores: dict[str, float] = {}
    for path in sorted(out.glob("anomaly_score_*.csv")):
        names, values = read_score_csv(path)
        scores.update(zip(names, values))
    return scores


@pytest.fixture(scope="module")
def ae_run(tiny_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("ae") / "run"
    ok("extract", str(tiny_data), "-o", str(run), "--backbone", "ae_baseline", "--epochs", "2",
       "--batch-size", "8", "--crop-frames", "32")
    ok("fit", str(run), "--gnn", "none", "--scorer", "ae_baseline")
    return run


def test_ae_baseline_scores_are_mean_reconstruction_errors(ae_run: Path, tiny_data: Path, tmp_path: Path):
    """The score of a clip is the mean of its reconstruction-error embedding: nothing
    (normalisation, graph network, head) comes between backbone and scorer."""
    tensors, config = load_bundle(ae_run)
    assert config["score_on"] == "embedding" and config["gnn"] is None
    assert not any(name.startswith(("graph.", "train.")) for name in tensors)
    ok("score", str(tiny_data), "--model", str(ae_run), "-o", str(tmp_path / "out"), "--no-eval")
    scores = _scores(tmp_path / "out")
    run = RunFolder.at(ae_run)
    errors = embeddings_of(run)
    expected = {c.name: float(errors[i].mean()) for i, c in enumerate(read_clips_csv(run.clips))
                if c.split == "test"}
    assert set(scores) == set(expected)
    got = np.array([scores[n] for n in sorted(expected)])
    want = np.array([expected[n] for n in sorted(expected)])
    assert np.allclose(got, want, rtol=1e-3, atol=1e-6)
    assert not (ae_run / "graph.json").exists()


def test_raw_scorer_behind_a_graph_network_is_refused(ae_run: Path):
    result = invoke("fit", str(ae_run), "--gnn", "sage_gat", "--scorer", "ae_baseline")
    assert result.exit_code == 1 and "pass --gnn none" in result.stderr
    result = invoke("fit", str(ae_run), "--gnn", "none", "--scorer", "ae_baseline", "--score-on", "refined")
    assert result.exit_code == 1 and "scores the backbone's raw embeddings" in result.stderr


def test_kmeans_on_backbone_embeddings(run_copy: Path, tiny_data: Path, tmp_path: Path):
    ok("fit", str(run_copy), "--gnn", "none", "--score-on", "embedding")
    tensors, config = load_bundle(run_copy)
    assert config["score_on"] == "embedding" and "scorer.0.centres" in tensors
    ok("score", str(tiny_data), "--model", str(run_copy), "-o", str(tmp_path / "out"), "--no-eval")
    scores = _scores(tmp_path / "out")
    assert scores and all(0.0 <= s <= 2.0 for s in scores.values())
    # The refined vectors the RUN keeps are the embeddings themselves.
    run = RunFolder.at(run_copy)
    assert torch.equal(run.load_tensor(run.refined, "refined"), embeddings_of(run))


def test_backbone_objective_option(tiny_data: Path, tmp_path: Path):
    run = tmp_path / "run"
    ok("extract", str(tiny_data), "-o", str(run), "--backbone", "mobilenetv2", "--objective", "augmentation",
       "--epochs", "1",
       "--batch-size", "8", "--crop-frames", "32", "--backbone-opt", "width_mult=0.25",
       "--backbone-opt", "embedding_dim=16")
    config = json.loads((run / "config.json").read_text())
    assert config["extract"]["objective"] == "augmentation"
    bad = invoke("extract", str(tiny_data), "-o", str(run), "--objective", "contrastive")
    assert bad.exit_code == 2


def test_defaults_are_log_mel_statistics_and_kmeans(tiny_data: Path, tmp_path: Path):
    """Plain extract + fit: the measured best default (README, Accuracy), no training."""
    run = tmp_path / "run"
    ok("extract", str(tiny_data), "-o", str(run))
    ok("fit", str(run))
    ok("score", str(tiny_data), "--model", str(run), "-o", str(tmp_path / "out"))
    tensors, config = load_bundle(run / "model")
    assert config["backbone"]["name"] == "logmel_stats" and config["score_on"] == "embedding"
    assert config["gnn"] is None and config["scorer"]["name"] == "kmeans"
    assert json.loads((run / "config.json").read_text())["extract"]["objective"] == "none"
    assert (tmp_path / "out" / "metrics.json").exists()


def test_no_graph_network_scores_embeddings_unless_asked_for_the_head(run_copy: Path):
    ok("fit", str(run_copy), "--epochs", "2", "--graph-dim", "16", "--head-dim", "8")
    assert load_bundle(run_copy / "model")[1]["score_on"] == "embedding"
    ok("fit", str(run_copy), "--score-on", "refined", "--epochs", "2", "--graph-dim", "16", "--head-dim", "8")
    config = load_bundle(run_copy / "model")[1]
    assert config["score_on"] == "refined" and config["gnn"]["name"] == "none"
