"""Evaluation of runs whose sections lack a class or a domain: every defined figure, no refusal."""
from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.metrics import roc_auc_score

from asdkit.cli.main import cli
from asdkit.errors import InputError
from asdkit.metrics import EvaluationResult, evaluate_scores_dir, evaluate_sections, jackknife_interval

from tests.metrics.metrics_helpers import dev_name, write_rows

#: (domain, label) -> clip count, per machine; each class present has >= 2 clips so that
#: leaving one clip out never makes a defined figure undefined
LAYOUT = {
    "fan": {("source", "normal"): 6, ("source", "anomaly"): 5, ("target", "normal"): 4, ("target", "anomaly"): 4},
    "pump": {("source", "anomaly"): 4, ("target", "anomaly"): 3},  # no normal clips
    "valve": {("source", "normal"): 6, ("source", "anomaly"): 4},  # no target-domain clips
    "gearbox": {("source", "normal"): 5, ("target", "normal"): 3, ("target", "anomaly"): 4},  # no source anomaly
}


def _partial_rows(rng: np.random.Generator, cells: dict) -> list[tuple[str, float, bool, bool]]:
    """(name, score, anomalous, target) rows."""
    rows, index = [], 0
    for (domain, label), count in cells.items():
        for _ in range(count):
            score = float(rng.normal(1.2 if label == "anomaly" else 0.0))
            rows.append((dev_name(domain, label, index), score, label == "anomaly", domain == "target"))
            index += 1
    return rows


@pytest.fixture
def partial_dir(tmp_path: Path) -> tuple[Path, dict]:
    rng = np.random.default_rng(5)
    folder = tmp_path / "partial"
    folder.mkdir()
    rows = {}
    for machine, cells in LAYOUT.items():
        rows[machine] = _partial_rows(rng, cells)
        write_rows(folder / f"anomaly_score_{machine}_section_00_test.csv", [(n, s) for n, s, _, _ in rows[machine]])
        write_rows(folder / f"decision_result_{machine}_section_00_test.csv",
                   [(n, int(s > 0.5)) for n, s, _, _ in rows[machine]])
    return folder, rows


def _arrays(rows):
    scores = np.array([r[1] for r in rows])
    labels = np.array([r[2] for r in rows])
    target = np.array([r[3] for r in rows])
    return scores, labels, target


def _hmean(values):
    return len(values) / sum(1.0 / v for v in values)


def test_every_defined_figure_is_computed(partial_dir):
    folder, rows = partial_dir
    result = evaluate_scores_dir(folder)
    expected = {}  # (machine, figure) -> value by sklearn, for the defined ones only
    for machine, machine_rows in rows.items():
        scores, labels, target = _arrays(machine_rows)
        for domain, mask in (("source", ~target | labels), ("target", target | labels)):
            if labels[mask].any() and not labels[mask].all():
                expected[(machine, f"auc_{domain}")] = roc_auc_score(labels[mask], scores[mask])
        if labels.any() and not labels.all():
            expected[(machine, "pauc")] = roc_auc_score(labels, scores, max_fpr=0.1)
    for machine in LAYOUT:
        metrics = result.section(machine, "00")
        for name in ("auc_source", "auc_target", "pauc"):
            value = getattr(metrics, name)
            if (machine, name) in expected:
                assert value == pytest.approx(expected[(machine, name)]), (machine, name)
                assert name not in metrics.undefined
            else:
                assert value is None and name in metrics.undefined, (machine, name)
    assert result.section("pump", "00").undefined["pauc"] == "no normal test clips"
    assert result.section("valve", "00").undefined["auc_target"] == "no target-domain test clips"
    assert result.section("gearbox", "00").undefined == {
        f"{m}_source": "no anomalous source-domain test clips" for m in ("precision", "recall", "f1")}
    # gearbox's AUC (source): its source normals against the target anomalies; defined.
    assert result.section("gearbox", "00").auc_source is not None
    # pump has no normal clip: no AUC at all, but recall is defined (every clip is anomalous).
    pump_scores, _, pump_target = _arrays(rows["pump"])
    flagged = (pump_scores[~pump_target] > 0.5).mean()
    assert result.section("pump", "00").recall_source == pytest.approx(flagged)
    assert result.section("pump", "00").precision_source == pytest.approx(1.0 if flagged else 0.0)

    # Summaries over the defined values only, by the DCASE 2024 formula.
    auc_source = [expected[(m, "auc_source")] for m in LAYOUT if (m, "auc_source") in expected]
    auc_target = [expected[(m, "auc_target")] for m in LAYOUT if (m, "auc_target") in expected]
    paucs = [expected[(m, "pauc")] for m in LAYOUT if (m, "pauc") in expected]
    assert result.official_score == pytest.approx(_hmean(auc_source + auc_target + paucs))
    assert result.summary["hmean_auc_target"] == pytest.approx(_hmean(auc_target))
    modern = result.years["2024"]
    assert (modern["used"], modern["expected"], modern["complete"]) == (8, 12, False)
    assert modern["left_out"] == ["pump/00 AUC (source)", "pump/00 AUC (target)", "pump/00 pAUC",
                                  "valve/00 AUC (target)"]
    assert result.summary["official_score_complete"] is False and not result.complete


def test_2021_and_2020_scores_over_defined_parts(partial_dir):
    folder, rows = partial_dir
    result = evaluate_scores_dir(folder, with_ci=False)
    aucs, paucs, per_machine = [], [], []
    for machine_rows in rows.values():
        scores, labels, target = _arrays(machine_rows)
        for in_domain in (~target, target):
            if labels[in_domain].any() and not labels[in_domain].all():
                aucs.append(roc_auc_score(labels[in_domain], scores[in_domain]))
                paucs.append(roc_auc_score(labels[in_domain], scores[in_domain], max_fpr=0.1))
        if labels.any() and not labels.all():
            per_machine += [roc_auc_score(labels, scores), roc_auc_score(labels, scores, max_fpr=0.1)]
    # fan: both domains; valve: source; gearbox: target -> 4 (section, domain) pairs of 8
    assert len(aucs) == 4
    assert result.years["2021"]["score"] == pytest.approx(_hmean(aucs + paucs))
    assert (result.years["2021"]["used"], result.years["2021"]["expected"]) == (8, 16)
    assert result.years["2020"]["score"] == pytest.approx(np.mean(per_machine))
    assert set(result.years["2020"]["machines"]) == {"fan", "valve", "gearbox"}
    assert result.years["2020"]["left_out"] == ["pump/00 AUC (all) and pAUC"]


def test_official_score_interval_is_the_jackknife_over_the_used_sections(partial_dir):
    """The closed-form leave-one-out scores equal re-evaluating with each clip left out."""
    folder, _ = partial_dir
    result = evaluate_scores_dir(folder)
    loo = []
    for k, data in enumerate(result.data):
        if all(getattr(result.sections[k], n) is None for n in ("auc_source", "auc_target", "pauc")):
            continue  # pump: no value of the score depends on its clips
        for i in range(len(data.files)):
            keep = np.arange(len(data.files)) != i
            reduced = dataclasses.replace(data, files=[f for f, kept in zip(data.files, keep) if kept],
                                          scores=data.scores[keep], labels=data.labels[keep],
                                          domains=data.domains[keep], decisions=data.decisions[keep])
            sections = result.data[:k] + [reduced] + result.data[k + 1:]
            loo.append(evaluate_sections(sections, with_ci=False).official_score)
    brute = jackknife_interval(result.official_score, np.array(loo))
    interval = result.summary["official_score_ci"]
    assert interval.low == pytest.approx(brute.low) and interval.high == pytest.approx(brute.high)
    assert interval.stderr == pytest.approx(brute.stderr) and interval.stderr > 0


def test_metrics_json_keeps_reasons_and_warnings(partial_dir, tmp_path):
    folder, _ = partial_dir
    result = evaluate_scores_dir(folder)
    data = json.loads(json.dumps(result.to_dict()))
    pump = next(s for s in data["sections"] if s["machine"] == "pump")
    assert pump["auc_source"] is None and pump["undefined"]["auc_source"] == "no normal test clips"
    assert data["warnings"] == result.warnings
    again = EvaluationResult.from_dict(data)
    assert again.section("pump", "00").undefined == result.section("pump", "00").undefined
    assert again.warnings == result.warnings and not again.complete


def test_warnings_name_every_left_out_figure(partial_dir):
    folder, _ = partial_dir
    warnings = evaluate_scores_dir(folder, with_ci=False).warnings
    assert "AUC (source), AUC (target), pAUC, AUC (all) undefined for pump/00 (no normal test clips)" in warnings
    assert "AUC (target), P/R/F1 (target) undefined for valve/00 (no target-domain test clips)" in warnings
    assert "P/R/F1 (source) undefined for gearbox/00 (no anomalous source-domain test clips)" in warnings
    assert any(w.startswith("scores and harmonic means over the defined values only:") and "DCASE 2022-2024 8 of 12"
               in w for w in warnings)
    assert all("\n" not in w for w in warnings)


def test_complete_run_has_no_warnings(scores_dir):
    result = evaluate_scores_dir(scores_dir)
    assert result.complete and result.warnings == [] and result.summary["official_score_complete"]
    assert all(entry["complete"] and entry["left_out"] == [] for entry in result.years.values())


def test_nothing_defined_is_a_one_line_error(tmp_path):
    folder = tmp_path / "only_anomalies"
    folder.mkdir()
    write_rows(folder / "anomaly_score_fan_section_00_test.csv",
               [(dev_name("source", "anomaly", i), i / 10) for i in range(3)])
    with pytest.raises(InputError, match="no metric is defined") as info:
        evaluate_scores_dir(folder)
    assert "\n" not in str(info.value) and "fan/00: no normal test clips" in str(info.value)
    result = CliRunner().invoke(cli, ["evaluate", str(folder)])
    assert result.exit_code == 1 and "no metric is defined" in result.stderr


def test_cli_prints_defined_figures_marks_undefined_and_warns(partial_dir, tmp_path):
    folder, _ = partial_dir
    expected = evaluate_scores_dir(folder)
    runner = CliRunner()
    table = runner.invoke(cli, ["evaluate", str(folder)])
    assert table.exit_code == 0, table.output
    fan = expected.section("fan", "00")
    assert f"{fan.auc_source:.4f}" in table.stdout and f"{expected.official_score:.4f}" in table.stdout
    pump_row = next(line for line in table.stdout.splitlines() if "pump" in line)
    assert pump_row.count("n/a") == 3  # AUC (source), AUC (target), pAUC; its P/R/F1 are defined
    assert "n/a: undefined" in table.stdout and "partial: over 8 of 12 values" in table.stdout
    warnings = [line for line in table.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == len(expected.warnings) >= 4
    assert any("pump/00 (no normal test clips)" in line for line in warnings)

    as_json = runner.invoke(cli, ["evaluate", str(folder), "--json", "--no-ci"])
    assert as_json.exit_code == 0 and "warning:" in as_json.stderr
    data = json.loads(as_json.stdout)
    assert data["summary"]["official_score_complete"] is False
    assert next(s for s in data["sections"] if s["machine"] == "valve")["auc_target"] is None

    target = tmp_path / "m.csv"
    as_csv = runner.invoke(cli, ["evaluate", str(folder), "--csv", "-o", str(target), "--no-ci"])
    assert as_csv.exit_code == 0
    rows = {r["machine"]: r for r in csv.DictReader(target.open())}
    assert rows["pump"]["auc_source"] == "" and "auc_source: no normal test clips" in rows["pump"]["undefined"]
    assert rows["fan"]["undefined"] == "" and float(rows["fan"]["auc_source"]) == pytest.approx(fan.auc_source)
