r"""One rank's part of a graph-network training step under ``torchrun``.

The single process computes each batch's seeds on a graph :math:`G`: the whole graph
(full batch, every node a seed) or the seeds' ``num_hops`` incoming subgraph :math:`U`
(mini-batch, :func:`~.sampler.in_subgraph`). Every rank draws the same batches, takes
the contiguous slice ``seeds[lo:hi]`` of each (:meth:`DataParallel.slice`) and computes
it on the slice's ``num_hops + 1`` incoming subgraph of :math:`G`, which gives exactly the
seeds' outputs on :math:`G` for every message-passing layer, GCN's degree normalisation
included (:mod:`.sampler`), up to the order of float sums. (With ``num_hops`` hops of the
whole graph a GCN rank would see other outer degrees than :math:`U` has.)

The random draws and batch statistics are the global batch's:

- the layer's dropout in one process masks :math:`|G|` rows; a rank's subgraph holds rows
  ``sub.nodes`` of them (positions in :math:`G`), the head's dropout masks the ``n``
  seeds, of which the rank holds ``lo..hi`` (:func:`~asdkit.parallel.set_dropout_rows`);
- the head's BatchNorm normalises over all ranks' seeds (``DataParallel.convert``);
- the slice's mean loss times ``n_r N / n`` (``loss_scale``) makes DDP's gradient average
  the gradient of the global mean loss, whose value is :math:`\sum_r \bar\ell_r n_r / n`.

Refused under ``parallel`` (one line each): neighbour sampling (a rank's draw cannot be
the union's), attention dropout (drawn per edge), a loss whose scale adapts to each batch
(AdaCos ``dynamic``), and batches smaller than the number of ranks.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ..errors import ConfigError
from ..parallel import DataParallel, set_dropout_rows
from .model import GraphModel
from .sampler import InEdgeIndex, in_subgraph


class GraphStep(nn.Module):
    """The module DistributedDataParallel wraps: model + loss, ``(loss, embeddings)``."""

    def __init__(self, model: GraphModel, loss_fn: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.loss_fn = loss_fn

    def forward(self, x: Tensor, edge_index: Tensor, seeds: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        emb = self.model(x, edge_index, seeds)
        return self.loss_fn(emb, target), emb


@dataclass
class RankBatch:
    """This rank's inputs for one global batch (on the CPU)."""

    x: Tensor           # (S, D) features of the rank's subgraph nodes
    edge_index: Tensor  # (2, E_s) local ids
    seeds: Tensor       # (n_r,) local ids of the rank's seeds
    target: Tensor      # (n_r,) their labels
    n_global: int       # seeds of the whole batch


def rank_batch(parallel: DataParallel, model: GraphModel, x: Tensor, edge_index: Tensor, labels: Tensor,
               index: InEdgeIndex | None, seeds: Tensor | None) -> RankBatch:
    """Cut this rank's subgraph of the batch ``seeds`` (``None``: full batch) and set the
    dropout rows it holds (module docstring). ``index``: the whole graph's incoming edges."""
    hops = model.num_hops
    n_global = x.shape[0] if seeds is None else seeds.numel()
    lo, hi = parallel.slice(n_global)
    set_dropout_rows(model.head, torch.arange(lo, hi), n_global)
    if seeds is None and hops is None:  # no receptive field declared: the whole graph, my rows
        set_dropout_rows(model.layer, torch.arange(x.shape[0]), x.shape[0])
        return RankBatch(x, edge_index, torch.arange(lo, hi), labels[lo:hi], n_global)
    assert hops is not None and index is not None  # mini-batch needs num_hops (checked in _fit)
    if seeds is None:  # G is the whole graph: positions are node ids
        graph_nodes, graph_index, mine = None, index, torch.arange(lo, hi)
    else:  # G is the batch's subgraph U, whose first nodes are the seeds in batch order
        union = in_subgraph(seeds, index, hops)
        graph_nodes, mine = union.nodes, torch.arange(lo, hi)
        graph_index = InEdgeIndex(union.edge_index, union.nodes.numel())
    sub = in_subgraph(mine, graph_index, hops + 1)
    set_dropout_rows(model.layer, sub.nodes, graph_index.num_nodes)
    nodes = sub.nodes if graph_nodes is None else graph_nodes[sub.nodes]
    return RankBatch(x[nodes], sub.edge_index, torch.arange(sub.num_seeds), labels[nodes[:sub.num_seeds]],
                     n_global)


def check_parallel(parallel: DataParallel, model: GraphModel, loss_fn: nn.Module, n_nodes: int,
                   batch_size: int | None, num_neighbors: list[int] | None) -> None:
    """Refuse what N ranks cannot train as one process does (module docstring)."""
    if num_neighbors is not None:
        raise ConfigError("num_neighbors (neighbour sampling) trains in one process only: a rank cannot "
                          "draw the sample of the whole batch's subgraph; drop it under torchrun")
    for name, m in model.named_modules():
        rate = getattr(m, "dropout", None)
        if isinstance(rate, float) and rate > 0:
            raise ConfigError(f"graph layer module {name!r} drops attention weights per edge (dropout={rate}): "
                              "it trains in one process only; set attention_dropout 0 under torchrun")
    parallel.check_loss(loss_fn)
    parallel.check_batches(n_nodes, batch_size, "nodes", "--batch-size")


def rank_forward(parallel: DataParallel, step: nn.Module, model: GraphModel, x: Tensor, edge_index: Tensor,
                 labels: Tensor, index: InEdgeIndex | None, seeds: Tensor | None,
                 device: torch.device) -> tuple[Tensor, Tensor, Tensor, Tensor, float]:
    """This rank's forward of one global batch under ``step`` (DDP-wrapped :class:`GraphStep`):
    ``(slice mean loss, loss to backpropagate, seed embeddings, targets, n_r / n)``."""
    part = rank_batch(parallel, model, x, edge_index, labels, index, seeds)
    target = part.target.to(device)
    loss, emb = step(part.x.to(device), part.edge_index.to(device), part.seeds.to(device), target)
    n_local = target.numel()
    return loss, loss * parallel.loss_scale(n_local, part.n_global), emb, target, n_local / part.n_global
