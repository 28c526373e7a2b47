"""Run configs: every option of ``extract``, ``fit`` and ``score`` from one TOML file.

File layout (keys are the CLI option names, long names without ``--``; dashes or
underscores alike; ``k`` for ``fit -k``)::

    seed = 3                  # the global options, for every stage
    device = "cpu"

    [extract]
    backbone = "mobilenetv2"
    backbone-opt = ["width_mult=0.5"]
    epochs = 30

    [fit]
    gnn = "sage_gat"
    gnn-opt = ["heads=4"]
    false-alarm-rate = 0.1

    [score]
    model = "run"

Precedence, highest first: a flag on the command line, the command's own table, the
file's top level (seed, device only), the option's default. A stage table may hold its
own ``seed``/``device`` too (a saved file does when the stages ran with different ones).
The file is checked as a whole (every table, not only the running command's): an
unknown table or key, or a value of the wrong type, is a one-line :class:`ConfigError`
naming the file and the key. Paths in the file are read as on the command line
(relative to the working folder).

Each stage saves its *effective* configuration (every option's final value) in the
same layout (:func:`save_effective`): ``RUN/run.toml`` for extract and fit, ``OUT/run.toml``
for score (with the model RUN's extract and fit tables), so that
``asdkit extract DATA -o RUN2 --config RUN/run.toml`` redoes a run.
"""
from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import click
from click.core import ParameterSource

from .errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

F = Callable[..., Any]

STAGES = ("extract", "fit", "score")
GLOBAL_KEYS = ("seed", "device")
#: Options that say where a run goes, not how it is made: read from a file, never saved
#: (a saved file would otherwise send a redo into the original RUN).
NOT_SAVED: dict[str, tuple[str, ...]] = {"extract": ("output", "cache"), "score": ("output",)}
_NOT_KEYS = ("config", "help")
#: The header line of a saved file that redoes each stage.
REDO = {"extract": "asdkit extract DATA -o RUN2 --config run.toml",
        "fit": "asdkit fit RUN2 --config run.toml",
        "score": "asdkit score DATA --model RUN2 -o OUT --config run.toml"}


@dataclass
class RunConfig:
    """A checked run config: top-level globals and one table per stage."""

    globals: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)

    def globals_of(self, stage: str) -> dict[str, Any]:
        """Seed/device a stage runs with: its table's own, else the top level's."""
        table = self.tables.get(stage, {})
        return {**self.globals, **{k: table[k] for k in GLOBAL_KEYS if k in table}}


# ---------------------------------------------------------------- option names
def option_key(option: click.Parameter) -> str | None:
    """The config key of an option: its first long name without ``--``, else its short
    name without ``-`` (``-k`` -> ``k``); None for arguments and --config/--help."""
    if not isinstance(option, click.Option):
        return None
    names = [o for o in option.opts if o.startswith("--")] or list(option.opts)
    key = names[0].lstrip("-")
    return None if key in _NOT_KEYS else key


def options_of(command: click.Command) -> dict[str, click.Option]:
    """Config key -> option, in the order ``--help`` lists them."""
    out: dict[str, click.Option] = {}
    for param in command.params:
        key = option_key(param)
        if key is not None and isinstance(param, click.Option):
            out[key] = param
    return out


def _stage_command(stage: str) -> click.Command:
    from .cli.main import COMMANDS

    module, _, attr = COMMANDS[stage].partition(":")
    return getattr(importlib.import_module(module), attr)


def _global_options() -> dict[str, click.Option]:
    from .cli.main import cli

    return {k: v for k, v in options_of(cli).items() if k in GLOBAL_KEYS}


# ---------------------------------------------------------------- reading + checking
def read_toml(path: Path) -> dict[str, Any]:
    """The TOML file as a dict; a one-line ConfigError when missing or not TOML."""
    if not path.is_file():
        raise ConfigError(f"--config {path}: no such file")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--config {path}: cannot read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def _kind(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


def _check_type(where: str, option: click.Option, value: Any) -> None:
    """The TOML type a value needs for its option (click would convert '3' to 3 silently)."""
    ptype = option.type
    if option.multiple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: expected a list of strings like [\"key=value\"], got {_kind(value)}")
        return
    if option.is_flag or isinstance(ptype, click.types.BoolParamType):
        ok, wanted = isinstance(value, bool), "true or false"
    elif isinstance(ptype, click.types.IntParamType):
        ok, wanted = isinstance(value, int) and not isinstance(value, bool), "an integer"
    elif isinstance(ptype, click.types.FloatParamType):
        ok, wanted = isinstance(value, (int, float)) and not isinstance(value, bool), "a number"
    elif isinstance(ptype, click.Choice):
        choices = [str(c) for c in ptype.choices]
        ok, wanted = isinstance(value, str) and value in choices, f"one of {', '.join(choices)}"
    else:  # strings and paths
        ok, wanted = isinstance(value, str), "a string"
    if not ok:
        raise ConfigError(f"{where}: expected {wanted}, got {_kind(value)}")


def _check_table(path: Path, name: str, raw: Any, options: dict[str, click.Option],
                 ctx: click.Context | None) -> dict[str, Any]:
    """One table's keys normalised to the option names, each value type-checked; with
    ``ctx`` (the running command's table) also through click's own conversion."""
    label = f"[{name}]" if name else "top-level"
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: '{name}' must be a table ([{name}]), got {_kind(raw)}")
    out: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    for key, value in raw.items():
        norm = key.replace("_", "-")
        if norm not in options:
            tables = "" if name else f"; tables {', '.join(f'[{s}]' for s in STAGES)}"
            raise ConfigError(f"{path}: {label}: unknown key '{key}' (valid: {', '.join(sorted(options))}{tables})")
        if norm in spelled:
            raise ConfigError(f"{path}: {label}: '{spelled[norm]}' and '{key}' are the same option")
        spelled[norm] = key
        where = f"{path}: {label} {key}"
        _check_type(where, options[norm], value)
        if ctx is not None:
            try:
                options[norm].type_cast_value(ctx, tuple(value) if isinstance(value, list) else value)
            except click.BadParameter as exc:
                raise ConfigError(f"{where}: {exc.message}") from None
        out[norm] = value
    return out


def check_config(path: Path, data: dict[str, Any], ctx: click.Context | None = None) -> RunConfig:
    """Every table and key of a parsed file checked (see the module docstring)."""
    config = RunConfig()
    globals_ = _global_options()
    top: dict[str, Any] = {}
    for key, value in data.items():
        if key in STAGES:
            own = ctx is not None and ctx.command.name == key
            options = {**options_of(_stage_command(key)), **globals_}
            config.tables[key] = _check_table(path, key, value, options, ctx if own else None)
        elif isinstance(value, dict):
            raise ConfigError(f"{path}: unknown table [{key}] (valid: {', '.join(f'[{s}]' for s in STAGES)})")
        else:
            top[key] = value
    config.globals = _check_table(path, "", top, globals_, None)
    return config


def load_config(path: Path, ctx: click.Context | None = None) -> RunConfig:
    return check_config(path, read_toml(path), ctx)


# ---------------------------------------------------------------- the --config option
def _apply(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    """Eager callback: the command's table becomes click's ``default_map`` (so a flag
    given on the command line still wins), and seed/device reach the shared state
    unless the group got them as flags."""
    if value is None:
        return
    config = load_config(value, ctx)
    stage = str(ctx.command.name)
    options = options_of(ctx.command)
    table = config.tables.get(stage, {})
    defaults = {options[k].name: v for k, v in table.items() if k in options}
    ctx.default_map = {**(ctx.default_map or {}), **defaults}
    _apply_globals(ctx, config.globals_of(stage))


def _apply_globals(ctx: click.Context, values: dict[str, Any]) -> None:
    from .cli.app import AppState

    state = ctx.ensure_object(AppState)
    for key, value in values.items():
        given = ctx.parent.get_parameter_source(key) if ctx.parent is not None else None
        if given in (None, ParameterSource.DEFAULT):
            setattr(state, key, value)


def config_option(fn: F) -> F:
    """``--config FILE``: the command's options from a TOML run config (flags win)."""
    return click.option(
        "--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), is_eager=True,
        expose_value=False, callback=_apply, metavar="FILE",
        help="Take options from this TOML run config: its [extract]/[fit]/[score] table, keys named as "
        "the options (and top-level seed, device); flags on the command line override it. A RUN's "
        "run.toml redoes that run.")(fn)


# ---------------------------------------------------------------- saving
def _toml_value(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return [_toml_value(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def effective_table(ctx: click.Context) -> dict[str, Any]:
    """Every option's final value (file, flags, defaults), keyed as in a file. Options
    whose value is None are left out: TOML has no null and None is their default."""
    skip = NOT_SAVED.get(str(ctx.command.name), ())
    table: dict[str, Any] = {}
    for key, option in options_of(ctx.command).items():
        value = ctx.params.get(str(option.name))
        if key not in skip and value is not None:
            table[key] = _toml_value(value)
    return table


def _read_saved(path: Path | None) -> RunConfig:
    """A run.toml written before, loosely (no key checks: it may come from another
    version); an unreadable one counts as none."""
    if path is None or not path.is_file():
        return RunConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return RunConfig()
    return RunConfig({k: v for k, v in data.items() if k in GLOBAL_KEYS},
                     {k: dict(v) for k, v in data.items() if k in STAGES and isinstance(v, dict)})


def render(config: RunConfig) -> str:
    """TOML text; seed/device at the top level when every stage ran with the same ones,
    else in each stage's table."""
    import tomli_w

    from ._version import __version__

    stages = [s for s in STAGES if s in config.tables]
    per_stage = {s: config.globals_of(s) for s in stages}
    shared = len({tuple(sorted(g.items())) for g in per_stage.values()}) <= 1
    doc: dict[str, Any] = dict(per_stage[stages[0]]) if shared and stages else {}
    for stage in stages:
        table = {k: v for k, v in config.tables[stage].items() if k not in GLOBAL_KEYS}
        doc[stage] = table if shared else {**table, **per_stage[stage]}
    redo = [REDO[s] for s in stages]
    header = (f"# The options in effect for this run (asdkit {__version__}); redo it with\n"
              + "".join(f"#   {line}\n" for line in redo) + "\n")
    return header + tomli_w.dumps(doc)


def save_effective(ctx: click.Context, target: Path, base: Path | None = None) -> None:
    """Write the running command's effective config into ``target`` (atomically),
    keeping the other stages' tables of ``base`` (default: ``target`` itself)."""
    from .cli.app import AppState
    from .utils import atomic_write_text

    stage = str(ctx.command.name)
    state = ctx.find_object(AppState) or AppState()
    config = _read_saved(base if base is not None else target)
    config.tables = {s: {**t, **config.globals_of(s)} for s, t in config.tables.items() if s != stage}
    config.globals = {}
    config.tables[stage] = {**effective_table(ctx), "seed": state.seed, "device": state.device}
    atomic_write_text(target, render(config))
