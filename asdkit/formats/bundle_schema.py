"""The config stored in a model bundle's manifest, typed and versioned.

Two bundles exist: ``RUN/backbone`` (what extract trained, :class:`BackboneConfig`) and
``RUN/model`` (everything score needs, :class:`ModelConfig`). Both are written and read
only through these classes: ``to_dict()`` at save time, ``from_dict()`` at load time.

Versions (``schema``):

- **1** (no ``schema`` key; asdkit before the typed schema): read as is, with the
  graph head's inner width taken as 256 (the only value it was ever saved with) and
  without held-out score statistics (``asdkit fuse`` then refuses the model by name).
- **2**: this layout.

A newer version than this asdkit knows, or a missing or mistyped key, is a one-line
:class:`~asdkit.errors.ModelError` naming the bundle and the key.
"""
from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any, Mapping

from ..errors import ModelError

SCHEMA_VERSION = 2
#: The graph head's inner width that every schema-1 bundle was saved with.
SCHEMA1_HEAD_HIDDEN_DIM = 256


@dataclass(frozen=True)
class Component:
    """A plugin by name, with the options it was built with."""

    name: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GraphSpec:
    """The graph network: its layer plugin, sizes and the head on top."""

    name: str
    options: dict[str, Any]
    in_dim: int  # backbone embedding size
    out_dim: int  # graph network output size (``fit --graph-dim``)
    head_dim: int  # refined vector size
    head_hidden_dim: int  # the projection head's inner width


@dataclass(frozen=True)
class BackboneConfig:
    """``RUN/backbone``: the trained backbone and the front end it expects."""

    backbone: Component
    features: dict[str, Any]  # LogMelParams.to_dict()
    audio: dict[str, Any]  # AudioPolicy.to_dict()
    labels: str = "machine"  # what the backbone's classes were
    classes: list[str] = field(default_factory=list)
    objective: str = "arcface"
    train_seconds: float | None = None  # median decoded training-clip duration (asdkit.audio.quality)
    schema: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str) -> "BackboneConfig":
        return _build(cls, _versioned(data, where), where)


@dataclass(frozen=True)
class ModelConfig:
    """``RUN/model``: backbone, graph stage, scorers and decision thresholds."""

    backbone: Component
    features: dict[str, Any]
    audio: dict[str, Any]
    scorer: Component
    machines: list[str]
    thresholds: dict[str, float]  # per machine and per "machine/section"
    score_on: str = "refined"  # "refined" (graph network + head) or "embedding"
    gnn: GraphSpec | None = None  # None when score_on == "embedding"
    k: int = 0
    knn: Component | None = None
    graph_labels: str = "none"
    graph_classes: list[str] = field(default_factory=list)
    heldout_score_stats: dict[str, dict[str, float]] = field(default_factory=dict)
    fit: dict[str, Any] = field(default_factory=dict)  # FitSettings.to_dict()
    train_seconds: float | None = None  # from BackboneConfig: the relative duration rule of score
    schema: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        if self.score_on not in ("refined", "embedding"):
            raise ModelError(f"score_on '{self.score_on}' is not refined or embedding")
        if self.score_on == "refined" and (self.gnn is None or self.knn is None):
            raise ModelError("scores refined vectors but has no graph network or kNN spec")

    @property
    def normalizes_scores(self) -> bool:
        return bool(self.fit.get("normalize_scores", False))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str) -> "ModelConfig":
        data = dict(_versioned(data, where))
        gnn = data.get("gnn")
        if isinstance(gnn, Mapping) and "head_hidden_dim" not in gnn:
            data["gnn"] = {**gnn, "head_hidden_dim": SCHEMA1_HEAD_HIDDEN_DIM}
        return _build(cls, data, where)


_NESTED = {"backbone": Component, "scorer": Component, "knn": Component, "gnn": GraphSpec}


def _versioned(data: Mapping[str, Any], where: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ModelError(f"{where}: bundle config is not a JSON object")
    version = data.get("schema", 1)
    if not isinstance(version, int) or not 1 <= version <= SCHEMA_VERSION:
        raise ModelError(f"{where}: bundle config schema {version!r} is newer than this asdkit reads "
                         f"(<= {SCHEMA_VERSION}); upgrade asdkit")
    return {**data, "schema": SCHEMA_VERSION}


def _build(cls: type, data: Mapping[str, Any], where: str) -> Any:
    known = {f.name for f in fields(cls)}
    required = [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]
    lacking = [name for name in required if name not in data]
    if lacking:
        raise ModelError(f"{where}: bundle config lacks {', '.join(lacking)} (not a complete asdkit model)")
    values = {}
    for name in known & set(data):
        value = data[name]
        nested = _NESTED.get(name)
        if nested is not None and value is not None:
            value = _build(nested, value, f"{where} [{name}]") if isinstance(value, Mapping) else _bad(where, name)
        values[name] = value
    try:
        return cls(**values)
    except TypeError as exc:
        raise ModelError(f"{where}: malformed bundle config ({exc})") from None
    except ModelError as exc:  # a rule of __post_init__
        raise ModelError(f"{where}: bundle config {exc}") from None


def _bad(where: str, name: str) -> Any:
    raise ModelError(f"{where}: bundle config key '{name}' is not a JSON object")
