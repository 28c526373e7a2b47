"""What the margin losses share: targets, soft cross-entropy, the adaptive scale.

The contract is :class:`asdkit.api.MarginLoss`: class centres on the unit sphere, a
classification loss over them, and the cosine logits used to measure accuracy. Every
loss is built as ``cls(in_dim, n_classes, **options)`` (options keyword-only, with
JSON-serialisable defaults, like every component) and accepts two kinds of target:

- hard labels ``(B,)`` int64 in ``[0, n_classes)``;
- soft labels ``(B, n_classes)`` float rows summing to 1 (mixup mixes them).

Fitted state is tensors only (``state_dict``: centres, and the adaptive scale where the
loss has one), so a loss can be saved with a model and reloaded without code.

Shapes:
    - **embeddings:** ``(B, in_dim)`` (normalised inside)
    - **target:** ``(B,)`` int64 or ``(B, n_classes)`` float
    - **output:** scalar loss; :meth:`MarginLoss.logits` gives ``(B, n_classes)`` cosines
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from ..api import MarginLoss

__all__ = ["MarginLoss", "adaptive_scale", "initial_adaptive_scale", "soft_cross_entropy", "soft_targets",
           "target_angle", "unit_rows"]


def soft_targets(target: Tensor, n_classes: int) -> Tensor:
    """``(B, n_classes)`` float class weights from hard ``(B,)`` or soft ``(B, C)`` targets."""
    if target.dim() == 1:
        return F.one_hot(target.long(), num_classes=n_classes).float()
    if target.dim() != 2 or target.shape[1] != n_classes:
        raise ValueError(f"soft targets must be (B, {n_classes}), got {tuple(target.shape)}")
    return target.float()


def soft_cross_entropy(log_probs: Tensor, weights: Tensor) -> Tensor:
    """Mean over the batch of ``-sum_j w_j log p_j``."""
    return -(weights * log_probs).sum(dim=1).mean()


def initial_adaptive_scale(n_centres: int) -> float:
    """AdaCos' fixed scale :math:`\\sqrt 2 \\log(C - 1)` (floored at 0.5 for C <= 2)."""
    return max(math.sqrt(2.0) * math.log(max(n_centres - 1, 1)), 0.5)


def adaptive_scale(scale: float, cosines: Tensor, target_weights: Tensor, target_theta: Tensor) -> float:
    """AdaCos' dynamic scale (Zhang et al. 2019, eq. 14) from one batch, no gradient.

    .. math::
        \\tilde s = \\frac{\\log B_{avg}}{\\cos \\min(\\pi/4, \\theta_{med})},\\quad
        B_{avg} = \\frac{1}{B}\\sum_i \\sum_{j} (1 - w_{ij}) e^{s \\cos\\theta_{ij}}

    ``cosines`` ``(B, K)`` against every centre, ``target_weights`` ``(B, K)`` the share of
    each centre in the target (0 for the others), ``target_theta`` ``(B,)`` the angle to
    the target (:func:`target_angle`). Computed in float64 with the largest logit factored out (no overflow).
    """
    with torch.no_grad():
        logits = scale * cosines.double()
        top = logits.max()
        others = ((1.0 - target_weights.double()) * torch.exp(logits - top)).sum(dim=1).mean()
        theta_med = torch.minimum(target_theta.double().median(), torch.tensor(math.pi / 4, dtype=torch.float64))
        log_b = top + torch.log(others.clamp_min(1e-300))
        new = float(log_b / torch.cos(theta_med))
    return new if math.isfinite(new) and new > 1e-3 else scale


def target_angle(cosines: Tensor, weights: Tensor) -> Tensor:
    """``(B,)`` angle to the target class (weighted over the classes of soft targets)."""
    theta = torch.acos(cosines.detach().clamp(-1 + 1e-7, 1 - 1e-7))
    return (weights * theta).sum(dim=1)


def unit_rows(weight: Tensor) -> Tensor:
    return F.normalize(weight, dim=-1)
