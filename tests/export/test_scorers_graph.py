"""The exportable scorer modules give each machine's fitted scorer's scores."""
from __future__ import annotations

import pytest
import torch

from asdkit import registry
from asdkit.errors import ModelError
from asdkit.export.scorers import scores_module


def _fitted(name: str, options: dict, machines: int = 3, seed: int = 0) -> list:
    gen = torch.Generator().manual_seed(seed)
    scorers = []
    for m in range(machines):
        n = 30 + 7 * m
        x = torch.randn(n, 12, generator=gen) + 3.0 * m
        domain = (torch.arange(n) % 6 == 0).long() if m != 1 else torch.zeros(n, dtype=torch.long)
        scorers.append(registry.create("scorer", name, options).fit(x, domain))
    return scorers


@pytest.mark.parametrize(("name", "options"), [
    ("kmeans", {"n_clusters": 4}), ("kmeans", {"n_clusters": 4, "target_centres": False}),
    ("knn", {"k": 3}), ("knn", {"k": 50}), ("knn", {"k": 2, "standardize": True}),
    ("knn", {"k": 3, "domain_banks": False}),
])
def test_every_machines_column_is_its_scorers_score(name: str, options: dict) -> None:
    scorers = _fitted(name, options)
    x = torch.randn(9, 12, generator=torch.Generator().manual_seed(5)) * 2.0 + 3.0
    with torch.no_grad():
        got = scores_module(name, scorers)(x)
    assert got.shape == (9, len(scorers))
    for m, scorer in enumerate(scorers):
        torch.testing.assert_close(got[:, m], scorer.score(x), rtol=1e-6, atol=1e-6)


def test_other_scorers_are_refused_by_name() -> None:
    with pytest.raises(ModelError, match=r"scorer 'mahalanobis' cannot be exported to ONNX \(supported: kmeans, knn\)"):
        scores_module("mahalanobis", _fitted("mahalanobis", {}))
