"""``asdkit fuse``: z-normalised ensembles of scored RUNs, and its one-line errors."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tests.pipeline.pipeline_helpers import invoke, ok

from asdkit.bundle import load_bundle
from asdkit.formats.score_files import find_score_files, read_score_csv


@pytest.fixture(scope="module")
def knn_run(extracted_run: Path, tiny_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("fuse") / "knn"
    shutil.copytree(extracted_run, run)
    ok("fit", str(run), "--gnn", "none", "--score-on", "embedding", "--scorer", "knn", "--scorer-opt", "k=1")
    ok("score", str(tiny_data), "--model", str(run))
    return run


def _scores(folder: Path) -> dict[tuple[str, str, str], float]:
    out = {}
    for key, files in find_score_files(folder, "anomaly_score").items():
        names, values = read_score_csv(files[0].path)
        out.update({(*key, n): v for n, v in zip(names, values)})
    return out


def test_fused_score_is_weighted_mean_of_heldout_z_scores(fitted_run, knn_run, tmp_path):
    result = ok("fuse", str(fitted_run), str(knn_run), "--weight", "3", "--weight", "1", "-o", str(tmp_path / "f"))
    assert "official score" in result.output
    fused = _scores(tmp_path / "f")
    parts = []
    for run in (fitted_run, knn_run):
        stats = load_bundle(run / "model")[1]["heldout_score_stats"]
        raw = _scores(run / "scores")
        parts.append({k: (v - stats[f"{k[0]}/{k[1]}"]["mean"]) / stats[f"{k[0]}/{k[1]}"]["std"]
                      for k, v in raw.items()})
    assert set(fused) == set(parts[0])
    for key, value in fused.items():
        assert value == pytest.approx((3 * parts[0][key] + parts[1][key]) / 4, rel=1e-9, abs=1e-9)
    thresholds = json.loads((tmp_path / "f" / "thresholds.json").read_text())
    assert set(thresholds) == {f"{m}/{s}" for m, s, _ in fused}
    assert (tmp_path / "f" / "metrics.json").exists()


def test_heldout_scores_are_stored_for_every_training_clip(fitted_run):
    tensors, config = load_bundle(fitted_run / "model")
    assert tensors["heldout.scores"].min() > 0  # no clip scored against its own centre
    for machine in config["machines"]:
        assert config["heldout_score_stats"][machine]["std"] > 0


def test_errors_are_one_line(fitted_run, knn_run, extracted_run, tmp_path):
    cases = [
        ((str(fitted_run),), "fuse needs at least two RUN folders"),
        ((str(fitted_run), str(knn_run), "--weight", "1"), "one non-negative weight per RUN (2)"),
        ((str(fitted_run), str(extracted_run)), "no such model (run 'asdkit fit' first)"),
    ]
    for args, message in cases:
        result = invoke("fuse", *args, "-o", str(tmp_path / "x"))
        assert result.exit_code == 1 and message in result.output + result.stderr, result.output + result.stderr
        assert "Traceback" not in result.output + result.stderr


def test_runs_scored_on_other_clips_are_refused(fitted_run, knn_run, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(knn_run, other)
    first = sorted((other / "scores").glob("anomaly_score_*.csv"))[0]
    lines = first.read_text().splitlines()
    first.write_text("\n".join(lines[:-1]) + "\n")
    result = invoke("fuse", str(fitted_run), str(other), "-o", str(tmp_path / "x"))
    assert result.exit_code == 1 and "scored other clips than" in result.output + result.stderr


def test_normalized_scores_are_heldout_z_scores(knn_run, tiny_data, tmp_path):
    run = tmp_path / "norm"
    shutil.copytree(knn_run, run)
    shutil.rmtree(run / "scores")
    ok("fit", str(run), "--gnn", "none", "--score-on", "embedding", "--scorer", "knn", "--scorer-opt", "k=1",
       "--normalize-scores")
    ok("score", str(tiny_data), "--model", str(run))
    stats = load_bundle(run / "model")[1]["heldout_score_stats"]
    raw, z = _scores(knn_run / "scores"), _scores(run / "scores")
    for (machine, section, name), value in z.items():
        stat = stats[f"{machine}/{section}"]
        assert value == pytest.approx((raw[(machine, section, name)] - stat["mean"]) / stat["std"], rel=1e-9)
    # A normalised RUN fuses like the raw one: its CSVs are not normalised twice.
    plain = ok("fuse", str(knn_run), str(knn_run), "-o", str(tmp_path / "a"))
    mixed = ok("fuse", str(knn_run), str(run), "-o", str(tmp_path / "b"))
    assert _scores(tmp_path / "a") == pytest.approx(_scores(tmp_path / "b"))
    assert plain.exit_code == mixed.exit_code == 0
    thresholds = json.loads((run / "scores" / "thresholds.json").read_text())
    raw_thresholds = json.loads((knn_run / "scores" / "thresholds.json").read_text())
    for key, value in thresholds.items():
        assert value == pytest.approx((raw_thresholds[key] - stats[key]["mean"]) / stats[key]["std"], rel=1e-9)
