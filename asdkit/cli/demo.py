"""``asdkit demo``: the whole road on a small synthetic dataset, with the metrics table."""
from __future__ import annotations

import time
from pathlib import Path

import click

from .app import AppState, err, out, pass_state


@click.command("demo")
@click.option("-o", "--output", "workdir", type=click.Path(path_type=Path), default=Path("demo-run"),
              show_default=True, help="Folder for the synthetic data (data/) and the run (run/).")
@click.option("--epochs", type=int, default=None, help="Backbone epochs (default: the demo's).")
@click.option("--gnn", default="sage_gat", show_default=True, help="Graph network to use.")
@pass_state
def command(state: AppState, workdir: Path, epochs: int | None, gnn: str) -> None:
    """Synthesise a small dataset, then extract, fit, score and evaluate it.

    Writes data/ (DCASE 2024 layout, 4 machine types) and run/ (the paper's
    pipeline: embeddings, model, official CSVs, metrics.json) under the output
    folder and prints its DCASE metrics; then scores the same data with the default
    detector (default/) and the fusion of both (fused/), and prints the three scores.

    \b
    Example:
      asdkit demo
      asdkit --seed 3 demo -o /tmp/demo --gnn none
    """
    from ..pipeline.demo import DEMO_EPOCHS, run_demo
    from ..utils import resolve_device

    started = time.perf_counter()
    result = run_demo(workdir, seed=state.seed, device=str(resolve_device(state.device)),
                      epochs=DEMO_EPOCHS if epochs is None else epochs, gnn=gnn, progress=state.progress)
    evaluation = result.score.evaluation
    if evaluation is not None:
        from .evaluate import print_evaluation

        print_evaluation(evaluation, f"asdkit demo ({gnn}): DCASE 2024 metrics")
    scores = [(f"paper pipeline (MobileNetV2 -> {gnn} -> K-means)", result.score.evaluation),
              ("asdkit default (log-mel statistics -> K-means)", result.default.evaluation),
              ("fused (asdkit fuse of the two)", result.fused.evaluation)]
    for label, ev in scores:
        if ev is not None:
            out.print(f"official score, {label}: {ev.official_score:.4f}")
    err.print(f"demo finished in {time.perf_counter() - started:.0f} s; run folder: {result.run}")
