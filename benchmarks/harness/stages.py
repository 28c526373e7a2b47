"""Stage-by-stage timings of asdkit and the reference on the same N clips.

Every stage gets the same inputs on both sides, computed once beforehand with
asdkit (so a stage's time is that stage's work only): the clips for decoding, their
waveforms for log-mel, their log-mels for the backbone, their embeddings for the kNN
graph, the GNN epoch and GNN inference, their graph-network outputs for the scorer
fit and scoring. End to end goes from the files to the scores. Model loading is
outside every timing (both sides load once, like a server would). A model that
scores backbone embeddings (``score_on="embedding"``) has no graph stages to time.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch

from .timing import best_time, faiss_options, torch_threads

#: Clips in the warm-up call of the per-clip stages (first-call costs: plans, caches,
#: JIT). The cheap graph and scoring stages warm up on their full inputs instead: their
#: first call at a new size costs several times a steady one.
WARM_CLIPS = 4


@dataclass
class Stage:
    name: str
    asdkit: Callable[[Any], Any]
    reference: Callable[[Any], Any]
    inputs: Any
    warm_inputs: Any
    note: str = ""


@dataclass
class Inputs:
    """What each stage starts from, computed once with asdkit."""

    clips: list
    paths: list
    machines: list[str]
    waves: list[np.ndarray]
    feats: list[np.ndarray]
    embeddings: torch.Tensor
    labels: torch.Tensor
    graph: torch.Tensor | None  # None: the model has no graph network
    refined: torch.Tensor


def _knn_spec(model: Any, threads: int) -> tuple[str, dict]:
    """The bundle's kNN backend and options, faiss held to ``threads`` threads."""
    spec = model.config.knn
    options = faiss_options(spec.options, threads) if spec.name == "faiss" else spec.options
    return spec.name, options


def has_graph(model: Any) -> bool:
    """Whether the bundle's scorers see graph-network outputs (the paper's road)."""
    return model.config.score_on == "refined"


def prepare_inputs(model: Any, clips: list, threads: int) -> Inputs:
    from asdkit.audio import iter_audio
    from asdkit.features import compute_logmel
    from asdkit.graph.build import knn_graph

    waves = [w for _, w in iter_audio(clips, model.policy)]
    feats = compute_logmel(waves, model.params)
    emb = model.embed(feats)
    machines = [c.machine for c in clips]
    labels = torch.tensor([model.machines.index(m) for m in machines], device=emb.device)
    graph = None
    if has_graph(model):
        graph = knn_graph(emb, min(model.k, len(clips) - 1), *_knn_spec(model, threads)).to(emb.device)
    return Inputs(clips, [c.path for c in clips], machines, waves, feats, emb, labels, graph,
                  model.refine(emb))


def _asdkit_gnn_epoch(model: Any, data: tuple) -> Any:
    from asdkit import registry
    from asdkit.graph.train import train_graph_model
    from asdkit.pipeline.settings import FitSettings

    x, edges, labels = data
    spec, fit = model.config.gnn, model.config.fit
    layer = registry.create("graph_layer", spec.name, spec.options, spec.in_dim, spec.out_dim)
    return train_graph_model(x, edges, labels, layer=layer, head_dim=spec.head_dim,
                             head_hidden_dim=spec.head_hidden_dim, epochs=1, lr=fit.get("lr", 1e-3),
                             loss=fit.get("loss", "arcface"),
                             loss_options=FitSettings.from_dict(fit).graph_loss_options() if fit else None,
                             batch_size=fit.get("batch_size"), device=str(model.device))


def _reference_gnn_epoch(reference: Any, n_classes: int, data: tuple) -> float:
    from benchmarks.reference.gnn import FullBatchTrainer

    x, edges, labels = data
    fit = reference.config.get("fit", {})
    trainer = FullBatchTrainer(copy.deepcopy(reference.graph_model), n_classes, lr=fit.get("lr", 1e-3),
                               margin=fit.get("margin", 0.5), scale=fit.get("scale", 30.0))
    return trainer.epoch(x, edges, labels)


def _by_machine(vectors: torch.Tensor, machines: list[str]) -> dict[str, torch.Tensor]:
    names = np.asarray(machines)
    return {m: vectors[torch.as_tensor(np.flatnonzero(names == m), device=vectors.device)]
            for m in sorted(set(machines))}


def _asdkit_scorer_fit(model: Any, groups: dict[str, torch.Tensor]) -> list:
    from asdkit import registry

    spec = model.config.scorer
    return [registry.create("scorer", spec.name, spec.options).fit(x) for x in groups.values()]


def _reference_scorer_fit(reference: Any, groups: dict[str, torch.Tensor]) -> list:
    from benchmarks.reference.scoring import fit_kmeans

    options = reference.config["scorer"]["options"]
    return [fit_kmeans(x.cpu().numpy(), options.get("n_clusters", 16), options.get("max_iter", 100))
            for x in groups.values()]


def build_stages(model: Any, reference: Any, data: Inputs, threads: int) -> list[Stage]:
    """The stages in pipeline order (see module docstring)."""
    from asdkit.audio import iter_audio
    from asdkit.features import compute_logmel
    from asdkit.graph.build import knn_graph
    from asdkit.pipeline.score import score_clips
    from benchmarks.reference import KNN_LIBRARY, knn_graph_edges
    from benchmarks.reference.logmel import ClipLogMel

    w = WARM_CLIPS
    k = min(model.k, len(data.clips) - 1)
    knn_name, knn_options = _knn_spec(model, threads) if has_graph(model) else ("-", {})
    cpu_logmel = ClipLogMel(reference.config["features"], "cpu")
    graph_data = (data.embeddings, data.graph, data.labels)
    groups = _by_machine(data.refined, data.machines)

    def logmel_1thread(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def run(waves: Any) -> Any:
            with torch_threads(1):
                return fn(waves)
        return run

    graph_stages = [
        Stage(f"kNN graph (N={len(data.clips)}, k={k})",
              lambda x: knn_graph(x, k, knn_name, knn_options),
              lambda x: knn_graph_edges(x, k), data.embeddings, data.embeddings,
              f"asdkit: {knn_name}; reference: {KNN_LIBRARY}"),
        Stage("GNN training, one epoch", lambda d: _asdkit_gnn_epoch(model, d),
              lambda d: _reference_gnn_epoch(reference, len(model.machines), d), graph_data, graph_data,
              "both full-batch on the N-clip graph, model set-up included"),
        Stage("GNN inference (attach + refine)", model.refine, reference.refine,
              data.embeddings, data.embeddings,
              "asdkit: exact subgraphs of the new clips; reference: full batch over train + new"),
    ] if data.graph is not None else []
    return [
        Stage("audio decoding", lambda c: list(iter_audio(c, model.policy)),
              lambda c: [reference.decode(x.path) for x in c], data.clips, data.clips[:w]),
        Stage("log-mel", lambda wv: compute_logmel(wv, model.params),
              lambda wv: [reference.logmel(x) for x in wv], data.waves, data.waves[:w],
              "asdkit: C++ kernel, all threads; reference: torch.stft per clip on the device"),
        Stage("log-mel (CPU, 1 thread)", logmel_1thread(lambda wv: compute_logmel(wv, model.params, num_threads=1)),
              logmel_1thread(lambda wv: [cpu_logmel(x) for x in wv]), data.waves, data.waves[:w]),
        Stage("backbone inference", model.embed,
              lambda f: torch.stack([reference.backbone_embed(x) for x in f]), data.feats, data.feats[:w],
              "asdkit: BN folded, TorchScript, batches of 32; reference: eager, batch of 1"),
        *graph_stages,
        Stage("scorer fit", lambda g: _asdkit_scorer_fit(model, g),
              lambda g: _reference_scorer_fit(reference, g), groups, groups,
              "asdkit: spherical K-means (torch); reference: scikit-learn KMeans"),
        Stage("scoring", lambda v: model.score_refined(v, data.machines),
              lambda v: reference.score_vectors(v, data.machines), data.refined, data.refined,
              "cosine distance to the nearest centre"),
        Stage("end to end (files -> scores)", lambda c: score_clips(model, c),
              lambda c: reference.score_files([x.path for x in c], [x.machine for x in c]),
              data.clips, data.clips[:w]),
    ]


def time_stage(stage: Stage, device: torch.device, repeats: int, threads: int) -> dict[str, Any]:
    """Best-of-``repeats`` seconds of both sides and the speed-up (reference / asdkit).

    The two sides alternate (asdkit, reference, asdkit, ...), so a burst of load from
    other processes hits both rather than one side's every run; torch's thread count
    is set to ``threads`` before each run, so no library's change of it carries over.
    """
    def run(fn: Callable[[Any], Any], inputs: Any) -> Callable[[], Any]:
        def call() -> Any:
            torch.set_num_threads(threads)
            return fn(inputs)
        return call

    run(stage.asdkit, stage.warm_inputs)()
    run(stage.reference, stage.warm_inputs)()
    ours = theirs = float("inf")
    for _ in range(max(1, repeats)):
        ours = min(ours, best_time(run(stage.asdkit, stage.inputs), device, 1))
        theirs = min(theirs, best_time(run(stage.reference, stage.inputs), device, 1))
    torch.set_num_threads(threads)
    return {"stage": stage.name, "asdkit_s": ours, "reference_s": theirs,
            "ratio": theirs / ours if ours > 0 else float("inf"), "note": stage.note}
