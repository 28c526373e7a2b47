"""``asdkit plugins``: every registered component with its origin and status."""
from __future__ import annotations

import json

import click
from rich.table import Table

from .. import registry
from ..api import KINDS
from .app import out


@click.command("plugins")
@click.option("--kind", type=click.Choice(KINDS), help="Only components of this kind.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def command(kind: str | None, as_json: bool) -> None:
    """List backbones, graph layers, scorers, kNN backends and losses.

    Shows kind, name, distribution, version and status: ok, or broken with the
    reason (a plugin that fails to import never breaks the others).

    \b
    Example:
      asdkit plugins
      asdkit plugins --kind scorer --json
    """
    rows = []
    for info in registry.all_components():
        if kind and info.kind != kind:
            continue
        ok, reason = registry.status(info)
        rows.append({"kind": info.kind, "name": info.name, "distribution": info.distribution,
                     "version": info.version, "entry_point": info.value,
                     "status": "ok" if ok else "broken", "reason": "" if ok else reason})
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="asdkit components")
    for col in ("kind", "name", "distribution", "version", "status"):
        table.add_column(col)
    for r in rows:
        status = "[green]ok[/]" if r["status"] == "ok" else f"[red]broken[/]: {r['reason']}"
        table.add_row(r["kind"], r["name"], r["distribution"], r["version"], status)
    out.print(table)
