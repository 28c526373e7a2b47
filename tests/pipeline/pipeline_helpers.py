"""CLI invocation helpers shared by the pipeline tests."""
from __future__ import annotations

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
