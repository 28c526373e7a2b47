"""Seed grouping in compare_runs and the ``asdkit evaluate`` command."""
from __future__ import annotations

import csv
import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from asdkit.cli.main import cli
from asdkit.metrics import compare_runs, evaluate_scores_dir

from tests.metrics.metrics_helpers import scored_run


_run = scored_run


@pytest.fixture
def runs(tmp_path):
    base = {"gnn": {"name": "none"}, "seed": 0}
    gnn = {"gnn": {"name": "sage_gat"}, "seed": 0}
    return [_run(tmp_path, "base_s1", {**base, "seed": 1}, 0.5, 1),
            _run(tmp_path, "base_s2", {**base, "seed": 2}, 0.5, 2),
            _run(tmp_path, "gnn_s1", {**gnn, "seed": 1}, 2.0, 3),
            _run(tmp_path, "gnn_s2", {**gnn, "seed": 2}, 2.0, 4)]


def test_runs_differing_only_in_seed_are_grouped(runs):
    comparison = compare_runs(runs)
    assert [g.label for g in comparison.groups] == ["base_s (n=2)", "gnn_s (n=2)"]
    singles = [evaluate_scores_dir(r / "scores", with_ci=False).official_score for r in runs]
    row = next(r for r in comparison.rows() if r["metric"] == "official_score")
    assert row["groups"][0]["mean"] == pytest.approx(np.mean(singles[:2]))
    assert row["groups"][1]["std"] == pytest.approx(np.std(singles[2:], ddof=1))
    assert row["groups"][1]["diff"] == pytest.approx(np.mean(singles[2:]) - np.mean(singles[:2]))


def test_cli_table_json_csv(runs, tmp_path):
    runner = CliRunner()
    table = runner.invoke(cli, ["evaluate", str(runs[0])])
    assert table.exit_code == 0, table.output
    assert "official score" in table.output and "fan" in table.output
    as_json = runner.invoke(cli, ["evaluate", str(runs[0]), "--json"])
    assert json.loads(as_json.output)["sections"][0]["machine"] == "fan"
    target = tmp_path / "out" / "m.csv"
    as_csv = runner.invoke(cli, ["evaluate", str(runs[0] / "scores"), "--csv", "-o", str(target), "--no-ci"])
    assert as_csv.exit_code == 0
    rows = list(csv.DictReader(target.open()))
    assert [r["machine"] for r in rows] == ["fan", "ALL"]
    compared = runner.invoke(cli, ["evaluate", *map(str, runs)])
    assert compared.exit_code == 0 and "gnn_s (n=2)" in compared.output


def test_cli_error_is_one_line(runs):
    shutil.rmtree(runs[0] / "scores")
    (runs[0] / "scores").mkdir()
    result = CliRunner().invoke(cli, ["evaluate", str(runs[0])])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0 and "error:" in result.output
