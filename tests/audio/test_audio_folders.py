"""Folders as users give them: split folders as roots, symlinks (with a loop guard),
and everything the scan leaves out listed."""
import os

import pytest

from asdkit.audio import scan_dataset
from asdkit.audio.layouts import machine_of
from asdkit.formats.names import label_from_name

NAME = "section_00_source_test_normal_0000_a_b.wav"


@pytest.mark.parametrize("root, relative, machine", [
    ("data", "fan/train/x.wav", "fan"),
    ("data/fan/test", "x.wav", "fan"),  # a split folder as root: the machine is above it
    ("data/fan", "test/x.wav", "fan"),
    ("data", "fan/x.wav", "fan"),
    ("data/fan", "x.wav", "fan"),
    ("test/data", "fan/x.wav", "fan"),  # a split name far above the root is not a split
    ("data", "fan/test/anomaly/x.wav", "fan"),
])
def test_machine_is_the_nearest_folder_that_is_not_a_split(tmp_path, root, relative, machine):
    base = tmp_path / root
    assert machine_of(base / relative, base) == machine


def test_scoring_a_test_folder_reads_the_machine_above(tmp_path, make_wav):
    make_wav(tmp_path / "fan" / "test" / NAME, seconds=0.05)
    ds = scan_dataset(tmp_path / "fan" / "test")
    assert [c.machine for c in ds] == ["fan"] and ds.clips[0].split == "test"


def test_symlinked_machine_folder_is_followed(tmp_path, make_wav):
    make_wav(tmp_path / "elsewhere" / "pump" / "test" / NAME, seconds=0.05)
    (tmp_path / "data").mkdir()
    os.symlink(tmp_path / "elsewhere" / "pump", tmp_path / "data" / "pump")
    ds = scan_dataset(tmp_path / "data")
    assert [c.machine for c in ds] == ["pump"] and not ds.problems


def test_symlink_loop_is_scanned_once_and_listed(tmp_path, make_wav):
    make_wav(tmp_path / "data" / "fan" / "test" / NAME, seconds=0.05)
    os.symlink(tmp_path / "data", tmp_path / "data" / "fan" / "test" / "loop")
    ds = scan_dataset(tmp_path / "data")
    assert len(ds) == 1
    assert any("scanned" in p.reason and p.path.name == "loop" for p in ds.problems)


def test_broken_symlink_is_listed(tmp_path, make_wav):
    make_wav(tmp_path / "data" / "fan" / "test" / NAME, seconds=0.05)
    os.symlink(tmp_path / "gone.wav", tmp_path / "data" / "fan" / "test" / "dangling.wav")
    ds = scan_dataset(tmp_path / "data")
    assert len(ds) == 1
    assert [(p.path.name, p.reason) for p in ds.problems] == [("dangling.wav", "broken symlink; left out")]


@pytest.mark.parametrize("name, expected", [
    ("section_00_target_anomaly_0003_noAttribute.wav", (True, True)),  # 2024: no split token
    ("section_01_source_test_normal_0001_car_A1.wav", (False, False)),
    ("anomaly_id_02_00000001.wav", (True, False)),
    ("fan_section_00_target_test_normal_0001_x.wav", (False, True)),  # prefixed
    ("section_00_0001.wav", None),  # anonymised: no truth in the name
    ("id_00_00000001.wav", None),
])
def test_label_from_name_matches_the_scanner(name, expected):
    assert label_from_name(name) == expected


def test_2021_ground_truth_with_domain_in_its_name_is_read_by_the_scanner(tmp_path, make_wav):
    make_wav(tmp_path / "fan" / "test" / "section_00_0000.wav", seconds=0.05)
    make_wav(tmp_path / "fan" / "train" / "section_00_source_train_normal_0000_a_b.wav", seconds=0.05)
    (tmp_path / "ground_truth_fan_section_00_target_test.csv").write_text("section_00_0000.wav,1\n")
    ds = scan_dataset(tmp_path)
    test = [c for c in ds if c.split == "test"]
    assert [(c.label, c.domain) for c in test] == [("anomaly", "target")] and not ds.problems


def test_2021_evaluation_names_keep_domain_and_split(tmp_path, make_wav):
    make_wav(tmp_path / "fan" / "target_test" / "section_03_target_test_0007.wav", seconds=0.05)
    make_wav(tmp_path / "fan" / "train" / "section_03_source_train_normal_0000_a_b.wav", seconds=0.05)
    ds = scan_dataset(tmp_path)
    test = [c for c in ds if c.split == "test"]
    assert [(c.machine, c.section, c.domain, c.label) for c in test] == [("fan", "03", "target", "unknown")]
