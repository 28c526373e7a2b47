"""A fitted model, frozen: everything ``score`` needs, rebuilt from a bundle.

The road of a clip: log-mel ``(n_mels, T)`` -> backbone -> embedding ``(D,)``, unit
norm -> attached to its ``k`` nearest training clips -> graph network + head ->
refined unit vector ``(D',)`` -> the scorer of its machine type -> anomaly score.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence, TypeVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .. import registry
from ..api import KnnBackend, Scorer
from ..audio import AudioPolicy
from ..bundle import find_bundle, load_bundle, split_prefix
from ..errors import InputError, ModelError
from ..features import LogMelParams
from ..formats.bundle_schema import Component, GraphSpec, ModelConfig
from ..formats.run_layout import threshold_of
from ..utils import resolve_device
from .heldout import zscore

if TYPE_CHECKING:
    from ..graph.model import GraphModel

_M = TypeVar("_M", bound=torch.nn.Module)


def _load_state(module: _M, state: dict[str, Tensor], what: str) -> _M:
    try:
        module.load_state_dict(state)
    except RuntimeError as exc:
        raise ModelError(f"{what} does not match the bundle's weights: {str(exc).splitlines()[0]}") from None
    return module.eval()


def build_backbone(spec: Component, tensors: dict[str, Tensor]) -> torch.nn.Module:
    backbone = registry.create("backbone", spec.name, spec.options)
    return _load_state(backbone, split_prefix(tensors, "backbone"), f"backbone '{spec.name}'")


def build_graph_model(spec: GraphSpec, tensors: dict[str, Tensor]) -> GraphModel:
    from ..graph.model import GraphModel

    layer = registry.create("graph_layer", spec.name, spec.options, spec.in_dim, spec.out_dim)
    model = GraphModel(layer, spec.head_dim, spec.head_hidden_dim)
    return _load_state(model, split_prefix(tensors, "graph"), f"graph network '{spec.name}'")


def build_scorers(spec: Component, machines: Sequence[str], tensors: dict[str, Tensor]) -> dict[str, Scorer]:
    scorers = {}
    for i, machine in enumerate(machines):
        scorer = registry.create("scorer", spec.name, spec.options)
        scorer.load_state_dict(split_prefix(tensors, f"scorer.{i}"))
        scorers[machine] = scorer
    return scorers


@dataclass
class AsdModel:
    """A frozen, fitted model; :meth:`load` rebuilds one from a bundle."""

    backbone: torch.nn.Module
    params: LogMelParams
    policy: AudioPolicy
    graph_model: GraphModel | None  # None: scorers work on backbone embeddings
    train_x: Tensor | None
    train_edge_index: Tensor | None
    knn: KnnBackend | None
    k: int
    scorers: dict[str, Scorer]
    thresholds: dict[str, float]
    config: ModelConfig
    device: torch.device
    bundle_path: Path | None = None

    @classmethod
    def load(cls, path: str | Path, device: torch.device | str = "cpu", optimize: bool = True) -> "AsdModel":
        device = resolve_device(device)
        bundle = find_bundle(path)
        tensors, raw_config = load_bundle(bundle)
        config = ModelConfig.from_dict(raw_config, str(bundle))
        backbone = build_backbone(config.backbone, tensors).to(device)
        if optimize:
            from ..backbones.inference import optimize_for_inference

            backbone = optimize_for_inference(backbone)
        graph_model = train_x = edge_index = knn = None
        if config.score_on == "refined":
            assert config.gnn is not None and config.knn is not None  # ModelConfig checks it
            graph_model = build_graph_model(config.gnn, tensors).to(device)
            train_x, edge_index = tensors["train.x"].to(device), tensors["train.edge_index"]
            knn = registry.create("knn", config.knn.name, config.knn.options)
            knn.build(train_x)
        return cls(backbone, LogMelParams.from_dict(config.features),
                   AudioPolicy.from_dict(config.audio), graph_model, train_x,
                   edge_index, knn, config.k, build_scorers(config.scorer, config.machines, tensors),
                   {k: float(v) for k, v in config.thresholds.items()}, config, device, bundle)

    @property
    def machines(self) -> list[str]:
        return list(self.config.machines)

    def check_machines(self, machines: Sequence[str], where: str = "") -> None:
        unseen = sorted(set(machines) - set(self.scorers))
        if unseen:
            raise InputError(f"{where or 'input'}: machine type(s) {', '.join(unseen)} unseen in training "
                             f"(the model knows {', '.join(self.machines)})")

    def check_features(self, params: LogMelParams) -> None:
        if params != self.params:
            raise ModelError(f"bundle was built with other feature parameters ({self.params.to_dict()}), "
                             f"not {params.to_dict()}")

    def embed(self, features: Sequence[np.ndarray]) -> Tensor:
        """Backbone embeddings of log-mel features, ``(M, D)`` on the model's device: unit
        norm for the graph network, untouched when the scorers work on embeddings."""
        from ..backbones.embed import embed_clips

        emb = embed_clips(self.backbone, features, device=self.device).to(self.device)
        return emb if self.graph_model is None else F.normalize(emb, dim=1)

    def refine(self, embeddings: Tensor, transductive: bool = False) -> Tensor:
        """Graph-refined unit vectors of new clips; inductive unless ``transductive``.
        Without a graph network (``score_on="embedding"``) the embeddings themselves."""
        from ..graph.model import refine_inductive

        if self.graph_model is None:
            return embeddings
        # load() sets the training graph and its index together with the graph network
        assert self.train_x is not None and self.train_edge_index is not None and self.knn is not None
        return refine_inductive(self.graph_model, self.train_x, self.train_edge_index, embeddings,
                                self.knn, self.k, transductive=transductive)

    def score_refined(self, refined: Tensor, machines: Sequence[str]) -> np.ndarray:
        """Anomaly score of each refined clip under its machine's scorer (higher = more anomalous)."""
        self.check_machines(machines)
        scores = np.empty(len(machines), dtype=np.float64)
        names = np.asarray(machines)
        for machine in sorted(set(machines)):
            rows = np.flatnonzero(names == machine)
            picked = refined[torch.as_tensor(rows, device=refined.device)]
            scores[rows] = self.scorers[machine].score(picked).detach().cpu().double().numpy()
        return scores

    @property
    def normalizes_scores(self) -> bool:
        """Whether scores are given as z-scores of the section's held-out training scores."""
        return self.config.normalizes_scores

    def normalize(self, scores: np.ndarray, machines: Sequence[str], sections: Sequence[str]) -> np.ndarray:
        """Per machine and section: ``(s - mean) / std`` of that section's held-out
        training scores, when the model was fitted with ``normalize_scores``; else as is."""
        if not self.normalizes_scores:
            return scores
        stats = self.config.heldout_score_stats
        return np.array([zscore(stats, m, s, float(v), "model") for v, m, s in zip(scores, machines, sections)])

    def threshold(self, machine: str, section: str) -> float:
        """Decision threshold, on the same scale as the scores :meth:`normalize` gives."""
        raw = threshold_of(self.thresholds, machine, section)
        if raw is None:
            raise ModelError(f"{self.bundle_path}: no decision threshold for machine '{machine}'")
        if not self.normalizes_scores:
            return raw
        return zscore(self.config.heldout_score_stats, machine, section, raw, "model")
