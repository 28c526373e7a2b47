"""Accuracy study: official DCASE 2024 score, mean +- std over seeds, per method.

Methods (each trained and scored from scratch per seed, on the same data):

- ``default``: ``asdkit extract`` + ``asdkit fit`` with their default settings: log-mel
  statistics (``logmel_stats``, nothing trained), no graph network, K-means per machine
  type (16 centres + the target-domain clips) on the statistics.
- ``sage_gat``: the paper's pipeline (MobileNetV2 + ArcFace over machine types ->
  kNN graph -> SAGE-GAT + MLP head with ArcFace -> per-machine K-means).
- ``gnn_none``: the same backbone embeddings, the graph network replaced by the
  identity (head + ArcFace + K-means unchanged): what the graph adds.
- ``backbone_kmeans``: K-means on the backbone embeddings, no graph stage at all.
- ``ae_baseline``: the DCASE autoencoder baseline (640-d frame windows, 8-d bottleneck,
  MSE score) as asdkit's ``ae_baseline`` backbone + scorer.
- ``logmel_knn``: the simple detector, no learning: log-mel mean + std per band
  (``logmel_stats`` backbone) and the cosine distance to the nearest training clip of
  the machine type (``knn`` scorer, k=1, source/target banks). The floor.
- ``sage_gat_scadacos``: ``sage_gat`` with the graph head trained by sub-cluster AdaCos
  (16 trainable centres per class) instead of ArcFace.
- ``sage_gat_transductive``: the ``sage_gat`` model, scoring with ``--transductive``
  (the test clips join the graph, linked to each other as well as to training clips).
- ``fusion``: ``asdkit fuse`` of ``sage_gat`` and ``logmel_knn`` (each score z-normalised
  by its held-out training scores, then averaged).
- ``fusion_ae``: ``asdkit fuse`` of ``ae_baseline`` and ``logmel_knn``.

For the graph methods the table also reports the spread of the refined training
vectors (mean cosine distance to their machine type's mean direction; ~0 = collapsed)
and the ratio of the mean anomaly score of anomalous to normal test clips.

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

from asdkit.pipeline import ExtractSettings, FitSettings, run_extract, run_fit, run_fuse, run_score
from asdkit.utils import atomic_write_json

METHODS = ("default", "sage_gat", "gnn_none", "backbone_kmeans", "ae_baseline", "logmel_knn", "sage_gat_scadacos",
           "sage_gat_transductive", "fusion", "fusion_ae")
GRAPH_METHODS = ("sage_gat", "gnn_none", "sage_gat_scadacos")
FUSIONS = {"fusion": ("sage_gat", "logmel_knn"), "fusion_ae": ("ae_baseline", "logmel_knn")}
EXTRACTED = ("backbone", "clips.csv", "config.json", "embeddings.safetensors", "history.json")


def synth_data(workdir: Path, args: argparse.Namespace) -> Path:
    from asdkit.synth import SynthConfig, generate_once
    from asdkit.synth.config import MACHINE_TYPES

    data = workdir / "data"
    config = SynthConfig(machines=MACHINE_TYPES[:args.machines], sections=args.sections,
                         train_source=args.train_clips,
                         train_target=args.target_train_clips, test_clips=args.test_clips, seed=0)
    generate_once(data, config)
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


def pooled_score(scores_dir: Path, scores: dict[str, float]) -> float:
    """Harmonic mean over machine types of AUC and pAUC, sections and domains pooled.

    Not an official score: for data whose sections lack normal test clips (real-mini's
    DCASE 2020 machine IDs), where the official per-section metrics are undefined.
    """
    from asdkit.audio import read_clips_csv
    from asdkit.metrics import harmonic_mean, partial_auc, roc_auc

    clips = read_clips_csv(scores_dir / "scored_clips.csv")
    values = []
    for machine in sorted({c.machine for c in clips}):
        mine = [c for c in clips if c.machine == machine]
        labels = np.array([c.label == "anomaly" for c in mine])
        machine_scores = np.array([scores[str(c.path)] for c in mine])
        values += [roc_auc(labels, machine_scores), partial_auc(labels, machine_scores)]
    return harmonic_mean(values)


def cached_score(folder: Path, produce) -> float:
    """Official DCASE 2024 score kept in ``folder``; the pooled score where the official
    one is undefined or only partial (a section without normal or anomalous test clips:
    the partial harmonic mean is not comparable across data sets). ``produce()`` makes it
    once: it writes ``folder/metrics.json`` and returns ``(evaluation, scores folder,
    {clip path: score})``."""
    done, pooled = folder / "metrics.json", folder / "pooled_score.json"
    if not pooled.exists() and not _complete(done):
        evaluation, scores_dir, scores = produce()
        if evaluation is None or not evaluation.summary.get("official_score_complete", True):
            atomic_write_json(pooled, {"pooled_score": pooled_score(scores_dir, scores)})
    if pooled.exists():
        return json.loads(pooled.read_text())["pooled_score"]
    return json.loads(done.read_text())["summary"]["official_score"]


def _complete(metrics_json: Path) -> bool:
    """Whether a kept metrics.json holds a complete official score."""
    if not metrics_json.exists():
        return False
    summary = json.loads(metrics_json.read_text())["summary"]
    return summary.get("official_score") is not None and summary.get("official_score_complete", True)


def fit_and_score(run: Path, data: Path, fit: FitSettings, timings: dict[str, float], tag: str) -> float:
    def produce():
        timed(f"{tag} fit", timings, run_fit, run, fit)
        result = timed(f"{tag} score", timings, run_score, [data], run, run / "scores",
                       metrics_path=run / "metrics.json")
        return result.evaluation, run / "scores", result.scores
    return cached_score(run, produce)


def collapse_diagnostics(run: Path, scores: dict[str, float]) -> dict[str, float]:
    """Spread of the refined training vectors and anomalous/normal mean score ratio."""
    import torch

    from asdkit.audio import read_clips_csv
    from asdkit.pipeline import RunFolder

    folder = RunFolder.at(run)
    clips = read_clips_csv(folder.clips)
    vectors = torch.nn.functional.normalize(folder.load_tensor(folder.refined, "refined"), dim=1)
    spreads = []
    for machine in sorted({c.machine for c in clips}):
        rows = [i for i, c in enumerate(clips) if c.machine == machine and c.split == "train"]
        v = vectors[rows]
        centre = torch.nn.functional.normalize(v.mean(0), dim=0)
        spreads.append(float((1 - v @ centre).mean()))
    scored = read_clips_csv(run / "scores" / "scored_clips.csv")
    anomalous = [scores[str(c.path)] for c in scored if c.label == "anomaly"]
    normal = [scores[str(c.path)] for c in scored if c.label == "normal"]
    ratio = statistics.fmean(anomalous) / statistics.fmean(normal) if anomalous and normal else float("nan")
    return {"spread": statistics.fmean(spreads), "anomaly_normal_ratio": ratio}


def score_transductive(seed_dir: Path, data: Path, timings: dict[str, float]) -> float:
    """Official (or pooled) score of the fitted ``sage_gat`` model, scored transductively."""
    out = seed_dir / "sage_gat_transductive"

    def produce():
        result = timed("sage_gat_transductive score", timings, run_score, [data], seed_dir / "sage_gat",
                       out / "scores", transductive=True, metrics_path=out / "metrics.json")
        return result.evaluation, out / "scores", result.scores
    return cached_score(out, produce)


def fuse_runs(seed_dir: Path, name: str, parts: tuple[str, ...]) -> float:
    out = seed_dir / name

    def produce():
        from asdkit.audio import read_clips_csv

        result = run_fuse([seed_dir / p for p in parts], out)
        path_of = {(c.machine, c.section, c.path.name): str(c.path) for c in read_clips_csv(out / "scored_clips.csv")}
        return result.evaluation, out, {path_of[k]: v for k, v in result.scores.items()}
    return cached_score(out, produce)


def run_seed(data: Path, workdir: Path, seed: int, args: argparse.Namespace) -> tuple[dict, dict]:
    seed_dir = workdir / f"seed{seed}"
    timings: dict[str, float] = {}
    scores: dict[str, float | None] = {}
    diagnostics: dict[str, dict[str, float]] = {}
    mnv2 = seed_dir / "mobilenetv2"
    needs_mnv2 = any(m in args.methods for m in ("sage_gat", "gnn_none", "backbone_kmeans", "sage_gat_scadacos"))
    if needs_mnv2 and not (mnv2 / "embeddings.safetensors").exists():
        timed("mobilenetv2 extract", timings, run_extract, data, mnv2, ExtractSettings(
            backbone="mobilenetv2", backbone_options={"width_mult": args.width}, labels=args.labels,
            epochs=args.epochs, seed=seed),
            cache_dir=workdir / "cache")
    for method, settings in (("sage_gat", FitSettings(gnn="sage_gat", seed=seed)),
                             ("gnn_none", FitSettings(gnn="none", score_on="refined", seed=seed)),
                             ("backbone_kmeans", FitSettings(gnn="none", score_on="embedding", seed=seed)),
                             ("sage_gat_scadacos", FitSettings(gnn="sage_gat", loss="subcluster_adacos", seed=seed))):
        if method in args.methods:
            run = seed_dir / method
            copy_extracted(mnv2, run)
            scores[method] = fit_and_score(run, data, settings, timings, method)
            if method in GRAPH_METHODS:
                diagnostics[method] = collapse_diagnostics(run, _scores_of(run))
    if "sage_gat_transductive" in args.methods and scores.get("sage_gat") is not None:
        scores["sage_gat_transductive"] = score_transductive(seed_dir, data, timings)
    if "ae_baseline" in args.methods:
        ae = seed_dir / "ae_baseline"
        if not (ae / "embeddings.safetensors").exists():
            timed("ae_baseline extract", timings, run_extract, data, ae, ExtractSettings(
                backbone="ae_baseline", epochs=args.ae_epochs, batch_size=args.ae_batch, seed=seed),
                cache_dir=workdir / "cache")
        scores["ae_baseline"] = fit_and_score(ae, data, FitSettings(gnn="none", scorer="ae_baseline", seed=seed),
                                              timings, "ae_baseline")
    if "logmel_knn" in args.methods:
        floor = seed_dir / "logmel_knn"
        if not (floor / "embeddings.safetensors").exists():
            timed("logmel_knn extract", timings, run_extract, data, floor,
                  ExtractSettings(backbone="logmel_stats", seed=seed), cache_dir=workdir / "cache")
        scores["logmel_knn"] = fit_and_score(floor, data, FitSettings(
            gnn="none", score_on="embedding", scorer="knn", scorer_options={"k": 1}, seed=seed),
            timings, "logmel_knn")
    if "default" in args.methods:
        default = seed_dir / "default"
        if not (default / "embeddings.safetensors").exists():
            timed("default extract", timings, run_extract, data, default, ExtractSettings(seed=seed),
                  cache_dir=workdir / "cache")
        scores["default"] = fit_and_score(default, data, FitSettings(seed=seed), timings, "default")
    for name, parts in FUSIONS.items():
        if name in args.methods and all(scores.get(p) is not None for p in parts):
            scores[name] = fuse_runs(seed_dir, name, parts)
    return scores, timings, diagnostics


def _scores_of(run: Path) -> dict[str, float]:
    from asdkit.audio import read_clips_csv
    from asdkit.formats.score_files import find_score_files, read_score_csv

    by_name = {}
    for found in find_score_files(run / "scores", "anomaly_score").values():
        names, values = read_score_csv(found[0].path)
        by_name.update(zip(names, values))
    return {str(c.path): by_name[c.path.name] for c in read_clips_csv(run / "scores" / "scored_clips.csv")}


def summarise(per_seed: dict[int, dict]) -> dict[str, dict]:
    table = {}
    for method in METHODS:
        values = [s[method] for s in per_seed.values() if s.get(method) is not None]
        if values:
            table[method] = {"mean": statistics.fmean(values),
                             "std": statistics.stdev(values) if len(values) > 1 else 0.0,
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
    per_seed, timings, diagnostics = {}, {}, {}
    for seed in args.seeds:
        print(f"seed {seed}", file=sys.stderr, flush=True)
        per_seed[seed], timings[seed], diagnostics[seed] = run_seed(data, args.workdir, seed, args)
    table = summarise(per_seed)
    pooled = sorted(str(p.parent) for p in args.workdir.glob("seed*/*/pooled_score.json"))
    metric = ("official DCASE 2024 score" if not pooled else
              f"pooled per-machine hmean of AUC and pAUC "
              f"(official score undefined in {len(pooled)} run(s), e.g. {pooled[0]})")
    print(f"metric: {metric}")
    print(f"{'method':<22} {'score (mean +- std)':>24}   seeds")
    for method, row in table.items():
        seeds = " ".join(f"{v:.4f}" for v in row["seeds"])
        print(f"{method:<22} {row['mean']:>15.4f} +- {row['std']:.4f}   {seeds}")
    for method in GRAPH_METHODS:
        rows = [d[method] for d in diagnostics.values() if method in d]
        if rows:
            print(f"{method}: refined spread {statistics.fmean(r['spread'] for r in rows):.4g}, "
                  f"anomalous/normal mean score {statistics.fmean(r['anomaly_normal_ratio'] for r in rows):.3f}")
    atomic_write_json(args.workdir / "accuracy.json", {
        "data": str(data), "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "metric": metric, "per_seed": per_seed, "summary": table, "timings_s": timings,
        "diagnostics": diagnostics})
    return 0


if __name__ == "__main__":
    sys.exit(main())
