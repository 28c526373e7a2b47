"""A tiny synthetic set (4 scoring chunks), a default (log-mel statistics) model, and
a helper that launches ``asdkit`` under a real ``torchrun`` (torch.distributed.run)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

#: Every process single-threaded: the single-process reference and the ranks then run
#: the same float reductions (and the 2-core CI machine is not oversubscribed).
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "ASDKIT_DEBUG": ""}
LAUNCH_TIMEOUT_S = 120


def free_port() -> int:
    """A TCP port nobody listens on now, for torchrun's --master-port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def asdkit(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``python -m asdkit -q --device cpu ARGS`` in one process."""
    return subprocess.run([sys.executable, "-m", "asdkit", "-q", "--device", "cpu", *args], cwd=cwd,
                          env=env or ENV, capture_output=True, text=True, timeout=LAUNCH_TIMEOUT_S)


def torchrun(*args: str, cwd: Path, nproc: int = 2, env: dict[str, str] | None = None,
             module: str | None = "asdkit") -> subprocess.CompletedProcess:
    """``python -m torch.distributed.run --nproc-per-node N --master-port P -m asdkit ARGS``
    (or a script: ``module=None`` and the script as the first of ``args``)."""
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(nproc),
                "--master-addr", "127.0.0.1", "--master-port", str(free_port())]
    target = ["-m", module, "-q", "--device", "cpu"] if module else []
    return subprocess.run([*launcher, *target, *args], cwd=cwd, env=env or ENV, capture_output=True, text=True,
                          timeout=LAUNCH_TIMEOUT_S)


def official_files(folder: Path) -> dict[str, bytes]:
    """Every file ``score`` writes into OUT (its shard folder aside), by name."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="session")
def shard_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 machine types x 68 test clips of 1 s: 204 clips, 4 chunks of at most 64."""
    from asdkit.synth import SynthConfig, generate

    out = tmp_path_factory.mktemp("sharded") / "data"
    generate(out, SynthConfig(machines=("fan", "valve", "pump"), train_source=10, train_target=2,
                              test_clips=17, seconds=1.0, seed=11))
    return out


@pytest.fixture(scope="session")
def shard_model(shard_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default detector (log-mel statistics, no graph network), extracted and fitted."""
    run = tmp_path_factory.mktemp("sharded") / "run"
    for args in (("extract", str(shard_data), "-o", str(run)), ("fit", str(run))):
        done = asdkit(*args, cwd=run.parent)
        assert done.returncode == 0, done.stderr
    return run


@pytest.fixture(scope="session")
def single_process(shard_data: Path, shard_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference: one plain process's OUT (scored into ``out`` relative to its cwd, as
    the sharded runs are, so that paths recorded in metrics.json read the same)."""
    cwd = tmp_path_factory.mktemp("single")
    done = asdkit("score", str(shard_data), "--model", str(shard_model), "-o", "out", cwd=cwd)
    assert done.returncode == 0, done.stderr
    return cwd / "out"
