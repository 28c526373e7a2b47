"""Sub-cluster AdaCos: several centres per class, adaptive scale.

Wilkinghoff, "Sub-Cluster AdaCos: Learning Representations for Anomalous Sound
Detection", IJCNN 2021. Each class :math:`c` owns ``n_subclusters`` centres
:math:`W_{c,1..S}`; the class probability is the softmax mass of its centres, so a
class may spread over several modes (machine settings) instead of being pulled to one
point -- the anomaly score later measures distance to the *nearest* mode:

.. math::
    p_c = \\sum_{s=1}^{S} \\frac{e^{\\tilde s \\cos\\theta_{c,s}}}{\\sum_{k,r} e^{\\tilde s\\cos\\theta_{k,r}}},
    \\qquad \\mathcal{L} = -\\sum_c w_c \\log p_c

The scale :math:`\\tilde s` follows AdaCos (:mod:`.adacos`) over all :math:`C S` centres:
:math:`s_0 = \\sqrt 2 \\log(CS - 1)`, updated per training batch with :math:`B_{avg}`
summed over the centres of the non-target classes and :math:`\\theta_{med}` the median
angle to the nearest centre of the target class. The original method keeps the centres
fixed at their random initialisation (``trainable=False``); trainable centres gave +7
points on DCASE 2023 eval in the ASDKit study (Fujimura et al. 2025).

Args:
    in_dim: embedding size ``D``.
    n_classes: number of classes ``C``.
    n_subclusters: centres per class ``S``.
    trainable: whether the centres learn.
    dynamic: update the scale from each training batch.

Shapes:
    - **embeddings:** ``(B, D)``; **target:** ``(B,)`` int64 or ``(B, C)`` float
    - **output:** scalar; :meth:`logits` ``(B, C)`` cosine to each class's nearest centre
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .base import (MarginLoss, adaptive_scale, initial_adaptive_scale, soft_cross_entropy, soft_targets,
                   target_angle, unit_rows)


class SubclusterAdaCosLoss(MarginLoss):
    def __init__(self, in_dim: int, n_classes: int, *, n_subclusters: int = 16, trainable: bool = True,
                 dynamic: bool = True) -> None:
        super().__init__()
        if n_classes < 1 or n_subclusters < 1:
            raise ValueError("sub-cluster AdaCos needs n_classes >= 1 and n_subclusters >= 1")
        self.n_classes, self.n_subclusters, self.dynamic = int(n_classes), int(n_subclusters), bool(dynamic)
        self.weight = nn.Parameter(torch.empty(n_classes * n_subclusters, in_dim), requires_grad=bool(trainable))
        nn.init.xavier_uniform_(self.weight)
        self.register_buffer("scale", torch.tensor(initial_adaptive_scale(n_classes * n_subclusters)))
        self.scale: Tensor  # the buffer's type, for type checkers

    def centre_cosines(self, embeddings: Tensor) -> Tensor:
        """``(B, C, S)`` cosine to every centre."""
        cos = F.linear(F.normalize(embeddings, dim=1), unit_rows(self.weight))
        return cos.view(-1, self.n_classes, self.n_subclusters)

    def logits(self, embeddings: Tensor) -> Tensor:
        return self.centre_cosines(embeddings).max(dim=2).values

    def forward(self, embeddings: Tensor, target: Tensor) -> Tensor:
        cos = self.centre_cosines(embeddings)
        weights = soft_targets(target, self.n_classes).to(cos.dtype)
        if self.training and self.dynamic:
            nearest = target_angle(cos.max(dim=2).values, weights)
            centre_weights = weights.repeat_interleave(self.n_subclusters, dim=1)
            self.scale.fill_(adaptive_scale(float(self.scale), cos.detach().flatten(1), centre_weights, nearest))
        log_p_centres = F.log_softmax(self.scale * cos.flatten(1), dim=1).view_as(cos)
        return soft_cross_entropy(torch.logsumexp(log_p_centres, dim=2), weights)
