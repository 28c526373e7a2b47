"""The kNN graph and neighbour-sampled graph training at 1M and 10M clips.

Data: synthetic clustered embeddings like clips' (a mixture of ``--clusters`` Gaussians
on the unit sphere, ``--dim`` float32, spread 0.05, as ``bench_knn.clustered``), written
in chunks of 1M rows to a ``.npy`` file and memory-mapped, so that 10M x 128 (5 GiB) is
never generated in one piece; the cluster is the training label (a machine type).

Each stage runs in its own child process, so that ``ru_maxrss`` is that stage's
memory peak (RSS, memory-mapped pages included as they are touched):

- ``graph``: ``asdkit.graph.build.knn_graph`` with the faiss backend (``--knn-options``,
  JSON; default asdkit's, which picks IVF-PQ above 2M points), build + every node
  queried. recall@k: the graph's neighbours of ``--recall-queries`` random nodes
  against exact search (faiss ``knn``) of the same nodes over the whole base. The
  backend's own calibration (nprobe, recall on its sample) is reported too.
- ``train``: one epoch of ``train_graph_model`` with ``sage_gat`` and ``--batch-size``
  seeds a step (every neighbour, 2 hops). With ``--train-batches B`` (> 0) only the
  first ``B`` steps are timed (a forward pre-hook on the layer stamps each step and
  stops the run after ``B``) and the epoch time is extrapolated:
  ``setup + B-step mean * ceil(N / batch_size)``; the output says which.
- ``--graph-rows R``: the index is built on every node but only ``R`` sampled nodes are
  searched (graph time = build + search per node x N, said so in the output), and the
  training stage runs on synthetic edges of the same shape and degree (``k`` random
  nodes of each node's cluster), for sizes where searching every node takes hours.

    python benchmarks/bench_graph_scale.py --sizes 1000000 --train-batches 50 --json out.json
    python benchmarks/bench_graph_scale.py --sizes 20000 --train-batches 0   # seconds, whole epoch
    python benchmarks/bench_graph_scale.py --sizes 10000000 --graph-rows 20000 --train-batches 20
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

CHUNK = 1_000_000


def write_embeddings(path: Path, n: int, dim: int, clusters: int, seed: int = 0) -> None:
    """``path``/x.npy (n, dim) float32 and ``path``/labels.npy, generated chunk by chunk
    (each chunk from its own seeded generator: the same file for the same arguments)."""
    centres = np.random.default_rng(seed).standard_normal((clusters, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    x = np.lib.format.open_memmap(path / "x.npy", mode="w+", dtype=np.float32, shape=(n, dim))
    labels = np.empty(n, dtype=np.int64)
    for i, start in enumerate(range(0, n, CHUNK)):
        rng = np.random.default_rng([seed, i + 1])
        stop = min(n, start + CHUNK)
        which = rng.integers(0, clusters, stop - start)
        points = centres[which] + 0.05 * rng.standard_normal((stop - start, dim), dtype=np.float32)
        x[start:stop] = points / np.linalg.norm(points, axis=1, keepdims=True)
        labels[start:stop] = which
    x.flush()
    del x
    np.save(path / "labels.npy", labels)


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20  # KiB on Linux


def load_x(path: Path):
    import torch

    # Copy-on-write map: a writable array (torch wants one) whose pages stay the file's.
    return torch.from_numpy(np.load(path / "x.npy", mmap_mode="c"))


def stage_graph(path: Path, k: int, options: dict[str, Any], recall_queries: int,
                graph_rows: int = 0) -> dict[str, Any]:
    """The kNN graph over every node, or with ``graph_rows`` (< N) the index built on
    every node and ``graph_rows`` sampled nodes searched: the graph's time is then
    ``build + search per node x N`` and the training stage gets synthetic edges
    (:func:`same_cluster_edges`)."""
    import faiss
    import torch

    from asdkit import registry
    from asdkit.graph.build import knn_graph

    x = load_x(path)
    n = x.shape[0]
    backend = registry.create("knn", "faiss", options)
    sampled = 0 < graph_rows < n
    rows = np.sort(np.random.default_rng(1).choice(n, size=min(n, graph_rows if sampled else recall_queries),
                                                    replace=False))
    started = time.perf_counter()
    if sampled:
        backend.build(x)
        built = time.perf_counter()
        _, idx = backend.search(x[torch.from_numpy(rows)], k + 1)
        is_self = idx.to(torch.int64) == torch.from_numpy(rows)[:, None]
        order = torch.argsort(is_self.to(torch.int8), dim=1, stable=True)  # self last, as knn_graph drops it
        found = idx.to(torch.int64).gather(1, order)[:, :k].numpy()
        per_row = (time.perf_counter() - built) / len(rows)
        seconds = (built - started) + per_row * n
        np.save(path / "edges.npy", same_cluster_edges(np.load(path / "labels.npy"), k))
        rows, found = rows[:recall_queries], found[:recall_queries]
        extra = {"build_s": built - started, "search_s_per_node": per_row, "searched_nodes": int(graph_rows),
                 "graph_extrapolated": True, "training_edges": "synthetic: k random nodes of the same cluster"}
    else:
        edges = knn_graph(x, k, backend)
        seconds = time.perf_counter() - started
        np.save(path / "edges.npy", edges.numpy())
        found = edges[0].view(n, k)[torch.from_numpy(rows)].numpy()
        extra = {"graph_extrapolated": False}
    base = x.numpy()
    _, exact = faiss.knn(np.ascontiguousarray(base[rows]), base, k + 1)
    exact = np.stack([r[r != q][:k] for r, q in zip(exact, rows)])  # drop the node itself
    recall = float((found[:, :, None] == exact[:, None, :]).any(2).mean())
    return {"stage": "graph", "n": n, "kind": backend.chosen_kind(n), "options": options,
            "calibration": backend.calibration, "seconds": seconds, "recall": recall,
            "recall_queries": len(rows), "peak_rss_gib": peak_rss_gib(), **extra}


def same_cluster_edges(labels: np.ndarray, k: int, seed: int = 2) -> np.ndarray:
    """``(2, N*k)`` edges from ``k`` random nodes of each node's cluster: a stand-in with
    the kNN graph's shape and degree (what a neighbour-sampled step's cost depends on)
    where searching every node would take hours."""
    rng = np.random.default_rng(seed)
    order = np.argsort(labels, kind="stable")
    counts = np.bincount(labels)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    n = labels.shape[0]
    src = np.empty((n, k), dtype=np.int64)
    for start in range(0, n, CHUNK):
        stop = min(n, start + CHUNK)
        own = labels[start:stop]
        picks = rng.integers(0, counts[own][:, None], size=(stop - start, k))
        src[start:stop] = order[starts[own][:, None] + picks]
    return np.stack([src.reshape(-1), np.repeat(np.arange(n, dtype=np.int64), k)])


class _Enough(Exception):
    """Raised by the step hook once the timed mini-batches are done."""


def stage_train(path: Path, batch_size: int, batches: int, threads: int) -> dict[str, Any]:
    import torch

    from asdkit import registry
    from asdkit.graph.train import train_graph_model

    torch.set_num_threads(threads)
    x = load_x(path)
    labels = torch.from_numpy(np.load(path / "labels.npy"))
    edges = torch.from_numpy(np.load(path / "edges.npy"))
    n = x.shape[0]
    layer = registry.create("graph_layer", "sage_gat", {}, x.shape[1], 256)
    stamps: list[float] = []

    def on_step(*_: Any) -> None:  # forward pre-hook: (module, inputs)
        stamps.append(time.perf_counter())
        if batches and len(stamps) > batches:
            raise _Enough

    layer.register_forward_pre_hook(on_step)
    started = time.perf_counter()
    try:
        train_graph_model(x, edges, labels, layer=layer, epochs=1, batch_size=batch_size, device="cpu")
        finished = time.perf_counter()
    except _Enough:
        finished = stamps[-1]
    steps_per_epoch = sum(1 for b in range(0, n, batch_size) if min(n, b + batch_size) - b > 1)
    timed = len(stamps) - 1 if batches else len(stamps)
    per_step = (finished - stamps[0]) / max(timed, 1)
    setup = stamps[0] - started
    measured_whole = not batches or timed >= steps_per_epoch
    return {"stage": "train", "n": n, "batch_size": batch_size, "steps_per_epoch": steps_per_epoch,
            "steps_timed": timed, "setup_s": setup, "step_s": per_step,
            "epoch_s": (finished - started) if measured_whole else setup + per_step * steps_per_epoch,
            "epoch_extrapolated": not measured_whole, "peak_rss_gib": peak_rss_gib()}


def run_child(args: list[str]) -> dict[str, Any]:
    """One stage in a fresh interpreter; its last stdout line is the JSON result."""
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--clusters", type=int, default=64)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--knn-options", type=json.loads, default={}, help='faiss options, JSON: {"index": "ivfpq"}')
    parser.add_argument("--recall-queries", type=int, default=2000)
    parser.add_argument("--graph-rows", type=int, default=0,
                        help="search only this many sampled nodes (0: all) and extrapolate the graph's time")
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--train-batches", type=int, default=50, help="0: time the whole epoch")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None, help="where the embeddings go (default: a temp dir)")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--child", choices=["graph", "train"], default=None, help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "graph":
        print(json.dumps(stage_graph(args.path, args.k, {"threads": args.threads, **args.knn_options},
                                     args.recall_queries, args.graph_rows)))
        return 0
    if args.child == "train":
        print(json.dumps(stage_train(args.path, args.batch_size, args.train_batches, args.threads)))
        return 0
    rows = []
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        for n in args.sizes:
            path = Path(tmp) / f"n{n}"
            path.mkdir()
            started = time.perf_counter()
            write_embeddings(path, n, args.dim, args.clusters)
            print(f"N={n:,}: embeddings written in {time.perf_counter() - started:.1f} s", flush=True)
            common = ["--path", str(path), "--k", str(args.k), "--threads", str(args.threads)]
            graph = run_child(["--child", "graph", *common, "--knn-options", json.dumps(args.knn_options),
                               "--recall-queries", str(args.recall_queries), "--graph-rows", str(args.graph_rows)])
            how = (f"extrapolated: build {graph['build_s']:.0f} s + {graph['searched_nodes']:,} nodes searched"
                   if graph["graph_extrapolated"] else "measured")
            print(f"N={n:,}: graph ({graph['kind']}) {graph['seconds']:.1f} s ({how}), recall@{args.k} "
                  f"{graph['recall']:.3f}, peak RSS {graph['peak_rss_gib']:.2f} GiB, {graph['calibration']}",
                  flush=True)
            train = run_child(["--child", "train", *common, "--batch-size", str(args.batch_size),
                               "--train-batches", str(args.train_batches)])
            how = f"extrapolated from {train['steps_timed']} steps" if train["epoch_extrapolated"] else "measured"
            print(f"N={n:,}: one epoch {train['epoch_s']:.0f} s ({how}; {train['step_s']:.3f} s/step, "
                  f"{train['steps_per_epoch']} steps), peak RSS {train['peak_rss_gib']:.2f} GiB", flush=True)
            rows.append({"n": n, "dim": args.dim, "graph": graph, "train": train})
            for name in ("x.npy", "edges.npy"):  # 5 + 1.6 GiB at 10M: free the disk before the next size
                (path / name).unlink()
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    if __package__ in (None, ""):  # run as a script: make ``benchmarks``/``asdkit`` importable
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    raise SystemExit(main())
