"""Fitted default models (log-mel statistics + K-means: no training, seconds to fit)
shared by the service tests; the official CSVs of ``asdkit score`` for comparison."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from tests.pipeline.pipeline_helpers import ok


def _fitted(data: Path, run: Path) -> Path:
    ok("extract", str(data), "-o", str(run))
    ok("fit", str(run))
    return run


@pytest.fixture(scope="session")
def serve_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from asdkit.synth import SynthConfig, generate

    out = tmp_path_factory.mktemp("serve") / "data"
    generate(out, SynthConfig(machines=("fan", "valve"), train_source=10, train_target=2,
                              test_clips=3, seconds=2.0, seed=7))
    return out


@pytest.fixture(scope="session")
def serve_run(serve_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default model of two machine types, scored by ``asdkit score`` (RUN/scores)."""
    run = _fitted(serve_data, tmp_path_factory.mktemp("serve") / "run")
    ok("score", str(serve_data), "--model", str(run))
    return run


@pytest.fixture(scope="session")
def single_machine_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from asdkit.synth import SynthConfig, generate

    data = tmp_path_factory.mktemp("serve") / "fan_only"
    generate(data, SynthConfig(machines=("fan",), train_source=8, train_target=2, test_clips=1,
                               seconds=2.0, seed=8))
    return _fitted(data, tmp_path_factory.mktemp("serve") / "fan_run")


@pytest.fixture(scope="session")
def official_scores(serve_run: Path) -> dict[tuple[str, str], float]:
    """``(machine, file name) -> score`` from the CSVs ``asdkit score`` wrote."""
    from asdkit.formats.score_files import score_file_name

    scores = {}
    for machine in ("fan", "valve"):
        path = serve_run / "scores" / score_file_name(machine, "00")
        scores.update({(machine, name): float(value) for name, value in csv.reader(path.open())})
    return scores


@pytest.fixture(scope="session")
def test_clips(serve_data: Path) -> list[tuple[str, Path]]:
    """``(machine, path)`` of every test clip."""
    return [(machine, path) for machine in ("fan", "valve")
            for path in sorted((serve_data / machine / "test").glob("*.wav"))]
