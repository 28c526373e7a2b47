"""``asdkit export``: a fitted model's scoring path as one portable graph (ONNX)."""
from __future__ import annotations

from pathlib import Path

import click

from .app import err, out


@click.command("export")
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--format", "fmt", default="onnx", show_default=True,
              help="Export format (onnx is the only one for now).")
@click.option("-o", "--output", "output", type=click.Path(path_type=Path),
              help="The file to write (default: RUN/model.onnx).")
@click.option("--opset", type=int, default=17, show_default=True, help="ONNX opset (>= 17).")
@click.option("--no-check", is_flag=True,
              help="Do not run the exported graph under onnxruntime against the model before writing it.")
def command(run: Path, fmt: str, output: Path | None, opset: int, no_check: bool) -> None:
    """Export a fitted model's scoring path as one ONNX graph.

    The graph takes mono waveforms at the model's sample rate and a section index, and
    returns the anomaly score, the decision and the threshold, computed as 'asdkit score'
    computes them: log-mel, backbone, attach to the k nearest training clips and graph
    network (where the model has one), the machine's scorer (kmeans or knn) and the
    held-out normalisation. Machines, section keys, thresholds, sample rate, clip length
    and the bundle checksum are in the model's metadata (README, "Export to ONNX").
    Decoding, resampling and the signal checks stay outside the graph.

    \b
    Example:
      asdkit export run/ --format onnx -o model.onnx
    """
    from ..export.onnx import check_format, export_onnx

    check_format(fmt)
    target = output or Path(run) / f"model.{fmt}"
    result = export_onnx(run, target, opset=opset, check=not no_check)
    out.print(str(result.path), markup=False, highlight=False)
    err.print(f"exported {result.summary()}", markup=False, highlight=False)
    for note in result.notes:
        err.print(f"[yellow]warning:[/] {note}", highlight=False)
