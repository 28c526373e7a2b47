"""The sharded scorer's pieces without a launch: the chunk plan, the per-rank partials
and manifests (torn lines, resume, a different job), the merge, and the CLI's errors."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from asdkit.audio import Clip, LoadSummary, Problem
from asdkit.cli.main import cli
from asdkit.errors import InputError
from asdkit.pipeline.features import CHUNK
from asdkit.pipeline.sharded_score import ShardRow, ShardStore, chunk_rows, merge, rank_chunks


@pytest.mark.parametrize("n", [0, 1, 63, 64, 65, 204, 1000])
@pytest.mark.parametrize("world", [1, 2, 3])
def test_chunks_cover_every_clip_once_on_the_single_process_boundaries(n: int, world: int):
    shares = [rank_chunks(n, rank, world) for rank in range(world)]
    indices = sorted(i for share in shares for span in share for i in span)
    assert indices == list(range(n))
    assert all(span.start % CHUNK == 0 and len(span) <= CHUNK for share in shares for span in share)
    sizes = [len(share) for share in shares]
    assert max(sizes) - min(sizes) <= 1
    assert [s.start for s in rank_chunks(n, 1, 2)] == list(range(CHUNK, n, 2 * CHUNK))  # strided by chunk


def clips(n: int, folder: Path = Path("/data")) -> list[Clip]:
    return [Clip(path=folder / f"section_00_{i:04d}.wav", machine="fan", section="00") for i in range(n)]


def test_partials_round_trip_scores_exactly_and_skip_torn_lines(tmp_path: Path):
    store = ShardStore(tmp_path)
    assert store.prepare({"job": 1}) is False
    store.open_rank(1)
    rows = [ShardRow("/d/a,b.wav", "fan", "00", 0.1 + 0.2, False, ""),  # a comma in a path, a float that
            ShardRow("/d/c.wav", "fan", "00", None, False, "cannot decode"),  # needs all 17 digits
            ShardRow("/d/e.wav", "fan", "00", -1e-300, True, "silent")]
    store.record(1, rows)
    with open(store.partial(1), "a") as fh:  # a crash mid-append: a torn row and a torn manifest line
        fh.write('"/d/x.wav",fan,00,0.5')
    with open(store.manifest(1), "a") as fh:
        fh.write('"/d/x.w')
    assert store.done_paths() == {r.path for r in rows}
    assert store.rows() == {r.path: r for r in rows}
    store.open_rank(1)  # the rerun trims the torn lines before appending
    assert store.partial(1).read_text().endswith("silent\n")
    assert store.manifest(1).read_text().endswith('"/d/e.wav"\n')


def test_the_same_job_resumes_and_a_different_one_starts_afresh(tmp_path: Path):
    store = ShardStore(tmp_path)
    store.prepare({"clips": "abc"})
    store.open_rank(0)
    store.record(0, [ShardRow("/d/a.wav", "fan", "00", 1.0, False, "")])
    assert store.prepare({"clips": "abc"}) is True and store.done_paths() == {"/d/a.wav"}
    assert store.prepare({"clips": "abd"}) is False and store.done_paths() == set()


def test_merge_restores_the_single_process_order_and_summary(tmp_path: Path):
    every = clips(5)
    store = ShardStore(tmp_path)
    store.prepare({})
    for rank, part in ((1, [every[3], every[4]]), (0, every[:3])):  # recorded out of order
        store.open_rank(rank)
        summary = LoadSummary(skipped=[Problem(part[0].path, "bad")], flagged=[Problem(part[-1].path, "silent")])
        done = part[1:]
        store.record(rank, chunk_rows(part, done, [float(i) for i in range(len(done))], summary))
    done, scores, summary = merge(every, store)
    assert done == [every[1], every[2], every[4]] and scores == [0.0, 1.0, 0.0]
    assert [p.path for p in summary.skipped] == [every[0].path, every[3].path]
    assert [(p.path, p.reason) for p in summary.flagged] == [(every[2].path, "silent"), (every[4].path, "silent")]
    assert summary.loaded == 3
    with pytest.raises(InputError, match=r"no result for 1 clip\(s\)"):
        merge([*every, *clips(1, Path("/other"))], store)


def test_transductive_cannot_be_sharded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("WORLD_SIZE", "2")
    result = CliRunner().invoke(cli, ["-q", "score", str(tmp_path), "--model", str(tmp_path), "--transductive"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: --transductive links all scored clips together") \
        and len(result.stderr.splitlines()) == 1


def test_world_size_without_torchrun_is_one_clear_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    for name in ("RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WORLD_SIZE", "2")
    result = CliRunner().invoke(cli, ["-q", "score", str(tmp_path), "--model", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr == "error: environment variable RANK is not set: launch with torchrun " \
                            "(torchrun --nproc-per-node N -m asdkit ...)\n"


def test_python_dash_m_asdkit_is_the_asdkit_command():
    done = subprocess.run([sys.executable, "-m", "asdkit", "score", "--help"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and "Usage: asdkit score" in done.stdout
