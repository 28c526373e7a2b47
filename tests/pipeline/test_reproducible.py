"""A seed gives the same scores on machines of this kind: CPU numerics pinned at AVX2
at ``import asdkit``, and nothing else of the process (hash seed, paths, working
folder) reaching the results."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from asdkit.numerics import OPT_OUT, PINNED, cpu_has_avx2
from tests.pipeline.pipeline_helpers import EXTRACT_ARGS, FIT_ARGS

_PROBE = ("import json, os, asdkit, torch; print(json.dumps({'env': {k: os.environ.get(k) for k in %r}, "
          "'isa': torch.backends.cpu.get_cpu_capability()}))" % sorted(PINNED))


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PINNED and k != OPT_OUT}
    return {**env, **extra}


def _probe(env: dict[str, str]) -> dict:
    proc = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


@pytest.mark.skipif(not cpu_has_avx2(), reason="pins apply to x86-64 CPUs with AVX2 only")
def test_import_pins_the_cpu_numerics_and_the_user_wins():
    pinned = _probe(_clean_env())
    assert pinned["env"] == PINNED and pinned["isa"] == "AVX2"
    own = _probe(_clean_env(MKL_CBWR="COMPATIBLE"))
    assert own["env"]["MKL_CBWR"] == "COMPATIBLE" and own["env"]["ATEN_CPU_CAPABILITY"] == "avx2"
    fast = _probe(_clean_env(**{OPT_OUT: "1"}))
    assert all(value is None for value in fast["env"].values())


def _seeded_run(data: Path, run: Path, cwd: Path, hash_seed: str) -> bytes:
    env = _clean_env(PYTHONHASHSEED=hash_seed)
    cli = [sys.executable, "-c", "from asdkit.cli.main import main; main()", "-q", "--device", "cpu", "--seed", "3"]
    for args in (["extract", str(data), "-o", str(run), *EXTRACT_ARGS], ["fit", str(run), *FIT_ARGS],
                 ["score", str(data), "--model", str(run)]):
        subprocess.run(cli + args, cwd=cwd, env=env, check=True, capture_output=True)
    return b"".join(p.read_bytes() for p in sorted((run / "scores").glob("anomaly_score_*.csv")))


@pytest.mark.slow
def test_seeded_pipeline_is_identical_across_processes_paths_and_hash_seeds(tiny_data, tmp_path):
    elsewhere = tmp_path / "moved" / "data"
    shutil.copytree(tiny_data, elsewhere)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = _seeded_run(tiny_data, tmp_path / "a" / "run", tmp_path / "a", "1")
    second = _seeded_run(elsewhere, tmp_path / "b" / "run", tmp_path / "b", "2")
    assert first and first == second
    numerics = json.loads((tmp_path / "a" / "run" / "config.json").read_text())["numerics"]
    assert numerics["torch_threads"] and set(PINNED) <= set(numerics)
