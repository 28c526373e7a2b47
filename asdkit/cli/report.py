"""``asdkit report``: one self-contained HTML page about a RUN folder."""
from __future__ import annotations

from pathlib import Path

import click

from ..utils import atomic_write_text
from .app import err, out


@click.command("report")
@click.argument("run", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="HTML file to write (default: RUN/report.html).")
@click.option("--map", "embedding_method", type=click.Choice(["auto", "PCA", "t-SNE"]), default="auto",
              show_default=True, help="2-D projection of the embeddings (auto: t-SNE up to 1500 clips).")
def command(run: Path, output: Path | None, embedding_method: str) -> None:
    """Metrics, ROC curves, score histograms, embedding maps, kNN-graph statistics and
    training curves of RUN, as one HTML file with images embedded.

    Every artifact is optional: the report shows what the RUN holds and lists what it lacks.

    \b
    Example:
      asdkit report run/ -o report.html
    """
    from ..report import load_run, render_report_and_notes

    artifacts = load_run(run)
    target = output or run / "report.html"
    html, missing = render_report_and_notes(artifacts, embedding_method)
    atomic_write_text(target, html)
    for line in missing:
        err.print(f"[yellow]not in run:[/] {line}")
    out.print(str(target))
