"""``asdkit recipe``: a DCASE year's protocol, from data to the challenge's table, in one command."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import click

from .app import AppState, err, out, pass_state


def _in_process_cli(state: AppState) -> Callable[[Sequence[str]], None]:
    """Run an asdkit command in this process with the recipe's global options."""
    from .main import cli

    globals_ = ["--seed", str(state.seed), "--device", state.device] + (["-q"] if state.verbosity < 0 else [])

    def run(args: Sequence[str]) -> None:
        cli.main(args=[*globals_, *args], prog_name="asdkit", standalone_mode=False)

    return run


@click.command("recipe")
@click.argument("year")
@click.option("--data", "data", type=click.Path(path_type=Path), required=True,
              help="Folder holding the sets as 'asdkit download' lays them out (dcase2024-dev, -add, -eval).")
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), required=True,
              help="Results folder (dev/ and eval/ inside).")
@click.option("--config", "config", type=click.Path(path_type=Path, dir_okay=False),
              help="A run config (TOML) passed to every extract, fit and score of the recipe.")
@pass_state
def command(state: AppState, year: str, data: Path, out_dir: Path, config: Path | None) -> None:
    """Run a DCASE Task 2 year's protocol: train, score, evaluate, tabulate.

    YEAR is dcase2020 ... dcase2024. Trains on the development set's training clips,
    scores its test clips and evaluates them with that year's official score; where
    the evaluation set and its ground truth are present, trains on the development and
    additional training clips and scores the evaluation set too. Writes the RUN
    folders, the challenge-style results table (Markdown and CSV) and the report.

    \b
    Example:
      asdkit download dcase2024-dev data/ && asdkit recipe dcase2024 --data data/ -o results/
      asdkit recipe dcase2023 --data data/ -o results/ --config gnn.toml
    """
    from ..recipes.run import run_recipe

    result = run_recipe(year, data, out_dir, _in_process_cli(state), config, state.progress)
    for label, stage in (("development", result.dev), ("evaluation", result.eval)):
        if stage is None:
            continue
        out.print(stage.table.read_text(encoding="utf-8"), markup=False, highlight=False)
        score = "undefined" if stage.official_score is None else f"{stage.official_score:.4f}"
        err.print(f"{result.protocol.name} {label}: official score {score}; results in {stage.folder}")
    for note in result.notes:
        err.print(note)
