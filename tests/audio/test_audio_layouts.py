"""Dataset layouts: DCASE 2020, 2021-2024, evaluation sets with ground truth, generic."""
from pathlib import Path

import pytest

from asdkit.audio import scan_dataset
from asdkit.errors import InputError


def _touch_wavs(make_wav, root: Path, relative_paths: list[str]) -> None:
    for i, rel in enumerate(relative_paths):
        make_wav(root / rel, seconds=0.05, seed=i)


def test_dcase2020(tmp_path, make_wav):
    _touch_wavs(make_wav, tmp_path, ["fan/train/normal_id_00_00000000.wav",
                                     "fan/test/anomaly_id_02_00000001.wav",
                                     "pump/test/normal_id_04_00000003.wav"])
    ds = scan_dataset(tmp_path)
    assert ds.layout == "dcase2020" and len(ds) == 3 and not ds.problems
    by_name = {c.name: c for c in ds}
    clip = by_name["anomaly_id_02_00000001.wav"]
    assert (clip.machine, clip.section, clip.domain, clip.split, clip.label) == \
        ("fan", "02", "source", "test", "anomaly")
    assert by_name["normal_id_00_00000000.wav"].split == "train"


def test_dcase2021_names_attributes_and_hidden(tmp_path, make_wav):
    _touch_wavs(make_wav, tmp_path, [
        "ToyCar/train/section_00_source_train_normal_0001_car_A1_spd_28V_mic_1.wav",
        "ToyCar/test/section_01_target_test_anomaly_0002_car_B2_spd_31V_mic_2.wav",
        "fan/train/section_00_source_train_normal_0000_noAttribute.wav",
        "RoboticArm/train/section_00_target_normal_0005_weight15_BckgF.wav",
        "RoboticArm/test/section_00_source_anomaly_0007_weight15_BckgF.wav",
    ])
    (tmp_path / "ToyCar" / "attributes_00.csv").write_text(
        "file_name,d1p,d1v,d2p,d2v\n"
        "ToyCar/train/section_00_source_train_normal_0001_car_A1_spd_28V_mic_1.wav,car,A1,spd,28V\n")
    ds = scan_dataset(tmp_path)
    assert ds.layout == "dcase2021" and len(ds) == 5
    clips = {c.name: c for c in ds}
    toy = clips["section_00_source_train_normal_0001_car_A1_spd_28V_mic_1.wav"]
    assert toy.attributes == {"car": "A1", "spd": "28V"}  # the CSV wins over the name
    target = clips["section_01_target_test_anomaly_0002_car_B2_spd_31V_mic_2.wav"]
    assert (target.section, target.domain, target.split, target.label) == ("01", "target", "test", "anomaly")
    assert target.attributes == {"car": "B2", "spd": "31V", "mic": "2"}
    assert clips["section_00_source_train_normal_0000_noAttribute.wav"].attributes == {}
    robot = clips["section_00_target_normal_0005_weight15_BckgF.wav"]
    assert (robot.machine, robot.split, robot.domain) == ("RoboticArm", "train", "target")
    assert clips["section_00_source_anomaly_0007_weight15_BckgF.wav"].split == "test"


def test_machine_folder_as_root(tmp_path, make_wav):
    _touch_wavs(make_wav, tmp_path / "valve", ["train/section_00_source_train_normal_0000_a_b.wav"])
    ds = scan_dataset(tmp_path / "valve")
    assert ds.clips[0].machine == "valve"


def test_eval_with_official_ground_truth(tmp_path, make_wav, eval_ground_truth):
    names = [f"section_00_{i:04d}.wav" for i in range(6)]
    _touch_wavs(make_wav, tmp_path / "data", [f"RoboticArm/test/{n}" for n in names] +
                ["RoboticArm/train/section_00_source_train_normal_0000_noAttribute.wav"])
    ds = scan_dataset(tmp_path / "data", ground_truth=eval_ground_truth)
    assert ds.layout == "eval"
    truth = {}
    for row in (eval_ground_truth / "ground_truth_data" / "ground_truth_RoboticArm_section_00_test.csv"
                ).read_text().split():
        name, value = row.split(",")
        truth[name] = "anomaly" if value == "1" else "normal"
    test_clips = [c for c in ds if c.split == "test"]
    assert len(test_clips) == 6
    for clip in test_clips:
        assert clip.label == truth[clip.name]
        assert clip.domain in ("source", "target")
    assert all(c.attributes for c in test_clips)  # from ground_truth_attributes


def test_eval_without_ground_truth_is_unknown(tmp_path, make_wav):
    _touch_wavs(make_wav, tmp_path, ["fan/test/section_00_0000.wav", "fan/test/section_00_0001.wav"])
    ds = scan_dataset(tmp_path)
    assert ds.layout == "eval"
    assert {(c.label, c.domain) for c in ds} == {("unknown", "unknown")}


def test_eval_ground_truth_inside_root_and_missing_entry(tmp_path, make_wav):
    _touch_wavs(make_wav, tmp_path, ["fan/test/section_00_0000.wav", "fan/test/section_00_0001.wav"])
    gt = tmp_path / "gt"
    (gt / "ground_truth_data").mkdir(parents=True)
    (gt / "ground_truth_domain").mkdir()
    (gt / "ground_truth_data" / "ground_truth_fan_section_00_test.csv").write_text("section_00_0000.wav,1\n")
    (gt / "ground_truth_domain" / "ground_truth_fan_section_00_test.csv").write_text("section_00_0000.wav,1\n")
    ds = scan_dataset(tmp_path)
    clip = next(c for c in ds if c.name == "section_00_0000.wav")
    assert (clip.label, clip.domain) == ("anomaly", "target")
    assert any("missing from the ground-truth" in str(p) for p in ds.problems)


def test_bad_ground_truth_value(tmp_path, make_wav):
    _touch_wavs(make_wav, tmp_path, ["fan/test/section_00_0000.wav"])
    (tmp_path / "ground_truth_fan_section_00_test.csv").write_text("section_00_0000.wav,7\n")
    with pytest.raises(InputError, match=r"ground_truth_fan_section_00_test.csv:1: value '7'"):
        scan_dataset(tmp_path)


def test_generic_layout(tmp_path, make_wav):
    _touch_wavs(make_wav, tmp_path, ["drill/train/rec1.wav", "drill/test/rec_anomaly_2.wav",
                                     "drill/test/normal/rec3.wav", "drill/other/x.wav"])
    make_wav(tmp_path / "drill" / "test" / "rec4.flac", seconds=0.05)
    ds = scan_dataset(tmp_path)
    assert ds.layout == "generic" and len(ds) == 5
    clips = {c.name: c for c in ds}
    assert (clips["rec1.wav"].split, clips["rec1.wav"].label) == ("train", "unknown")
    assert clips["rec_anomaly_2.wav"].label == "anomaly"
    assert clips["rec3.wav"].label == "normal"
    assert clips["x.wav"].split == "test"
    assert clips["rec4.flac"].machine == "drill"


def test_generic_notes_machine_without_training(tmp_path, make_wav):
    _touch_wavs(make_wav, tmp_path, ["drill/a.wav"])
    ds = scan_dataset(tmp_path, layout="generic")
    assert any("no training clips" in str(p) for p in ds.problems)


def test_mixed_names_are_problems_not_guesses(tmp_path, make_wav):
    _touch_wavs(make_wav, tmp_path, ["fan/train/section_00_source_train_normal_0000_a_1.wav",
                                     "fan/train/stray.wav"])
    ds = scan_dataset(tmp_path)
    assert len(ds) == 1 and len(ds.problems) == 1
    assert "stray.wav" in str(ds.problems[0]) and "dcase2021" in str(ds.problems[0])


def test_forced_layout_year_alias(tmp_path, make_wav):
    _touch_wavs(make_wav, tmp_path, ["fan/train/section_00_source_train_normal_0000_a_1.wav"])
    assert len(scan_dataset(tmp_path, layout="dcase2023")) == 1


@pytest.mark.parametrize("setup, message", [
    (lambda _root: None, "no audio files"),
    (lambda root: (root / "notes.txt").write_text("hi"), "no audio files"),
])
def test_empty_or_audio_free_folder(tmp_path, setup, message):
    setup(tmp_path)
    with pytest.raises(InputError, match=message) as info:
        scan_dataset(tmp_path)
    assert str(tmp_path) in str(info.value) and "\n" not in str(info.value)


def test_forced_layout_nothing_matches(tmp_path, make_wav):
    _touch_wavs(make_wav, tmp_path, ["fan/train/whatever.wav"])
    with pytest.raises(InputError, match="no recognisable layout.*dcase2020"):
        scan_dataset(tmp_path, layout="dcase2020")


def test_missing_folder_and_unknown_layout(tmp_path):
    with pytest.raises(InputError, match="no such folder"):
        scan_dataset(tmp_path / "nope")
    with pytest.raises(InputError, match="unknown layout"):
        scan_dataset(tmp_path, layout="weird")
