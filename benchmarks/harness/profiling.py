"""``--profile OUT``: where asdkit's end-to-end scoring spends its time.

Two views of one workload (``score_clips`` on the benchmark's clips):

- cProfile, the Python side: asdkit functions by cumulative time, i.e. the stages
  (feature stream, decoding, log-mel, backbone, graph refinement, scoring);
- torch.profiler, the operator side: the torch ops by self time (CPU, and CUDA when
  the model is there).

Writes ``OUT/cprofile.prof`` (for snakeviz / pstats), ``OUT/torch_trace.json``
(chrome://tracing, Perfetto) and ``OUT/top.txt`` (both top lists, also printed).
"""
from __future__ import annotations

import cProfile
import io
import pstats
from pathlib import Path
from typing import Any, Sequence

import torch

TOP = 15


def asdkit_stages(stats: pstats.Stats) -> str:
    """The TOP asdkit functions by cumulative time."""
    out = io.StringIO()
    stats.stream = out
    stats.sort_stats("cumulative").print_stats(r"asdkit/", TOP)
    return out.getvalue()


def profile(model: Any, clips: Sequence[Any], out: Path) -> str:
    """Profile ``score_clips(model, clips)``; returns the text of the top lists."""
    from asdkit.pipeline.score import score_clips

    out.mkdir(parents=True, exist_ok=True)
    score_clips(model, clips[:4])  # warm: first-call costs are not the steady state
    profiler = cProfile.Profile()
    profiler.runcall(score_clips, model, clips)
    profiler.dump_stats(str(out / "cprofile.prof"))
    stages = asdkit_stages(pstats.Stats(profiler))

    activities = [torch.profiler.ProfilerActivity.CPU]
    if model.device.type == "cuda":
        activities.append(torch.profiler.ProfilerActivity.CUDA)
    with torch.profiler.profile(activities=activities) as prof:
        score_clips(model, clips)
    prof.export_chrome_trace(str(out / "torch_trace.json"))
    sort = "self_cuda_time_total" if model.device.type == "cuda" else "self_cpu_time_total"
    ops = prof.key_averages().table(sort_by=sort, row_limit=TOP)
    text = f"== asdkit stages (cProfile, cumulative) ==\n{stages}\n== torch ops (torch.profiler, {sort}) ==\n{ops}\n"
    (out / "top.txt").write_text(text)
    return text
