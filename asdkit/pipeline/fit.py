"""``fit``: kNN graph over training embeddings -> graph network + head (margin loss) ->
one scorer per machine type -> decision thresholds and score statistics from held-out
(cross-fitted) training scores -> model bundle.

Graph labels: machine types (the paper). With a single machine type, the classes the
backbone was trained on (sections or attributes) are used when there are several;
otherwise K-means pseudo-labels of the embeddings (a self-supervised objective).

Score space (:func:`score_space`): the scorers see the refined vectors (the paper), or
with ``score_on="embedding"`` the backbone's embeddings untouched and no graph network
is trained (the autoencoder baseline, whose embeddings are reconstruction errors; or
an ablation of the whole graph stage).
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .. import distributed, registry
from ..audio import Clip, read_clips_csv
from ..bundle import load_bundle, save_bundle, split_prefix, with_prefix
from ..distributed import Group
from ..errors import ConfigError
from ..formats.bundle_schema import BackboneConfig, Component, GraphSpec, ModelConfig
from ..parallel import DataParallel
from ..progress import Progress, ensure
from ..utils import atomic_write_json, seed_everything
from .extract import class_key, is_training_clip
from .heldout import cross_fitted_scores, score_stats
from .ranks import knn_graph_share, rank_device, rank_progress
from .runfolder import RunFolder, embeddings_of
from .settings import FitSettings
from .threshold import gamma_threshold
from .training_log import TrainingLog, clear_training_log, require_tensorboard

PSEUDO_CLASSES = 8


@dataclass
class FitResult:
    run: RunFolder
    machines: list[str]
    label_source: str
    history: list[dict[str, Any]]
    graph_stats: dict[str, float]
    thresholds: dict[str, float]


def graph_labels(train_clips: list[Clip], x: Tensor, backbone_config: BackboneConfig,
                 seed: int) -> tuple[Tensor, list[str], str]:
    """Class of each training node, the class names, and where they came from."""
    machines = sorted({c.machine for c in train_clips})
    if len(machines) > 1:
        keys, source = [c.machine for c in train_clips], "machine"
    else:
        mode = backbone_config.labels
        keys = [class_key(c, mode) for c in train_clips]
        source = mode
        if len(set(keys)) < 2:
            return _pseudo_labels(x, seed)
    names = sorted(set(keys))
    index = {n: i for i, n in enumerate(names)}
    return torch.tensor([index[k] for k in keys]), names, source


def _pseudo_labels(x: Tensor, seed: int) -> tuple[Tensor, list[str], str]:
    from sklearn.cluster import KMeans

    n_clusters = max(2, min(PSEUDO_CLASSES, x.shape[0] // 10))
    km = KMeans(n_clusters=n_clusters, n_init=4, random_state=seed).fit(x.cpu().numpy())
    return torch.as_tensor(km.labels_, dtype=torch.long), [f"cluster_{i}" for i in range(n_clusters)], "kmeans-pseudo"


@dataclass
class _ScorerFit:
    tensors: dict[str, Tensor]
    thresholds: dict[str, float]
    stats: dict[str, dict[str, float]]  # held-out score mean/std per machine and machine/section
    heldout: Tensor  # (N_train,) held-out score of each training clip, in training-row order


def _fit_scorers(settings: FitSettings, refined: Tensor, train_clips: list[Clip],
                 machines: list[str]) -> _ScorerFit:
    """One scorer per machine type on all its clips; thresholds and score statistics from
    cross-fitted (held-out) training scores (:mod:`.heldout`)."""
    fitted = _ScorerFit({}, {}, {}, torch.empty(len(train_clips), dtype=torch.float64))
    make = functools.partial(registry.create, "scorer", settings.scorer, settings.scorer_options)
    for i, machine in enumerate(machines):
        rows = [j for j, c in enumerate(train_clips) if c.machine == machine]
        domain = torch.tensor([1 if train_clips[j].domain == "target" else 0 for j in rows])
        x = refined[torch.tensor(rows, device=refined.device)]
        scorer = make().fit(x, domain)
        fitted.tensors.update(with_prefix(f"scorer.{i}", scorer.state_dict()))
        scores = cross_fitted_scores(make, x, domain, settings.seed)
        fitted.heldout[torch.tensor(rows)] = torch.from_numpy(scores)
        percentile = 1.0 - settings.false_alarm_rate
        fitted.thresholds[machine] = gamma_threshold(scores, percentile)
        fitted.stats[machine] = score_stats(scores)
        sections = np.array([train_clips[j].section for j in rows])
        for section in sorted(set(sections)):
            fitted.thresholds[f"{machine}/{section}"] = gamma_threshold(scores[sections == section], percentile)
            fitted.stats[f"{machine}/{section}"] = score_stats(scores[sections == section])
    return fitted


def score_space(settings: FitSettings) -> str:
    """Where the scorers work: ``"refined"`` (graph network + head output, the paper)
    or ``"embedding"`` (the backbone's embeddings as they are, no graph network).

    ``auto`` picks ``embedding`` without a graph network (``gnn="none"``: a head trained
    on the embeddings alone scored lower than the embeddings themselves, README) and for
    a scorer that only accepts raw embeddings (``input_space = "embedding"``, e.g. the
    autoencoder baseline's); else ``refined``. ``--gnn none --score-on refined`` is the
    head-only ablation of the paper's pipeline.
    """
    needs_raw = getattr(registry.load("scorer", settings.scorer), "input_space", "any") == "embedding"
    auto = "embedding" if needs_raw or settings.gnn == "none" else "refined"
    space = settings.score_on if settings.score_on != "auto" else auto
    if space == "refined" and needs_raw:
        raise ConfigError(f"scorer '{settings.scorer}' scores the backbone's raw embeddings; "
                          "use it with --score-on embedding (or auto)")
    if space == "embedding" and settings.gnn != "none":
        raise ConfigError(f"scoring on backbone embeddings trains no graph network; pass --gnn none "
                          f"instead of --gnn {settings.gnn}")
    return space


@dataclass
class _GraphFit:
    """What the graph stage leaves for the bundle and the RUN folder."""

    vectors: Tensor  # (N_clips, D') refined vectors of every clip (test clips inductively)
    tensors: dict[str, Tensor]
    config: dict[str, Any]  # the graph stage's fields of ModelConfig
    history: list[dict[str, Any]]
    stats: dict[str, float]
    graph_json: dict[str, Any]


def _fit_graph(settings: FitSettings, clips: list[Clip], embeddings: Tensor, train_rows: list[int],
               backbone_config: BackboneConfig, progress: Progress, log: TrainingLog | None,
               group: Group | None = None) -> tuple[_GraphFit, str, list[str]] | None:
    """The graph stage; under torchrun (``group``) the ranks share the kNN search and the
    training, and only rank 0 goes on (the others return ``None``)."""
    from ..graph.build import graph_stats, knn_graph
    from ..graph.model import refine, refine_inductive
    from ..graph.train import train_graph_model

    train_clips = [clips[i] for i in train_rows]
    machines = sorted({c.machine for c in train_clips})
    x = embeddings[train_rows]
    labels, label_names, label_source = graph_labels(train_clips, x, backbone_config, settings.seed)
    knn = registry.create("knn", settings.knn, settings.knn_options)
    task = progress.task(f"kNN graph ({settings.knn}, k={settings.k})", total=1)
    k = min(settings.k, x.shape[0] - 1)
    edge_index = knn_graph(x, k, knn) if group is None else knn_graph_share(x, k, knn, group)
    task.advance()
    task.close()
    device = rank_device(settings.device, group)
    layer = registry.create("graph_layer", settings.gnn, settings.gnn_options, x.shape[1], settings.graph_dim)
    model, _, history = train_graph_model(
        x, edge_index, labels, layer=layer, head_dim=settings.head_dim,
        head_hidden_dim=settings.head_hidden_dim, epochs=settings.epochs,
        lr=settings.lr, loss=settings.loss, loss_options=settings.graph_loss_options(),
        batch_size=settings.batch_size, device=str(device), seed=settings.seed,
        progress=progress, on_epoch=log, parallel=None if group is None else DataParallel(group, device))
    if group is not None and not group.is_main:
        return None
    k_used = int(edge_index.shape[1] // max(1, x.shape[0]))
    vectors = torch.empty(len(clips), settings.head_dim)
    vectors[train_rows] = refine(model, x, edge_index).cpu()
    in_graph = set(train_rows)
    others = [i for i in range(len(clips)) if i not in in_graph]
    if others:  # knn still indexes x: knn_graph built it on the training embeddings
        vectors[others] = refine_inductive(model, x, edge_index, embeddings[others], knn, k_used).cpu()
    gnn_spec = GraphSpec(layer.asdkit_name, dict(layer.asdkit_options), int(x.shape[1]), settings.graph_dim,
                         settings.head_dim, settings.head_hidden_dim)
    config = {"gnn": gnn_spec, "k": k_used, "knn": Component(knn.asdkit_name, dict(knn.asdkit_options)),
              "graph_labels": label_source, "graph_classes": label_names}
    tensors = {**with_prefix("graph", model.state_dict()), "train.x": x, "train.edge_index": edge_index}
    stats = graph_stats(edge_index, x.shape[0], torch.tensor([machines.index(c.machine) for c in train_clips]))
    graph_json = {"k": k_used, "nodes": train_rows, "stats": stats, "edge_index": edge_index.tolist()}
    return _GraphFit(vectors, tensors, config, history, stats, graph_json), label_source, machines


def run_fit(run_path: str | Path, settings: FitSettings | None = None,
            progress: Progress | None = None, tensorboard: bool = False,
            group: Group | None = None) -> FitResult | None:
    """Fit graph network, head and scorers on an extracted RUN; write RUN/model. The
    graph network's epochs go to RUN/logs/gnn.csv and, with ``tensorboard``,
    RUN/tensorboard/gnn (:mod:`.training_log`).

    Under torchrun (``group``) the ranks share the kNN search and the graph network's
    training (:mod:`.ranks`); rank 0 fits the scorers, writes RUN/model and returns the
    result, the others return ``None``. Without a graph network rank 0 does it all."""
    settings = settings or FitSettings()
    progress = rank_progress(ensure(progress), group)
    main = group is None or group.is_main
    if tensorboard:
        require_tensorboard()
    run = RunFolder.at(run_path)
    run.require_extracted()
    space = score_space(settings)
    seed_everything(settings.seed)
    clips = read_clips_csv(run.clips)
    raw = embeddings_of(run)
    backbone_tensors, raw_backbone_config = load_bundle(run.backbone)
    backbone_config = BackboneConfig.from_dict(raw_backbone_config, str(run.backbone))
    train_rows = [i for i, c in enumerate(clips) if is_training_clip(c)]
    train_clips = [clips[i] for i in train_rows]

    if group is not None:
        distributed.check_same("the RUN folder", distributed.digest([str(run.root.resolve()),
                               hashlib.sha256(raw.numpy().tobytes()).hexdigest()]), f"{raw.shape[0]} clip(s)",
                               "give every rank the same RUN on a shared filesystem")
    if space == "refined":
        with TrainingLog(run, "gnn", tensorboard) if main else contextlib.nullcontext() as log:
            fitted = _fit_graph(settings, clips, F.normalize(raw, dim=1), train_rows, backbone_config, progress,
                                log, group)
        if fitted is None:  # not rank 0: rank 0 fits the scorers and writes the model
            return None
        graph, label_source, machines = fitted
    elif not main:
        return None
    else:  # the scorers see the backbone's embeddings untouched
        clear_training_log(run, "gnn")
        machines = sorted({c.machine for c in train_clips})
        graph = _GraphFit(raw, {}, {}, [], {}, {})
        label_source = "none"
    scorers = _fit_scorers(settings, graph.vectors[train_rows], train_clips, machines)

    scorer_options = registry.resolve_options(registry.load("scorer", settings.scorer), settings.scorer_options,
                                              settings.scorer)
    config = ModelConfig(
        backbone=backbone_config.backbone, features=backbone_config.features, audio=backbone_config.audio,
        scorer=Component(settings.scorer, scorer_options), machines=machines, thresholds=scorers.thresholds,
        score_on=space, heldout_score_stats=scorers.stats, fit=settings.to_dict(),
        train_seconds=backbone_config.train_seconds, **graph.config)
    tensors = {**with_prefix("backbone", split_prefix(backbone_tensors, "backbone")),
               **graph.tensors, **scorers.tensors, "heldout.scores": scorers.heldout}
    save_bundle(run.model, tensors, config.to_dict())
    run.save_tensor(run.refined, "refined", graph.vectors)
    if graph.graph_json:
        atomic_write_json(run.graph, graph.graph_json)
    elif run.graph.exists():  # a graph from an earlier fit would describe another model
        run.graph.unlink()
    run.update_history("gnn", graph.history)
    run.update_config("fit", {**settings.to_dict(), "score_on": space})
    return FitResult(run, machines, label_source, graph.history, graph.stats, scorers.thresholds)
