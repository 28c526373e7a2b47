"""The built-in table of DCASE archives, and the rules a table file must follow."""
from __future__ import annotations

import re

import pytest

from asdkit.download import load_table, parse_table
from asdkit.errors import ConfigError

YEARS = range(2020, 2025)


def test_the_built_in_table_lists_dev_add_and_eval_for_2020_to_2024():
    table = load_table()
    assert set(table.datasets) == {f"dcase{y}-{part}" for y in YEARS for part in ("dev", "add", "eval")}
    for year in YEARS:
        dev, add, ev = (table.get(f"dcase{year}-{part}") for part in ("dev", "add", "eval"))
        assert dev.folder == f"dcase{year}-dev"
        assert add.folder == ev.folder == f"dcase{year}-eval"  # train beside test, as the eval layout reads
        assert len(add.archives) == len(ev.archives)  # one training and one test archive per machine


def test_every_built_in_entry_is_an_official_zenodo_file_with_its_provenance():
    for spec in load_table():
        assert spec.info["record"].startswith("https://zenodo.org/record")
        assert "nttcslab/dcase2023_task2_baseline_ae" in spec.info["urls_from"]
        record = spec.info["record"].rsplit("/", 1)[1]
        for archive in spec.archives:
            assert re.fullmatch(rf"https://zenodo\.org/records?/{record}/files/{re.escape(archive.file)}",
                                archive.url), archive.url
            assert archive.kind == "zip"
        # a checksum is stored only with the source it was copied from
        assert (spec.n_checksums > 0) == ("checksums_from" in spec.info), spec.name
        assert spec.n_checksums in (0, len(spec.archives)), spec.name


def _one(archive: dict, **dataset) -> dict:
    return {"datasets": {"x": {"archives": [archive], **dataset}}}


GOOD = {"file": "a.zip", "url": "http://127.0.0.1/a.zip", "size": 3, "checksum": "sha256:" + "ab" * 32}


def test_a_table_object_mapping_or_file_is_accepted(tmp_path):
    import json

    spec = parse_table(_one(GOOD)).get("x")
    assert (spec.folder, spec.archives[0].algorithm, spec.archives[0].size, spec.total_size) == (
        "x", "sha256", 3, 3)
    path = tmp_path / "t.json"
    path.write_text(json.dumps(_one(GOOD)))
    assert load_table(path).get("x") == spec and load_table(load_table(path)).source == str(path)


@pytest.mark.parametrize("archive, dataset, message", [
    (GOOD | {"checksum": "crc32:1234"}, {}, "must be 'md5:<hex>' or 'sha256:<hex>'"),
    (GOOD | {"checksum": "md5:abc"}, {}, "is not 32 hex digits"),
    (GOOD | {"url": "ftp://x/a.zip"}, {}, "must start with http:// or https://"),
    (GOOD | {"file": "../a.zip"}, {}, "must be a plain name"),
    (GOOD | {"file": "a.rar"}, {}, "not an archive asdkit unpacks"),
    (GOOD | {"size": -1}, {}, "size must be a number of bytes or null"),
    (GOOD | {"md5": "x"}, {}, "unknown key 'md5'"),
    (GOOD, {"folder": "/abs"}, "folder '/abs' must be a plain name"),
    (GOOD, {"colour": "red"}, "unknown key 'colour'"),
])
def test_a_malformed_entry_is_a_config_error_naming_it(archive, dataset, message):
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        parse_table(_one(archive, **dataset), "t.json")
    assert str(caught.value).startswith("t.json: data set 'x'")


def test_unknown_names_and_unreadable_files_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown data set 'dcase2019-dev' in asdkit's table \(known: dcase2020"):
        load_table().get("dcase2019-dev")
    with pytest.raises(ConfigError, match="no such file"):
        load_table(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_table(tmp_path / "bad.json")
    with pytest.raises(ConfigError, match="not a data-set table"):
        parse_table([], "t.json")
