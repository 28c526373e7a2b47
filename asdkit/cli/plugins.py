"""``asdkit plugins``: every registered component with its origin and status."""
from __future__ import annotations

import json
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from .. import registry
from .app import out

_STYLE = {"ok": "green", "not installed": "yellow", "broken": "red"}


def _status(info: registry.ComponentInfo, known: list[registry.ComponentInfo], check: bool) -> tuple[str, str]:
    state, reason = registry.availability(info, known)
    if state == "ok" and check:  # import it and check it against its contract
        ok, why = registry.status(info)
        return ("ok", "") if ok else ("broken", why)
    return state, reason


@click.command("plugins")
@click.option("--kind", type=click.Choice(registry.KINDS), help="Only components of this kind.")
@click.option("--check", is_flag=True, help="Also import each component and check it against its "
              "contract (slower: imports torch and every plugin).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def command(kind: str | None, check: bool, as_json: bool) -> None:
    """List backbones, graph layers, scorers, kNN backends and losses.

    Shows kind, name, distribution, version and status, found without importing
    anything: ok, not installed (a requirement of the component is missing, with the
    pip command) or broken (its module does not exist); --check imports each one
    (a plugin that fails to import never breaks the others).

    \b
    Example:
      asdkit plugins
      asdkit plugins --kind scorer --json
      asdkit plugins --check
    """
    rows: list[dict[str, Any]] = []
    known = registry.all_components()
    for info in known:
        if kind and info.kind != kind:
            continue
        state, reason = _status(info, known, check)
        rows.append({"kind": info.kind, "name": info.name, "distribution": info.distribution,
                     "version": info.version, "entry_point": info.value, "extras": list(info.extras),
                     "status": state, "reason": reason})
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="asdkit components")
    for col in ("kind", "name", "distribution", "version", "status"):
        table.add_column(col)
    for r in rows:
        status = f"[{_STYLE[r['status']]}]{r['status']}[/]" + (f": {escape(r['reason'])}" if r["reason"] else "")
        table.add_row(r["kind"], r["name"], r["distribution"], r["version"], status)
    out.print(table)
