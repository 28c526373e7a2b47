"""``asdkit fuse``: one ensemble score from several fitted and scored RUNs."""
from __future__ import annotations

from pathlib import Path

import click

from .app import err


@click.command("fuse")
@click.argument("runs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), required=True,
              help="Folder for the fused official CSVs (and metrics.json when labels are known).")
@click.option("--weight", "weights", type=float, multiple=True,
              help="Weight of each RUN, in order (repeat once per RUN; default: equal).")
@click.option("--false-alarm-rate", type=float, default=0.1, show_default=True,
              help="Share of normal clips the fused threshold may flag (gamma rule on fused held-out scores).")
@click.option("--no-eval", is_flag=True, help="Write the CSVs only, even when labels are known.")
def command(runs: tuple[Path, ...], out_dir: Path, weights: tuple[float, ...], false_alarm_rate: float,
            no_eval: bool) -> None:
    """Fuse the scores of several RUNs (fitted, then scored on the same clips).

    Each RUN's score of a clip is z-normalised by that RUN's held-out scores of
    normal training clips of the same machine type and section, then the RUNs are
    averaged (weighted with --weight). The threshold is the gamma rule on the fused
    held-out training scores.

    \b
    Example:
      asdkit fuse run_gnn/ run_logmel/ -o fused/
      asdkit fuse run_a/ run_b/ --weight 2 --weight 1 -o fused/
    """
    from ..pipeline import run_fuse

    result = run_fuse(list(runs), out_dir, weights=list(weights) or None, false_alarm_rate=false_alarm_rate,
                      evaluate=not no_eval)
    err.print(f"fused {len(runs)} run(s) over {len(result.thresholds)} machine/section(s); CSVs in {out_dir}")
    if result.evaluation is not None:
        from .evaluate import print_evaluation

        print_evaluation(result.evaluation, "fused: DCASE 2024 metrics")
