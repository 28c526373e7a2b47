"""Fixtures: a small scores folder with two machines."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.metrics.metrics_helpers import make_section, write_rows


@pytest.fixture
def scores_dir(tmp_path: Path) -> Path:
    """Two machines, one section each, with decisions at score > 0.5."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "scores"
    folder.mkdir()
    for machine, shift in (("fan", 1.5), ("valve", 0.5)):
        rows = make_section(rng, shift=shift)
        write_rows(folder / f"anomaly_score_{machine}_section_00_test.csv", [(n, s) for n, s, _ in rows])
        write_rows(folder / f"decision_result_{machine}_section_00_test.csv",
                   [(n, int(s > 0.5)) for n, s, _ in rows])
    return folder
