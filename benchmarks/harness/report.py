"""Rich tables of the results (stages, kNN scaling, latency, memory, goals)."""
from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def _seconds(value: float) -> str:
    return f"{value:.4f}" if value < 1 else f"{value:.2f}"


def stage_table(rows: list[dict[str, Any]], title: str) -> Table:
    table = Table(title=title)
    for name, justify in (("stage", "left"), ("asdkit s", "right"), ("reference s", "right"),
                          ("ratio", "right"), ("note", "left")):
        table.add_column(name, justify=justify)
    for r in rows:
        table.add_row(r["stage"], _seconds(r["asdkit_s"]), _seconds(r["reference_s"]), f"{r['ratio']:.2f}x",
                      r["note"])
    return table


def knn_table(rows: list[dict[str, Any]], tc: dict[str, Any] | None, tc_ours: dict[str, Any] | None) -> Table:
    table = Table(title="kNN graph (k=10, clustered 128-d embeddings; recall vs exact faiss flat on sampled queries)")
    for name in ("N", "setting", "seconds", "recall@10", "queries"):
        table.add_column(name, justify="left" if name == "setting" else "right")
    for r in rows:
        table.add_row(f"{r['n']:,}", r["setting"], _seconds(r["seconds"]), f"{r['recall']:.4f}",
                      f"{r['recall_queries']:,}")
    if tc_ours:
        table.add_row(f"{tc_ours['n']:,}", tc_ours["setting"], _seconds(tc_ours["seconds"]),
                      f"{tc_ours['recall']:.4f}", f"{tc_ours['recall_queries']:,}")
    if tc:
        status = {"ok": _seconds(tc.get("seconds", 0.0)), "capped": f"capped at {tc.get('cap_s', 0):.0f}"}
        table.add_row(f"{tc['n']:,}", "torch_cluster.knn_graph", status.get(tc["status"], tc["status"]),
                      "1.0000 (exact)" if tc["status"] == "ok" else "-", "-")
    return table


def goals_table(goals: list[Any]) -> Table:
    table = Table(title="Goals")
    table.add_column("goal")
    table.add_column("measured")
    table.add_column("verdict")
    for g in goals:
        verdict = {True: "[green]met[/]", False: "[red]not met[/]", None: "[yellow]not measured[/]"}[g.met]
        table.add_row(g.goal, g.measured, verdict)
    return table


def print_all(console: Console, results: dict[str, Any], goals: list[Any]) -> None:
    if results.get("stages"):
        title = (f"asdkit vs reference, {results['clips']} clips of 10 s, device {results['device']}, "
                 f"{results['threads']} thread(s); ratio = reference / asdkit (higher = asdkit faster)")
        console.print(stage_table(results["stages"], title))
    if results.get("knn") or results.get("torch_cluster"):
        console.print(knn_table(results.get("knn", []), results.get("torch_cluster"),
                                results.get("torch_cluster_asdkit")))
    if results.get("latency"):
        lat = results["latency"]
        loaded = lat.get("asdkit_default_threads", {}).get("median_ms", float("nan"))
        console.print(f"latency, one core (cpu {lat['core']}), file -> score, median: asdkit "
                      f"{lat['asdkit']['median_ms']:.1f} ms (faiss threads left at default: {loaded:.1f} ms), "
                      f"reference {lat['reference']['median_ms']:.1f} ms")
    if results.get("memory"):
        mem = results["memory"]
        sizes = ", ".join(f"{m['clips']:,} clips: {m['peak_rss_mb']:.0f} MB in {m['seconds']:.0f} s"
                          for m in [mem["baseline"], *mem["sizes"]])
        console.print(f"peak RSS of 'asdkit score' (child process): {sizes}")
    console.print(goals_table(goals))
