"""``asdkit score``: score folders, files, or paths on stdin with a fitted model."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ..formats.run_layout import RUN_CONFIG, RunLayout
from ..runconfig import config_option, save_effective
from .app import AppState, err, pass_state
from .options import bad_signal_option, finish_flags, finish_skips, on_error_options


def _read_stdin_paths() -> list[str]:
    return [line.strip() for line in sys.stdin if line.strip()]


def _save_config(run: RunLayout, out_dir: Path, default_output: bool) -> None:
    """OUT/run.toml: the model RUN's extract/fit tables and this [score]; scoring into
    RUN/scores (the default) also records [score] in RUN/run.toml, as metrics.json goes
    to the RUN then."""
    ctx = click.get_current_context()
    save_effective(ctx, out_dir / RUN_CONFIG, base=run.run_config)
    if default_output:
        save_effective(ctx, run.run_config)


@click.command("score")
@click.argument("inputs", nargs=-1, required=True)
@config_option
@click.option("--model", "model_path", type=click.Path(path_type=Path), required=True,
              help="A fitted RUN folder (or its model/ bundle).")
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path),
              help="Where the official CSVs go (default: RUN/scores).")
@click.option("--machine", help="Machine type of the inputs (default: from folder names).")
@click.option("--layout", default="auto", show_default=True, help="Layout of input folders.")
@click.option("--split", type=click.Choice(["test", "train", "all"]), default="test", show_default=True,
              help="Which clips of a dataset folder to score.")
@click.option("--transductive", is_flag=True,
              help="Also link the scored clips among themselves (scores then depend on the batch).")
@click.option("--no-eval", is_flag=True, help="Do not compute metrics even when labels are known.")
@on_error_options
@bad_signal_option
@pass_state
def command(state: AppState, inputs: tuple[str, ...], model_path: Path, out_dir: Path | None,
            machine: str | None, layout: str, split: str, transductive: bool, no_eval: bool,
            on_error: str, allow_skips: bool, on_bad_signal: str) -> None:
    """Score clips: higher = more anomalous; writes the official DCASE CSVs.

    INPUTS are dataset folders, audio files, or '-' to read paths from stdin.
    Each clip is attached to its nearest training clips (inductive: its score does
    not depend on the other clips scored), refined by the graph network and scored
    by its machine type's scorer. Writes anomaly_score_<machine>_section_<NN>_test.csv
    and decision_result_*.csv; prints the metrics table when labels are known.
    Silent, constant, clipped or too short clips are refused, or scored as
    anomalous and listed with --on-bad-signal flag (README, "Bad signals").
    Every option can come from a TOML file's [score] table (--config); the options in
    effect go to OUT/run.toml, with the model RUN's extract and fit tables.

    \b
    Example:
      asdkit score data/ --model run/ -o run/scores
      asdkit score clip.wav --model run/ --machine fan
      find new/ -name '*.wav' | asdkit score - --model run/ --machine fan -o out/
    """
    from .. import distributed
    from ..pipeline import run_score
    from ..utils import resolve_device

    paths = [p for item in inputs for p in (_read_stdin_paths() if item == "-" else [item])]
    if not paths:
        raise click.UsageError("no input paths given (stdin was empty)")
    run = RunLayout.of_model(model_path)
    target = out_dir or run.scores
    metrics_path = run.metrics if out_dir is None else None
    options: dict[str, Any] = dict(
        machine=machine, layout=layout, split=split, transductive=transductive, on_error=on_error,
        on_bad_signal=on_bad_signal, device=str(resolve_device(state.device)), evaluate=not no_eval,
        metrics_path=metrics_path, progress=state.progress)
    if distributed.launched():  # under torchrun: this rank's share, merged by rank 0
        from ..pipeline.sharded_score import run_sharded_score
        from .ranks import one_line_from_rank0

        with one_line_from_rank0():
            sharded = run_sharded_score(paths, model_path, target, **options)
        if sharded is None:  # not rank 0: its share is in the merged CSVs
            return
        result = sharded
    else:
        result = run_score(paths, model_path, target, **options)
    _save_config(run, Path(result.out_dir), default_output=out_dir is None)
    per_file = len(paths) == len(result.scores) and all(Path(p).is_file() for p in paths) and len(paths) <= 20
    if per_file:
        for path, score in result.scores.items():
            click.echo(f"{path}\t{score:.6f}")  # plain tab-separated, for scripts
    err.print(f"scored {result.n_scored} clip(s); CSVs in {result.out_dir}")
    if result.left_out:
        err.print(f"[yellow]left out {len(result.left_out)} file(s) or folder(s) while scanning:[/]")
        for item in result.left_out:
            err.print(f"  {item}", markup=False, highlight=False)
    if result.evaluation is not None and per_file and result.evaluation.official_score is None:
        err.print("metrics: no AUC is defined for these clips (metrics.json has what is)")
    elif result.evaluation is not None:
        from .evaluate import print_evaluation

        print_evaluation(result.evaluation, f"{run.root.name}: DCASE 2024 metrics")
    finish_flags(result.skipped)
    finish_skips(result.skipped, allow_skips)
