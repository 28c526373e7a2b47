"""evaluate_scores_dir end to end: hand-computed section, errors, metrics.json, official layout."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from asdkit.errors import InputError
from asdkit.metrics import EvaluationResult, evaluate_scores_dir, harmonic_mean, write_metrics_json

from tests.metrics.metrics_helpers import dev_name, write_rows

SHARED_GT = Path("/work/shared/data/dcase2024-eval-ground-truth")

# source normals 0.1, 0.4; target normals 0.3, 0.6; anomalies 0.5 (source), 0.35 (target)
HAND = [(dev_name("source", "normal", 0), 0.1, 0), (dev_name("source", "normal", 1), 0.4, 1),
        (dev_name("target", "normal", 2), 0.3, 0), (dev_name("target", "normal", 3), 0.6, 0),
        (dev_name("source", "anomaly", 4), 0.5, 1), (dev_name("target", "anomaly", 5), 0.35, 0)]


def _hand_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "hand"
    folder.mkdir()
    write_rows(folder / "anomaly_score_fan_section_00_test.csv", [(n, s) for n, s, _ in HAND])
    write_rows(folder / "decision_result_fan_section_00_test.csv", [(n, d) for n, _, d in HAND])
    return folder


def test_hand_computed_section(tmp_path):
    result = evaluate_scores_dir(_hand_dir(tmp_path))
    fan = result.section("fan", "00")
    assert fan.auc_source == pytest.approx(0.75)  # source normals vs both anomalies: 3 of 4 pairs
    assert fan.auc_target == pytest.approx(0.5)  # target normals vs both anomalies: 2 of 4 pairs
    labels = [0, 0, 0, 0, 1, 1]
    pauc = roc_auc_score(labels, [s for _, s, _ in HAND], max_fpr=0.1)
    assert fan.pauc == pytest.approx(pauc)
    assert result.official_score == pytest.approx(3 / (1 / 0.75 + 1 / 0.5 + 1 / pauc))
    assert result.summary["hmean_auc_source"] == pytest.approx(0.75)
    assert result.summary["source_score"] == pytest.approx(harmonic_mean([0.75, pauc]))
    # source decisions: n1 0, n2 1, a1 1 -> precision 1/2, recall 1; target: nothing flagged -> 0
    assert (fan.precision_source, fan.recall_source) == pytest.approx((0.5, 1.0))
    assert fan.f1_source == pytest.approx(2 / 3)
    assert (fan.precision_target, fan.recall_target, fan.f1_target) == (0.0, 0.0, 0.0)
    assert fan.counts == {"normal_source": 2, "anomaly_source": 1, "normal_target": 2, "anomaly_target": 1}


def test_metrics_json_round_trip(scores_dir, tmp_path):
    result = evaluate_scores_dir(scores_dir)
    path = write_metrics_json(result, tmp_path / "run" / "metrics.json")
    data = json.loads(path.read_text())
    assert data["schema"] == "asdkit.metrics/1"
    assert set(data["years"]) == {"2020", "2021", "2022", "2023", "2024"}
    again = EvaluationResult.from_dict(data)
    assert again.official_score == pytest.approx(result.official_score)
    assert again.section("fan", "00").ci["pauc"].low == pytest.approx(result.section("fan", "00").ci["pauc"].low)
    ci = data["summary"]["official_score_ci"]
    assert ci["low"] <= data["summary"]["official_score"] <= ci["high"]


def test_intervals_bracket_the_values(scores_dir):
    result = evaluate_scores_dir(scores_dir)
    for section in result.sections:
        for name, interval in section.ci.items():
            assert interval.low <= getattr(section, name) <= interval.high
            assert interval.high - interval.low > 0


@pytest.mark.parametrize("mutate, message", [
    (lambda rows: rows[:-1] + [(rows[0][0], "0.3")], "appears twice"),
    (lambda rows: rows[:-1] + [(rows[-1][0], "nan")], "must be finite"),
    (lambda rows: rows[:-1] + [(rows[-1][0], "high")], "not a number"),
    (lambda rows: rows + [("mystery.wav", "0.1")], "cannot tell"),
])
def test_bad_score_rows_are_one_line_errors(scores_dir, mutate, message):
    path = scores_dir / "anomaly_score_fan_section_00_test.csv"
    rows = [tuple(line.split(",")) for line in path.read_text().splitlines()]
    write_rows(path, mutate(rows))
    with pytest.raises(InputError, match=message) as info:
        evaluate_scores_dir(scores_dir)
    assert "\n" not in str(info.value) and "section_00_test.csv" in str(info.value)


def test_decisions_must_cover_scores(scores_dir):
    path = scores_dir / "decision_result_valve_section_00_test.csv"
    path.write_text("".join(path.read_text().splitlines(keepends=True)[1:]))
    with pytest.raises(InputError, match="no decision for 1 clip"):
        evaluate_scores_dir(scores_dir)


def test_baseline_and_2021_names(tmp_path):
    rows = [(n, s) for n, s, _ in HAND]
    baseline = tmp_path / "baseline"
    baseline.mkdir()
    write_rows(baseline / "anomaly_score_DCASE2024T2fan_section_00_test_seed13711_id(0_)_Eval.csv", rows)
    assert evaluate_scores_dir(baseline).section("fan", "00").auc_source == pytest.approx(0.75)
    split = tmp_path / "split"
    split.mkdir()
    write_rows(split / "anomaly_score_fan_section_00_source_test.csv", [r for r in rows if "source" in r[0]])
    write_rows(split / "anomaly_score_fan_section_00_target_test.csv", [r for r in rows if "target" in r[0]])
    assert evaluate_scores_dir(split).section("fan", "00").auc_target == pytest.approx(0.5)


def test_2020_names_give_a_complete_2020_score_and_a_partial_2024_one(tmp_path):
    folder = tmp_path / "dcase2020"
    folder.mkdir()
    rows = [(f"normal_id_00_{i:08d}.wav", i / 10) for i in range(5)]
    rows += [(f"anomaly_id_00_{i:08d}.wav", 0.25 + i / 5) for i in range(3)]
    write_rows(folder / "anomaly_score_fan_id_00.csv", rows)
    result = evaluate_scores_dir(folder)
    labels, scores = [0] * 5 + [1] * 3, [s for _, s in rows]
    expected = roc_auc_score(labels, scores)
    assert result.years["2020"]["machines"]["fan"]["auc"] == pytest.approx(expected)
    assert result.years["2020"]["complete"]
    # No target domain in 2020: the 2024 score is taken over AUC (source) and pAUC only, and says so.
    pauc = roc_auc_score(labels, scores, max_fpr=0.1)
    assert result.official_score == pytest.approx(harmonic_mean([expected, pauc]))
    assert result.summary["official_score_complete"] is False
    assert result.years["2024"]["left_out"] == ["fan/00 AUC (target)"]
    assert result.section("fan", "00").undefined == {"auc_target": "no target-domain test clips"}


def _official_scores(folder: Path, gt_root: Path, machines: list[str], rng) -> None:
    folder.mkdir()
    for machine in machines:
        gt = gt_root / "ground_truth_data" / f"ground_truth_{machine}_section_00_test.csv"
        rows = [line.split(",") for line in gt.read_text().split()]
        write_rows(folder / f"anomaly_score_{machine}_section_00_test.csv",
                   [(name, rng.normal(float(label))) for name, label in rows])


@pytest.mark.skipif(not SHARED_GT.is_dir(), reason="/work/shared ground truth not available")
def test_official_ground_truth_layout(tmp_path):
    machines = sorted(p.name.split("_")[2] for p in (SHARED_GT / "ground_truth_data").glob("*.csv"))
    rng = np.random.default_rng(1)
    _official_scores(tmp_path / "team", SHARED_GT, machines, rng)
    result = evaluate_scores_dir(tmp_path / "team", ground_truth=SHARED_GT, with_ci=False)
    assert [m.machine for m in result.sections] == machines
    for metrics, data in zip(result.sections, result.data):
        assert metrics.counts == {"normal_source": 50, "anomaly_source": 50, "normal_target": 50,
                                  "anomaly_target": 50}
        source = ~data.domains | data.labels
        assert metrics.auc_source == pytest.approx(roc_auc_score(data.labels[source], data.scores[source]))
        assert metrics.pauc == pytest.approx(roc_auc_score(data.labels, data.scores, max_fpr=0.1))
    values = [m.auc_source for m in result.sections] + [m.auc_target for m in result.sections]
    values += [m.pauc for m in result.sections]
    assert result.official_score == pytest.approx(len(values) / sum(1 / v for v in values))
    # Original (de-anonymised) names map back through ground_truth_attributes.
    attributes = SHARED_GT / "ground_truth_attributes" / f"ground_truth_{machines[0]}_section_00_test.csv"
    originals = dict(line.split(",") for line in attributes.read_text().split())
    path = tmp_path / "team" / f"anomaly_score_{machines[0]}_section_00_test.csv"
    write_rows(path, [(originals[n] + ".wav", s) for n, s in (line.split(",") for line in path.read_text().split())])
    again = evaluate_scores_dir(tmp_path / "team", ground_truth=SHARED_GT, with_ci=False)
    assert again.official_score == pytest.approx(result.official_score)
    # A machine without its score file, and a missing row, are refused.
    path.unlink()
    with pytest.raises(InputError, match=f"no anomaly_score file for machine '{machines[0]}'"):
        evaluate_scores_dir(tmp_path / "team", ground_truth=SHARED_GT)


def test_machine_without_ground_truth(tmp_path):
    gt = tmp_path / "gt"
    (gt / "ground_truth_data").mkdir(parents=True)
    (gt / "ground_truth_domain").mkdir()
    names = [n for n, _, _ in HAND]
    write_rows(gt / "ground_truth_data" / "ground_truth_pump_section_00_test.csv",
               [(n, int("anomaly" in n)) for n in names])
    write_rows(gt / "ground_truth_domain" / "ground_truth_pump_section_00_test.csv",
               [(n, int("target" in n)) for n in names])
    scores = _hand_dir(tmp_path)
    (scores / "anomaly_score_fan_section_00_test.csv").rename(scores / "anomaly_score_pump_section_00_test.csv")
    (scores / "decision_result_fan_section_00_test.csv").unlink()
    assert evaluate_scores_dir(scores, ground_truth=gt).section("pump", "00").auc_source == pytest.approx(0.75)
    write_rows(scores / "anomaly_score_fan_section_00_test.csv", [(n, 0.1) for n in names])
    with pytest.raises(InputError, match="no ground truth for machine 'fan' section 00"):
        evaluate_scores_dir(scores, ground_truth=gt)
    (scores / "anomaly_score_fan_section_00_test.csv").unlink()
    write_rows(scores / "anomaly_score_pump_section_00_test.csv", [(n, 0.1) for n in names[1:]])
    with pytest.raises(InputError, match="1 clip\\(s\\) of the ground truth have no score"):
        evaluate_scores_dir(scores, ground_truth=gt)
