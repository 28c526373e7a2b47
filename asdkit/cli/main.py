"""The ``asdkit`` command group. Commands live one per module and load lazily.

Example:
    asdkit -v --seed 1 demo
"""
from __future__ import annotations

import importlib

import click

from .._version import __version__
from .app import AppState, guarded, route_python_warnings

#: command name -> "module:attribute"; a module is imported only when its command runs.
COMMANDS: dict[str, str] = {
    "plugins": "asdkit.cli.plugins:command",
    "extract": "asdkit.cli.extract:command",
    "fit": "asdkit.cli.fit:command",
    "score": "asdkit.cli.score:command",
    "fuse": "asdkit.cli.fuse:command",
    "demo": "asdkit.cli.demo:command",
    "info": "asdkit.cli.info:command",
    "synth": "asdkit.cli.synth:command",
    "evaluate": "asdkit.cli.evaluate:command",
    "report": "asdkit.cli.report:command",
    "serve": "asdkit.cli.serve:command",
    "monitor": "asdkit.cli.monitor:command",
    "export": "asdkit.cli.export:command",
    "download": "asdkit.cli.download:command",
    "config": "asdkit.cli.config:command",
    "recipe": "asdkit.cli.recipe:command",
}


#: command name -> the one-line help ``asdkit --help`` lists (kept here so that listing
#: imports no command module: ``plugins`` needs torch, ``evaluate`` scipy). A test checks
#: that each line is the first line of its command's docstring.
SHORT_HELP: dict[str, str] = {
    "plugins": "List backbones, graph layers, scorers, kNN backends and losses.",
    "extract": "Train the backbone on the normal training clips and embed every clip.",
    "fit": "Fit the graph network and the per-machine scorers on an extracted RUN.",
    "score": "Score clips: higher = more anomalous; writes the official DCASE CSVs.",
    "fuse": "Fuse the scores of several RUNs (fitted, then scored on the same clips).",
    "demo": "Synthesise a small dataset, then extract, fit, score and evaluate it.",
    "info": "Count the clips of DATA by machine, split, domain and label; list problems.",
    "synth": "Write synthetic machine sounds to OUT in the DCASE 2024 layout.",
    "evaluate": "AUC (source/target), pAUC, P/R/F1 and the official DCASE score of RUN(s).",
    "report": "Metrics, ROC curves, score histograms, embedding maps, kNN-graph statistics",
    "serve": "Serve a fitted model over HTTP: POST audio, get scores and decisions.",
    "monitor": "Score a live stream window by window and alert when it turns anomalous.",
    "export": "Export a fitted model's scoring path as one ONNX graph.",
    "download": "Download a DCASE Task 2 data set, verify its checksums and unpack it.",
    "config": "Print the effective configuration a RUN was made with, as TOML.",
    "recipe": "Run a DCASE Task 2 year's protocol: train, score, evaluate, tabulate.",
}


class LazyGroup(click.Group):
    """Lists commands without importing them; routes every command through ``guarded``."""

    def list_commands(self, ctx: click.Context) -> list[str]:  # noqa: ARG002 - click's override
        return sorted(COMMANDS)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SHORT_HELP.get(name, "")) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:  # noqa: ARG002 - click's override
        target = COMMANDS.get(name)
        if target is None:
            return None
        module_name, _, attr = target.partition(":")
        return getattr(importlib.import_module(module_name), attr)

    def invoke(self, ctx: click.Context):  # noqa: ANN201 - click's signature
        return guarded(lambda: super(LazyGroup, self).invoke(ctx))


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"],
                                              "max_content_width": 100})
@click.option("-v", "--verbose", count=True, help="More output (repeat for more).")
@click.option("-q", "--quiet", is_flag=True, help="Only results and errors; no progress bars.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto",
              show_default=True, help="Where models run.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed for every random choice; same seed, same scores.")
@click.version_option(__version__, prog_name="asdkit")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool, device: str, seed: int) -> None:
    """asdkit: unsupervised anomalous sound detection of machines.

    Learns from recordings of machines running normally, then scores new
    recordings by how anomalous they sound (higher = more anomalous).

    \b
    Example (the whole road on synthetic data):
      asdkit synth data/ --small
      asdkit extract data/ -o run/
      asdkit fit run/ --gnn sage_gat
      asdkit score data/ --model run/ -o run/scores
    """
    ctx.obj = AppState(verbosity=-1 if quiet else verbose, device=device, seed=seed)
    route_python_warnings(ctx.obj)


def main() -> None:
    cli(prog_name="asdkit")


if __name__ == "__main__":  # pragma: no cover
    main()
