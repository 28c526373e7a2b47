"""The kNN scorer's source/target memory banks and standardisation, and old bundles."""
from __future__ import annotations

import torch

from asdkit import registry


def _points() -> tuple[torch.Tensor, torch.Tensor]:
    # 6 source clips near e0, 2 target clips near e1.
    normalize = torch.nn.functional.normalize
    source = normalize(torch.eye(3)[0] + 0.05 * torch.randn(6, 3, generator=torch.Generator().manual_seed(0)), dim=1)
    target = normalize(torch.eye(3)[1] + 0.05 * torch.randn(2, 3, generator=torch.Generator().manual_seed(1)), dim=1)
    return torch.cat([source, target]), torch.tensor([0] * 6 + [1] * 2)


def test_banks_take_the_smaller_distance():
    x, domain = _points()
    query = torch.eye(3)[1:2]  # a target-like clip
    banks = registry.create("scorer", "knn", {"k": 3}).fit(x, domain)
    pooled = registry.create("scorer", "knn", {"k": 3, "domain_banks": False}).fit(x, domain)
    sims = torch.nn.functional.normalize(query, dim=1) @ x.T
    source_d = (1 - sims[0, :6].topk(3).values).mean()
    target_d = (1 - sims[0, 6:].topk(2).values).mean()  # k capped by the bank's size
    torch.testing.assert_close(banks.score(query)[0], torch.minimum(source_d, target_d))
    # One bank: the 3 nearest include a source clip, so the target-like clip looks worse.
    assert pooled.score(query)[0] > banks.score(query)[0]


def test_no_domains_means_one_bank():
    x, _ = _points()
    a = registry.create("scorer", "knn", {"k": 2}).fit(x)
    b = registry.create("scorer", "knn", {"k": 2, "domain_banks": False}).fit(x)
    q = torch.randn(5, 3, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(a.score(q), b.score(q))


def test_standardize_scales_each_dimension_by_its_training_spread():
    gen = torch.Generator().manual_seed(0)
    # Dimension 0 is a large level with tiny spread; 19 others carry unit variation.
    train = torch.cat([100 + 0.01 * torch.randn(50, 1, generator=gen), torch.randn(50, 19, generator=gen)], 1)
    shift = torch.zeros(20)
    shift[0] = 0.5
    odd = torch.stack([train[0], train[0] + shift])  # +50 spreads on dimension 0
    raw = registry.create("scorer", "knn", {"k": 1}).fit(train).score(odd)
    std = registry.create("scorer", "knn", {"k": 1, "standardize": True}).fit(train).score(odd)
    assert raw[1] < 1e-3  # raw cosines barely see a level change
    assert std[0] < 1e-5 and std[1] > 0.1


def test_bundle_state_without_banks_still_loads():
    x, domain = _points()
    scorer = registry.create("scorer", "knn", {"k": 2}).fit(x)
    old = registry.create("scorer", "knn", {"k": 2})
    old.load_state_dict({"bank": scorer.state_dict()["bank"]})
    q = torch.randn(4, 3, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(old.score(q), scorer.score(q))
