"""Accuracy study: official DCASE 2024 score, mean +- std over seeds, per method.

Methods (each trained and scored from scratch per seed, on the same data):

- ``sage_gat``: the paper's pipeline (MobileNetV2 + ArcFace over machine types ->
  kNN graph -> SAGE-GAT + MLP head with ArcFace -> per-machine K-means).
- ``gnn_none``: the same backbone embeddings, the graph network replaced by the
  identity (head + ArcFace + K-means unchanged): what the graph adds.
- ``backbone_kmeans``: K-means on the backbone embeddings, no graph stage at all.
- ``ae_baseline``: the DCASE autoencoder baseline (640-d frame windows, 8-d bottleneck,
  MSE score) as asdkit's ``ae_baseline`` backbone + scorer.

The three MobileNetV2 methods share one backbone per seed (one ``extract``).
Data: a synthetic DCASE-2024-layout set generated here (``--machines``,
``--train-clips``, ...) or any dataset folder (``--data``, e.g. real DCASE clips).
A dataset folder of several DCASE layouts (real-mini) is evaluated per sub-folder.

    python benchmarks/accuracy.py --workdir /tmp/acc                 # synthetic, 3 seeds
    python benchmarks/accuracy.py --workdir /tmp/acc1 --machines 1   # one machine type: self-supervised
    python benchmarks/accuracy.py --workdir /tmp/acc1s --machines 1 --sections 3 --labels section
    python benchmarks/accuracy.py --workdir /tmp/real --data ../shared/data/real-mini/dcase2023

Runs are cached in ``--workdir`` (a finished stage is not redone); results go to
``--workdir/accuracy.json`` and a table on stdout.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from asdkit.pipeline import ExtractSettings, FitSettings, run_extract, run_fit, run_score
from asdkit.utils import atomic_write_json

METHODS = ("sage_gat", "gnn_none", "backbone_kmeans", "ae_baseline")
EXTRACTED = ("backbone", "clips.csv", "config.json", "embeddings.safetensors", "history.json")


def synth_data(workdir: Path, args: argparse.Namespace) -> Path:
    from asdkit.synth import SynthConfig, generate
    from asdkit.synth.config import MACHINE_TYPES

    data = workdir / "data"
    if not (data / ".synth-complete").exists():
        config = SynthConfig(machines=MACHINE_TYPES[:args.machines], sections=args.sections,
                             train_source=args.train_clips,
                             train_target=args.target_train_clips, test_clips=args.test_clips, seed=0)
        generate(data, config)
        (data / ".synth-complete").write_text(json.dumps(config.to_dict()))
    return data


def timed(label: str, timings: dict[str, float], fn, *a, **kw):
    start = time.perf_counter()
    result = fn(*a, **kw)
    timings[label] = round(time.perf_counter() - start, 1)
    print(f"  {label}: {timings[label]} s", file=sys.stderr, flush=True)
    return result


def copy_extracted(src: Path, dst: Path) -> None:
    """A second RUN folder on the same backbone (fit writes RUN/model)."""
    dst.mkdir(parents=True, exist_ok=True)
    for name in EXTRACTED:
        if (src / name).is_dir():
            shutil.copytree(src / name, dst / name, dirs_exist_ok=True)
        elif (src / name).exists():
            shutil.copy2(src / name, dst / name)


def pooled_score(run: Path, scores: dict[str, float]) -> float:
    """Harmonic mean over machine types of AUC and pAUC, sections and domains pooled.

    Not an official score: for data whose sections lack normal test clips (real-mini's
    DCASE 2020 machine IDs), where the official per-section metrics are undefined.
    """
    from asdkit.audio import read_clips_csv
    from asdkit.metrics import harmonic_mean, partial_auc, roc_auc

    clips = read_clips_csv(run / "scores" / "scored_clips.csv")
    values = []
    for machine in sorted({c.machine for c in clips}):
        mine = [c for c in clips if c.machine == machine]
        labels = np.array([c.label == "anomaly" for c in mine])
        machine_scores = np.array([scores[str(c.path)] for c in mine])
        values += [roc_auc(labels, machine_scores), partial_auc(labels, machine_scores)]
    return harmonic_mean(values)


def fit_and_score(run: Path, data: Path, fit: FitSettings, timings: dict[str, float], tag: str) -> float | None:
    """Official DCASE 2024 score of ``run``; the pooled score when that is undefined."""
    done, pooled = run / "metrics.json", run / "pooled_score.json"
    if not done.exists() and not pooled.exists():
        timed(f"{tag} fit", timings, run_fit, run, fit)
        result = timed(f"{tag} score", timings, run_score, [data], run, run / "scores", metrics_path=done)
        if result.evaluation is None:  # e.g. a section without normal test clips
            atomic_write_json(pooled, {"pooled_score": pooled_score(run, result.scores)})
    if done.exists():
        return json.loads(done.read_text())["summary"]["official_score"]
    return json.loads(pooled.read_text())["pooled_score"]


def run_seed(data: Path, workdir: Path, seed: int, args: argparse.Namespace) -> tuple[dict, dict]:
    seed_dir = workdir / f"seed{seed}"
    timings: dict[str, float] = {}
    scores: dict[str, float | None] = {}
    mnv2 = seed_dir / "mobilenetv2"
    if not (mnv2 / "embeddings.safetensors").exists():
        timed("mobilenetv2 extract", timings, run_extract, data, mnv2, ExtractSettings(
            backbone_options={"width_mult": args.width}, labels=args.labels, epochs=args.epochs, seed=seed),
            cache_dir=workdir / "cache")
    for method, settings in (("sage_gat", FitSettings(gnn="sage_gat", seed=seed)),
                             ("gnn_none", FitSettings(gnn="none", seed=seed)),
                             ("backbone_kmeans", FitSettings(gnn="none", score_on="embedding", seed=seed))):
        if method in args.methods:
            run = seed_dir / method
            copy_extracted(mnv2, run)
            scores[method] = fit_and_score(run, data, settings, timings, method)
    if "ae_baseline" in args.methods:
        ae = seed_dir / "ae_baseline"
        if not (ae / "embeddings.safetensors").exists():
            timed("ae_baseline extract", timings, run_extract, data, ae, ExtractSettings(
                backbone="ae_baseline", epochs=args.ae_epochs, batch_size=args.ae_batch, seed=seed),
                cache_dir=workdir / "cache")
        scores["ae_baseline"] = fit_and_score(ae, data, FitSettings(gnn="none", scorer="ae_baseline", seed=seed),
                                              timings, "ae_baseline")
    return scores, timings


def summarise(per_seed: dict[int, dict]) -> dict[str, dict]:
    table = {}
    for method in METHODS:
        values = [s[method] for s in per_seed.values() if s.get(method) is not None]
        if values:
            table[method] = {"mean": statistics.fmean(values), "std": statistics.stdev(values) if len(values) > 1 else 0.0,
                             "seeds": values}
    return table


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workdir", type=Path, required=True)
    p.add_argument("--data", type=Path, help="dataset folder (default: generate a synthetic one)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    p.add_argument("--machines", type=int, default=7, help="synthetic machine types (1-7)")
    p.add_argument("--sections", type=int, default=1, help="synthetic sections per machine type")
    p.add_argument("--labels", default="machine", choices=("machine", "section", "attribute"),
                   help="classes the backbone learns (extract --labels)")
    p.add_argument("--train-clips", type=int, default=150, help="per section")
    p.add_argument("--target-train-clips", type=int, default=10)
    p.add_argument("--test-clips", type=int, default=25, help="per domain, normal and anomalous each")
    p.add_argument("--epochs", type=int, default=30, help="MobileNetV2 training epochs")
    p.add_argument("--width", type=float, default=0.5, help="MobileNetV2 width multiplier")
    p.add_argument("--ae-epochs", type=int, default=20)
    p.add_argument("--ae-batch", type=int, default=32)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    data = args.data.resolve() if args.data else synth_data(args.workdir, args)
    per_seed, timings = {}, {}
    for seed in args.seeds:
        print(f"seed {seed}", file=sys.stderr, flush=True)
        per_seed[seed], timings[seed] = run_seed(data, args.workdir, seed, args)
    table = summarise(per_seed)
    pooled = sorted(str(p.parent) for p in args.workdir.glob("seed*/*/pooled_score.json"))
    metric = ("official DCASE 2024 score" if not pooled else
              f"pooled per-machine hmean of AUC and pAUC (official score undefined in {len(pooled)} run(s), e.g. {pooled[0]})")
    print(f"metric: {metric}")
    print(f"{'method':<16} {'score (mean +- std)':>30}   seeds")
    for method, row in table.items():
        seeds = " ".join(f"{v:.4f}" for v in row["seeds"])
        print(f"{method:<16} {row['mean']:>21.4f} +- {row['std']:.4f}   {seeds}")
    atomic_write_json(args.workdir / "accuracy.json", {
        "data": str(data), "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "metric": metric, "per_seed": per_seed, "summary": table, "timings_s": timings})
    return 0


if __name__ == "__main__":
    sys.exit(main())
