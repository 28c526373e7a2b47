"""Training heads: the MLP projection head (the losses live in :mod:`asdkit.losses`)."""
from ..losses.arcface import ArcFaceLoss
from .mlp import ProjectionHead

__all__ = ["ArcFaceLoss", "ProjectionHead"]
