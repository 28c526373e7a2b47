"""The contracts every component satisfies: backbones, graph layers, scorers, kNN backends.

Stages meet only through these classes and plain tensors. A plugin subclasses one of
them (or provides the same methods) and registers it under an entry-point group:

=========================  ======================  ==========================================
entry-point group          contract                what it does
=========================  ======================  ==========================================
``asdkit.backbones``       :class:`Backbone`       log-mel batch -> clip embedding
``asdkit.graph_layers``    :class:`GraphLayer`     refine node features over a kNN graph
``asdkit.scorers``         :class:`Scorer`         fit on normal embeddings, score new ones
``asdkit.knn``             :class:`KnnBackend`     nearest-neighbour search for the graph
``asdkit.losses``          :class:`MarginLoss`     classification loss that trains embeddings
=========================  ======================  ==========================================

Options: a component's keyword-only constructor arguments *are* its options. They
must have JSON-serialisable defaults; the registry validates user options against
the signature and saves the resolved set with everything fitted.

Fitted state is tensors only (``state_dict``), so model files load without executing
code. Scores: **higher always means more anomalous**.
"""
# No "from __future__ import annotations" here: TorchScript must read the real
# annotations (e.g. ``embedding_dim: int``) of nn.Module subclasses.
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from .registry import GROUPS, KINDS  # noqa: F401 - KINDS re-exported for plugin authors


class Backbone(nn.Module, ABC):
    """Maps a batch of log-mel spectrograms to clip embeddings.

    Constructor: keyword-only options; must accept ``embedding_dim``.

    Shapes:
        - **input:** ``(B, 1, n_mels, T)`` float32 log-mel in dB (any ``T`` the
          backbone supports; global pooling makes most backbones length-agnostic)
        - **output:** ``(B, embedding_dim)`` float32
    """

    kind: ClassVar[str] = "backbone"
    #: False for a fixed feature extractor (nothing to learn): ``extract`` only embeds.
    trainable: ClassVar[bool] = True
    embedding_dim: int

    @abstractmethod
    def forward(self, x: Tensor) -> Tensor:  # pragma: no cover - contract
        ...

    def training_loss(self, x: Tensor, labels: Tensor) -> Tensor | None:  # noqa: ARG002 - the contract
        """Optional own training objective (e.g. reconstruction for an autoencoder).

        ``None`` (the default) means: train with the shared ArcFace classifier over
        ``labels`` on this backbone's embeddings.
        """
        return None


class GraphLayer(nn.Module, ABC):
    """Refines node features from their neighbours in a graph (a whole graph network).

    Constructor: ``(in_dim, out_dim, *, **options)``.

    Shapes:
        - **x:** ``(N, in_dim)`` node features
        - **edge_index:** ``(2, E)`` int64, messages flow ``edge_index[0] -> edge_index[1]``
        - **output:** ``(N, out_dim)``

    Nodes without incoming edges must still get a finite output (their own features
    transformed).
    """

    kind: ClassVar[str] = "graph_layer"
    in_dim: int
    out_dim: int

    @abstractmethod
    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:  # pragma: no cover
        ...


class Scorer(ABC):
    """Anomaly scorer for one machine type, in the spirit of PyOD's ``BaseDetector``.

    ``fit`` on embeddings of normal training clips, ``score`` new clips; the fitted
    state is explicit and tensors only (``state_dict`` / ``load_state_dict``).

    Shapes:
        - **fit X:** ``(N, D)`` float32; optional ``domain`` ``(N,)`` int64
          (0 = source, 1 = target, -1 = unknown) for scorers that use it
        - **score X:** ``(M, D)`` -> ``(M,)`` float32, higher = more anomalous

    ``input_space`` says what ``X`` may be: ``"any"`` (graph-refined vectors or
    backbone embeddings) or ``"embedding"`` (only the backbone's raw output, e.g.
    reconstruction errors: no normalisation or graph network may come between).
    """

    kind: ClassVar[str] = "scorer"
    input_space: ClassVar[str] = "any"

    @abstractmethod
    def fit(self, x: Tensor, domain: Tensor | None = None) -> "Scorer":  # pragma: no cover
        ...

    @abstractmethod
    def score(self, x: Tensor) -> Tensor:  # pragma: no cover
        ...

    @abstractmethod
    def state_dict(self) -> dict[str, Tensor]:  # pragma: no cover
        ...

    @abstractmethod
    def load_state_dict(self, state: dict[str, Tensor]) -> None:  # pragma: no cover
        ...

    @property
    def is_fitted(self) -> bool:
        return bool(self.state_dict())


class KnnBackend(ABC):
    """Nearest-neighbour index used to build and extend the clip graph.

    ``build(base)`` indexes the base points; ``search(query, k)`` returns the ``k``
    nearest base points of each query, nearest first. Distances are squared L2
    (for unit-norm embeddings this ranks exactly as cosine distance).

    Shapes:
        - **base:** ``(N, D)`` float32
        - **query:** ``(M, D)`` float32
        - **output:** distances ``(M, k)`` float32 ascending, indices ``(M, k)`` int64
    """

    kind: ClassVar[str] = "knn"

    @abstractmethod
    def build(self, base: Tensor) -> None:  # pragma: no cover
        ...

    @abstractmethod
    def search(self, query: Tensor, k: int) -> tuple[Tensor, Tensor]:  # pragma: no cover
        ...


class MarginLoss(nn.Module, ABC):
    """A classification loss over class centres that trains embeddings (backbone, graph head).

    Constructor: ``cls(in_dim, n_classes, **options)``. Targets are hard labels ``(B,)``
    int64 or soft labels ``(B, n_classes)`` (rows summing to 1, e.g. from mixup).
    Helpers for writing one live in :mod:`asdkit.losses.base`.

    Shapes:
        - **embeddings:** ``(B, in_dim)``; **target:** ``(B,)`` or ``(B, n_classes)``
        - **forward:** scalar loss; **logits:** ``(B, n_classes)`` cosine similarity to
          each class (no margin, no scale), whose argmax is the predicted class
    """

    kind: ClassVar[str] = "loss"
    n_classes: int

    @abstractmethod
    def logits(self, embeddings: Tensor) -> Tensor:  # pragma: no cover - contract
        ...

    @abstractmethod
    def forward(self, embeddings: Tensor, target: Tensor) -> Tensor:  # pragma: no cover - contract
        ...


#: kind -> (entry-point group, contract class, names a duck-typed plugin must provide)
#: (the groups themselves are named in :data:`asdkit.registry.GROUPS`, torch-free)
CONTRACTS: dict[str, tuple[str, type, tuple[str, ...]]] = {
    "backbone": (GROUPS["backbone"], Backbone, ("forward", "state_dict", "load_state_dict")),
    "graph_layer": (GROUPS["graph_layer"], GraphLayer, ("forward", "state_dict", "load_state_dict")),
    "scorer": (GROUPS["scorer"], Scorer, ("fit", "score", "state_dict", "load_state_dict")),
    "knn": (GROUPS["knn"], KnnBackend, ("build", "search")),
    "loss": (GROUPS["loss"], MarginLoss, ("forward", "logits", "state_dict", "load_state_dict")),
}


def as_float_tensor(x: Any, name: str = "input") -> Tensor:
    """Coerce array-likes to a float32 tensor (device kept), refusing NaN/Inf."""
    t = torch.as_tensor(x)
    if not t.is_floating_point():
        t = t.float()
    t = t.to(torch.float32)
    if t.numel() and not torch.isfinite(t).all():
        from .errors import InputError

        raise InputError(f"{name}: contains NaN or Inf values")
    return t
