"""The report of runs with scores but partial labels: metrics shown, no empty panels, thresholds drawn."""
from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from asdkit.cli.main import cli
from asdkit.report import build_report, load_run
from asdkit.report.demo import make_demo_run
from asdkit.report.score_plots import draw_histograms, histogram_plan, roc_plan

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
REAL_MINI_2023 = SHARED_DATA / "real-mini" / "dcase2023"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    return make_demo_run(tmp_path_factory.mktemp("runs") / "run", n_train=12, n_test_cell=4)


def _filter_run(source: Path, target: Path, drop) -> Path:
    """A copy of ``source`` without the test clips for which ``drop(machine, name)`` holds."""
    shutil.copytree(source, target)
    (target / "metrics.json").unlink()  # computed again from the remaining scores
    for path in (target / "scores").glob("*_section_00_test.csv"):
        machine = path.name.split("_")[2]
        rows = [line for line in path.read_text().splitlines() if not drop(machine, line.split(",")[0])]
        path.write_text("".join(f"{line}\n" for line in rows))
    with open(target / "clips.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    kept = [r for r in rows if r["split"] != "test" or not drop(r["machine"], Path(r["path"]).name)]
    with open(target / "clips.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(kept)
    return target


@pytest.fixture(scope="module")
def partial_run(demo_run, tmp_path_factory):
    """pump: anomalous clips only; valve: no target-domain clips; fan: complete."""
    def drop(machine: str, name: str) -> bool:
        return (machine == "pump" and "_normal_" in name) or (machine == "valve" and "_target_" in name)

    return _filter_run(demo_run, tmp_path_factory.mktemp("runs") / "partial", drop)


def _thresholds(run: Path) -> dict[str, float]:
    return json.loads((run / "scores" / "thresholds.json").read_text())


def test_threshold_of_every_section_is_drawn_and_listed(demo_run):
    art = load_run(demo_run)
    thresholds = _thresholds(demo_run)
    assert set(thresholds) == {"fan/00", "pump/00", "valve/00"}  # the key asdkit score writes
    panels, notes = histogram_plan(art.sections, art.threshold)
    assert notes == [] and len(panels) == 6  # 3 sections x 2 domains, all with clips
    fig = draw_histograms(panels)
    try:
        for ax, panel in zip(fig.axes, panels):
            key = f"{panel.data.machine}/{panel.data.section}"
            lines = [line for line in ax.get_lines() if line.get_label().startswith("threshold")]
            assert len(lines) == 1, key
            assert list(lines[0].get_xdata()) == [thresholds[key]] * 2
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)
    html = build_report(demo_run, "PCA")
    for key, value in thresholds.items():
        assert f"<tr data-threshold='{key}'>" in html and f"{value:.6g}" in html


def test_older_threshold_keys_still_apply(demo_run, tmp_path):
    run = tmp_path / "older"
    shutil.copytree(demo_run / "scores", run / "scores")
    shutil.copy(demo_run / "clips.csv", run / "clips.csv")
    (run / "scores" / "thresholds.json").write_text(json.dumps({"fan": 0.5, "pump_section_00": 0.25}))
    art = load_run(run)
    assert (art.threshold("fan", "00"), art.threshold("pump", "00"), art.threshold("valve", "00")) == (0.5, 0.25, None)
    html = build_report(run)
    assert "No threshold in scores/thresholds.json for valve/00" in html


def test_partial_run_reports_its_metrics_without_empty_panels(partial_run):
    html = build_report(partial_run, "PCA")
    assert "No scores" not in html and "could not be evaluated" not in html
    assert "official score (DCASE 2024), partial: 5 of 9 values" in html
    assert "<span class='na' title='no normal test clips'>n/a</span>" in html
    assert "AUC (target), P/R/F1 (target) undefined for valve/00 (no target-domain test clips)" in html
    # No box for what has nothing to draw: a one-line note instead.
    assert "No ROC curve for pump/00: they lack normal or anomalous test clips." in html
    assert "No target-domain test clips in valve/00: no target histogram." in html
    art = load_run(partial_run)
    drawn, _ = roc_plan(art.sections)
    panels, _ = histogram_plan(art.sections, art.threshold)
    assert [d.machine for d in drawn] == ["fan", "valve"]
    assert [(p.data.machine, p.domain) for p in panels] == [
        ("fan", "source"), ("fan", "target"), ("pump", "source"), ("pump", "target"), ("valve", "source")]
    for key in _thresholds(partial_run):
        assert f"<tr data-threshold='{key}'>" in html


def test_scores_that_cannot_be_evaluated_are_not_called_absent(demo_run, tmp_path):
    run = _filter_run(demo_run, tmp_path / "normals", lambda _machine, name: "_anomaly_" in name)
    html = build_report(run)
    assert "No scores" not in html
    assert "scores/ is there but could not be evaluated" in html and "no metric is defined" in html


def test_history_without_epochs_gets_a_line_not_a_box(demo_run, tmp_path):
    run = tmp_path / "untrained"
    shutil.copytree(demo_run, run)
    (run / "history.json").write_text(json.dumps({"backbone": [], "gnn": []}))
    html = build_report(run, "PCA")
    assert "<h2>Training curves</h2>" not in html
    assert "history.json: no epochs recorded" in html
    assert not re.search(r"<section><h2>[^<]*</h2>(<p class='note'>[^<]*</p>)?</section>", html)


@pytest.fixture(scope="module")
def real_mini_run(tmp_path_factory) -> Path:
    if not REAL_MINI_2023.is_dir():
        pytest.skip("real-mini not available (../shared/data/real-mini)")
    run = tmp_path_factory.mktemp("real_mini") / "run"
    runner = CliRunner()
    for args in (["extract", str(REAL_MINI_2023), "-o", str(run)], ["fit", str(run)],
                 ["score", str(REAL_MINI_2023), "--model", str(run)]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output
    return run


def test_report_of_a_real_mini_run(real_mini_run, tmp_path):
    target = tmp_path / "report.html"
    result = CliRunner().invoke(cli, ["report", str(real_mini_run), "-o", str(target), "--map", "PCA"])
    assert result.exit_code == 0, result.output
    html = target.read_text()
    metrics = json.loads((real_mini_run / "metrics.json").read_text())
    assert "No scores" not in html and f"{metrics['summary']['official_score']:.4f}" in html
    for key in _thresholds(real_mini_run):
        assert f"<tr data-threshold='{key}'>" in html
    art = load_run(real_mini_run)
    panels, notes = histogram_plan(art.sections, art.threshold)
    assert all(p.data.domain_mask(p.target).any() and p.threshold is not None for p in panels)
    # ToyCar has no target-domain test clip in real-mini: said in a line, not drawn as an empty panel
    assert ("ToyCar", "target") not in {(p.data.machine, p.domain) for p in panels}
    assert any("ToyCar/00" in note for note in notes) and "ToyCar/00" in html
    assert "<h2>Training curves</h2>" not in html  # the default run trains nothing
