"""asdkit.download against a real HTTP server on 127.0.0.1 (the real URLs are never fetched)."""
from __future__ import annotations

import errno
import io
import shutil
import tarfile
from pathlib import Path

import pytest

from asdkit.audio import scan_dataset
from asdkit.download import NOT_VERIFIED, DownloadError, download
from tests.conftest import write_wav
from tests.download.server import (
    ArchiveServer, RecordingProgress, closed_port, dcase_members, md5, tar_gz_bytes, write_table, zip_bytes,
)

FAST = {"retry_delay": 0.0, "timeout": 10.0}


@pytest.fixture
def server():
    srv = ArchiveServer()
    yield srv
    srv.close()


@pytest.fixture
def fan_zip(tmp_path) -> bytes:
    return zip_bytes(dcase_members(tmp_path / "src", "fan"))


def _table(tmp_path: Path, archives: list[dict], folder: str = "toy-dev", name: str = "toy-dev") -> Path:
    return write_table(tmp_path / "table.json", {name: {"description": "test set", "folder": folder,
                                                        "layout": "dcase2021", "archives": archives}})


def _archive(url: str, body: bytes, file: str | None = None, checksum: str | None = "auto") -> dict:
    return {"file": file or url.rsplit("/", 1)[1], "url": url, "size": len(body),
            "checksum": md5(body) if checksum == "auto" else checksum}


def test_download_verifies_unpacks_and_the_result_scans(server, tmp_path, fan_zip):
    valve = zip_bytes(dcase_members(tmp_path / "src", "valve"))
    table = _table(tmp_path, [_archive(server.add("dev_fan.zip", fan_zip), fan_zip),
                              _archive(server.add("dev_valve.zip", valve), valve)])
    result = download("toy-dev", tmp_path / "data", table=table, jobs=2, progress=RecordingProgress(), **FAST)
    assert [(a.file, a.status, a.verified) for a in result.archives] == [
        ("dev_fan.zip", "downloaded", True), ("dev_valve.zip", "downloaded", True)]
    dataset = scan_dataset(result.folders["toy-dev"])
    assert dataset.machines == ["fan", "valve"] and len(dataset) == 8 and not dataset.problems
    assert {c.split for c in dataset} == {"train", "test"}
    state = tmp_path / "data" / ".asdkit-download" / "toy-dev"
    assert sorted(p.name for p in state.iterdir()) == ["dev_fan.zip.done.json", "dev_valve.zip.done.json"]


def test_a_second_run_skips_without_touching_the_network(server, tmp_path, fan_zip):
    table = _table(tmp_path, [_archive(server.add("dev_fan.zip", fan_zip), fan_zip)])
    download("toy-dev", tmp_path / "data", table=table, **FAST)
    before = len(server.requests)
    again = download("toy-dev", tmp_path / "data", table=table, **FAST)
    assert [a.status for a in again.archives] == ["skipped"] and len(server.requests) == before
    forced = download("toy-dev", tmp_path / "data", table=table, force=True, **FAST)
    assert [a.status for a in forced.archives] == ["downloaded"] and len(server.requests) == before + 1


def test_a_connection_dropped_half_way_resumes_with_a_range_request(server, tmp_path, fan_zip):
    url = server.add("dev_fan.zip", fan_zip, drop_first=True)
    progress = RecordingProgress()
    result = download("toy-dev", tmp_path / "data", table=_table(tmp_path, [_archive(url, fan_zip)]),
                      progress=progress, **FAST)
    first, second = server.requests_for("dev_fan.zip")
    assert "Range" not in first.headers
    assert second.headers["Range"] == f"bytes={len(fan_zip) // 2}-"
    assert result.archives[0].verified and any("retry 1/5" in line for line in progress.logs)
    assert len(scan_dataset(result.folders["toy-dev"])) == 4


def test_a_partial_file_left_by_a_failed_run_is_resumed_by_the_next(server, tmp_path, fan_zip):
    table = _table(tmp_path, [_archive(server.add("dev_fan.zip", fan_zip, drop_first=True), fan_zip)])
    with pytest.raises(DownloadError, match=r"^download from 127\.0\.0\.1 failed: .*run again to resume\)$"):
        download("toy-dev", tmp_path / "data", table=table, retries=0, **FAST)
    part = tmp_path / "data" / ".asdkit-download" / "toy-dev" / "dev_fan.zip.part"
    assert part.stat().st_size == len(fan_zip) // 2
    assert not (tmp_path / "data" / "toy-dev").exists()
    download("toy-dev", tmp_path / "data", table=table, retries=0, **FAST)
    assert server.requests_for("dev_fan.zip")[-1].headers["Range"] == f"bytes={len(fan_zip) // 2}-"
    assert not part.exists() and len(scan_dataset(tmp_path / "data" / "toy-dev")) == 4


def test_a_server_that_ignores_range_restarts_from_byte_zero(server, tmp_path, fan_zip):
    table = _table(tmp_path, [_archive(server.add("dev_fan.zip", fan_zip, ignore_range=True), fan_zip)])
    part = tmp_path / "data" / ".asdkit-download" / "toy-dev" / "dev_fan.zip.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"x" * 100)  # not the archive's first bytes: appending to it would fail the checksum
    result = download("toy-dev", tmp_path / "data", table=table, **FAST)
    assert server.requests_for("dev_fan.zip")[0].headers["Range"] == "bytes=100-"
    assert result.archives[0].verified and len(scan_dataset(result.folders["toy-dev"])) == 4


def test_a_complete_partial_file_is_not_downloaded_again(server, tmp_path, fan_zip):
    table = _table(tmp_path, [_archive(server.add("dev_fan.zip", fan_zip), fan_zip)])
    part = tmp_path / "data" / ".asdkit-download" / "toy-dev" / "dev_fan.zip.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(fan_zip)  # killed after the last byte, before the rename
    result = download("toy-dev", tmp_path / "data", table=table, **FAST)
    assert result.archives[0].verified  # the server answered 416 with the same total


def test_a_wrong_checksum_is_one_line_keeps_the_file_and_unpacks_nothing(server, tmp_path, fan_zip):
    bad = "md5:" + "0" * 32
    table = _table(tmp_path, [_archive(server.add("dev_fan.zip", fan_zip), fan_zip, checksum=bad)])
    with pytest.raises(DownloadError) as caught:
        download("toy-dev", tmp_path / "data", table=table, **FAST)
    message = str(caught.value)
    assert "\n" not in message and message.startswith("dev_fan.zip: corrupt download: MD5 mismatch (expected 000")
    assert "nothing unpacked" in message
    state = tmp_path / "data" / ".asdkit-download" / "toy-dev"
    assert (state / "dev_fan.zip.corrupt").read_bytes() == fan_zip
    assert not (state / "dev_fan.zip.part").exists() and not (tmp_path / "data" / "toy-dev").exists()


def test_a_wrong_size_is_caught_before_the_checksum(server, tmp_path, fan_zip):
    entry = _archive(server.add("dev_fan.zip", fan_zip), fan_zip) | {"size": len(fan_zip) + 1}
    with pytest.raises(DownloadError, match=rf"corrupt download: size {len(fan_zip)} bytes, expected"):
        download("toy-dev", tmp_path / "data", table=_table(tmp_path, [entry]), **FAST)


def test_no_published_checksum_is_said_once_per_data_set(server, tmp_path, fan_zip):
    valve = zip_bytes(dcase_members(tmp_path / "src", "valve"))
    table = _table(tmp_path, [_archive(server.add("a.zip", fan_zip), fan_zip, checksum=None),
                              _archive(server.add("b.zip", valve), valve, checksum=None)])
    progress = RecordingProgress()
    result = download("toy-dev", tmp_path / "data", table=table, progress=progress, **FAST)
    assert progress.warnings == [f"toy-dev: {NOT_VERIFIED} (the archives' own CRCs are still checked "
                                 "while unpacking)"]
    assert result.unverified == ["a.zip", "b.zip"]


def test_an_unverified_corrupt_zip_is_caught_by_its_crc(server, tmp_path, fan_zip):
    broken = bytearray(fan_zip)
    broken[200] ^= 0xFF  # inside the first member's compressed data
    table = _table(tmp_path, [_archive(server.add("a.zip", bytes(broken)), bytes(broken), checksum=None)])
    with pytest.raises(DownloadError, match=r"^a\.zip: corrupt archive"):
        download("toy-dev", tmp_path / "data", table=table, progress=RecordingProgress(), **FAST)
    assert not (tmp_path / "data" / "toy-dev" / "fan").exists()


def test_an_unreachable_host_is_one_line(tmp_path):
    url = f"http://127.0.0.1:{closed_port()}/dev_fan.zip"
    table = _table(tmp_path, [{"file": "dev_fan.zip", "url": url, "size": None, "checksum": None}])
    with pytest.raises(DownloadError) as caught:
        download("toy-dev", tmp_path / "data", table=table, retries=1, **FAST)
    message = str(caught.value)
    assert message.startswith("cannot reach 127.0.0.1: ") and message.endswith(
        "(after 2 attempts; is the network up?)")
    assert "\n" not in message


def test_an_http_error_is_one_line_and_not_retried(server, tmp_path):
    url = server.add("gone.zip", b"", status=404)
    table = _table(tmp_path, [{"file": "gone.zip", "url": url, "size": None, "checksum": None}])
    with pytest.raises(DownloadError, match=rf"^HTTP 404 Not Found for {url}$"):
        download("toy-dev", tmp_path / "data", table=table, **FAST)
    assert len(server.requests_for("gone.zip")) == 1


def test_a_server_error_is_retried_then_reported(server, tmp_path):
    url = server.add("busy.zip", b"", status=503)
    table = _table(tmp_path, [{"file": "busy.zip", "url": url, "size": None, "checksum": None}])
    with pytest.raises(DownloadError, match=r"^HTTP 503 Service Unavailable from .* \(after 3 attempts\)$"):
        download("toy-dev", tmp_path / "data", table=table, retries=2, progress=RecordingProgress(), **FAST)
    assert len(server.requests_for("busy.zip")) == 3


@pytest.mark.parametrize("member", ["../evil.wav", "/abs/evil.wav", "fan/../../evil.wav"])
def test_path_traversal_members_refuse_the_archive(server, tmp_path, member):
    body = zip_bytes({"fan/train/section_00_source_train_normal_0000_a_1.wav": b"RIFF", member: b"evil"})
    table = _table(tmp_path, [_archive(server.add("evil.zip", body), body)])
    with pytest.raises(DownloadError, match=r"^evil\.zip: member '.*' has an absolute path or '\.\.'; refused"):
        download("toy-dev", tmp_path / "data", table=table, **FAST)
    assert not (tmp_path / "data" / "toy-dev" / "fan").exists() and not (tmp_path / "evil.wav").exists()
    assert not list((tmp_path / "data").rglob("evil.wav"))


def test_tar_gz_archives_unpack_and_tar_links_are_refused(server, tmp_path):
    members = dcase_members(tmp_path / "src", "pump")
    body = tar_gz_bytes(members)
    result = download("toy-dev", tmp_path / "data", table=_table(tmp_path, [_archive(
        server.add("dev_pump.tar.gz", body), body)]), **FAST)
    assert scan_dataset(result.folders["toy-dev"]).machines == ["pump"]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        link = tarfile.TarInfo("pump/train/link.wav")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tf.addfile(link)
    bad = buffer.getvalue()
    table = write_table(tmp_path / "t2.json", {"links": {"archives": [_archive(server.add("l.tgz", bad), bad)]}})
    with pytest.raises(DownloadError, match=r"^l\.tgz: member 'pump/train/link\.wav' is a link or special file"):
        download("links", tmp_path / "data", table=table, **FAST)


def test_add_and_eval_sets_merge_into_one_folder(server, tmp_path):
    train = zip_bytes(dcase_members(tmp_path / "a", "Scanner", splits=("train",)))
    test = zip_bytes({f"Scanner/test/section_00_{i:04d}.wav": (tmp_path / "a" / "Scanner" / "train" /
                      f"section_00_source_train_normal_{i:04d}_a_1.wav").read_bytes() for i in range(2)})
    table = write_table(tmp_path / "t.json", {
        "toy-add": {"folder": "toy-eval", "archives": [_archive(server.add("tr.zip", train), train)]},
        "toy-eval": {"folder": "toy-eval", "archives": [_archive(server.add("te.zip", test), test)]}})
    result = download(["toy-add", "toy-eval"], tmp_path / "data", table=table, jobs=2, **FAST)
    assert result.folders == {"toy-add": tmp_path / "data" / "toy-eval", "toy-eval": tmp_path / "data" / "toy-eval"}
    dataset = scan_dataset(tmp_path / "data" / "toy-eval")
    assert dataset.layout == "eval" and {c.split for c in dataset} == {"train", "test"} and len(dataset) == 4


def test_keep_archives_keeps_the_verified_archive_and_reuses_it(server, tmp_path, fan_zip):
    table = _table(tmp_path, [_archive(server.add("dev_fan.zip", fan_zip), fan_zip)])
    download("toy-dev", tmp_path / "data", table=table, keep_archives=True, **FAST)
    kept = tmp_path / "data" / ".asdkit-download" / "toy-dev" / "dev_fan.zip"
    assert kept.read_bytes() == fan_zip
    shutil.rmtree(tmp_path / "data" / "toy-dev")  # the unpacked data went missing: unpack again, no download
    before = len(server.requests)
    again = download("toy-dev", tmp_path / "data", table=table, keep_archives=True, **FAST)
    assert [a.status for a in again.archives] == ["unpacked"] and len(server.requests) == before


def test_a_full_disk_is_one_line_and_keeps_the_partial_file(server, tmp_path, fan_zip, monkeypatch):
    import asdkit.download.fetch as fetch_module

    real_open = open

    class FullDisk:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, data):  # noqa: ARG002 - the file method it stands in for
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fetch_module, "open", lambda path, mode: FullDisk(real_open(path, mode)), raising=False)
    table = _table(tmp_path, [_archive(server.add("dev_fan.zip", fan_zip), fan_zip)])
    with pytest.raises(DownloadError, match=r"dev_fan\.zip\.part: disk full \(no space left on device\); free"):
        download("toy-dev", tmp_path / "data", table=table, **FAST)
    assert (tmp_path / "data" / ".asdkit-download" / "toy-dev" / "dev_fan.zip.part").exists()


def test_one_failing_archive_stops_the_run_with_its_own_error(server, tmp_path, fan_zip):
    table = _table(tmp_path, [_archive(server.add("dev_fan.zip", fan_zip), fan_zip),
                              {"file": "gone.zip", "url": server.add("gone.zip", b"", status=404), "size": None,
                               "checksum": None}])
    with pytest.raises(DownloadError, match="^HTTP 404"):
        download("toy-dev", tmp_path / "data", table=table, jobs=2, **FAST)


@pytest.mark.parametrize("names, layout", [
    # 2020: <machine>/{train,test}/{normal,anomaly}_id_NN_NNNNNNNN.wav
    (["fan/train/normal_id_00_00000000.wav", "fan/test/anomaly_id_00_00000001.wav"], "dcase2020"),
    # 2021 dev: split and domain in the names, test clips in source_test/ and target_test/
    (["fan/train/section_00_source_train_normal_0000_a_1.wav",
      "fan/source_test/section_00_source_test_anomaly_0000_a_1.wav",
      "fan/target_test/section_00_target_test_normal_0000_a_1.wav"], "dcase2021"),
])
def test_the_official_inner_layouts_scan_after_unpacking(server, tmp_path, names, layout):
    body = zip_bytes(dict.fromkeys(names, write_wav(tmp_path / "w.wav").read_bytes()))
    table = _table(tmp_path, [_archive(server.add("a.zip", body), body)])
    result = download("toy-dev", tmp_path / "data", table=table, **FAST)
    dataset = scan_dataset(result.folders["toy-dev"])
    assert dataset.layout == layout and dataset.machines == ["fan"] and not dataset.problems
    assert sorted(c.split for c in dataset) == sorted("train" if "/train/" in n else "test" for n in names)
