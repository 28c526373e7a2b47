"""Fitted models for the export tests: the pipeline tests' synthetic data and paper-pipeline
RUN, a default model (log-mel statistics + K-means) on the same data, and a default model
fitted on the real recordings of ``real-mini`` (skipped where the shared data is absent)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.pipeline.conftest import extracted_run, fitted_run, tiny_data  # noqa: F401 - shared fixtures
from tests.pipeline.pipeline_helpers import ok

REAL_MINI = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "real-mini" / "dcase2020"


@pytest.fixture(scope="session")
def default_run(tiny_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    """The default model, scored on the synthetic test clips (RUN/scores)."""
    run = tmp_path_factory.mktemp("export") / "default"
    ok("extract", str(tiny_data), "-o", str(run))
    ok("fit", str(run))
    ok("score", str(tiny_data), "--model", str(run))
    return run


@pytest.fixture(scope="session")
def knn_zscore_run(default_run: Path, tiny_data: Path,  # noqa: F811
                   tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The knn scorer (domain banks, standardised) with held-out normalised scores."""
    run = tmp_path_factory.mktemp("export") / "knn"
    shutil.copytree(default_run, run, ignore=shutil.ignore_patterns("model", "scores", "*.onnx"))
    ok("fit", str(run), "--scorer", "knn", "--scorer-opt", "k=3", "--scorer-opt", "standardize=true",
       "--normalize-scores")
    ok("score", str(tiny_data), "--model", str(run))
    return run


@pytest.fixture(scope="session")
def real_data() -> Path:
    if not REAL_MINI.is_dir():
        pytest.skip(f"{REAL_MINI}: the shared real recordings are not here")
    return REAL_MINI.resolve()


@pytest.fixture(scope="session")
def real_run(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default model fitted on real-mini's own training clips, scored on its test clips."""
    run = tmp_path_factory.mktemp("export") / "real"
    ok("extract", str(real_data), "-o", str(run))
    ok("fit", str(run))
    ok("score", str(real_data), "--model", str(run))
    return run
