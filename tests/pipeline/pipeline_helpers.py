"""CLI invocation helpers shared by the pipeline tests."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from asdkit.cli.main import cli

# The paper's pipeline (the defaults are the log-mel statistics detector).
EXTRACT_ARGS = ["--backbone", "mobilenetv2", "--epochs", "2", "--batch-size", "8", "--crop-frames", "32",
                "--backbone-opt", "width_mult=0.25", "--backbone-opt", "embedding_dim=32"]
FIT_ARGS = ["--gnn", "sage_gat", "--epochs", "15", "-k", "4", "--graph-dim", "32", "--head-dim", "16"]


def invoke(*args: str, input: str | None = None):
    result = CliRunner().invoke(cli, ["-q", "--device", "cpu", *args], input=input)
    return result


def ok(*args: str, input: str | None = None):
    result = invoke(*args, input=input)
    assert result.exit_code == 0, f"{args}: {result.output}\n{result.stderr}"
    return result


#: The tiny synthetic set most pipeline tests use (3 types, 10 + 2 training clips, 2 s).
TINY_SYNTH = dict(machines=("fan", "valve", "pump"), train_source=10, train_target=2, test_clips=3,
                  seconds=2.0, seed=5)


def synth_data(folder: Path, **config) -> Path:
    """A synthetic DCASE 2024-layout data set at ``folder`` (``TINY_SYNTH`` unless overridden)."""
    from asdkit.synth import SynthConfig, generate

    generate(folder, SynthConfig(**{**TINY_SYNTH, **config}))
    return folder


def default_model(data: Path, run: Path) -> Path:
    """The default detector (log-mel statistics, K-means) extracted and fitted on ``data``."""
    ok("extract", str(data), "-o", str(run))
    ok("fit", str(run))
    return run
