"""The issue's goals, judged against what was measured.

Each goal is met, not met, or not measured (``None``: wrong device, size not run,
torch-cluster missing); nothing is assumed.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class Goal:
    goal: str
    measured: str
    met: bool | None

    to_dict = asdict


def _stage(results: dict[str, Any], prefix: str) -> dict[str, Any] | None:
    return next((r for r in results.get("stages", []) if r["stage"].startswith(prefix)), None)


def _ratio_goal(results: dict[str, Any], prefix: str, goal: str, need: float, device: str | None) -> Goal:
    if device is not None and results["device"] != device:
        return Goal(goal, f"not measured (needs --device {device})", None)
    row = _stage(results, prefix)
    if row is None:
        return Goal(goal, "not measured (stages skipped)", None)
    return Goal(goal, f"{row['ratio']:.2f}x ({row['reference_s']:.3f} s vs {row['asdkit_s']:.3f} s)",
                row["ratio"] >= need)


def _knn_row(results: dict[str, Any], n: int) -> dict[str, Any] | None:
    return next((r for r in results.get("knn", []) if r["n"] == n and r["setting"].startswith("asdkit default")), None)


def _size_goal(results: dict[str, Any], n: int, limit_s: float, min_recall: float, goal: str) -> Goal:
    row = _knn_row(results, n)
    if row is None:
        return Goal(goal, f"not measured (add {n} to --knn-sizes)", None)
    met = row["seconds"] < limit_s and row["recall"] >= min_recall
    text = f"{row['seconds']:.1f} s, recall@10 {row['recall']:.3f} ({row['setting']})"
    others = [r["setting"] for r in results.get("knn", []) if r["n"] == n and r is not row
              and r["seconds"] < limit_s and r["recall"] >= min_recall]
    if not met and others:
        text += f"; met by: {', '.join(others)}"
    return Goal(goal, text, met)


def _torch_cluster_goal(results: dict[str, Any]) -> Goal:
    goal = "kNN graph >= 20x torch-cluster, recall@10 >= 0.95, at 20k x 128"
    tc, ours = results.get("torch_cluster"), results.get("torch_cluster_asdkit")
    if not tc or not ours:
        return Goal(goal, "not measured (--skip tc)", None)
    if tc["status"] not in ("ok", "capped"):
        return Goal(goal, f"not measured: torch-cluster {tc['status']} ({tc.get('why', '')})", None)
    tc_s = tc["seconds"] if tc["status"] == "ok" else tc["cap_s"]
    ratio = tc_s / ours["seconds"]
    bound = "" if tc["status"] == "ok" else ">= "
    text = (f"{bound}{ratio:.1f}x ({bound}{tc_s:.1f} s vs {ours['seconds']:.2f} s), recall@10 {ours['recall']:.3f}"
            + ("" if tc["status"] == "ok" else f"; torch-cluster capped at {tc['cap_s']:.0f} s"))
    met: bool | None = ratio >= 20 and ours["recall"] >= 0.95
    if tc["status"] == "capped" and not met and ours["recall"] >= 0.95:
        met = None  # a lower bound below 20x decides nothing
    return Goal(goal, text, met)


def _latency_goal(results: dict[str, Any]) -> Goal:
    goal = "one 10-s clip, file -> score, warm model, one CPU core: <= 30 ms"
    lat = results.get("latency")
    if not lat:
        return Goal(goal, "not measured (--skip latency)", None)
    ours, theirs = lat["asdkit"], lat["reference"]
    loaded = lat.get("asdkit_default_threads")
    extra = f"; faiss threads left at default: {loaded['median_ms']:.1f} ms" if loaded else ""
    return Goal(goal, f"median {ours['median_ms']:.1f} ms (p90 {ours['p90_ms']:.1f}; reference "
                      f"{theirs['median_ms']:.1f} ms{extra}) over {ours['calls']} calls", ours["median_ms"] <= 30.0)


def _memory_goal(results: dict[str, Any]) -> Goal:
    goal = "peak memory scoring 1k vs 10k clips: bounded (growth <= 10% of the 1k peak; criterion set here)"
    mem = results.get("memory")
    if not mem or len(mem["sizes"]) < 2:
        return Goal(goal, "not measured (--skip memory or one size)", None)
    first, last = mem["sizes"][0], mem["sizes"][-1]
    text = (f"{first['peak_rss_mb']:.0f} MB at {first['clips']:,}, {last['peak_rss_mb']:.0f} MB at "
            f"{last['clips']:,} (growth {mem['growth_mb']:+.0f} MB; 1-clip baseline "
            f"{mem['baseline']['peak_rss_mb']:.0f} MB)")
    return Goal(goal, text, mem["growth_mb"] <= 0.10 * first["peak_rss_mb"])


def evaluate(results: dict[str, Any]) -> list[Goal]:
    return [
        _ratio_goal(results, "log-mel (CPU, 1 thread)", "log-mel >= 3x reference on 1 thread", 3.0, None),
        _ratio_goal(results, "end to end", "end-to-end scoring >= 3x reference on CPU", 3.0, "cpu"),
        _torch_cluster_goal(results),
        _size_goal(results, 100_000, 10.0, 0.95, "kNN graph, 100k embeddings: < 10 s, recall@10 >= 0.95"),
        _size_goal(results, 1_000_000, 600.0, 0.90, "kNN graph, 1M embeddings: < 10 min, recall@10 >= 0.9"),
        _ratio_goal(results, "end to end", "end-to-end scoring >= 3x reference on the same GPU", 3.0, "cuda"),
        _latency_goal(results),
        _memory_goal(results),
    ]
