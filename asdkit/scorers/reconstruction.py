"""Reconstruction-error scorer: the DCASE autoencoder baseline's anomaly score.

Paired with the ``ae_baseline`` backbone
(:class:`asdkit.backbones.ae_baseline.AEBaseline`), whose clip "embedding" is the
per-dimension squared reconstruction error :math:`e_d` averaged over the clip's
frame-window vectors. The score is its mean, i.e. the clip's mean squared error as
in the DCASE 2020-2024 Task 2 baselines:

.. math::
    s = \\frac{1}{D} \\sum_{d=1}^{D} e_d

Scoring needs nothing fitted; ``fit`` records the mean and standard deviation of
the normal training clips' scores (for reference and thresholds), so a fitted
scorer's state is non-empty like every other scorer's.

Shapes:
    - **fit x:** ``(N, D)`` non-negative error vectors
    - **score x:** ``(M, D)`` -> ``(M,)`` float32, higher = more anomalous
    - **state:** ``train_score_mean`` ``()``, ``train_score_std`` ``()``
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..api import Scorer, as_float_tensor
from ..errors import InputError, ModelError

STATE_KEYS = ("train_score_mean", "train_score_std")


def _as_error_vectors(x: Tensor, what: str) -> Tensor:
    t = as_float_tensor(x, what)
    if t.dim() != 2 or t.shape[1] == 0:
        raise InputError(f"{what}: expected (N, D) reconstruction errors, got shape {tuple(t.shape)}")
    return t


class ReconstructionErrorScorer(Scorer):
    """Mean of the reconstruction-error embedding; fit records training score statistics."""

    input_space = "embedding"  # errors must reach it as the backbone computed them

    def __init__(self) -> None:
        self._state: dict[str, Tensor] = {}

    def fit(self, x: Tensor, domain: Tensor | None = None) -> "ReconstructionErrorScorer":  # noqa: ARG002 - the Scorer contract
        errors = _as_error_vectors(x, "reconstruction scorer fit")
        if errors.shape[0] == 0:
            raise InputError("reconstruction scorer fit: no training clips")
        scores = errors.mean(dim=1)
        std = scores.std(unbiased=False)
        self._state = {"train_score_mean": scores.mean().cpu(), "train_score_std": std.cpu()}
        return self

    def score(self, x: Tensor) -> Tensor:
        return _as_error_vectors(x, "reconstruction scorer input").mean(dim=1)

    def state_dict(self) -> dict[str, Tensor]:
        return dict(self._state)

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        missing = [k for k in STATE_KEYS if k not in state]
        if missing:
            raise ModelError(f"reconstruction scorer state lacks {', '.join(missing)}")
        self._state = {k: torch.as_tensor(state[k]).float().reshape(()) for k in STATE_KEYS}
