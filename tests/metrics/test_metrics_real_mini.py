"""``asdkit evaluate`` on a run made from real-mini, whose sections lack normal or target clips."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from asdkit.cli.main import cli

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
DATA = SHARED_DATA / "real-mini" / "dcase2020"


def _row(table: str, machine: str, section: str) -> str:
    """The line of the rich table for one section (cells are separated by │)."""
    return next(line for line in table.splitlines()
                if [cell.strip() for cell in line.split("│")[1:3]] == [machine, section])


def _ok(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def real_mini_run(tmp_path_factory) -> Path:
    """extract -> fit -> score with the defaults (log-mel statistics + K-means; seconds)."""
    if not DATA.is_dir():
        pytest.skip("real-mini not available (../shared/data/real-mini)")
    run = tmp_path_factory.mktemp("real_mini") / "run"
    _ok("extract", str(DATA), "-o", str(run))
    _ok("fit", str(run))
    scored = _ok("score", str(DATA), "--model", str(run))
    # score evaluates too: the table comes out and metrics.json is written, partial or not.
    assert "official score (DCASE 2024)" in scored.stdout and (run / "metrics.json").is_file()
    return run


def test_evaluate_prints_defined_figures_and_warns(real_mini_run):
    result = _ok("evaluate", str(real_mini_run))
    metrics = json.loads((real_mini_run / "metrics.json").read_text())
    by_key = {(s["machine"], s["section"]): s for s in metrics["sections"]}
    # real-mini dcase2020: ToyCar id 04 has anomalous test clips only; no clip has a target domain
    toycar_04 = by_key[("ToyCar", "04")]
    assert toycar_04["auc_source"] is None and toycar_04["undefined"]["auc_source"] == "no normal test clips"
    assert all(s["auc_target"] is None for s in metrics["sections"])
    defined = [s for s in metrics["sections"] if s["pauc"] is not None]
    assert defined and len(defined) < len(metrics["sections"])
    for section in defined:  # each defined pAUC is printed in its row, beside an undefined AUC (target)
        row = _row(result.stdout, section["machine"], section["section"])
        assert f"{section['pauc']:.4f}" in row and "n/a" in row
    assert _row(result.stdout, "ToyCar", "04").count("n/a") >= 3
    assert "partial: over" in result.stdout and f"{metrics['summary']['official_score']:.4f}" in result.stdout
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert any("ToyCar/04" in line and "no normal test clips" in line for line in warnings)
    assert any("no target-domain test clips" in line for line in warnings)


def test_evaluate_json_of_the_real_run(real_mini_run):
    result = _ok("evaluate", str(real_mini_run), "--json", "--no-ci")
    data = json.loads(result.stdout)
    assert data["summary"]["official_score"] is not None and data["summary"]["official_score_complete"] is False
    assert data["years"]["2020"]["score"] is not None and data["warnings"]
    assert "warning:" in result.stderr
