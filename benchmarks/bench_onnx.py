"""Per-clip latency of the exported ONNX graph (onnxruntime) vs asdkit (OnlineScorer), one core.

Models: the default (log-mel statistics + K-means) and the paper's pipeline (MobileNetV2
+ SAGE-GAT + K-means, the architecture's defaults), fitted in a temporary folder on a few
synthetic clips (latency depends on the architecture, not on how well it was trained);
or the fitted RUNs given with ``--model``. Clips: ``--seconds`` of synthetic machine-like
sound (tones in noise) at the model's rate, already decoded and conformed (what
``OnlineScorer.score_waves`` and the graph's ``waveform`` input take).

Both sides get one core: the process is pinned to one CPU (the native log-mel kernel
starts a thread per core it sees), torch runs one thread, onnxruntime one intra-op and
one inter-op thread. Per-clip latency = the time of one call on a batch / batch size;
the table shows the median and the fastest of ``--repeats`` calls after one warm-up.
``max |d|`` is the largest difference of the two sides' scores on those clips.

    python benchmarks/bench_onnx.py                         # both models, batch 1 and 32
    python benchmarks/bench_onnx.py --repeats 3 --batches 1 # quick
    python benchmarks/bench_onnx.py --model run/ --json     # a fitted RUN, machine-readable
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np


def one_core() -> None:
    """Pin the process to one CPU and every thread pool to one thread, before torch loads."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def fit_models(workdir: Path) -> dict[str, Path]:
    """The default and the paper model, fitted on a few 2-second synthetic clips."""
    from asdkit.pipeline import ExtractSettings, FitSettings, run_extract, run_fit
    from asdkit.synth import SynthConfig, generate

    data = workdir / "data"
    generate(data, SynthConfig(machines=("fan", "valve"), train_source=24, train_target=2, test_clips=1,
                               seconds=2.0, seed=0))
    default, paper = workdir / "default", workdir / "paper"
    run_extract(data, default, ExtractSettings(device="cpu"))
    run_fit(default, FitSettings(device="cpu"))
    run_extract(data, paper, ExtractSettings(backbone="mobilenetv2", epochs=1, crop_frames=32, device="cpu"))
    run_fit(paper, FitSettings(gnn="sage_gat", epochs=2, device="cpu"))
    return {"default": default, "paper": paper}


def clips(count: int, samples: int, rate: int, seed: int) -> np.ndarray:
    """``(count, samples)`` float32 tones in noise, each clip its own."""
    rng = np.random.default_rng(seed)
    t = np.arange(samples) / rate
    base = rng.uniform(80, 400, (count, 1))
    tones = 0.2 * np.sin(2 * np.pi * base * t) + 0.05 * np.sin(2 * np.pi * 7.3 * base * t)
    return (tones + rng.normal(0, 0.02, (count, samples))).astype(np.float32)


def timed(call: Callable[[], Any], repeats: int) -> list[float]:
    call()  # warm-up: first-call allocations, lazy initialisation
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def bench_model(name: str, run: Path, out: Path, batches: list[int], seconds: float,
                repeats: int) -> list[dict[str, Any]]:
    import onnxruntime as ort
    import torch

    from asdkit.export import export_onnx
    from asdkit.pipeline import AsdModel
    from asdkit.pipeline.online import OnlineScorer

    torch.set_num_threads(1)
    exported = export_onnx(run, out / f"{name}.onnx")
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(exported.path), options, providers=["CPUExecutionProvider"])
    scorer = OnlineScorer(AsdModel.load(run, "cpu"))
    machine = scorer.model.machines[0]
    sections = json.loads(exported.metadata["sections"])
    rate = scorer.model.policy.sr
    samples = scorer.model.policy.n_samples or int(seconds * rate)
    rows = []
    for batch in batches:
        waves = clips(batch, samples, rate, seed=batch)
        index = np.full(batch, sections.index(machine), dtype=np.int64)
        feeds = {"waveform": waves, "section": index}
        listed = list(waves)

        def asdkit_call(listed: list[np.ndarray] = listed) -> list[float]:
            n = len(listed)
            return [v.score for v in scorer.score_waves(listed, [machine] * n, ["unseen"] * n)]

        def onnx_call(feeds: dict[str, np.ndarray] = feeds) -> list[float]:
            return session.run(["score"], feeds)[0].tolist()

        diff = float(np.abs(np.array(asdkit_call()) - np.array(onnx_call())).max())
        for side, call in (("asdkit", asdkit_call), ("onnxruntime", onnx_call)):
            per_clip = [t / batch * 1e3 for t in timed(call, repeats)]
            rows.append({"model": name, "side": side, "batch": batch, "seconds": samples / rate,
                         "median_ms": statistics.median(per_clip), "min_ms": min(per_clip), "max_abs_diff": diff})
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    print(f"{'model':<10} {'batch':>5} {'side':<12} {'ms/clip (median)':>17} {'ms/clip (min)':>14} "
          f"{'clips/s':>8} {'max |d|':>9}")
    for r in rows:
        print(f"{r['model']:<10} {r['batch']:>5} {r['side']:<12} {r['median_ms']:>17.2f} {r['min_ms']:>14.2f} "
              f"{1e3 / r['median_ms']:>8.0f} {r['max_abs_diff']:>9.1e}")
    if rows:
        print(f"(clips of {rows[0]['seconds']:g} s, one core)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", type=Path, default=[],
                        help="a fitted RUN to benchmark (repeatable); default: fit the default and paper models")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--seconds", type=float, default=10.0, help="clip length when the model fixes none")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    one_core()
    with tempfile.TemporaryDirectory(prefix="bench_onnx.") as tmp:
        work = Path(tmp)
        runs = {run.name: run for run in args.model} if args.model else fit_models(work)
        rows = []
        for name, run in runs.items():
            rows += bench_model(name, run, work, args.batches, args.seconds, args.repeats)
            if not args.json:
                print(f"  done: {name}", file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
