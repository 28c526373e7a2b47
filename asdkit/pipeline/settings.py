"""Typed settings of the three stages; saved in RUN/config.json and in model bundles."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..config import dataclass_from_dict
from ..errors import ConfigError

LABEL_MODES = ("machine", "section", "attribute")
OBJECTIVES = ("auto", "arcface", "augmentation", "statex", "featex")  # asdkit.backbones.objectives
PRECISIONS = ("fp32", "bf16")  # training arithmetic (asdkit.backbones.train)
SCORE_SPACES = ("auto", "refined", "embedding")


def require_positive(*named: tuple[str, float]) -> None:
    """A one-line ConfigError naming the first option that is not a positive finite number."""
    for option, value in named:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
            raise ConfigError(f"{option} must be a positive number, got {value}")


@dataclass
class ExtractSettings:
    """How ``asdkit extract`` turns a dataset into embeddings."""

    layout: str = "auto"
    # The measured best default (README, Accuracy): log-mel statistics, nothing to train.
    # The paper's learnt front end is --backbone mobilenetv2.
    backbone: str = "logmel_stats"
    backbone_options: dict[str, Any] = field(default_factory=dict)
    labels: str = "machine"
    objective: str = "auto"
    loss: str = "arcface"  # a margin loss of asdkit.losses
    loss_options: dict[str, Any] = field(default_factory=dict)
    epochs: int = 20
    batch_size: int = 32
    lr: float = 1e-3
    crop_frames: int = 64
    mixup: float = 0.0
    specaugment: bool = False
    precision: str = "fp32"  # bf16: the backbone's forward under bfloat16 autocast (for GPUs)
    channels_last: bool = False  # the backbone's 4-D tensors in NHWC while training
    weights: str | None = None
    features: dict[str, Any] = field(default_factory=dict)  # LogMelParams fields
    audio: dict[str, Any] = field(default_factory=dict)  # AudioPolicy fields
    on_error: str = "fail"
    seed: int = 0
    device: str = "auto"

    def __post_init__(self) -> None:
        if self.labels not in LABEL_MODES:
            raise ConfigError(f"--labels must be one of {', '.join(LABEL_MODES)}, got '{self.labels}'")
        if self.objective not in OBJECTIVES:
            raise ConfigError(f"--objective must be one of {', '.join(OBJECTIVES)}, got '{self.objective}'")
        if self.on_error not in ("fail", "skip"):
            raise ConfigError(f"--on-error must be fail or skip, got '{self.on_error}'")
        if self.epochs < 0:
            raise ConfigError(f"--epochs must be >= 0, got {self.epochs}")
        require_positive(("--batch-size", self.batch_size), ("--lr", self.lr))
        if self.crop_frames < 0:
            raise ConfigError(f"--crop-frames must be >= 0 (0: full clips), got {self.crop_frames}")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"--precision must be one of {', '.join(PRECISIONS)}, got '{self.precision}'")
        if not 0.0 <= self.mixup <= 1.0:
            raise ConfigError(f"--mixup must be in [0, 1], got {self.mixup}")

    to_dict = asdict

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ExtractSettings":
        return dataclass_from_dict(cls, data, cls.__name__)


@dataclass
class FitSettings:
    """How ``asdkit fit`` builds the graph, trains the graph network and fits scorers."""

    # The measured best default (README, Accuracy): no graph network, K-means on the
    # embeddings. The paper's method is --gnn sage_gat.
    gnn: str = "none"
    gnn_options: dict[str, Any] = field(default_factory=dict)
    scorer: str = "kmeans"
    scorer_options: dict[str, Any] = field(default_factory=dict)
    knn: str = "faiss"
    knn_options: dict[str, Any] = field(default_factory=dict)
    k: int = 10
    graph_dim: int = 256  # graph network output size (each layer's inner width: --gnn-opt hidden_dim=N)
    head_dim: int = 128  # size of the refined vectors the scorers see
    head_hidden_dim: int = 256  # the projection head's inner width
    epochs: int = 60  # 20/60/100 scored alike on synthetic data (README); 60 is cheaper than 100
    lr: float = 1e-3
    loss: str = "arcface"  # a margin loss of asdkit.losses; margin/scale are ArcFace's
    loss_options: dict[str, Any] = field(default_factory=dict)
    margin: float = 0.5
    scale: float = 30.0
    batch_size: int | None = None
    score_on: str = "auto"  # refined | embedding | auto (see asdkit.pipeline.fit.score_space)
    normalize_scores: bool = False  # scores as z-scores of each section's held-out training scores
    false_alarm_rate: float = 0.1  # share of normal clips a threshold may flag (DCASE gamma rule: 0.1)
    seed: int = 0
    device: str = "auto"

    def __post_init__(self) -> None:
        if self.score_on not in SCORE_SPACES:
            raise ConfigError(f"--score-on must be one of {', '.join(SCORE_SPACES)}, got '{self.score_on}'")
        if self.k < 1:
            raise ConfigError(f"k must be >= 1, got {self.k}")
        if self.epochs < 1:
            raise ConfigError(f"graph network epochs must be >= 1, got {self.epochs}")
        require_positive(("--lr", self.lr), ("--graph-dim", self.graph_dim), ("--head-dim", self.head_dim),
                         ("--head-hidden-dim", self.head_hidden_dim), ("--scale", self.scale))
        if self.batch_size is not None:
            require_positive(("--batch-size", self.batch_size))
        if not 0.0 <= self.margin < 3.2:
            raise ConfigError(f"--margin must be in [0, pi) radians, got {self.margin}")
        if not 0.0 < self.false_alarm_rate < 1.0:
            raise ConfigError(f"--false-alarm-rate must be between 0 and 1 (exclusive), got {self.false_alarm_rate}")

    def graph_loss_options(self) -> dict[str, Any]:
        """Options of the graph head's loss: ``--margin``/``--scale`` apply to ArcFace only."""
        if self.loss == "arcface":
            return {"margin": self.margin, "scale": self.scale, **self.loss_options}
        return dict(self.loss_options)

    to_dict = asdict

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "FitSettings":
        data = dict(data)
        if "hidden_dim" in data and "graph_dim" not in data:  # its name before asdkit 0.2
            data["graph_dim"] = data.pop("hidden_dim")
        return dataclass_from_dict(cls, data, cls.__name__)
