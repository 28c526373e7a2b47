"""Real-time factor and per-window delay of ``asdkit monitor`` on one CPU core.

For each model — the default (log-mel statistics + K-means) and the paper's pipeline
(MobileNetV2 width 1.0 + SAGE-GAT graph, kNN index on one thread) — a stream of
``--stream-seconds`` of machine sound (the model's training clips, one after the other)
goes through the monitor's own loop (:func:`asdkit.monitor.runner.run_stream`: sliding
windows of the model's clip length, the in-memory scorer, the per-window record), one
hop of samples per block, each block stamped as it is handed over:

- ``delay``: from the block holding a window's last sample to the window's verdict
  (p50 / p99 / max over the windows); goal: within 50 ms on one core;
- ``rtf``: real-time factor, stream seconds processed per wall second when the stream
  is handed over as fast as the monitor takes it (``rtf`` > 1: keeps up with a live
  stream; hop / rtf is the core time one window costs).

``--pipe SECONDS`` also runs the real ``asdkit monitor - --json`` process pinned to the
same core and feeds it raw PCM through a pipe at real-time pace for that many seconds;
its delays (read from the JSON lines) include the reader thread and the pipe.

The process pins itself to one core (``sched_setaffinity``), with
``OMP_NUM_THREADS=1`` and ``torch.set_num_threads(1)``. Models are built once in
``--work`` (synthetic 10 s clips; a few epochs: timing depends on the shapes, not on
the weights) unless given with ``--run``.

    python benchmarks/bench_monitor.py                        # both models, 60 s streams
    python benchmarks/bench_monitor.py --stream-seconds 20 --pipe 15
    python benchmarks/bench_monitor.py --run RUN --json       # a model of yours
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before torch/numpy start their thread pools

import argparse  # noqa: E402 - after pinning the thread count
import json  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

GOAL_MS = 50.0
MACHINES = ("fan", "valve")


def build_models(work: Path) -> dict[str, Path]:
    """The default and the paper-pipeline RUNs on synthetic 10 s clips (reused when built)."""
    from asdkit.pipeline import ExtractSettings, FitSettings, run_extract, run_fit
    from asdkit.synth import SynthConfig, generate

    data = work / "data"
    if not (data / MACHINES[0]).is_dir():
        shutil.rmtree(data, ignore_errors=True)
        generate(data, SynthConfig(machines=MACHINES, train_source=8, train_target=2, test_clips=1,
                                   seconds=10.0, seed=0))
    runs = {"default (logmel_stats + kmeans)": work / "default",
            "paper (mobilenetv2 + sage_gat)": work / "paper"}
    settings = {
        "default (logmel_stats + kmeans)": (ExtractSettings(device="cpu"), FitSettings(device="cpu")),
        "paper (mobilenetv2 + sage_gat)": (
            ExtractSettings(backbone="mobilenetv2", epochs=1, batch_size=8, device="cpu",
                            backbone_options={"width_mult": 1.0, "embedding_dim": 128}),
            FitSettings(gnn="sage_gat", epochs=3, knn_options={"threads": 1}, device="cpu")),
    }
    for label, run in runs.items():
        if not (run / "model" / "manifest.json").is_file():
            shutil.rmtree(run, ignore_errors=True)
            extract, fit = settings[label]
            print(f"building {label} in {run} ...", file=sys.stderr, flush=True)
            run_extract(data, run, extract)
            run_fit(run, fit)
    return runs


def machine_sound(model, seconds: float) -> np.ndarray:
    """The training clips of the model's first machine type (RUN/clips.csv), one after the
    other, repeated to ``seconds``; coloured noise when they are no longer on disk."""
    import csv

    import soundfile as sf

    from asdkit.formats.run_layout import RunLayout

    clips = RunLayout.of_model(model.bundle_path).root / "clips.csv"
    rows = list(csv.DictReader(clips.open())) if clips.is_file() else []
    paths = [Path(r["path"]) for r in rows if r["machine"] == model.machines[0] and r["split"] == "train"]
    paths = [p for p in paths[:20] if p.is_file()]
    rate = model.policy.sr
    if paths:
        sound = np.concatenate([sf.read(str(p), dtype="float32", always_2d=True)[0].mean(axis=1) for p in paths])
    else:  # timing does not depend on what the sound is
        sound = np.cumsum(np.random.default_rng(0).normal(0, 0.01, int(seconds * rate))).astype(np.float32)
        sound = (sound - sound.mean()) / (np.abs(sound).max() + 1e-9) * 0.3
    return np.resize(sound, int(seconds * rate)).astype(np.float32)


class HopSource:
    """The stream in hop-sized blocks, each stamped when the monitor asks for it."""

    def __init__(self, samples: np.ndarray, rate: int, block: int) -> None:
        self.rate, self.description = rate, "benchmark stream"
        self.samples, self.block = samples, block

    def batches(self):
        from asdkit.monitor.sources import Block

        for lo in range(0, len(self.samples), self.block):
            yield [Block(self.samples[lo:lo + self.block, None], time.perf_counter())]


def measure_loop(run: Path, stream_seconds: float, hop: float) -> dict:
    """Delay and real-time factor of the in-process monitor loop."""
    from asdkit.monitor.runner import Monitor, clip_seconds, run_stream
    from asdkit.pipeline import AsdModel
    from asdkit.pipeline.online import OnlineScorer

    model = AsdModel.load(run, "cpu")
    records: list[dict] = []
    monitor = Monitor(OnlineScorer(model, on_bad_signal="flag"), model.machines[0], "00", records.append)
    window = clip_seconds(model)
    monitor.warm_up(window)
    samples = machine_sound(model, stream_seconds)
    rate = model.policy.sr
    start = time.perf_counter()
    run_stream(HopSource(samples, rate, max(1, round(hop * rate))), monitor, window, hop)
    wall = time.perf_counter() - start
    delays = np.array([r["delay_ms"] for r in records])
    return {"window_s": window, "hop_s": hop, "windows": len(records), "stream_s": stream_seconds,
            "rtf": stream_seconds / wall, **_percentiles(delays)}


def _percentiles(delays: np.ndarray) -> dict:
    if not delays.size:
        return {"p50_ms": float("nan"), "p99_ms": float("nan"), "max_ms": float("nan")}
    return {"p50_ms": float(np.percentile(delays, 50)), "p99_ms": float(np.percentile(delays, 99)),
            "max_ms": float(delays.max())}


def measure_pipe(run: Path, seconds: float, hop: float, core: int) -> dict:
    """The real CLI process on one core, fed raw s16 PCM at real-time pace through a pipe."""
    from asdkit.monitor.runner import clip_seconds
    from asdkit.pipeline import AsdModel

    model = AsdModel.load(run, "cpu")
    rate = model.policy.sr
    pcm = (np.clip(machine_sound(model, seconds), -1, 1) * 32767).astype("<i2").tobytes()
    command = [sys.executable, "-m", "asdkit.cli.main", "-q", "--device", "cpu", "monitor", "--model", str(run),
               "--machine", model.machines[0], "--hop", str(hop), "--json", "-"]
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "OMP_NUM_THREADS": "1"},
                            preexec_fn=lambda: os.sched_setaffinity(0, {core}))
    chunk = int(rate * 0.02) * 2  # 20 ms of audio per write, like a sound card's period

    def feed() -> None:
        assert proc.stdin is not None
        time.sleep(5.0)  # the process loads torch and the model first; a live source would wait too
        began = time.perf_counter()
        for i, lo in enumerate(range(0, len(pcm), chunk)):
            delay = began + i * 0.02 - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            proc.stdin.write(pcm[lo:lo + chunk])
            proc.stdin.flush()
        proc.stdin.close()

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    assert proc.stdout is not None
    lines = proc.stdout.read().decode().splitlines()
    writer.join()
    assert proc.stderr is not None
    log = proc.stderr.read().decode()
    if proc.wait() != 0:
        raise RuntimeError(f"asdkit monitor failed: {log.strip()}")
    delays = np.array([json.loads(line)["delay_ms"] for line in lines])
    return {"window_s": clip_seconds(model), "hop_s": hop, "windows": len(lines), "stream_s": seconds, "rtf": None,
            **_percentiles(delays)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, action="append", help="a fitted RUN (repeatable; default: build two)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "asdkit-bench-monitor",
                        help="where the built models are kept between runs")
    parser.add_argument("--stream-seconds", type=float, default=60.0)
    parser.add_argument("--hop", type=float, default=1.0)
    parser.add_argument("--pipe", type=float, default=0.0, metavar="SECONDS",
                        help="also time the CLI on a real-time pipe for this many seconds (0: skip)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    runs = {str(run): run for run in args.run} if args.run else build_models(args.work)

    import torch

    torch.set_num_threads(1)
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    results = []
    for label, run in runs.items():
        results.append({"model": label, "mode": "loop", **measure_loop(run, args.stream_seconds, args.hop)})
        if args.pipe > 0:
            results.append({"model": label, "mode": "pipe", **measure_pipe(run, args.pipe, args.hop, core)})
        if not args.json:
            print(f"  done: {label}", file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_table(results)
    return 0


def print_table(results: list[dict]) -> None:
    print(f"{'model':<34} {'mode':<5} {'window_s':>8} {'hop_s':>5} {'windows':>7} {'rtf':>7} "
          f"{'p50_ms':>7} {'p99_ms':>7} {'max_ms':>7}  goal (p99 <= {GOAL_MS:g} ms)")
    for r in results:
        window = f"{r['window_s']:.1f}"
        rtf = f"{r['rtf']:.0f}x" if r["rtf"] is not None else "-"
        ok = "met" if r["p99_ms"] <= GOAL_MS else "MISSED"
        print(f"{r['model']:<34} {r['mode']:<5} {window:>8} {r['hop_s']:>5.2f} {r['windows']:>7} {rtf:>7} "
              f"{r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f} {r['max_ms']:>7.1f}  {ok}")


if __name__ == "__main__":
    sys.exit(main())
