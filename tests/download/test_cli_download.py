"""``asdkit download`` end to end through click, against a local server and a test table."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from asdkit.audio import scan_dataset
from asdkit.cli.main import cli
from tests.download.server import ArchiveServer, closed_port, dcase_members, md5, write_table, zip_bytes


@pytest.fixture
def served_table(tmp_path):
    server = ArchiveServer()
    body = zip_bytes(dcase_members(tmp_path / "src", "fan"))
    url = server.add("dev_fan.zip", body)
    table = write_table(tmp_path / "table.json", {"toy-dev": {
        "description": "a test set", "folder": "toy-dev",
        "archives": [{"file": "dev_fan.zip", "url": url, "size": len(body), "checksum": md5(body)}]}})
    yield table, server
    server.close()


def test_list_shows_every_built_in_data_set():
    result = CliRunner().invoke(cli, ["download", "--list"])
    assert result.exit_code == 0, result.output
    for year in range(2020, 2025):
        for part in ("dev", "add", "eval"):
            assert f"dcase{year}-{part}" in result.stdout
    assert "md5 6/6" in result.stdout and "none published" in result.stdout


def test_download_end_to_end_then_skips(served_table, tmp_path):
    table, server = served_table
    runner = CliRunner()
    args = ["download", "toy-dev", str(tmp_path / "data"), "--table", str(table), "--retries", "0"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{tmp_path / 'data' / 'toy-dev'}\n"
    assert "toy-dev: 1 downloaded, 0 unpacked from kept archives, 0 already done; 1/1 verified" in result.stderr
    assert scan_dataset(tmp_path / "data" / "toy-dev").machines == ["fan"]
    again = runner.invoke(cli, args)
    assert again.exit_code == 0 and "0 downloaded, 0 unpacked from kept archives, 1 already done" in again.stderr
    assert len(server.requests) == 1


def test_the_table_can_come_from_the_environment(served_table, tmp_path):
    table, _ = served_table
    result = CliRunner().invoke(cli, ["download", "--list"], env={"ASDKIT_DOWNLOAD_TABLE": str(table)})
    assert result.exit_code == 0 and "toy-dev" in result.stdout and "dcase2024-dev" not in result.stdout


def test_errors_are_one_line(tmp_path):
    table = write_table(tmp_path / "t.json", {"toy-dev": {"archives": [
        {"file": "a.zip", "url": f"http://127.0.0.1:{closed_port()}/a.zip", "size": None, "checksum": None}]}})
    result = CliRunner().invoke(cli, ["download", "toy-dev", str(tmp_path / "d"), "--table", str(table),
                                      "--retries", "0"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot reach 127.0.0.1: ") and result.stderr.count("\n") == 1
    unknown = CliRunner().invoke(cli, ["download", "dcase1999-dev", str(tmp_path / "d")])
    assert unknown.exit_code == 1 and unknown.stderr.startswith("error: unknown data set 'dcase1999-dev'")
    missing_dir = CliRunner().invoke(cli, ["download", "dcase2024-dev"])
    assert missing_dir.exit_code == 2 and "give DATASET... DIR" in missing_dir.stderr
