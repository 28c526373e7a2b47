"""Data-parallel backbone training: 1 process vs N ranks, and the cost of talking.

Times ``asdkit.backbones.train.train_backbone`` (MobileNetV2, ArcFace, the
distributed path of :mod:`asdkit.parallel`) on synthetic log-mels, each setting in
its own process(es), every process with ``--threads`` threads:

- ``one``: one process, global batch ``B`` (the reference);
- ``ranks``: ``--nproc`` ranks under torchrun (gloo), global batch ``B``: each rank
  computes ``B / N`` rows;
- ``half``: one process, batch ``B / N``: the compute a rank does, without talking.

Per step: ``ranks - half`` is the communication and synchronisation overhead (the
global-batch BatchNorm's all-reduces, DDP's gradient all-reduce, waiting for the
slower rank); ``one / ranks`` is the speed-up. Steps are timed over epochs 2.. (the
first epoch warms up). Also printed: BatchNorm all-reduces and gradient bytes per step.

    python benchmarks/bench_ddp.py --clips 256 --batch-size 32 --epochs 3 --nproc 2 --threads 1
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path


def _worker(args: argparse.Namespace) -> None:
    import numpy as np
    import torch

    from asdkit import registry
    from asdkit.backbones.train import train_backbone
    from asdkit.utils import seed_everything

    rng = np.random.default_rng(0)
    feats = [rng.standard_normal((args.mels, args.frames)).astype(np.float32) + i % 4 for i in range(args.clips)]
    labels = [i % 4 for i in range(args.clips)]
    seed_everything(0)
    backbone = registry.create("backbone", "mobilenetv2", {"width_mult": args.width})
    parallel = None
    ctx = None
    if "WORLD_SIZE" in os.environ:
        from asdkit.distributed import process_group
        from asdkit.parallel import DataParallel

        ctx = process_group("cpu")
        parallel = DataParallel(ctx.__enter__(), torch.device("cpu"))
    seconds: list[float] = []
    started = time.perf_counter()
    train_backbone(backbone, feats, labels, epochs=args.epochs, batch_size=args.batch_size,
                   crop_frames=args.crop, recalibrate_bn=False, parallel=parallel,
                   on_epoch=lambda row: seconds.append(row["seconds"]))
    total = time.perf_counter() - started
    steps = -(-args.clips // args.batch_size)
    norms = sum(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in backbone.modules())
    params = sum(p.numel() for p in backbone.parameters())
    if parallel is None or parallel.group.is_main:
        print(json.dumps({"step_s": sum(seconds[1:]) / max(len(seconds) - 1, 1) / steps, "total_s": total,
                          "batchnorms": norms, "parameters": params}), flush=True)
    if ctx is not None:
        ctx.__exit__(None, None, None)


def _run(args: argparse.Namespace, batch_size: int, nproc: int) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads)}
    worker = [__file__, "--worker", "--clips", str(args.clips), "--batch-size", str(batch_size),
              "--epochs", str(args.epochs), "--mels", str(args.mels), "--frames", str(args.frames),
              "--crop", str(args.crop), "--width", str(args.width)]
    if nproc > 1:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(nproc),
               "--master-addr", "127.0.0.1", "--master-port", str(port), *worker]
    else:
        cmd = [sys.executable, *worker]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads([line for line in done.stdout.splitlines() if line.startswith("{")][-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--clips", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--nproc", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="threads per process")
    parser.add_argument("--mels", type=int, default=128)
    parser.add_argument("--frames", type=int, default=313)
    parser.add_argument("--crop", type=int, default=64)
    parser.add_argument("--width", type=float, default=1.0, help="MobileNetV2 width multiplier")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.worker:
        _worker(args)
        return
    one = _run(args, args.batch_size, 1)
    ranks = _run(args, args.batch_size, args.nproc)
    half = _run(args, args.batch_size // args.nproc, 1)
    per_step = {"one": one["step_s"], "ranks": ranks["step_s"], "half": half["step_s"]}
    # One all-reduce per BatchNorm forward (sums, squares, count) and one backward; DDP
    # all-reduces the float32 gradients once, in buckets.
    result = {"settings": vars(args) | {"json": None}, "per_step_s": per_step,
              "speed_up": one["step_s"] / ranks["step_s"],
              "overhead_per_step_s": ranks["step_s"] - half["step_s"],
              "batchnorm_allreduces_per_step": 2 * one["batchnorms"], "gradient_bytes_per_step": 4 * one["parameters"]}
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
