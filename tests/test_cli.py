"""The CLI group: help with examples, global options, errors -> one line and exit codes."""
from __future__ import annotations

import sys
import textwrap

import pytest
from click.testing import CliRunner

from asdkit.cli import main as cli_main
from asdkit.cli.main import COMMANDS, cli

FAILING_MODULE = textwrap.dedent('''
    import click
    from asdkit.errors import InputError
    from asdkit.cli.app import pass_state

    @click.command("explode")
    @click.argument("what")
    @pass_state
    def command(state, what):
        """Fail on purpose.

        Example: asdkit explode user
        """
        if what == "user":
            raise InputError("clip.wav: file is empty (0 bytes)")
        if what == "bug":
            raise RuntimeError("something deep\\nsecond line")
        click.echo(f"device={state.device} seed={state.seed} verbosity={state.verbosity}")
''')


@pytest.fixture
def explode(tmp_path, monkeypatch):
    (tmp_path / "explode_cmd.py").write_text(FAILING_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(COMMANDS, "explode", "explode_cmd:command")
    monkeypatch.delenv("ASDKIT_DEBUG", raising=False)
    return CliRunner()


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help_with_an_example(name):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output and f"asdkit {name}" in result.output


def test_group_help_lists_commands_and_global_options():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for word in ("--device", "--seed", "-v", "-q", "plugins"):
        assert word in result.output


def test_user_error_is_one_line_exit_1(explode):
    result = explode.invoke(cli, ["explode", "user"])
    assert result.exit_code == 1
    assert result.stderr == "error: clip.wav: file is empty (0 bytes)\n"
    assert "Traceback" not in result.output


def test_internal_error_is_one_line_without_traceback(explode):
    result = explode.invoke(cli, ["explode", "bug"])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "internal error: RuntimeError: something deep" in result.stderr
    assert "ASDKIT_DEBUG=1" in result.stderr


def test_debug_shows_the_exception(explode, monkeypatch):
    monkeypatch.setenv("ASDKIT_DEBUG", "1")
    result = explode.invoke(cli, ["explode", "bug"])
    assert result.exit_code == 1 and isinstance(result.exception, RuntimeError)


def test_usage_error_exits_2(explode):
    assert explode.invoke(cli, ["explode"]).exit_code == 2
    assert explode.invoke(cli, ["no-such-command"]).exit_code == 2
    assert explode.invoke(cli, ["--device", "tpu", "plugins"]).exit_code == 2


def test_global_options_reach_commands(explode):
    result = explode.invoke(cli, ["-q", "--device", "cpu", "--seed", "7", "explode", "ok"])
    assert result.exit_code == 0
    assert result.output.strip() == "device=cpu seed=7 verbosity=-1"
    result = explode.invoke(cli, ["-vv", "explode", "ok"])
    assert "verbosity=2" in result.output


def test_console_script_entry_point_runs(tmp_path):
    import subprocess

    proc = subprocess.run([sys.executable, "-c", "from asdkit.cli.main import main; main()", "--version"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "asdkit, version" in proc.stdout


def test_listing_commands_imports_no_command_module():
    import subprocess

    code = ("import sys; from click.testing import CliRunner; from asdkit.cli.main import cli;"
            "CliRunner().invoke(cli, ['--help']);"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'scipy', 'sklearn', 'faiss'}))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"
    assert cli_main.LazyGroup is not None


def test_top_level_help_lines_match_the_commands():
    import importlib

    from asdkit.cli.main import COMMANDS, SHORT_HELP

    assert set(SHORT_HELP) == set(COMMANDS)
    for name, target in COMMANDS.items():
        module, _, attr = target.partition(":")
        first_paragraph = " ".join(getattr(importlib.import_module(module), attr).help.split("\n\n")[0].split())
        assert first_paragraph.startswith(SHORT_HELP[name].rstrip(".")), name


def test_progress_without_a_terminal_prints_plain_lines(synth_dataset, tmp_path, monkeypatch):
    from click.testing import CliRunner

    monkeypatch.setenv("ASDKIT_PROGRESS_SECONDS", "0")  # a line at every step
    result = CliRunner().invoke(cli_main.cli, ["extract", str(synth_dataset), "-o", str(tmp_path / "run")])
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("log-mel features: ")]
    assert lines and "elapsed" in lines[-1] and "/" in lines[0], result.stderr
    assert not any(not line.strip() for line in result.stderr.splitlines()[:-1])  # no blank lines
