"""Seed-grouped results tables (Markdown, CSV, LaTeX) and the paired bootstrap."""
from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from click.testing import CliRunner

from asdkit.cli.main import cli
from asdkit.errors import InputError
from asdkit.metrics import compare_runs
from asdkit.metrics.compare import run_sections
from asdkit.metrics.significance import official_score, paired_bootstrap
from asdkit.metrics.tables import csv_table, latex_table, markdown_table

from tests.metrics.metrics_helpers import scored_run


@pytest.fixture
def runs(tmp_path):
    weak = {"scorer": "kmeans", "seed": 0}
    strong = {"scorer": "knn", "seed": 0}
    return [scored_run(tmp_path, "weak_s1", {**weak, "seed": 1}, 0.3, 1, 30),
            scored_run(tmp_path, "weak_s2", {**weak, "seed": 2}, 0.3, 2, 30),
            scored_run(tmp_path, "strong_s1", {**strong, "seed": 1}, 2.5, 3, 30),
            scored_run(tmp_path, "strong_s2", {**strong, "seed": 2}, 2.5, 4, 30)]


def test_the_three_formats_carry_the_same_seed_grouped_numbers(runs):
    comparison = compare_runs(runs)
    official = [g.summary_stat("official_score") for g in comparison.groups]
    md = markdown_table(comparison)
    assert md.count("\n") == 2 + 1 + 4  # header, rule, one section, four overall rows
    assert f"{official[0].mean:.4f} ± {official[0].std:.4f}" in md
    rows = list(csv.reader(io.StringIO(csv_table(comparison))))
    assert rows[0][:3] == ["machine", "section", "weak_s (n=2): AUC (source)"]
    assert rows[2][:3] == ["ALL", "official score", f"{official[0].mean:.4f} +- {official[0].std:.4f}"]
    tex = latex_table(comparison)
    assert tex.startswith("\\begin{tabular}{ll" + "r" * 6 + "}") and "\\multicolumn{3}{c}{strong\\_s (n=2)}" in tex
    assert f"{official[1].mean:.4f} $\\pm$ {official[1].std:.4f}" in tex


def test_paired_bootstrap_finds_a_clear_difference_and_none_against_itself(runs):
    weak = [run_sections(r) for r in runs[:2]]
    strong = [run_sections(r) for r in runs[2:]]
    better = paired_bootstrap(weak, strong, ("weak", "strong"), replicates=200)
    expected = np.mean([official_score(s) for s in strong]) - np.mean([official_score(s) for s in weak])
    assert better.difference == pytest.approx(expected) and better.difference > 0.2
    assert better.low > 0 and better.p_value < 0.05 and "significant at 5%" in better.note()
    same = paired_bootstrap(weak, weak, ("weak", "weak"), replicates=200)
    assert same.difference == 0 and same.p_value == 1.0 and "not significant" in same.note()


def test_paired_comparison_needs_the_same_clips(runs, tmp_path):
    other = scored_run(tmp_path, "other", {"seed": 9}, 1.0, 5, 12)  # fewer clips
    with pytest.raises(InputError, match="scored other clips"):
        paired_bootstrap([run_sections(runs[0])], [run_sections(other)])


def test_evaluate_cli_tables_and_significance(runs, tmp_path):
    result = CliRunner().invoke(cli, ["evaluate", *map(str, runs), "--table", "latex", "--significance",
                                      "--bootstrap", "100"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("\\begin{tabular}")
    notes = [line for line in result.stderr.splitlines() if "paired bootstrap" in line]
    assert len(notes) == 1 and notes[0].startswith("strong_s (n=2) - weak_s (n=2): official score +")
    written = CliRunner().invoke(cli, ["evaluate", *map(str, runs), "--table", "md", "-o", str(tmp_path / "t.md")])
    assert written.exit_code == 0 and (tmp_path / "t.md").read_text().startswith("| machine | section |")
    alone = CliRunner().invoke(cli, ["evaluate", str(runs[0]), "--significance"])
    assert alone.exit_code == 2 and "at least two runs" in alone.output
