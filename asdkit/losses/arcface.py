"""Additive angular margin (ArcFace) classification loss.

Deng et al., "ArcFace: Additive Angular Margin Loss for Deep Face Recognition", CVPR 2019.
With unit-norm embedding :math:`\\hat{x}` and unit-norm class centres :math:`\\hat{W}_j`,
:math:`\\cos\\theta_j = \\hat{W}_j^\\top \\hat{x}`; the true class :math:`y` gets the margin:

.. math::
    \\mathcal{L} = -\\log \\frac{e^{s\\cos(\\theta_y + m)}}
        {e^{s\\cos(\\theta_y + m)} + \\sum_{j \\ne y} e^{s\\cos\\theta_j}}

For :math:`\\theta_y + m > \\pi` the margin term is replaced by the monotone extension
:math:`\\cos\\theta_y - m\\sin m` (as in the reference implementation), so the loss keeps
decreasing as :math:`\\theta_y` shrinks.

Shapes:
    - **embeddings:** ``(B, D)`` (normalised inside)
    - **target:** ``(B,)`` int64 in ``[0, n_classes)``, or soft ``(B, n_classes)``
      weights (mixup): the margin is applied to each class in proportion to its weight,
      :math:`\\ell_j = s(\\cos\\theta_j + w_j(\\cos(\\theta_j + m) - \\cos\\theta_j))`,
      and the loss is the soft cross-entropy; one-hot weights give the formula above
    - **output:** scalar loss; :meth:`logits` gives ``(B, n_classes)`` cosines
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .base import MarginLoss, soft_cross_entropy, soft_targets


class ArcFaceLoss(MarginLoss):
    """ArcFace loss with learnable class centres.

    Args:
        in_dim: embedding size ``D``.
        n_classes: number of classes (machine types, sections, or pseudo-labels).
        margin: additive angular margin ``m`` in radians.
        scale: logit scale ``s``.
    """

    def __init__(self, in_dim: int, n_classes: int, *, margin: float = 0.5, scale: float = 30.0) -> None:
        super().__init__()
        if n_classes < 1:
            raise ValueError("ArcFace needs at least one class")
        self.n_classes = int(n_classes)
        self.margin, self.scale = float(margin), float(scale)
        self.weight = nn.Parameter(torch.empty(n_classes, in_dim))
        nn.init.xavier_uniform_(self.weight)
        self._cos_m, self._sin_m = math.cos(margin), math.sin(margin)
        # Beyond theta = pi - m, cos(theta + m) stops decreasing: switch to a linear extension.
        self._threshold = math.cos(math.pi - margin)
        self._mm = math.sin(math.pi - margin) * margin

    def logits(self, embeddings: Tensor) -> Tensor:
        """Cosine similarity to every class centre, ``(B, n_classes)``, no margin."""
        return F.linear(F.normalize(embeddings, dim=1), F.normalize(self.weight, dim=1))

    def forward(self, embeddings: Tensor, target: Tensor) -> Tensor:
        cosine = self.logits(embeddings).clamp(-1.0, 1.0)
        sine = torch.sqrt((1.0 - cosine * cosine).clamp_min(1e-7))
        phi = cosine * self._cos_m - sine * self._sin_m  # cos(theta + m)
        phi = torch.where(cosine > self._threshold, phi, cosine - self._mm)
        weights = soft_targets(target, self.n_classes).to(cosine.dtype)
        logits = self.scale * (cosine + weights * (phi - cosine))
        if target.dim() == 1:
            return F.cross_entropy(logits, target)
        return soft_cross_entropy(F.log_softmax(logits, dim=1), weights)
