"""AdaCos: cosine softmax with an adaptive, parameter-free scale.

Zhang et al., "AdaCos: Adaptively Scaling Cosine Logits for Effectively Learning Deep
Face Representations", CVPR 2019. No margin; the logit scale :math:`s` is set from the
batch so that the target-class probability stays informative as training goes on:

.. math::
    \\mathcal{L} = -\\sum_j w_j \\log \\frac{e^{s\\cos\\theta_j}}{\\sum_k e^{s\\cos\\theta_k}},
    \\qquad s_0 = \\sqrt 2 \\log(C - 1),\\qquad
    s \\leftarrow \\frac{\\log B_{avg}}{\\cos \\min(\\pi/4, \\theta_{med})}

with :math:`B_{avg}` the batch mean of :math:`\\sum_{j} (1 - w_j) e^{s\\cos\\theta_j}`
and :math:`\\theta_{med}` the median angle to the target (the weighted angle for soft
targets). The scale is updated in training mode before each loss and kept as the
``scale`` buffer (saved with the state). ``w`` are one-hot or soft (mixup) targets.

Args:
    in_dim: embedding size ``D``.
    n_classes: number of classes ``C``.
    trainable: whether the class centres learn (AdaCos: yes); fixed random centres
        otherwise.
    dynamic: update the scale from each training batch (else :math:`s_0` throughout).

Shapes:
    - **embeddings:** ``(B, D)``; **target:** ``(B,)`` int64 or ``(B, C)`` float
    - **output:** scalar; :meth:`logits` ``(B, C)`` cosines
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .base import (MarginLoss, adaptive_scale, initial_adaptive_scale, soft_cross_entropy, soft_targets,
                   target_angle, unit_rows)


class AdaCosLoss(MarginLoss):
    def __init__(self, in_dim: int, n_classes: int, *, trainable: bool = True, dynamic: bool = True) -> None:
        super().__init__()
        if n_classes < 1:
            raise ValueError("AdaCos needs at least one class")
        self.n_classes, self.dynamic = int(n_classes), bool(dynamic)
        self.weight = nn.Parameter(torch.empty(n_classes, in_dim), requires_grad=bool(trainable))
        nn.init.xavier_uniform_(self.weight)
        self.register_buffer("scale", torch.tensor(initial_adaptive_scale(n_classes)))
        self.scale: Tensor  # the buffer's type, for type checkers

    def logits(self, embeddings: Tensor) -> Tensor:
        return F.linear(F.normalize(embeddings, dim=1), unit_rows(self.weight))

    def forward(self, embeddings: Tensor, target: Tensor) -> Tensor:
        cosine = self.logits(embeddings)
        weights = soft_targets(target, self.n_classes).to(cosine.dtype)
        if self.training and self.dynamic:
            self.scale.fill_(adaptive_scale(float(self.scale), cosine.detach(), weights, target_angle(cosine, weights)))
        return soft_cross_entropy(F.log_softmax(self.scale * cosine, dim=1), weights)
