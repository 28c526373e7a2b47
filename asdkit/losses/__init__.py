"""Margin losses that train embeddings, one per file (entry-point group ``asdkit.losses``):
ArcFace, AdaCos, sub-cluster AdaCos and AdaProj. Used by the backbone training
(``extract --loss``) and the graph head (``fit --loss``)."""
from .arcface import ArcFaceLoss

__all__ = ["ArcFaceLoss"]
