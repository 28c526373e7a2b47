"""extract -> fit -> score through the CLI on a tiny synthetic dataset."""
from __future__ import annotations

import csv
import importlib.metadata
import json
from pathlib import Path

import pytest

from asdkit.bundle import load_bundle

from tests.pipeline.pipeline_helpers import EXTRACT_ARGS, FIT_ARGS, invoke, ok


def read_scores(folder: Path) -> dict[str, float]:
    scores = {}
    for path in sorted(folder.glob("anomaly_score_*.csv")):
        with open(path, newline="") as fh:
            for name, value in csv.reader(fh):
                scores[f"{path.name}:{name}"] = float(value)
    return scores


def test_run_folder_holds_every_artifact(fitted_run: Path):
    for name in ("config.json", "clips.csv", "embeddings.safetensors", "history.json", "refined.safetensors",
                 "graph.json", "metrics.json", "model/manifest.json", "model/tensors.safetensors"):
        assert (fitted_run / name).is_file(), name
    config = json.loads((fitted_run / "config.json").read_text())
    assert config["extract"]["backbone_options"] == {"width_mult": 0.25, "embedding_dim": 32}
    assert config["fit"]["gnn"] == "sage_gat" and "torch" in config["versions"]
    assert not list(fitted_run.rglob(".tmp-*"))


def test_official_csvs_per_machine_and_section(fitted_run: Path):
    scores_dir = fitted_run / "scores"
    for machine in ("fan", "pump", "valve"):
        scores = scores_dir / f"anomaly_score_{machine}_section_00_test.csv"
        decisions = scores_dir / f"decision_result_{machine}_section_00_test.csv"
        rows = list(csv.reader(open(scores)))
        assert len(rows) == 12  # 3 normal + 3 anomalous per domain
        assert all(r[0].startswith("section_00_") and r[0].endswith(".wav") for r in rows)
        assert all(float(r[1]) == float(r[1]) for r in rows)  # finite, not NaN
        assert {r[1] for r in csv.reader(open(decisions))} <= {"0", "1"}
    metrics = json.loads((fitted_run / "metrics.json").read_text())
    assert metrics and "summary" in metrics


def test_inductive_score_of_one_file_does_not_depend_on_the_batch(fitted_run: Path, tiny_data: Path, tmp_path):
    clip = sorted((tiny_data / "valve" / "test").glob("*anomaly*.wav"))[0]
    result = ok("score", str(clip), "--model", str(fitted_run), "-o", str(tmp_path / "one"))
    alone = float(result.stdout.strip().split("\t")[1])
    in_folder = read_scores(fitted_run / "scores")[f"anomaly_score_valve_section_00_test.csv:{clip.name}"]
    assert alone == pytest.approx(in_folder, abs=1e-5)


def test_paths_on_stdin(fitted_run: Path, tiny_data: Path, tmp_path):
    clips = sorted((tiny_data / "fan" / "test").glob("*.wav"))[:3]
    ok("score", "-", "--model", str(fitted_run), "-o", str(tmp_path / "s"), input="\n".join(map(str, clips)))
    rows = list(csv.reader(open(tmp_path / "s" / "anomaly_score_fan_section_00_test.csv")))
    assert sorted(r[0] for r in rows) == sorted(c.name for c in clips)


def test_same_seed_same_scores(fitted_run: Path, tiny_data: Path, tmp_path):
    run = tmp_path / "again"
    ok("extract", str(tiny_data), "-o", str(run), *EXTRACT_ARGS)
    ok("fit", str(run), *FIT_ARGS)
    ok("score", str(tiny_data), "--model", str(run))
    assert read_scores(run / "scores") == read_scores(fitted_run / "scores")


def test_unseen_machine_is_a_clear_error(fitted_run: Path, tmp_path, make_wav):
    clip = make_wav(tmp_path / "drill" / "test" / "section_00_source_test_normal_0001_a_1.wav", seconds=1.0)
    result = invoke("score", str(clip), "--model", str(fitted_run), "--machine", "drill")
    assert result.exit_code == 1
    assert "machine type(s) drill unseen in training" in result.stderr and result.stderr.count("\n") == 1


def test_missing_model_is_a_clear_error(tiny_data: Path, tmp_path):
    result = invoke("score", str(tiny_data), "--model", str(tmp_path / "nope"))
    assert result.exit_code == 1 and "no such model (run 'asdkit fit' first)" in result.stderr


def test_tampered_bundle_is_refused(fitted_run: Path, tiny_data: Path, tmp_path):
    import shutil

    run = tmp_path / "tampered"
    shutil.copytree(fitted_run / "model", run / "model")
    tensors = run / "model" / "tensors.safetensors"
    data = bytearray(tensors.read_bytes())
    data[-10] ^= 0xFF
    tensors.write_bytes(bytes(data))
    result = invoke("score", str(tiny_data), "--model", str(run))
    assert result.exit_code == 1 and "checksum mismatch" in result.stderr


def test_fit_before_extract_is_a_clear_error(tmp_path):
    result = invoke("fit", str(tmp_path))
    assert result.exit_code == 1 and "run 'asdkit extract DATA -o RUN' first" in result.stderr


@pytest.mark.parametrize("gnn", ["none", "gcn", "sage", "gat", "sage_gat"])
def test_every_graph_network_fits_and_scores(run_copy: Path, tiny_data: Path, gnn: str):
    ok("fit", str(run_copy), "--gnn", gnn, "--score-on", "refined", "--epochs", "3", "-k", "3", "--graph-dim", "16",
       "--head-dim", "8")
    ok("score", str(tiny_data), "--model", str(run_copy), "--no-eval")
    _, config = load_bundle(run_copy)
    assert config["gnn"]["name"] == gnn


def test_component_options_reach_the_component_and_the_bundle(run_copy: Path):
    ok("fit", str(run_copy), "--gnn", "sage_gat", "--gnn-opt", "heads=2", "--scorer", "knn",
       "--epochs", "2", "-k", "3", "--graph-dim", "16", "--head-dim", "8")
    _, config = load_bundle(run_copy)
    assert config["gnn"]["options"]["heads"] == 2 and config["scorer"]["name"] == "knn"
    bad = invoke("fit", str(run_copy), "--gnn", "sage_gat", "--gnn-opt", "bogus=1")
    assert bad.exit_code == 1 and "unknown option(s) bogus" in bad.stderr
    unknown = invoke("fit", str(run_copy), "--gnn", "transformer")
    assert unknown.exit_code == 1 and "valid choices:" in unknown.stderr


def _extras_installed() -> bool:
    try:
        importlib.metadata.version("asdkit-extras")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


@pytest.mark.skipif(not _extras_installed(), reason="asdkit-extras plugin package not installed")
def test_third_party_plugins_are_selectable_from_the_cli(run_copy: Path, tiny_data: Path):
    ok("fit", str(run_copy), "--gnn", "GIN", "--scorer", "lof", "--scorer-opt", "n_neighbors=5",
       "--epochs", "2", "-k", "3", "--graph-dim", "16", "--head-dim", "8")
    ok("score", str(tiny_data), "--model", str(run_copy), "--no-eval")
    _, config = load_bundle(run_copy)
    assert config["gnn"]["name"] == "gin" and config["scorer"]["name"] == "lof"
