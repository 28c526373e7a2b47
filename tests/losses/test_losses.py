"""Margin losses: the contract kit, the math against direct formulas, and equivalences."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from asdkit import registry
from asdkit.losses.adacos import AdaCosLoss
from asdkit.losses.adaproj import AdaProjLoss
from asdkit.losses.arcface import ArcFaceLoss
from asdkit.losses.base import adaptive_scale, initial_adaptive_scale
from asdkit.losses.subcluster_adacos import SubclusterAdaCosLoss
from asdkit.testing import check_loss

LOSSES = [("arcface", {}), ("adacos", {}), ("subcluster_adacos", {"n_subclusters": 4}),
          ("subcluster_adacos", {"n_subclusters": 4, "trainable": False}), ("adaproj", {"subspace_dim": 3})]


@pytest.mark.parametrize("name,options", LOSSES)
def test_contract(name, options):
    check_loss(name, options)


def test_all_four_registered():
    assert {"arcface", "adacos", "subcluster_adacos", "adaproj"} <= set(registry.names("loss"))


def test_initial_scale_is_adacos_fixed_scale():
    assert AdaCosLoss(8, 10).scale.item() == pytest.approx(math.sqrt(2) * math.log(9))
    assert SubclusterAdaCosLoss(8, 3, n_subclusters=4).scale.item() == pytest.approx(math.sqrt(2) * math.log(11))
    assert initial_adaptive_scale(2) == 0.5  # log(1) = 0: floored


def test_adaptive_scale_matches_formula():
    gen = torch.Generator().manual_seed(0)
    cos = torch.rand(16, 5, generator=gen) * 2 - 1
    labels = torch.arange(16) % 5
    w = F.one_hot(labels, 5).double()
    s = 7.0
    c = cos.double().numpy()
    b_avg = np.mean(np.sum((1 - w.numpy()) * np.exp(s * c), axis=1))
    theta = np.arccos(c[np.arange(16), labels.numpy()])
    expected = np.log(b_avg) / np.cos(min(np.pi / 4, np.median(theta)))
    got = adaptive_scale(s, cos, w, torch.acos(cos[torch.arange(16), labels].double()))
    # torch's median of an even count is the lower middle value; numpy averages the two.
    lower = np.log(b_avg) / np.cos(min(np.pi / 4, np.sort(theta)[7]))
    assert got == pytest.approx(lower, rel=1e-9) or got == pytest.approx(expected, rel=1e-9)


def test_scale_moves_only_in_training():
    loss = AdaCosLoss(8, 4)
    x, y = torch.randn(12, 8), torch.arange(12) % 4
    start = loss.scale.item()
    loss.eval()(x, y)
    assert loss.scale.item() == start
    loss.train()(x, y)
    assert loss.scale.item() != start
    fixed = AdaCosLoss(8, 4, dynamic=False).train()
    fixed(x, y)
    assert fixed.scale.item() == start


def test_subcluster_with_one_centre_is_adacos():
    torch.manual_seed(0)
    ada = AdaCosLoss(8, 5)
    sub = SubclusterAdaCosLoss(8, 5, n_subclusters=1)
    sub.weight.data.copy_(ada.weight.data)
    x, y = torch.randn(20, 8), torch.arange(20) % 5
    torch.testing.assert_close(sub.logits(x), ada.logits(x))
    torch.testing.assert_close(sub.eval()(x, y), ada.eval()(x, y))
    sub.train()(x, y), ada.train()(x, y)
    assert sub.scale.item() == pytest.approx(ada.scale.item(), rel=1e-6)


def test_subcluster_class_probability_is_mass_of_its_centres():
    loss = SubclusterAdaCosLoss(6, 3, n_subclusters=2).eval()
    x, y = torch.randn(4, 6), torch.tensor([0, 1, 2, 1])
    cos = F.linear(F.normalize(x), F.normalize(loss.weight)) * loss.scale
    p = torch.softmax(cos, 1).view(4, 3, 2).sum(2)
    expected = -torch.log(p[torch.arange(4), y]).mean()
    torch.testing.assert_close(loss(x, y), expected)


def test_fixed_centres_do_not_train():
    loss = SubclusterAdaCosLoss(6, 3, trainable=False)
    assert not loss.weight.requires_grad


def test_adaproj_one_dimensional_subspace_is_adacos_cosine():
    torch.manual_seed(0)
    proj = AdaProjLoss(8, 4, subspace_dim=1)
    x = torch.randn(10, 8)
    direct = F.normalize(x) @ F.normalize(proj.weight[:, 0]).T
    # A one-vector "subspace" is the line through it: the cosine to it is |cos|.
    torch.testing.assert_close(proj.logits(x), direct.abs())


def test_adaproj_is_projection_cosine_for_orthonormal_basis():
    proj = AdaProjLoss(4, 1, subspace_dim=2)
    proj.weight.data = torch.tensor([[[1.0, 0, 0, 0], [0, 1.0, 0, 0]]])
    x = torch.tensor([[3.0, 4.0, 0.0, 0.0], [1.0, 0.0, 1.0, 0.0]])
    torch.testing.assert_close(proj.logits(x), torch.tensor([[1.0], [1 / math.sqrt(2)]]))


def test_arcface_soft_targets_mix_margins():
    torch.manual_seed(0)
    loss = ArcFaceLoss(8, 3)
    x = torch.randn(5, 8)
    y1, y2 = torch.tensor([0, 1, 2, 0, 1]), torch.tensor([1, 2, 0, 2, 0])
    soft = 0.7 * F.one_hot(y1, 3).float() + 0.3 * F.one_hot(y2, 3).float()
    value = loss(x, soft)
    assert torch.isfinite(value) and value > 0
    with pytest.raises(ValueError, match="soft targets"):
        loss(x, torch.ones(5, 4) / 4)


def test_unknown_loss_is_a_one_line_error():
    from asdkit.errors import PluginError

    with pytest.raises(PluginError, match="unknown loss 'cosface'.*valid choices: .*adacos"):
        registry.create("loss", "cosface", {}, 8, 3)
