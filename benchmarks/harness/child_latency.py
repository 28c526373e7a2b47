"""Child process: single-clip latency, file -> score, on ONE CPU core.

Pinned to one core (``sched_setaffinity``) with one torch thread, so every library
(asdkit's log-mel kernel and faiss pick their own thread counts) shares that core.
The model is loaded and warmed first; then each of ``calls`` calls scores one file
(the clips cycle through the list), for asdkit (``score_clips``, the path of
``asdkit score``) and the reference. Prints one JSON line.

asdkit is measured twice: as loaded (``asdkit_default_threads``: its faiss index runs
one OpenMP thread per core of the machine, all on the one core here), and with the
index given one thread (``asdkit``: what ``asdkit fit --knn-opt threads=1`` saves in
the bundle), the figure the goal uses.

    python benchmarks/harness/child_latency.py SPEC.json
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
WARMUP = 3


def pin_one_core() -> int:
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core


def latencies(score_one, items: list, calls: int) -> list[float]:
    for item in items[:WARMUP]:
        score_one(item)
    out = []
    for i in range(calls):
        item = items[i % len(items)]
        start = time.perf_counter()
        score_one(item)
        out.append(time.perf_counter() - start)
    return out


def summary(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    return {"median_ms": statistics.median(ms), "p90_ms": ms[int(0.9 * (len(ms) - 1))],
            "min_ms": ms[0], "calls": len(ms)}


def main(spec_path: str) -> None:
    core = pin_one_core()
    import torch

    torch.set_num_threads(1)
    from asdkit.audio import Clip
    from asdkit.pipeline import AsdModel
    from asdkit.pipeline.score import score_clips
    from benchmarks.harness.timing import pin_model_threads
    from benchmarks.reference import ReferenceModel

    spec = json.loads(Path(spec_path).read_text())
    clips = [Clip(path=Path(p), machine=m, section="00", split="test") for p, m in spec["clips"]]
    model = AsdModel.load(spec["run"], "cpu")
    reference = ReferenceModel.load(spec["run"], "cpu")
    as_loaded = latencies(lambda c: score_clips(model, [c]), clips, spec["calls"])
    pin_model_threads(model, 1)
    ours = latencies(lambda c: score_clips(model, [c]), clips, spec["calls"])
    theirs = latencies(lambda c: reference.score_files([c.path], [c.machine]), clips, spec["calls"])
    print(json.dumps({"core": core, "asdkit": summary(ours), "asdkit_default_threads": summary(as_loaded),
                      "reference": summary(theirs)}))


if __name__ == "__main__":
    main(sys.argv[1])
