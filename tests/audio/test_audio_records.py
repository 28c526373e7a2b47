"""Clip records and clips.csv."""
import dataclasses
from pathlib import Path

import pytest

from asdkit.audio import Clip, read_clips_csv, write_clips_csv
from asdkit.errors import InputError


def test_clip_row_round_trip():
    clip = Clip(Path("/d/fan/train/a.wav"), "fan", "00", "target", "train", "normal",
                {"speed": "12", "load": "3"})
    assert Clip.from_row(clip.to_row()) == clip
    assert all(isinstance(v, str) for v in clip.to_row().values())


def test_clip_is_frozen_and_hashable():
    clip = Clip("x.wav", "fan", "00")
    with pytest.raises(dataclasses.FrozenInstanceError):
        clip.machine = "pump"  # type: ignore[misc]
    assert len({clip, Clip("x.wav", "fan", "00")}) == 1


def test_clip_refuses_unknown_values():
    with pytest.raises(InputError, match="domain 'other'"):
        Clip("x.wav", "fan", "00", domain="other")


def test_clips_csv_round_trip(tmp_path):
    clips = [Clip(tmp_path / f"{i}, odd \"name\".wav", "fan", "01", "source", "test", "anomaly",
                  {"k": "v,w"}) for i in range(3)]
    write_clips_csv(tmp_path / "clips.csv", clips)
    assert read_clips_csv(tmp_path / "clips.csv") == clips
    assert not list(tmp_path.glob(".tmp-*"))


def test_clips_csv_bad_header(tmp_path):
    (tmp_path / "clips.csv").write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="header"):
        read_clips_csv(tmp_path / "clips.csv")


def test_clips_csv_bad_attributes(tmp_path):
    (tmp_path / "clips.csv").write_text(
        "path,machine,section,domain,split,label,attributes\nx.wav,fan,00,source,test,normal,{nope\n")
    with pytest.raises(InputError, match="not JSON"):
        read_clips_csv(tmp_path / "clips.csv")
