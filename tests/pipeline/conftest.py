"""A tiny synthetic dataset and one extracted + fitted RUN, shared by the pipeline tests."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.pipeline.pipeline_helpers import EXTRACT_ARGS, FIT_ARGS, ok, synth_data


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth_data(tmp_path_factory.mktemp("pipeline") / "data")


@pytest.fixture(scope="session")
def extracted_run(tiny_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("pipeline") / "run"
    ok("extract", str(tiny_data), "-o", str(run), *EXTRACT_ARGS)
    return run


@pytest.fixture(scope="session")
def fitted_run(extracted_run: Path, tiny_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("pipeline") / "fitted"
    shutil.copytree(extracted_run, run)
    ok("fit", str(run), *FIT_ARGS)
    ok("score", str(tiny_data), "--model", str(run))
    return run


@pytest.fixture
def run_copy(extracted_run: Path, tmp_path: Path) -> Path:
    """A private copy of the extracted RUN that a test may fit or damage."""
    target = tmp_path / "run"
    shutil.copytree(extracted_run, target)
    return target
