"""The whole road on synthetic data: synth -> extract -> fit -> score -> metrics.

Two models on the same data, then their fusion: the paper's pipeline (MobileNetV2 ->
SAGE-GAT -> K-means, in ``workdir/run``), asdkit's default detector (log-mel
statistics -> K-means, nothing trained, in ``workdir/default``), and ``asdkit fuse`` of
the two (``workdir/fused``). Sized to finish in a few minutes on two CPU cores
(``asdkit demo``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..formats.run_layout import RunLayout
from ..progress import Progress, ensure
from ..utils import output_folder
from .extract import ExtractResult, run_extract
from .fit import FitResult, run_fit
from .fuse import FuseResult, run_fuse
from .score import ScoreResult, run_score
from .settings import ExtractSettings, FitSettings

#: Demo settings: a narrower MobileNetV2 and fewer epochs than the full defaults.
DEMO_BACKBONE = {"width_mult": 0.5}
DEMO_EPOCHS = 30
DEMO_GNN_EPOCHS = 60


@dataclass
class DemoResult:
    data: Path
    run: Path
    extract: ExtractResult
    fit: FitResult
    score: ScoreResult
    default: ScoreResult  # the default settings' detector on the same data
    fused: FuseResult


def run_demo(workdir: str | Path, *, seed: int = 0, device: str = "auto", epochs: int = DEMO_EPOCHS,
             gnn: str = "sage_gat", synth_overrides: dict[str, Any] | None = None,
             progress: Progress | None = None) -> DemoResult:
    """Generate a small synthetic dataset in ``workdir/data`` and run every stage into ``workdir/run``."""
    from ..synth import SynthConfig, generate_once

    progress = ensure(progress)
    workdir = output_folder(workdir)
    data, run = workdir / "data", workdir / "run"
    config = SynthConfig.small(seed=seed, **(synth_overrides or {}))
    generate_once(data, config, progress)
    extract = run_extract(data, run, ExtractSettings(
        backbone="mobilenetv2", backbone_options=dict(DEMO_BACKBONE), epochs=epochs, seed=seed, device=device),
        progress)
    fit = run_fit(run, FitSettings(gnn=gnn, epochs=DEMO_GNN_EPOCHS, seed=seed, device=device), progress)
    score = run_score([data], run, RunLayout(run).scores, device=device, metrics_path=RunLayout(run).metrics,
                      progress=progress)
    default = workdir / "default"
    run_extract(data, default, ExtractSettings(seed=seed, device=device), progress, cache_dir=run / "cache")
    run_fit(default, FitSettings(seed=seed, device=device), progress)
    default_score = run_score([data], default, RunLayout(default).scores, device=device,
                              metrics_path=RunLayout(default).metrics, progress=progress)
    fused = run_fuse([run, default], workdir / "fused")
    assert extract is not None and fit is not None  # one process (no torchrun group): always a result
    return DemoResult(data, run, extract, fit, score, default_score, fused)
