"""How a monitor's records are written: JSON lines for programs, one short line for people.

A JSON line holds every key of :data:`~asdkit.monitor.runner.RECORD_FIELDS` and is
flushed at once (a reader on the other end of a pipe sees each window as it is
scored). The text line is meant for a terminal::

      12.0 s  14:03:22  score 0.0174 > 0.0102  ANOMALOUS  rate  8%  ALERT   3.1 ms
"""
from __future__ import annotations

import json
from typing import IO, Any, Callable


def json_writer(stream: IO[str]) -> Callable[[dict], None]:
    """Write each record as one JSON line and flush."""
    def write(record: dict) -> None:
        stream.write(json.dumps(record) + "\n")
        stream.flush()
    return write


def text_line(record: dict) -> str:
    """One rich-markup line for a record (plain text where colours are off)."""
    from rich.markup import escape

    where = f"{record['end_s']:9.1f} s" if record.get("file") is None else escape(str(record["file"]))
    clock = str(record["wall"])[11:19]
    relation = ">" if record["score"] > record["threshold"] else "<="
    verdict = "[bold red]ANOMALOUS[/]" if record["anomalous"] else "[green]normal   [/]"
    alert = "[bold white on red] ALERT [/]" if record["alert"] else "       "
    text = (f"{where}  {clock}  score {record['score']:.4g} {relation} {record['threshold']:.4g}  {verdict}  "
            f"rate {record['anomaly_rate']:4.0%}  {alert} {record['delay_ms']:6.1f} ms")
    if record["bad_signal"]:
        text += "  [yellow]bad signal: " + escape("; ".join(record["bad_signal"])) + "[/]"
    if record["event"] == "clear":
        text += "  [cyan](alert cleared)[/]"
    return text


def text_writer(console: Any) -> Callable[[dict], None]:
    """Print each record as :func:`text_line` on a rich console."""
    def write(record: dict) -> None:
        console.print(text_line(record), highlight=False)
    return write
