"""A trained asdkit bundle run the straightforward way: files -> scores.

The road of the paper, one step after the other, each clip on its own until the
graph: decode (soundfile) -> log-mel (``torch.stft`` + mel matrix) -> eager backbone
(batch of one) -> unit embedding; then every new clip is attached to its ``k``
nearest training clips (``torch_cluster.knn``), the graph network runs full-batch
over training + new clips, and each new clip's output is scored against its machine
type's K-means centres.

New clips only receive edges (from training clips), as in asdkit's inductive scoring,
so running all of them in one union graph gives each the score it would get alone.
A bundle that scores backbone embeddings (``score_on="embedding"``) has no graph
network: its clips go from the backbone straight to the scorer.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from .audio import decode_clip
from .backbone import embed_clip, plain_backbone
from .gnn import graph_network
from .graph import attach_edges
from .logmel import ClipLogMel
from .scoring import bundle_centres, cosine_scores, score_space, score_vectors


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@dataclass
class ReferenceModel:
    """The bundle's weights in plain modules; :meth:`score_files` is the whole road."""

    config: dict[str, Any]
    logmel: ClipLogMel
    backbone: nn.Module
    graph_model: nn.Module | None  # None: the scorers see backbone embeddings
    train_x: Tensor | None
    train_edge_index: Tensor | None
    centres: dict[str, Tensor]
    k: int
    device: torch.device

    @classmethod
    def load(cls, path: str | Path, device: torch.device | str = "cpu") -> "ReferenceModel":
        """Rebuild from a RUN folder or model bundle (``asdkit.bundle.load_bundle``)."""
        from asdkit.bundle import load_bundle

        device = torch.device(device)
        tensors, config = load_bundle(path)
        graph = score_space(config) == "refined"
        return cls(config=config,
                   logmel=ClipLogMel(config["features"], device),
                   backbone=plain_backbone(config["backbone"], tensors, device),
                   graph_model=graph_network(config["gnn"], tensors, device) if graph else None,
                   train_x=tensors["train.x"].float().to(device) if graph else None,
                   train_edge_index=tensors["train.edge_index"].long().to(device) if graph else None,
                   centres=bundle_centres(config, tensors, device),
                   k=int(config["k"]), device=device)

    def decode(self, path: Any) -> np.ndarray:
        return decode_clip(path, self.config["audio"])

    def backbone_embed(self, logmel: Any) -> Tensor:
        """Embedding ``(D,)`` of one log-mel ``(n_mels, T)`` (array or tensor): unit norm
        for the graph network, as it is when the scorers see embeddings."""
        return embed_clip(self.backbone, torch.as_tensor(logmel), unit=self.graph_model is not None)

    def embed_files(self, paths: Sequence[Any]) -> Tensor:
        """Embeddings ``(M, D)`` of files (see :meth:`backbone_embed`), one clip at a time."""
        return torch.stack([self.backbone_embed(self.logmel(self.decode(p))) for p in paths])

    def refine(self, new_x: Tensor) -> Tensor:
        """Graph-network outputs of new clips: attach, then one full-batch forward
        (the embeddings themselves when the bundle has no graph network)."""
        if self.graph_model is None:
            return new_x
        n = self.train_x.shape[0]
        edges = torch.cat([self.train_edge_index, attach_edges(self.train_x, new_x, self.k)], dim=1)
        union = torch.cat([self.train_x, new_x])
        return score_vectors(self.graph_model, union, edges, torch.arange(n, n + new_x.shape[0], device=self.device))

    def score_vectors(self, vectors: Tensor, machines: Sequence[str]) -> np.ndarray:
        return cosine_scores(vectors, machines, self.centres)

    def score_files(self, paths: Sequence[Any], machines: Sequence[str]) -> np.ndarray:
        """Anomaly scores of files (higher = more anomalous), machine types given."""
        with torch.no_grad():
            scores = self.score_vectors(self.refine(self.embed_files(paths)), machines)
        _sync(self.device)
        return scores
