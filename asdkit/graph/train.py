"""Train the graph network: graph layer + projection head under an ArcFace loss.

The classes are the clips' labels (machine types in Lu et al.): the network learns
embeddings where each clip, refined by its neighbours, sits near its type's ArcFace
centre; the scorers then model each type's normal clips in that space.

Full-batch (``batch_size=None``): one optimiser step per epoch on the whole graph.
Mini-batch: each epoch visits every node once as a seed, ``batch_size`` seeds per
step, each step on the seeds' ``num_hops`` incoming-neighbourhood subgraph
(:mod:`.sampler`, pure torch; PyG's ``NeighborLoader`` needs pyg-lib/torch-sparse),
optionally sampling at most ``num_neighbors[h]`` neighbours per node at hop ``h``.

Data-parallel (``parallel``, under torchrun): each batch's seeds are split into
contiguous per-rank slices; each rank computes its slice on its own exact subgraph,
with the dropout masks and head BatchNorm statistics of the whole batch
(:mod:`.parallel_step`), so N processes train the model one process trains.

Determinism: the seed fixes parameter initialisation of the head and the ArcFace
centres, dropout, the batch order and neighbour sampling (the RNG state of the
caller is restored afterwards). On CPU two runs give identical results; on CUDA,
PyG's scatter operations use atomics and may differ in the last bits.
"""
from __future__ import annotations

import time
from typing import Any, Callable

import torch
from torch import Tensor, nn

from .. import registry
from ..api import GraphLayer, MarginLoss, as_float_tensor
from ..errors import ConfigError, InputError
from ..parallel import DataParallel
from ..progress import Progress, ensure
from ..utils import resolve_device
from .model import GraphModel
from .parallel_step import GraphStep, check_parallel, rank_forward
from .sampler import InEdgeIndex, in_subgraph


def _check_inputs(x: Tensor, edge_index: Tensor, labels: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    x = as_float_tensor(x, "graph embeddings")
    labels = torch.as_tensor(labels).to(torch.int64)
    edge_index = torch.as_tensor(edge_index).to(torch.int64)
    n = x.shape[0]
    if x.dim() != 2 or n < 2:
        raise InputError(f"graph training needs an (N, D) matrix with N >= 2, got {tuple(x.shape)}")
    if labels.shape != (n,) or int(labels.min()) < 0:
        raise InputError(f"labels must be ({n},) non-negative class ids, got shape {tuple(labels.shape)}")
    if edge_index.dim() != 2 or edge_index.shape[0] != 2:
        raise InputError(f"edge_index must be (2, E), got {tuple(edge_index.shape)}")
    if edge_index.numel() and (int(edge_index.min()) < 0 or int(edge_index.max()) >= n):
        raise InputError(f"edge_index refers to nodes outside [0, {n})")
    return x, edge_index, labels


def _epoch_batches(n: int, batch_size: int | None, gen: torch.Generator) -> list[Tensor | None]:
    """Seed batches of one epoch; ``[None]`` = full batch. Batches of one node are
    dropped (BatchNorm in the head needs two rows; the order is reshuffled each epoch)."""
    if batch_size is None:
        return [None]
    return [b for b in torch.randperm(n, generator=gen).split(batch_size) if b.numel() > 1]


def _fanout(num_neighbors: list[int] | None, hops: int) -> list[int | None] | None:
    if num_neighbors is None:
        return None
    if len(num_neighbors) != hops:
        raise ConfigError(f"num_neighbors needs one entry per hop ({hops}), got {num_neighbors}")
    return [None if f < 0 else int(f) for f in num_neighbors]


def train_graph_model(x: Tensor, edge_index: Tensor, labels: Tensor, *, layer: GraphLayer,
                      head_dim: int = 128, head_hidden_dim: int = 256, epochs: int = 100,
                      lr: float = 1e-3, weight_decay: float = 1e-4, loss: str = "arcface",
                      loss_options: dict | None = None, batch_size: int | None = None,
                      num_neighbors: list[int] | None = None, device: str = "auto", seed: int = 0,
                      progress: Progress | None = None,
                      on_epoch: Callable[[dict[str, Any]], None] | None = None,
                      parallel: DataParallel | None = None,
                      ) -> tuple[GraphModel, MarginLoss, list[dict]]:
    """Train ``layer`` + projection head on a clip graph with a margin loss over ``labels``.

    ``loss`` names the loss (``asdkit.losses``: arcface, adacos, subcluster_adacos,
    adaproj, or a plugin), built with ``loss_options``.

    Shapes:
        - **x:** ``(N, D)`` clip embeddings; **edge_index:** ``(2, E)`` (see
          :mod:`.build` for direction); **labels:** ``(N,)`` int64 class ids

    Returns the trained model (eval mode), the loss (its centres), and a
    history of ``{"epoch", "loss", "acc"}`` per epoch (mean over the epoch's steps;
    ``acc``: share of seeds whose nearest ArcFace centre is their class). ``on_epoch`` is
    called after each epoch with its row plus ``lr`` and ``seconds`` (its wall time).

    ``parallel`` (under torchrun): every rank draws the same batches and trains its
    contiguous slice of each batch's seeds under DistributedDataParallel
    (:mod:`.parallel_step`); every rank returns the same history and holds the same
    weights, equal to one process's to float32 rounding (tested). Neighbour sampling,
    attention dropout and batch-adaptive loss scales are refused.
    """
    x, edge_index, labels = _check_inputs(x, edge_index, labels)
    if epochs < 1 or (batch_size is not None and batch_size < 2):
        raise ConfigError("epochs must be >= 1 and batch_size None or >= 2")
    dev = resolve_device(device)
    fork_devices = [dev.index or 0] if dev.type == "cuda" else []
    with torch.random.fork_rng(devices=fork_devices):
        torch.manual_seed(seed)
        model = GraphModel(layer, head_dim, head_hidden_dim).to(dev)
        loss_fn = registry.create("loss", loss, loss_options or {}, head_dim, int(labels.max()) + 1).to(dev)
        history = _fit(model, loss_fn, x, edge_index, labels, epochs=epochs, lr=lr,
                       weight_decay=weight_decay, batch_size=batch_size,
                       num_neighbors=num_neighbors, seed=seed, progress=ensure(progress), on_epoch=on_epoch,
                       parallel=parallel)
    return model.eval(), loss_fn.eval(), history


def _fit(model: GraphModel, loss_fn: MarginLoss, x: Tensor, edge_index: Tensor, labels: Tensor, *,
         epochs: int, lr: float, weight_decay: float, batch_size: int | None,
         num_neighbors: list[int] | None, seed: int, progress: Progress,
         on_epoch: Callable[[dict[str, Any]], None] | None,
         parallel: DataParallel | None = None) -> list[dict]:
    dev = next(model.parameters()).device
    params = list(model.parameters()) + [p for p in loss_fn.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    gen = torch.Generator().manual_seed(seed)
    hops = model.num_hops
    index: InEdgeIndex | None = None
    fanout: list[int | None] | None = None
    if batch_size is not None:
        if hops is None:
            raise ConfigError("mini-batch training needs a graph layer that declares num_hops")
        index = InEdgeIndex(edge_index, x.shape[0])
        fanout = _fanout(num_neighbors, hops)
    full_x, full_edges, full_labels = x.to(dev), edge_index.to(dev), labels.to(dev)
    step: nn.Module | None = None
    if parallel is not None:
        check_parallel(parallel, model, loss_fn, x.shape[0], batch_size, num_neighbors)
        if index is None and hops is not None:  # full batch: ranks cut subgraphs of the whole graph
            index = InEdgeIndex(edge_index, x.shape[0])
        parallel.convert(model)
        step = parallel.wrap(GraphStep(model, loss_fn))
    history = []
    task = progress.task("train graph network", total=epochs)
    model.train()
    loss_fn.train()
    try:
        for epoch in range(1, epochs + 1):
            started = time.perf_counter()
            losses: list[float] = []
            correct = seen = 0.0  # counts (floats: summed over ranks in float64 under parallel)
            for seeds in _epoch_batches(x.shape[0], batch_size, gen):
                if step is not None:  # this rank's slice of the batch (parallel_step)
                    assert parallel is not None
                    loss, scaled, emb, target, share = rank_forward(parallel, step, model, x, edge_index, labels,
                                                                    index, seeds, dev)
                else:
                    if seeds is None:
                        emb, target = model(full_x, full_edges), full_labels
                    else:
                        assert index is not None and hops is not None  # seed batches exist only with batch_size
                        sub = in_subgraph(seeds, index, hops, fanout, gen)
                        emb = model(x[sub.nodes].to(dev), sub.edge_index.to(dev),
                                    torch.arange(sub.num_seeds, device=dev))
                        target = labels[seeds].to(dev)
                    loss = scaled = loss_fn(emb, target)
                    share = None
                optimiser.zero_grad(set_to_none=True)
                scaled.backward()
                optimiser.step()
                # The step's loss; under parallel this rank's share of the global mean loss.
                losses.append(loss.item() if share is None else loss.item() * share)
                with torch.no_grad():
                    correct += int((loss_fn.logits(emb).argmax(1) == target).sum())
                seen += target.numel()
            if parallel is not None:  # every rank's row is the one process's
                *losses, correct, seen = parallel.sum([*losses, correct, seen],
                                                      f"training the graph network (epoch {epoch})")
                parallel.after_epoch(epoch)
            record = {"epoch": epoch, "loss": sum(losses) / len(losses), "acc": correct / max(seen, 1)}
            history.append(record)
            if on_epoch is not None:
                on_epoch({**record, "lr": optimiser.param_groups[0]["lr"], "seconds": time.perf_counter() - started})
            task.advance()
            task.set_info(loss=round(record["loss"], 4), acc=round(record["acc"], 4))
    finally:
        task.close()
        if parallel is not None:
            parallel.release(model)
    return history
