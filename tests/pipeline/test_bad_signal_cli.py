"""Bad signals through the CLI: refused by default, scored as anomalous with --on-bad-signal flag.

The default pipeline (log-mel statistics, no training) is fitted on 4 s synthetic
clips; the folder scored holds one good clip, a silent one, a 0.2 s one, a clipped one,
and a 1.5 s one (over the absolute minimum, under half the training clips).
"""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from asdkit.bundle import load_bundle

from tests.pipeline.pipeline_helpers import default_model, invoke, ok, synth_data

RATE = 16000
BAD = {  # file number -> (samples, words of the reason)
    "0901": (np.zeros(4 * RATE), "silent: every sample is 0"),
    "0902": (0.1 * np.random.default_rng(1).standard_normal(RATE // 5), "too short: 0.2 s, under the minimum of 1 s"),
    "0903": (np.clip(np.random.default_rng(2).standard_normal(4 * RATE), -1, 1), "clipped: "),
    "0904": (0.1 * np.random.default_rng(3).standard_normal(3 * RATE // 2),
             "too short: 1.5 s, under 0.5 x the 4 s of the model's training clips"),
}


def clip_name(number: str) -> str:
    return f"section_00_source_test_normal_{number}_speed_10_load_2.wav"


@pytest.fixture(scope="module")
def data4s(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth_data(tmp_path_factory.mktemp("badsig") / "data", machines=("fan", "valve"), train_source=8,
                      test_clips=2, seconds=4.0, seed=1)


@pytest.fixture(scope="module")
def default_run(data4s: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return default_model(data4s, tmp_path_factory.mktemp("badsig") / "run")


@pytest.fixture(scope="module")
def bad_folder(data4s: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("badsig") / "incoming"
    test = folder / "fan" / "test"
    test.mkdir(parents=True)
    good = sorted((data4s / "fan" / "test").glob("*normal*.wav"))[0]
    shutil.copy(good, test / good.name)
    for number, (samples, _) in BAD.items():
        sf.write(test / clip_name(number), samples, RATE, subtype="PCM_16")
    return folder


def read_csv(path: Path) -> dict[str, str]:
    return {row[0]: row[1] for row in csv.reader(open(path, newline=""))}


def test_the_model_records_the_training_clip_duration(default_run: Path):
    assert load_bundle(default_run)[1]["train_seconds"] == pytest.approx(4.0)
    assert load_bundle(default_run / "backbone")[1]["train_seconds"] == pytest.approx(4.0)


def test_default_refuses_the_first_bad_clip_in_one_line(default_run: Path, bad_folder: Path, tmp_path):
    result = invoke("score", str(bad_folder), "--model", str(default_run), "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert ": bad signal (" in result.stderr and any(clip_name(n) in result.stderr for n in BAD)


def test_each_bad_clip_alone_is_refused_with_its_reason(default_run: Path, bad_folder: Path, tmp_path):
    for number, (_, reason) in BAD.items():
        path = bad_folder / "fan" / "test" / clip_name(number)
        result = invoke("score", str(path), "--model", str(default_run), "-o", str(tmp_path / number))
        assert result.exit_code == 1 and result.stderr.count("\n") == 1
        assert result.stderr.startswith(f"error: {path}: bad signal (") and reason in result.stderr


def test_skip_lists_every_bad_clip_and_scores_the_good_one(default_run: Path, bad_folder: Path, tmp_path):
    out = tmp_path / "out"
    result = invoke("score", str(bad_folder), "--model", str(default_run), "-o", str(out), "--on-error", "skip")
    assert result.exit_code == 1 and "4 file(s) skipped" in result.stderr
    for number, (_, reason) in BAD.items():
        assert f"{clip_name(number)}: bad signal (" in result.stderr and reason in result.stderr
    scores = read_csv(out / "anomaly_score_fan_section_00_test.csv")
    assert len(scores) == 1 and not any(clip_name(n) in scores for n in BAD)


def test_flag_scores_them_as_anomalous_and_lists_them(default_run: Path, bad_folder: Path, tmp_path):
    out = tmp_path / "out"
    result = ok("score", str(bad_folder), "--model", str(default_run), "-o", str(out), "--on-bad-signal", "flag")
    assert "flagged 4 clip(s) with a bad signal (decision forced to 1)" in result.stderr
    decisions = read_csv(out / "decision_result_fan_section_00_test.csv")
    assert len(read_csv(out / "anomaly_score_fan_section_00_test.csv")) == 5
    assert {clip_name(n): decisions[clip_name(n)] for n in BAD} == {clip_name(n): "1" for n in BAD}
    rows = list(csv.DictReader(open(out / "bad_signals.csv", newline="")))
    assert sorted(Path(r["path"]).name for r in rows) == sorted(clip_name(n) for n in BAD)
    for row in rows:
        number = Path(row["path"]).name.split("_")[5]
        assert row["machine"] == "fan" and BAD[number][1] in row["reason"]
    # a refusing run in the same folder removes the list that described the flagged run
    invoke("score", str(bad_folder), "--model", str(default_run), "-o", str(out), "--on-error", "skip")
    assert not (out / "bad_signals.csv").exists()


def test_a_bad_training_clip_never_trains_as_normal(data4s: Path, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(data4s, data)
    silent = data / "fan" / "train" / "section_00_source_train_normal_0999_speed_10_load_2.wav"
    short = data / "valve" / "train" / "section_00_source_train_normal_0998_speed_10_load_2.wav"
    sf.write(silent, np.zeros(4 * RATE), RATE, subtype="PCM_16")
    sf.write(short, 0.1 * np.random.default_rng(0).standard_normal(3 * RATE // 2), RATE, subtype="PCM_16")
    failed = invoke("extract", str(data), "-o", str(tmp_path / "run"))
    assert failed.exit_code == 1 and failed.stderr.count("\n") == 1
    assert f"error: {silent}: bad signal (silent: every sample is 0)" in failed.stderr
    skipped = invoke("extract", str(data), "-o", str(tmp_path / "run"), "--on-error", "skip")
    assert skipped.exit_code == 1 and "2 file(s) skipped" in skipped.stderr
    assert f"{short}: bad signal (too short: 1.5 s, under 0.5 x the 4 s" in skipped.stderr
    ok("extract", str(data), "-o", str(tmp_path / "run"), "--on-error", "skip", "--allow-skips")
    recorded = (tmp_path / "run" / "clips.csv").read_text()
    assert silent.name not in recorded and short.name not in recorded
