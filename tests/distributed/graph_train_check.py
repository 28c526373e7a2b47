"""Train asdkit's graph network on a fixed synthetic graph, in one process or under torchrun.

Usage: ``python graph_train_check.py OUT RUN [RUN ...]``, each RUN a comma-separated list of
``lr=``, ``epochs=``, ``batch_size=`` (``none`` = full batch, or an int), ``dropout=`` and
``num_neighbors=`` (``3:2``, for the refusal). Launched by ``torchrun`` (``WORLD_SIZE``
set) it opens the gloo process group and trains with ``parallel=DataParallel(...)``.
Every rank R writes ``OUT/run{i}.rank{R}.pt`` per RUN: ``{"state_dict", "loss_state",
"params", "history", "refined"}`` (``refined``: :func:`asdkit.graph.model.refine` of the
trained model on the whole graph), or ``{"error"}`` for a ConfigError.

The data: 3 classes x 20 nodes of dimension 16 around seeded centres, their 5-NN graph
(brute force), the ``sage_gat`` layer.
"""
from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any

import torch

from asdkit import registry
from asdkit.errors import ConfigError
from asdkit.graph.build import knn_graph
from asdkit.graph.model import refine
from asdkit.graph.train import train_graph_model

DIM, PER_CLASS, CLASSES = 16, 20, 3


def data() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(3)
    centres = 2.0 * torch.randn(CLASSES, DIM, generator=gen)
    labels = torch.arange(CLASSES).repeat_interleave(PER_CLASS)
    x = centres[labels] + torch.randn(labels.numel(), DIM, generator=gen)
    return x, knn_graph(x, 5, "brute"), labels


def parse(spec: str) -> dict[str, Any]:
    options: dict[str, Any] = {"lr": 0.0, "epochs": 3, "batch_size": None, "dropout": 0.3, "num_neighbors": None}
    for item in filter(None, spec.split(",")):
        key, value = item.split("=", 1)
        if key == "batch_size":
            options[key] = None if value == "none" else int(value)
        elif key == "num_neighbors":
            options[key] = [int(v) for v in value.split(":")]
        elif key == "epochs":
            options[key] = int(value)
        else:
            options[key] = float(value)
    return options


def run(options: dict[str, Any], parallel: Any) -> dict[str, Any]:
    x, edges, labels = data()
    torch.manual_seed(0)  # the layer's initialisation
    layer = registry.create("graph_layer", "sage_gat", {"hidden_dim": 32, "heads": 2, "dropout": options["dropout"]},
                            DIM, 16)
    try:
        model, loss_fn, history = train_graph_model(
            x, edges, labels, layer=layer, head_dim=8, head_hidden_dim=16, epochs=options["epochs"],
            lr=options["lr"], batch_size=options["batch_size"], num_neighbors=options["num_neighbors"],
            device="cpu", seed=5, parallel=parallel)
    except ConfigError as exc:
        return {"error": str(exc)}
    return {"state_dict": model.state_dict(), "loss_state": loss_fn.state_dict(),
            "params": [name for name, _ in model.named_parameters()], "history": history,
            "refined": refine(model, x, edges)}


def main() -> None:
    out, specs = Path(sys.argv[1]), sys.argv[2:]
    out.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        parallel, rank = None, 0
        if "WORLD_SIZE" in os.environ:
            from asdkit.distributed import process_group
            from asdkit.parallel import DataParallel

            group = stack.enter_context(process_group("cpu"))
            parallel, rank = DataParallel(group, torch.device("cpu")), group.rank
        for i, spec in enumerate(specs):
            torch.save(run(parse(spec), parallel), out / f"run{i}.rank{rank}.pt")


if __name__ == "__main__":
    main()
