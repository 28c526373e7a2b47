"""What a backbone learns to classify: the labels, or classes made from the data itself.

Metadata-free anomalous sound detection has few labels (often one machine type), and a
classifier that separates a handful of easy classes learns little. These objectives
*multiply* the classes so that the task stays hard, each crop getting a target among
``n_classes * factor`` classes:

- ``"arcface"`` (factor 1): the labels as they are (machine types, sections, ...). The
  name is historical: the loss itself is chosen separately (``--loss``).
- ``"augmentation"`` (factor ``len(TRANSFORMS)``): each crop gets a random
  transformation (identity, time reversal, spectrum shifted up or down); the class is
  ``(label, transformation)``.
- ``"statex"`` (factor 2): *statistics exchange*. Half the crops get the per-band
  temporal statistics of another crop of the batch:
  :math:`x' = (x - \\mu_x)/\\sigma_x \\cdot \\sigma_y + \\mu_y` with :math:`\\mu, \\sigma`
  ``(n_mels,)`` over time; the class is ``(label, exchanged?)``. Telling a real crop
  from one whose spectral envelope belongs to another clip requires modelling how a
  normal clip's temporal pattern and its spectrum go together.
- ``"featex"`` (factor 2; backbones with two branches, :func:`branch_embeddings`):
  *feature exchange* (Wilkinghoff, "Self-supervised learning for anomalous sound
  detection", ICASSP 2024). The second branch's embedding of every crop is paired
  with the first branch's embedding of another crop; the originals keep class
  ``label``, the exchanged pairs get ``label + n_classes``, and both are classified.

Mixup (``mixup_alpha > 0``) mixes the inputs of a batch after the construction and
mixes their (one-hot) targets with the same weight: the losses take soft targets.

Every random choice comes from the caller's ``numpy.random.Generator``.

Shapes:
    - **x:** ``(B, 1, n_mels, T)``; **labels:** ``(B,)`` int64 in ``[0, n_classes)``
    - **targets:** ``(B',)`` int64 or ``(B', n_classes * factor)`` float (mixup);
      ``B' = 2B`` for ``featex``
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..api import MarginLoss
from ..errors import ConfigError
from ..pipeline.settings import OBJECTIVES  # the one list of names (settings stay torch-free)
from .augment import TRANSFORMS, apply_transforms, mixup

FACTORS = {"arcface": 1, "augmentation": len(TRANSFORMS), "statex": 2, "featex": 2}


def resolve_objective(objective: str, n_classes: int) -> str:
    """``auto``: classify the labels when there are two or more, else ``augmentation``."""
    if objective not in OBJECTIVES:
        raise ConfigError(f"unknown training objective '{objective}' (valid: {', '.join(OBJECTIVES)})")
    if objective == "auto":
        return "arcface" if n_classes >= 2 else "augmentation"
    return objective


def branch_embeddings(backbone: nn.Module, x: Tensor) -> tuple[Tensor, Tensor] | None:
    """The two branch embeddings of a two-branch backbone (``forward`` = their concatenation)."""
    branches = getattr(backbone, "branch_embeddings", None)
    return None if branches is None else branches(x)


def exchange_statistics(x: Tensor, partner: Tensor, eps: float = 1e-5) -> Tensor:
    """Each crop standardised per band over time, then given ``x[partner]``'s band statistics."""
    mean, std = x.mean(dim=-1, keepdim=True), x.std(dim=-1, keepdim=True) + eps
    return (x - mean) / std * std[partner] + mean[partner]


def _partners(n: int, rng: np.random.Generator) -> Tensor:
    """A permutation without fixed points (each crop paired with another), n >= 2."""
    shift = int(rng.integers(1, n))
    order = rng.permutation(n)
    partner = np.empty(n, dtype=np.int64)
    partner[order] = order[(np.arange(n) + shift) % n]
    return torch.from_numpy(partner)


class ClassifierObjective:
    """Builds the targets of one batch and computes the loss of a margin loss on them."""

    def __init__(self, objective: str, loss: MarginLoss, n_classes: int, mixup_alpha: float = 0.0) -> None:
        self.objective, self.loss_fn, self.n_classes = objective, loss, int(n_classes)
        self.n_targets = self.n_classes * FACTORS[objective]
        self.mixup_alpha = float(mixup_alpha)

    def _construct(self, x: Tensor, y: Tensor, rng: np.random.Generator) -> tuple[Tensor, Tensor]:
        if self.objective == "augmentation":
            ids = torch.from_numpy(rng.integers(0, len(TRANSFORMS), size=x.shape[0])).to(x.device)
            return apply_transforms(x, ids), y * len(TRANSFORMS) + ids
        if self.objective == "statex" and x.shape[0] > 1:
            exchanged = torch.from_numpy(rng.random(x.shape[0]) < 0.5).to(x.device)
            mixed = exchange_statistics(x, _partners(x.shape[0], rng).to(x.device))
            x = torch.where(exchanged.view(-1, 1, 1, 1), mixed, x)
            return x, y + self.n_classes * exchanged.long()
        return x, y

    def _mix(self, x: Tensor, targets: Tensor, rng: np.random.Generator) -> tuple[Tensor, Tensor]:
        if self.mixup_alpha <= 0 or x.shape[0] < 2:
            return x, targets
        soft = F.one_hot(targets, self.n_targets).float()
        mixed, partner, lam = mixup(x, self.mixup_alpha, rng)
        return mixed, lam * soft + (1 - lam) * soft[partner]

    def _embed(self, backbone: nn.Module, x: Tensor, targets: Tensor,
               rng: np.random.Generator) -> tuple[Tensor, Tensor]:
        if self.objective != "featex":
            return backbone(x), targets
        branches = branch_embeddings(backbone, x)
        if branches is None:
            raise ConfigError("objective 'featex' needs a two-branch backbone (e.g. --backbone dual_branch)")
        first, second = branches
        n = x.shape[0]
        partner = _partners(n, rng).to(x.device) if n > 1 else torch.zeros(1, dtype=torch.long, device=x.device)
        emb = torch.cat([torch.cat([first, second], 1), torch.cat([first, second[partner]], 1)])
        # Exchanged pairs keep the first branch's class, moved into the second half of the targets.
        if targets.dim() == 1:
            return emb, torch.cat([targets, targets + self.n_classes])
        return emb, torch.cat([targets, torch.roll(targets, self.n_classes, dims=1)])

    def loss(self, backbone: nn.Module, x: Tensor, y: Tensor, rng: np.random.Generator) -> tuple[Tensor, Tensor, int]:
        """(loss, correctly classified crops, crops classified) of one batch."""
        x, targets = self.prepare(x, y, rng)
        return self.embedded_loss(backbone, x, targets, rng)

    def prepare(self, x: Tensor, y: Tensor, rng: np.random.Generator) -> tuple[Tensor, Tensor]:
        """The batch's inputs and targets after the construction and mixup: every random
        choice that mixes crops of the batch. Data-parallel training draws them for the
        global batch on every rank, then each rank embeds its slice."""
        x, targets = self._construct(x, y, rng)
        return self._mix(x, targets, rng)

    def embedded_loss(self, backbone: nn.Module, x: Tensor, targets: Tensor,
                      rng: np.random.Generator | None) -> tuple[Tensor, Tensor, int]:
        """(loss, correct, classified) of prepared inputs; ``rng`` is needed by featex only,
        which pairs crops across the batch after embedding."""
        if self.objective == "featex" and rng is None:
            raise ValueError("objective 'featex' needs the batch's generator (one process only)")
        emb, targets = self._embed(backbone, x, targets, rng)  # type: ignore[arg-type]
        emb = emb.float()
        with torch.autocast(emb.device.type, enabled=False):  # margins need float32 cosines
            loss = self.loss_fn(emb, targets)
        hard = targets if targets.dim() == 1 else targets.argmax(dim=1)
        correct = (self.loss_fn.logits(emb.detach()).argmax(dim=1) == hard).sum()
        return loss, correct, int(hard.numel())
