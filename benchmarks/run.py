"""asdkit against a straightforward reference pipeline, stage by stage and end to end.

The reference (``benchmarks/reference/``) is the paper's method written the way a
researcher would: soundfile per clip, ``torch.stft`` + mel matrix per clip, the eager
backbone one clip at a time, torch-cluster for the graph, the PyG graph network
full-batch, scikit-learn K-means. It loads the same trained weights as asdkit, and
the run stops unless both give the same scores (``harness/equivalence.py``).

What it measures, on a synthetic dataset and a small model trained once (both kept in
``--workdir``):

1. every stage for N clips, both sides on the same inputs: decoding, log-mel (also on
   1 thread), backbone, kNN graph over N embeddings, one GNN training epoch, GNN
   inference, scorer fit, scoring, end to end (files -> scores);
2. the kNN graph at 10k/100k/1M clustered embeddings with recall@10, and
   torch-cluster at 20k in a child process killed after ``--tc-cap-s``;
3. single-clip latency on one core, and peak memory of ``asdkit score`` on 1k/10k clips;
4. the issue's goals, met or not.

    python benchmarks/run.py --clips 1000 --json out.json
    python benchmarks/run.py --device cuda --clips 1000 --skip memory
    python benchmarks/run.py --clips 200 --knn-sizes 10000 --skip memory latency
    python benchmarks/run.py --clips 200 --skip knn tc latency memory --profile prof/
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # ``benchmarks.*`` imports when run as a script
    sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from rich.console import Console  # noqa: E402

from benchmarks.harness import children, goals, knn_scale, report, stages, workspace  # noqa: E402
from benchmarks.harness.equivalence import check  # noqa: E402
from benchmarks.harness.timing import limit_cores, pin_model_threads  # noqa: E402

PARTS = ("stages", "knn", "tc", "latency", "memory")
log = Console(stderr=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--clips", type=int, default=1000, help="N clips for the stage timings (default 1000)")
    p.add_argument("--json", type=Path, help="write every result here")
    p.add_argument("--threads", type=int, help="pin to this many cores (default: all)")
    p.add_argument("--repeats", type=int, default=3, help="best of this many runs per stage")
    p.add_argument("--check-clips", type=int, default=64, help="clips in the equivalence check")
    p.add_argument("--knn-sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    p.add_argument("--knn-variants", nargs="*", default=["hnsw", "ivf32"],
                   choices=sorted(knn_scale.VARIANTS), help="faiss settings besides asdkit's default")
    p.add_argument("--recall-queries", type=int, default=2000)
    p.add_argument("--tc-size", type=int, default=20_000, help="points for the torch-cluster comparison")
    p.add_argument("--tc-cap-s", type=float, default=180.0, help="kill torch-cluster after this long")
    p.add_argument("--latency-calls", type=int, default=50)
    p.add_argument("--memory-sizes", type=int, nargs="*", default=[1_000, 10_000])
    p.add_argument("--skip", nargs="*", default=[], choices=PARTS)
    p.add_argument("--profile", type=Path, metavar="OUT", help="profile asdkit's end-to-end scoring into OUT/")
    p.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "asdkit-bench",
                   help="data and model cache (reused between runs)")
    p.add_argument("--retrain", action="store_true", help="retrain the cached model (after changes to asdkit)")
    p.add_argument("--train-per-machine", type=int, default=60, help="training clips per machine type")
    p.add_argument("--backbone-epochs", type=int, default=2)
    p.add_argument("--gnn-epochs", type=int, default=5)
    return p.parse_args(argv)


def environment(cores: list[int], device: torch.device) -> dict[str, Any]:
    import asdkit
    from benchmarks.reference import KNN_LIBRARY

    env = {"python": platform.python_version(), "torch": torch.__version__, "asdkit": asdkit.__version__,
           "native_logmel": asdkit.native_available(), "cores": cores, "machine": platform.machine(),
           "reference_knn": KNN_LIBRARY}
    if device.type == "cuda":
        env["gpu"] = torch.cuda.get_device_name(device)
    return env


def run_stages(model: Any, reference: Any, clips: list, device: torch.device, repeats: int,
               threads: int) -> list[dict]:
    data = stages.prepare_inputs(model, clips, threads)
    rows = []
    for stage in stages.build_stages(model, reference, data, threads):
        log.print(f"timing: {stage.name} ...")
        rows.append(stages.time_stage(stage, device, repeats, threads))
    return rows


def run_knn(args: argparse.Namespace, results: dict[str, Any], threads: int) -> None:
    if "knn" not in args.skip:
        results["knn"] = [row for n in args.knn_sizes
                          for row in knn_scale.measure_size(n, args.knn_variants, recall_queries=args.recall_queries,
                                                            log=log.print, threads=threads)]
    if "tc" not in args.skip:
        ours = knn_scale.measure_size(args.tc_size, [], recall_queries=args.recall_queries, log=log.print,
                                      threads=threads)[0]
        results["torch_cluster_asdkit"] = ours
        log.print(f"kNN graph: N={args.tc_size:,} torch_cluster (cap {args.tc_cap_s:.0f} s) ...")
        results["torch_cluster"] = children.torch_cluster_graph(args.tc_size, 10, threads,
                                                                args.tc_cap_s)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        log.print("--device cuda: no CUDA device here")
        return 2
    load = os.getloadavg()[0]  # before this run adds its own
    cores = limit_cores(args.threads)
    device = torch.device(args.device)
    started = time.perf_counter()
    if load > 0.5:
        log.print(f"[yellow]note: load average {load:.1f} before starting: other processes share the cores, "
                  "so timings will be noisy (multi-threaded torch suffers most)[/]")
    log.print(f"preparing data and model in {args.workdir} (reused when present) ...")
    ws = workspace.prepare(args.workdir, max(args.clips, args.check_clips), train_per_machine=args.train_per_machine,
                           backbone_epochs=args.backbone_epochs, gnn_epochs=args.gnn_epochs, device=args.device,
                           retrain=args.retrain)
    clips = workspace.pool_clips(ws.pool, max(args.clips, args.check_clips))

    from asdkit.pipeline import AsdModel
    from benchmarks.reference import ReferenceModel

    model, reference = AsdModel.load(ws.run, device), ReferenceModel.load(ws.run, device)
    threads = len(cores)
    pin_model_threads(model, threads)  # faiss would otherwise run one thread per core of the machine
    results: dict[str, Any] = {"device": args.device, "clips": args.clips, "threads": len(cores),
                               "load_average_at_start": load, "environment": environment(cores, device),
                               "args": vars(args)}
    equivalence = check(model, reference, clips[:args.check_clips])
    results["equivalence"] = equivalence.to_dict()
    log.print(equivalence.describe())
    if equivalence.passed:
        clips = clips[:args.clips]
        if "stages" not in args.skip:
            results["stages"] = run_stages(model, reference, clips, device, args.repeats, threads)
        if args.profile:
            from benchmarks.harness.profiling import profile

            print(profile(model, clips, args.profile))  # plain: rich would wrap and parse [..] markup
        run_knn(args, results, threads)
        if "latency" not in args.skip:
            log.print(f"latency: {args.latency_calls} single-clip calls on one core ...")
            results["latency"] = children.latency(ws.run, clips[:args.latency_calls], args.latency_calls)
        if "memory" not in args.skip and args.memory_sizes:
            log.print(f"memory: asdkit score on {', '.join(map(str, args.memory_sizes))} clips ...")
            paths = workspace.linked_clips(ws.root, clips, max(args.memory_sizes))
            results["memory"] = children.memory(ws.run, paths, sorted(args.memory_sizes), args.device, ws.root)
    results["goals"] = [g.to_dict() for g in goals.evaluate(results)]
    results["total_s"] = time.perf_counter() - started
    out = Console(soft_wrap=True)
    if not out.is_terminal:
        out.width = 180  # piped or captured: rich would squeeze the tables into 80 columns
    report.print_all(out, results, goals.evaluate(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return 0 if equivalence.passed else 1


if __name__ == "__main__":
    sys.exit(main())
