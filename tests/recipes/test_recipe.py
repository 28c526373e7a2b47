"""``asdkit recipe``: a year's protocol end to end on a small DCASE 2024-shaped tree."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from asdkit.cli.main import cli
from asdkit.errors import ConfigError
from asdkit.recipes import protocol
from asdkit.synth import SynthConfig, generate


def _evaluation_set(source: Path, target: Path, truth: Path) -> None:
    """The test clips of ``source`` under anonymised names, with the official ground truth."""
    for machine in sorted(d.name for d in source.iterdir() if d.is_dir()):
        rows, domains = [], []
        for i, clip in enumerate(sorted((source / machine / "test").glob("*.wav"))):
            name = f"section_00_{i:04d}.wav"
            (target / machine / "test").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(clip, target / machine / "test" / name)
            rows.append((name, int("_anomaly_" in clip.name)))
            domains.append((name, int("_target_" in clip.name)))
        for folder, values in (("ground_truth_data", rows), ("ground_truth_domain", domains)):
            (truth / folder).mkdir(parents=True, exist_ok=True)
            with open(truth / folder / f"ground_truth_{machine}_section_00_test.csv", "w", newline="") as fh:
                csv.writer(fh).writerows(values)


@pytest.fixture(scope="module")
def dcase_tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("recipe") / "data"
    config = dict(machines=("fan", "valve"), train_source=8, train_target=2, test_clips=4, seconds=1.5)
    generate(root / "dcase2024-dev", SynthConfig(seed=1, **config))
    held_out = root.parent / "held-out"  # the additional training set and the evaluation clips
    generate(held_out, SynthConfig(seed=2, **config))
    _evaluation_set(held_out, root / "dcase2024-eval", root / "dcase2024-eval-ground-truth")
    for machine in ("fan", "valve"):  # where asdkit download unpacks the additional training set
        shutil.copytree(held_out / machine / "train", root / "dcase2024-eval" / machine / "train")
    return root


@pytest.mark.slow
def test_recipe_runs_dev_and_eval_and_writes_the_tables(dcase_tree, tmp_path):
    result = CliRunner().invoke(cli, ["-q", "--device", "cpu", "recipe", "dcase2024", "--data", str(dcase_tree),
                                      "-o", str(tmp_path / "results")])
    assert result.exit_code == 0, result.output
    for stage in ("dev", "eval"):
        folder = tmp_path / "results" / stage
        table = (folder / "results.md").read_text()
        assert table.startswith("| machine | section | AUC (source) | AUC (target) | pAUC |")
        assert "| fan | 00 |" in table and "official score (DCASE 2024)" in table
        assert (folder / "report.html").is_file()
        assert sorted(p.name for p in (folder / "run" / "scores").glob("anomaly_score_*.csv")) == [
            "anomaly_score_fan_section_00_test.csv", "anomaly_score_valve_section_00_test.csv"]
    linked = sorted((tmp_path / "results" / "eval" / "train-data").glob("*/*/train"))
    assert [p.parent.parent.name for p in linked] == ["dev", "dev", "eval", "eval"]
    assert "official score" in result.stderr and "evaluation" in result.stderr


def test_recipe_without_the_evaluation_set_says_so(dcase_tree, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "dcase2024-dev").symlink_to(dcase_tree / "dcase2024-dev")
    result = CliRunner().invoke(cli, ["-q", "--device", "cpu", "recipe", "2024", "--data", str(data),
                                      "-o", str(tmp_path / "results")])
    assert result.exit_code == 0, result.output
    assert "evaluation protocol skipped" in result.stderr
    assert not (tmp_path / "results" / "eval").exists()


def test_unknown_year_and_missing_data_are_one_line_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown recipe 'dcase2019'"):
        protocol("dcase2019")
    result = CliRunner().invoke(cli, ["recipe", "dcase2022", "--data", str(tmp_path), "-o", str(tmp_path / "r")])
    assert result.exit_code == 1 and "dcase2022-dev: the development set is not there" in result.stderr


def test_recipe_passes_its_config_to_every_stage(dcase_tree, tmp_path):
    config = tmp_path / "knn.toml"
    config.write_text('[fit]\nscorer = "knn"\nscorer-opt = ["k=1"]\n')
    data = tmp_path / "data"
    data.mkdir()
    (data / "dcase2024-dev").symlink_to(dcase_tree / "dcase2024-dev")
    result = CliRunner().invoke(cli, ["-q", "--device", "cpu", "recipe", "dcase2024", "--data", str(data),
                                      "-o", str(tmp_path / "results"), "--config", str(config)])
    assert result.exit_code == 0, result.output
    saved = CliRunner().invoke(cli, ["config", str(tmp_path / "results" / "dev" / "run")])
    assert saved.exit_code == 0 and 'scorer = "knn"' in saved.stdout
