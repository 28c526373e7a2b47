"""Contract checks for component authors: call them from your own tests.

Each ``check_*`` (``check_backbone``, ``check_graph_layer``, ``check_scorer``,
``check_knn``, ``check_loss``) takes a registered name (or a class) and options, and asserts what
every component of that kind must do: output shapes, determinism under a seed, a
tensors-only state that survives a save/load round trip (through safetensors, the
format model bundles use), and the kind's semantics (scorers: higher = more
anomalous; kNN backends: nearest first, exact on easy data). The built-in
components pass them; so must plugins::

    from asdkit.testing import check_scorer

    def test_my_scorer_contract():
        check_scorer("lof", {"n_neighbors": 5})

Every check raises ``AssertionError`` with a message saying which property failed.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from . import registry
from .api import CONTRACTS


def _make(kind: str, name_or_cls: str | type, options: dict[str, Any] | None, *args: Any) -> Any:
    if isinstance(name_or_cls, str):
        return registry.create(kind, name_or_cls, options or {}, *args)
    opts = registry.resolve_options(name_or_cls, dict(options or {}), name_or_cls.__name__)
    obj = name_or_cls(*args, **opts)
    obj.asdkit_name, obj.asdkit_options = name_or_cls.__name__, opts
    return obj


def _make_checked(kind: str, name_or_cls: str | type, options: dict[str, Any] | None, label: str,
                  *args: Any) -> Any:
    """A new instance that has its kind's methods and JSON-serialisable options."""
    obj = _make(kind, name_or_cls, options, *args)
    _check_contract_class(kind, obj, label)
    _check_options_serialisable(obj, label)
    return obj


def _label(name_or_cls: str | type) -> str:
    return name_or_cls if isinstance(name_or_cls, str) else name_or_cls.__name__


def _round_trip_tensors(state: dict[str, Tensor], label: str) -> dict[str, Tensor]:
    """Save through safetensors and load back: proves the state is tensors only."""
    from safetensors.torch import load_file, save_file

    bad = {k: type(v).__name__ for k, v in state.items() if not isinstance(v, Tensor)}
    assert not bad, f"{label}: state must hold tensors only, got {bad}"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "state.safetensors"
        save_file({k: v.detach().cpu().contiguous() for k, v in state.items()}, str(path))
        return load_file(str(path))


def _check_options_serialisable(obj: Any, label: str) -> None:
    try:
        json.dumps(obj.asdkit_options)
    except TypeError as exc:
        raise AssertionError(f"{label}: options must be JSON-serialisable ({exc})") from None


def _assert_close(a: Tensor, b: Tensor, what: str, atol: float = 1e-5) -> None:
    assert a.shape == b.shape, f"{what}: shapes differ {tuple(a.shape)} vs {tuple(b.shape)}"
    assert torch.allclose(a, b, atol=atol, rtol=1e-5), f"{what}: max diff {(a - b).abs().max():.3g}"


def _check_contract_class(kind: str, obj: Any, label: str) -> None:
    contract = CONTRACTS[kind][1]
    required = CONTRACTS[kind][2]
    missing = [m for m in required if not callable(getattr(obj, m, None))]
    assert not missing, f"{label}: missing {missing} of {contract.__name__}"


def check_backbone(name_or_cls: str | type, options: dict[str, Any] | None = None, *,
                   n_mels: int = 64, frames: tuple[int, ...] = (32, 48), batch: int = 3,
                   seed: int = 0) -> None:
    """Shapes for several lengths, determinism under a seed, state round trip."""
    label = _label(name_or_cls)
    torch.manual_seed(seed)
    model = _make_checked("backbone", name_or_cls, options, label).eval()
    dim = int(model.embedding_dim)
    gen = torch.Generator().manual_seed(seed)
    for t in frames:
        x = torch.randn(batch, 1, n_mels, t, generator=gen) * 10 - 40
        with torch.no_grad():
            y = model(x)
        assert y.shape == (batch, dim), f"{label}: input {tuple(x.shape)} gave {tuple(y.shape)}, want {(batch, dim)}"
        assert torch.isfinite(y).all(), f"{label}: non-finite embedding"
    torch.manual_seed(seed)
    twin = _make("backbone", name_or_cls, options).eval()
    x = torch.randn(batch, 1, n_mels, frames[0], generator=gen)
    with torch.no_grad():
        _assert_close(model(x), twin(x), f"{label}: same seed, different initial outputs")
        state = _round_trip_tensors(model.state_dict(), label)
        torch.manual_seed(seed + 1)
        fresh = _make("backbone", name_or_cls, options).eval()
        fresh.load_state_dict(state)
        _assert_close(model(x), fresh(x), f"{label}: outputs differ after state round trip")


def _random_graph(n: int, k: int, gen: torch.Generator) -> Tensor:
    src = torch.randint(0, n, (n * k,), generator=gen)
    dst = torch.arange(n).repeat_interleave(k)
    keep = src != dst
    return torch.stack([src[keep], dst[keep]])


def check_graph_layer(name_or_cls: str | type, options: dict[str, Any] | None = None, *,
                      in_dim: int = 16, out_dim: int = 8, n_nodes: int = 30, k: int = 4,
                      seed: int = 0) -> None:
    """Shapes, isolated nodes, determinism, state round trip, gradient flow."""
    label = _label(name_or_cls)
    torch.manual_seed(seed)
    layer = _make_checked("graph_layer", name_or_cls, options, label, in_dim, out_dim)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n_nodes, in_dim, generator=gen)
    edges = _random_graph(n_nodes - 3, k, gen)  # the last 3 nodes stay isolated
    layer.train()
    y = layer(x, edges)
    assert y.shape == (n_nodes, out_dim), f"{label}: output {tuple(y.shape)}, want {(n_nodes, out_dim)}"
    assert torch.isfinite(y).all(), f"{label}: non-finite output (isolated nodes?)"
    y.square().mean().backward()
    grads = [p.grad for p in layer.parameters() if p.requires_grad]
    assert grads and any(g is not None and g.abs().sum() > 0 for g in grads), \
        f"{label}: no gradient reaches its parameters"
    layer.eval()
    with torch.no_grad():
        y1 = layer(x, edges)
        torch.manual_seed(seed)
        twin = _make("graph_layer", name_or_cls, options, in_dim, out_dim).eval()
        _assert_close(y1, twin(x, edges), f"{label}: same seed, different outputs")
        fresh = _make("graph_layer", name_or_cls, options, in_dim, out_dim).eval()
        fresh.load_state_dict(_round_trip_tensors(layer.state_dict(), label))
        _assert_close(y1, fresh(x, edges), f"{label}: outputs differ after state round trip")
        _assert_close(y1, layer(x, edges), f"{label}: two evaluations differ")


def _blob(n: int, dim: int, gen: torch.Generator, centre: float = 0.0) -> Tensor:
    return torch.nn.functional.normalize(torch.randn(n, dim, generator=gen) * 0.1 + 1.0 + centre, dim=1)


def check_scorer(name_or_cls: str | type, options: dict[str, Any] | None = None, *,
                 dim: int = 16, n_train: int = 80, seed: int = 0) -> None:
    """Shapes, higher = more anomalous, determinism, state round trip (fresh instance)."""
    label = _label(name_or_cls)
    gen = torch.Generator().manual_seed(seed)
    direction = torch.randn(dim, generator=gen)
    train = torch.nn.functional.normalize(direction + 0.15 * torch.randn(n_train, dim, generator=gen), dim=1)
    inliers = torch.nn.functional.normalize(direction + 0.15 * torch.randn(20, dim, generator=gen), dim=1)
    outliers = torch.nn.functional.normalize(-direction + 0.15 * torch.randn(20, dim, generator=gen), dim=1)
    domain = torch.zeros(n_train, dtype=torch.long)
    domain[-4:] = 1
    scorer = _make_checked("scorer", name_or_cls, options, label)
    assert scorer.fit(train, domain) is scorer, f"{label}: fit must return self"
    s_in, s_out = scorer.score(inliers), scorer.score(outliers)
    for s, n in ((s_in, 20), (s_out, 20)):
        assert isinstance(s, Tensor) and s.shape == (n,), \
            f"{label}: score must be a ({n},) tensor, got {getattr(s, 'shape', s)}"
        assert torch.isfinite(s).all(), f"{label}: non-finite scores"
    assert s_out.min() > s_in.max(), (
        f"{label}: higher must mean more anomalous: far outliers scored {s_out.min():.4g} "
        f"<= inliers' max {s_in.max():.4g}")
    twin = _make("scorer", name_or_cls, options).fit(train, domain)
    _assert_close(s_in, twin.score(inliers), f"{label}: same data and options, different scores")
    fresh = _make("scorer", name_or_cls, options)
    fresh.load_state_dict(_round_trip_tensors(scorer.state_dict(), label))
    _assert_close(s_out, fresh.score(outliers), f"{label}: scores differ after state round trip")


def check_knn(name_or_cls: str | type, options: dict[str, Any] | None = None, *,
              n: int = 500, dim: int = 16, k: int = 5, seed: int = 0, min_recall: float = 0.95) -> None:
    """Shapes, ascending distances, self found first, recall against exact search."""
    label = _label(name_or_cls)
    gen = torch.Generator().manual_seed(seed)
    base = torch.randn(n, dim, generator=gen)
    index = _make("knn", name_or_cls, options)
    _check_contract_class("knn", index, label)
    index.build(base)
    dist, idx = index.search(base[:50], k)
    assert dist.shape == (50, k) and idx.shape == (50, k), f"{label}: got {tuple(dist.shape)}, {tuple(idx.shape)}"
    assert idx.dtype == torch.int64, f"{label}: indices must be int64, got {idx.dtype}"
    assert (dist[:, 1:] >= dist[:, :-1] - 1e-5).all(), f"{label}: distances not ascending"
    assert (idx[:, 0] == torch.arange(50)).float().mean() >= min_recall, f"{label}: a point is not its own nearest"
    exact = torch.cdist(base[:50], base).topk(k, largest=False).indices
    hits = sum(len(set(a.tolist()) & set(b.tolist())) for a, b in zip(idx, exact))
    recall = hits / exact.numel()
    assert recall >= min_recall, f"{label}: recall@{k} {recall:.3f} < {min_recall}"
    sq = torch.cdist(base[:50], base).gather(1, idx).square()
    _assert_close(dist.float(), sq, f"{label}: distances must be squared L2", atol=1e-3)


def check_loss(name_or_cls: str | type, options: dict[str, Any] | None = None, *,
               dim: int = 16, n_classes: int = 4, batch: int = 32, seed: int = 0) -> None:
    """Logit shapes and range, hard = one-hot soft targets, gradients, learning on
    separable data (the loss falls and the classes are told apart), state round trip."""
    label = _label(name_or_cls)
    torch.manual_seed(seed)
    loss = _make_checked("loss", name_or_cls, options, label, dim, n_classes)
    gen = torch.Generator().manual_seed(seed)
    means = torch.nn.functional.normalize(torch.randn(n_classes, dim, generator=gen), dim=1) * 3
    labels = torch.arange(batch) % n_classes
    x = (means[labels] + 0.3 * torch.randn(batch, dim, generator=gen)).requires_grad_(True)
    cos = loss.logits(x)
    assert cos.shape == (batch, n_classes), f"{label}: logits must be ({batch}, {n_classes}), got {tuple(cos.shape)}"
    assert cos.abs().max() <= 1 + 1e-5, f"{label}: logits must be cosines in [-1, 1]"
    loss.eval()  # adaptive scales only move in training mode
    value = loss(x, labels)
    assert value.dim() == 0 and torch.isfinite(value), f"{label}: loss must be a finite scalar, got {value}"
    soft = torch.nn.functional.one_hot(labels, n_classes).float()
    _assert_close(value.detach(), loss(x, soft).detach(), f"{label}: one-hot soft targets differ from hard labels")
    value.backward()
    assert x.grad is not None and x.grad.abs().sum() > 0, f"{label}: no gradient reaches the embeddings"
    # Learning: embeddings through a linear map, trained with the loss.
    torch.manual_seed(seed)
    proj = torch.nn.Linear(dim, dim)
    model_loss = _make("loss", name_or_cls, options, dim, n_classes).train()
    params = list(proj.parameters()) + [p for p in model_loss.parameters() if p.requires_grad]
    optimiser = torch.optim.Adam(params, lr=0.05)
    data = x.detach()
    first = None
    for _ in range(60):
        step = model_loss(proj(data), labels)
        first = float(step.detach()) if first is None else first
        optimiser.zero_grad()
        step.backward()
        optimiser.step()
    assert first is not None  # the loop above ran
    model_loss.eval()
    with torch.no_grad():
        acc = float((model_loss.logits(proj(data)).argmax(1) == labels).float().mean())
        last = float(model_loss(proj(data), labels))
    assert last < first, f"{label}: loss did not fall in training ({first:.4g} -> {last:.4g})"
    assert acc >= 0.9, f"{label}: separable classes told apart on {acc:.0%} only"
    fresh = _make("loss", name_or_cls, options, dim, n_classes)
    fresh.load_state_dict(_round_trip_tensors(model_loss.state_dict(), label))
    with torch.no_grad():
        _assert_close(model_loss.logits(data), fresh.eval().logits(data),
                      f"{label}: logits differ after state round trip")
        _assert_close(model_loss(data, labels), fresh(data, labels), f"{label}: loss differs after state round trip")
