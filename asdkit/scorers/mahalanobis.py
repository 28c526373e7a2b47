"""``mahalanobis``: squared Mahalanobis distance under a shrunk covariance.

.. math::
    s(x) = (x - \\mu)^\\top \\hat\\Sigma^{-1} (x - \\mu), \\qquad
    \\hat\\Sigma = (1 - \\delta) S + \\delta\\,\\frac{\\mathrm{tr}\\,S}{D} I

with :math:`S` the empirical covariance and :math:`\\delta` the Ledoit-Wolf optimal
shrinkage (Ledoit & Wolf 2004; same estimator as scikit-learn's ``LedoitWolf``), or a
fixed ``shrinkage`` in [0, 1]. Shrinkage keeps :math:`\\hat\\Sigma` invertible when a
machine type has fewer clips than dimensions. Computed in float64 in torch.

Shapes: fit ``(N, D)``, score ``(M, D) -> (M,)``.
State: ``mean`` ``(D,)``, ``precision`` ``(D, D)`` (float64).
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..api import Scorer
from ._common import check_fit_input, check_score_input, require_keys


def ledoit_wolf_shrinkage(centred: Tensor) -> float:
    """Optimal shrinkage of centred samples ``(N, D)`` (scikit-learn's formula)."""
    n, d = centred.shape
    sq = centred.square()
    emp_cov_trace = sq.sum(0) / n
    mu = emp_cov_trace.sum() / d
    beta_ = (sq.T @ sq).sum()
    delta_ = (centred.T @ centred).square().sum() / n**2
    beta = (beta_ / n - delta_) / (d * n)
    delta = (delta_ - 2.0 * mu * emp_cov_trace.sum() + d * mu**2) / d
    beta = torch.minimum(beta, delta)
    return 0.0 if float(beta) == 0.0 else float(beta / delta)


def shrunk_covariance(centred: Tensor, shrinkage: float) -> Tensor:
    n, d = centred.shape
    emp_cov = centred.T @ centred / n
    mu = torch.trace(emp_cov) / d
    eye = torch.eye(d, dtype=centred.dtype, device=centred.device)
    return (1.0 - shrinkage) * emp_cov + shrinkage * mu * eye


class MahalanobisScorer(Scorer):
    def __init__(self, *, shrinkage: float | None = None) -> None:
        if shrinkage is not None and not 0.0 <= shrinkage <= 1.0:
            raise ValueError(f"shrinkage must be in [0, 1] or None (Ledoit-Wolf), got {shrinkage}")
        self.shrinkage = shrinkage
        self.mean: Tensor | None = None
        self.precision: Tensor | None = None

    def fit(self, x: Tensor, domain: Tensor | None = None) -> "MahalanobisScorer":
        x, _ = check_fit_input(x, domain, "mahalanobis scorer")
        x = x.double()
        mean = x.mean(0)
        centred = x - mean
        delta = ledoit_wolf_shrinkage(centred) if self.shrinkage is None else float(self.shrinkage)
        cov = shrunk_covariance(centred, delta)
        self.mean, self.precision = mean, torch.linalg.pinv(cov, hermitian=True)
        return self

    def score(self, x: Tensor) -> Tensor:
        x = check_score_input(x, self.mean, "mahalanobis scorer").double()
        assert self.mean is not None and self.precision is not None  # fitted (checked above); set together
        diff = x - self.mean
        return ((diff @ self.precision) * diff).sum(1).clamp_min(0.0).to(torch.float32)

    def state_dict(self) -> dict[str, Tensor]:
        if self.mean is None or self.precision is None:  # not fitted (fit and load set both)
            return {}
        return {"mean": self.mean, "precision": self.precision}

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        require_keys(state, ("mean", "precision"), "mahalanobis scorer")
        self.mean = state["mean"].to(torch.float64).clone()
        self.precision = state["precision"].to(torch.float64).clone()
