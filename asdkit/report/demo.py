"""A small synthetic RUN folder with every artifact, to try the report without training.

Clips of a few machine types sit in Gaussian clusters (anomalies shifted off-cluster);
the "refined" embeddings are the same clusters tightened; the graph links every
training clip to its k nearest training clips; scores are distances to the machine's
training mean. Numbers are made up; only the file formats are real.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..formats.clips_table import Clip, write_clips_csv
from ..formats.run_layout import RunLayout, thresholds_file, write_thresholds
from ..formats.score_files import score_file_name, write_score_csv
from ..metrics import evaluate_scores_dir, write_metrics_json
from ..utils import atomic_write_bytes, atomic_write_json

DEMO_MACHINES = ("fan", "pump", "valve")


def _clip_rows(rng: np.random.Generator, machines: tuple[str, ...], n_train: int, n_test_cell: int) -> list[dict]:
    rows = []
    for machine in machines:
        for i in range(n_train):
            domain = "target" if i % 10 == 0 else "source"
            rows.append({"machine": machine, "split": "train", "domain": domain, "label": "normal",
                         "name": f"section_00_{domain}_train_normal_{i:04d}_spd_{rng.integers(1, 4)}.wav"})
        index = 0
        for domain in ("source", "target"):
            for label in ("normal", "anomaly"):
                for _ in range(n_test_cell):
                    rows.append({"machine": machine, "split": "test", "domain": domain, "label": label,
                                 "name": f"section_00_{domain}_test_{label}_{index:04d}_spd_1.wav"})
                    index += 1
    return rows


def _embed(rng, rows, machines, dim: int, spread: float) -> np.ndarray:
    centres = {m: rng.normal(0, 3.0, dim) for m in machines}
    out = np.empty((len(rows), dim), dtype=np.float32)
    for i, row in enumerate(rows):
        shift = 1.5 * spread if row["domain"] == "target" else 0.0
        anomaly = rng.normal(0, 2.2 * spread, dim) if row["label"] == "anomaly" else 0.0
        out[i] = centres[row["machine"]] + shift + anomaly + rng.normal(0, spread, dim)
    return out


def _knn_graph(rng, points: np.ndarray, k: int, rewire: float = 0.1) -> list[list[int]]:
    """k nearest neighbours; a share ``rewire`` of edges go to random clips (cross-type links)."""
    distances = ((points[:, None, :] - points[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(distances, np.inf)
    neighbours = np.argsort(distances, axis=1)[:, :k]
    random_pick = rng.random(neighbours.shape) < rewire
    neighbours[random_pick] = rng.integers(0, points.shape[0], int(random_pick.sum()))
    dst = np.repeat(np.arange(points.shape[0]), k)
    return [neighbours.ravel().tolist(), dst.tolist()]


def _clips(rows: list[dict]) -> list[Clip]:
    return [Clip(Path("data") / row["machine"] / row["split"] / row["name"], row["machine"], "00", row["domain"],
                 row["split"], row["label"], {"spd": "1"}) for row in rows]


def _write_scores(scores_dir: Path, rows: list[dict], refined: np.ndarray, machines) -> None:
    thresholds = {}
    for machine in machines:
        train = [i for i, r in enumerate(rows) if r["machine"] == machine and r["split"] == "train"]
        test = [i for i, r in enumerate(rows) if r["machine"] == machine and r["split"] == "test"]
        centre = refined[train].mean(axis=0)
        train_scores = np.linalg.norm(refined[train] - centre, axis=1)
        test_scores = np.linalg.norm(refined[test] - centre, axis=1)
        threshold = float(np.quantile(train_scores, 0.9))
        thresholds[f"{machine}/00"] = threshold  # the key asdkit score writes: machine/section
        names = [rows[i]["name"] for i in test]
        write_score_csv(scores_dir / score_file_name(machine, 0), names, test_scores)
        write_score_csv(scores_dir / score_file_name(machine, 0, "decision_result"), names,
                        [int(s > threshold) for s in test_scores])
    write_thresholds(thresholds_file(scores_dir), thresholds)


def _history(rng, epochs: int) -> dict:
    decay = np.exp(-np.arange(1, epochs + 1) / 6)
    backbone = [{"epoch": e + 1, "loss": float(2.5 * d + 0.2 + rng.normal(0, 0.03)),
                 "acc": float(0.98 - 0.6 * d)} for e, d in enumerate(decay)]
    gnn = [{"epoch": e + 1, "loss": float(1.2 * d + 0.1 + rng.normal(0, 0.02))}
           for e, d in enumerate(decay[:epochs // 2])]
    return {"backbone": backbone, "gnn": gnn}


def make_demo_run(root: str | os.PathLike, machines: tuple[str, ...] = DEMO_MACHINES, n_train: int = 40,
                  n_test_cell: int = 10, k: int = 5, seed: int = 0) -> Path:
    """Write a complete synthetic RUN folder at ``root`` and return its path."""
    from safetensors.numpy import save

    run = RunLayout(Path(root))
    rng = np.random.default_rng(seed)
    rows = _clip_rows(rng, machines, n_train, n_test_cell)
    embeddings = _embed(rng, rows, machines, dim=32, spread=1.0)
    refined = (embeddings[:, :16] * 0.6).astype(np.float32)
    train_rows = [i for i, r in enumerate(rows) if r["split"] == "train"]
    write_clips_csv(run.clips, _clips(rows))
    atomic_write_bytes(run.embeddings, save({"embeddings": embeddings}))
    atomic_write_bytes(run.refined, save({"refined": refined}))
    atomic_write_json(run.graph, {"k": k, "nodes": train_rows,
                                  "edge_index": _knn_graph(rng, embeddings[train_rows], k)})
    atomic_write_json(run.history, _history(rng, 24))
    atomic_write_json(run.config, {"seed": seed, "fit": {"gnn": "sage_gat", "k": k}})
    _write_scores(run.scores, rows, refined, machines)
    write_metrics_json(evaluate_scores_dir(run.scores, clips=run.clips), run.metrics)
    return run.root
