"""The per-machine scorers as one exportable module: every machine's score of every clip.

Each machine type has its own fitted scorer; the graph computes all of them, ``(B, M)``,
and the caller picks each clip's column (a handful of small matmuls: cheaper than
any branching a runtime would have to do). The ops are those of the scorers themselves:

- ``kmeans`` (:mod:`asdkit.scorers.kmeans`): :math:`1 - \\max_c \\hat x^\\top c` over the
  machine's centres (source K-means centres and, with ``target_centres``, each
  target-domain training clip);
- ``knn`` (:mod:`asdkit.scorers.knn`): standardise by the machine's shift and spread,
  normalise, mean of :math:`1 - \\hat x^\\top t` over the ``k`` most similar bank rows,
  and with domain banks the smaller of the source and target banks' means.

Shapes:
    - **input:** ``(B, D)`` scorer inputs (refined vectors or embeddings)
    - **output:** ``(B, M)`` float32, column ``m`` = machine ``m``'s score
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..api import Scorer
from ..errors import ModelError

if TYPE_CHECKING:
    from ..scorers.knn import KNNScorer

SUPPORTED_SCORERS = ("kmeans", "knn")


class KMeansScores(nn.Module):
    """Cosine distance to the nearest centre, for each machine's centres."""

    def __init__(self, centres: Sequence[Tensor]) -> None:
        super().__init__()
        self.n = len(centres)
        for i, c in enumerate(centres):
            self.register_buffer(f"centres_{i}", c.detach().float().cpu().contiguous())

    def forward(self, x: Tensor) -> Tensor:
        unit = F.normalize(x, dim=1)
        cols = [1.0 - (unit @ getattr(self, f"centres_{i}").T).max(dim=1).values for i in range(self.n)]
        return torch.stack(cols, dim=1)


class KnnScores(nn.Module):
    """Mean cosine distance to the ``k`` nearest bank rows, per machine (domain banks split)."""

    def __init__(self, scorers: Sequence[KNNScorer]) -> None:
        super().__init__()
        self.banks: list[list[tuple[str, int]]] = []  # per machine: (buffer name, k) of each bank
        for i, s in enumerate(scorers):
            assert s.bank is not None and s.is_target is not None  # load_state_dict sets them all
            assert s.shift is not None and s.spread is not None
            self.register_buffer(f"shift_{i}", s.shift.detach().float().cpu())
            self.register_buffer(f"spread_{i}", s.spread.detach().float().cpu())
            is_target = s.is_target.cpu()
            split = s.domain_banks and bool(is_target.any()) and bool((~is_target).any())
            parts = [s.bank[~is_target], s.bank[is_target]] if split else [s.bank]
            banks = []
            for j, bank in enumerate(parts):
                name = f"bank_{i}_{j}"
                self.register_buffer(name, bank.detach().float().cpu().contiguous())
                banks.append((name, min(int(s.k), bank.shape[0])))
            self.banks.append(banks)

    def forward(self, x: Tensor) -> Tensor:
        cols = []
        for i, banks in enumerate(self.banks):
            scaled = F.normalize((x - getattr(self, f"shift_{i}")) / getattr(self, f"spread_{i}"), dim=1)
            dists = []
            for name, k in banks:
                sims = scaled @ getattr(self, name).T
                dists.append((1.0 - torch.topk(sims, k, dim=1).values).mean(dim=1))
            cols.append(dists[0] if len(dists) == 1 else torch.minimum(dists[0], dists[1]))
        return torch.stack(cols, dim=1)


def scores_module(name: str, scorers: Sequence[Scorer]) -> nn.Module:
    """The exportable scores of the machines' fitted scorers (in machine order)."""
    from ..scorers.kmeans import KMeansScorer
    from ..scorers.knn import KNNScorer

    if name == "kmeans" and all(isinstance(s, KMeansScorer) for s in scorers):
        centres = [getattr(s, "centres", None) for s in scorers]
        if any(c is None for c in centres):
            raise ModelError("kmeans scorer: a machine's scorer holds no centres (fit the model again)")
        return KMeansScores([c for c in centres if c is not None])
    knn = [s for s in scorers if isinstance(s, KNNScorer)]
    if name == "knn" and len(knn) == len(scorers):
        return KnnScores(knn)
    raise ModelError(f"scorer '{name}' cannot be exported to ONNX (supported: {', '.join(SUPPORTED_SCORERS)})")
