"""``asdkit score`` under a real torchrun launch (2 CPU processes, gloo): the same bytes as
one process, resumable after a killed rank, one clear line when ranks disagree."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.distributed.conftest import ENV, official_files, torchrun

pytestmark = pytest.mark.slow

OFFICIAL = ("anomaly_score_fan_section_00_test.csv", "decision_result_valve_section_00_test.csv",
            "thresholds.json", "scored_clips.csv", "metrics.json")


def manifest_lines(out: Path) -> dict[str, list[str]]:
    """Each rank's manifest (OUT/.shards/rank-R.done), as its list of paths."""
    return {p.name: [json.loads(line) for line in p.read_text().splitlines()]
            for p in sorted((out / ".shards").glob("rank-*.done"))}


def test_two_ranks_write_the_bytes_of_one_process(shard_data: Path, shard_model: Path, single_process: Path,
                                                  tmp_path: Path):
    done = torchrun("score", str(shard_data), "--model", str(shard_model), "-o", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    sharded = official_files(tmp_path / "out")
    reference = official_files(single_process)
    assert set(OFFICIAL) <= set(reference)
    assert sorted(sharded) == sorted(reference)
    for name, data in reference.items():
        assert sharded[name] == data, name
    lines = manifest_lines(tmp_path / "out")
    assert sorted(lines) == ["rank-0.done", "rank-1.done"]
    assert [len(v) for v in lines.values()] == [128, 76]  # chunks 0, 2 and 1, 3 of 64, 64, 64, 12 clips


def test_killed_rank_fails_the_job_then_a_rerun_scores_only_what_is_missing(
        shard_data: Path, shard_model: Path, single_process: Path, tmp_path: Path):
    args = ("score", str(shard_data), "--model", str(shard_model), "-o", "out")
    crashed = torchrun(*args, cwd=tmp_path, env={**ENV, "ASDKIT_TEST_FAIL_AFTER_CHUNKS": "1"})
    assert crashed.returncode != 0
    assert "ASDKIT_TEST_FAIL_AFTER_CHUNKS: rank 1 stops after 1\n" in crashed.stdout
    out = tmp_path / "out"
    assert official_files(out) == {}  # no official file at all, whole or half-written
    first = manifest_lines(out)
    assert len(first["rank-1.done"]) == 64  # its first chunk, recorded before it died
    done_before = {p for paths in first.values() for p in paths}
    all_clips = {str(p) for p in shard_data.glob("*/test/*.wav")}
    assert done_before < all_clips

    rerun = torchrun(*args, cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    second = manifest_lines(out)
    new = [p for name, paths in second.items() for p in paths[len(first.get(name, [])):]]
    assert len(new) == len(set(new))
    assert set(new) == all_clips - done_before  # only the missing clips were scored
    assert official_files(out) == official_files(single_process)


def test_ranks_that_disagree_on_the_inputs_fail_with_one_line(shard_data: Path, shard_model: Path, tmp_path: Path):
    fewer = tmp_path / "fewer"
    shutil.copytree(shard_data, fewer)
    sorted((fewer / "fan" / "test").glob("*.wav"))[0].unlink()
    script = tmp_path / "per_rank.py"  # as two nodes that see different files
    script.write_text(
        "import json, os, sys\n"
        "from asdkit.cli.main import main\n"
        "sys.argv = ['asdkit', *json.loads(os.environ['ARGS_' + os.environ['RANK']])]\n"
        "main()\n")
    common = ["-q", "--device", "cpu", "score", "--model", str(shard_model), "-o", "out"]
    env = {**ENV, "ARGS_0": json.dumps([*common, str(shard_data)]), "ARGS_1": json.dumps([*common, str(fewer)])}
    done = torchrun(str(script), cwd=tmp_path, env=env, module=None)
    assert done.returncode != 0
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    assert errors[0].startswith("error: ranks disagree on the inputs (rank 0: 204 clip(s), digest ")
    assert "rank 1: 203 clip(s)" in errors[0] and "same files at the same paths" in errors[0]
    assert not (tmp_path / "out").exists()  # checked before anything is written
