"""``asdkit config``: print the run.toml a RUN (or a scores folder) was made with."""
from __future__ import annotations

from pathlib import Path

import click

from ..errors import InputError
from ..formats.run_layout import RUN_CONFIG, RunLayout


def run_config_path(path: Path) -> Path:
    """``path`` itself when it is a file, else its run.toml; ``RUN/model`` means its RUN."""
    if path.is_file():
        return path
    if not path.is_dir():
        raise InputError(f"{path}: no such RUN folder")
    candidate = path / RUN_CONFIG
    if not candidate.is_file():
        candidate = RunLayout.of_model(path).run_config
    if not candidate.is_file():
        raise InputError(f"{path}: no {RUN_CONFIG} (written by extract, fit and score; "
                         "a RUN made before asdkit saved run configs has only config.json)")
    return candidate


@click.command("config")
@click.argument("run_dir", metavar="RUN", type=click.Path(path_type=Path))
def command(run_dir: Path) -> None:
    """Print the effective configuration a RUN was made with, as TOML.

    RUN/run.toml holds every option of extract and fit (and of score, when it
    scored into RUN/scores) as it was in effect, after --config and flags, with the
    global seed and device. A scores folder (score -o OUT) has its own, with the
    model's extract and fit tables. Feed it back with --config to redo the run.

    \b
    Example:
      asdkit config run/
      asdkit config run/ > published.toml
      asdkit extract data/ -o run2/ --config published.toml && asdkit fit run2/ --config published.toml
    """
    from ..runconfig import read_toml

    path = run_config_path(run_dir)
    read_toml(path)  # a damaged file is an error, not output
    click.echo(path.read_text(encoding="utf-8"), nl=False)
