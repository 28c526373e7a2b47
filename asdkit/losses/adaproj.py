"""AdaProj: adaptively scaled angular margin to class *subspaces*.

Wilkinghoff, Fritz, Kurth, "AdaProj: Adaptively Scaled Angular Margin Subspace
Projections for Anomalous Sound Detection with Auxiliary Classification Tasks", DCASE
Workshop 2024. Each class owns ``subspace_dim`` unit vectors :math:`W_{c,1..S}`; a
clip is compared with its projection onto their span, so a class need only occupy a
subspace (any point in it is "normal" for the class) rather than a point:

.. math::
    \\pi_c(\\hat x) = \\sum_{s} (\\hat x^\\top W_{c,s}) W_{c,s},\\qquad
    \\cos\\theta_c = \\hat x^\\top \\frac{\\pi_c(\\hat x)}{\\lVert \\pi_c(\\hat x)\\rVert}

(the projection of the paper, with the basis vectors normalised but not
orthogonalised; in high dimension random unit vectors are near-orthogonal), then the
AdaCos loss (:mod:`.adacos`) over the :math:`\\cos\\theta_c` with its adaptive scale.

Args:
    in_dim: embedding size ``D``.
    n_classes: number of classes ``C``.
    subspace_dim: basis vectors per class ``S`` (``S = 1`` is AdaCos).
    trainable: whether the bases learn.
    dynamic: update the scale from each training batch.

Shapes:
    - **embeddings:** ``(B, D)``; **target:** ``(B,)`` int64 or ``(B, C)`` float
    - **output:** scalar; :meth:`logits` ``(B, C)`` cosine to each class subspace
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .adacos import AdaCosLoss
from .base import unit_rows


class AdaProjLoss(AdaCosLoss):
    def __init__(self, in_dim: int, n_classes: int, *, subspace_dim: int = 16, trainable: bool = True,
                 dynamic: bool = True) -> None:
        if subspace_dim < 1:
            raise ValueError("AdaProj needs subspace_dim >= 1")
        super().__init__(in_dim, n_classes, trainable=trainable, dynamic=dynamic)
        self.subspace_dim = int(subspace_dim)
        self.weight = nn.Parameter(torch.empty(n_classes, subspace_dim, in_dim), requires_grad=bool(trainable))
        nn.init.xavier_uniform_(self.weight)

    def logits(self, embeddings: Tensor) -> Tensor:
        x = F.normalize(embeddings, dim=1)
        basis = unit_rows(self.weight)  # (C, S, D)
        coords = torch.einsum("bd,csd->bcs", x, basis)
        projection = F.normalize(torch.einsum("bcs,csd->bcd", coords, basis), dim=2)
        return torch.einsum("bd,bcd->bc", x, projection)
