"""Training a backbone on random crops of log-mels: a margin loss or the backbone's own loss.

Per epoch, clips are visited in a random order in batches of ``batch_size``; each
contributes one random ``crop_frames`` window (:mod:`asdkit.backbones.augment`), or
with ``crop_frames=0`` the whole clip (cut to the shortest training clip).

**Standardisation.** Before training, the per-band mean and std over all frames of
all training clips are stored in the backbone's
:class:`~asdkit.backbones.standardize.InputStandardizer` (``backbone.standardize``),
which its ``forward`` applies. They are therefore part of ``backbone.state_dict()``
and every later use (embedding, saving, reloading) sees the same input scaling. A
backbone without that submodule is trained on raw input.

**Objective** -- the backbone's ``training_loss(x, labels)`` when it returns a loss
(the autoencoder baseline); otherwise a margin loss (``loss``: ArcFace, AdaCos,
sub-cluster AdaCos, AdaProj; :mod:`asdkit.losses`) on the embedding, over the classes
an objective builds (:mod:`.objectives`): the labels themselves (``"arcface"``), or
classes multiplied by a self-supervised construction (``"augmentation"``,
``"statex"``, ``"featex"``); ``"auto"`` classifies labels when there are two or more,
else uses ``"augmentation"``.

Accuracy is the fraction of the epoch's (augmented, train-mode) crops whose nearest
class centre (cosine, no margin) is the target; ``None`` for a backbone's own
loss. After the last epoch BatchNorm statistics are recomputed on the full training
clips (``recalibrate_bn``), so eval-mode embeddings match what was learned.

Determinism: ``seed`` seeds torch's global generator (dropout, loss centres) and a
NumPy generator that makes every data choice; CPU training is bitwise repeatable.
Seed before constructing the backbone too for a fully reproducible run.

Shapes:
    - **features:** ``N`` arrays ``(n_mels, T_i)``, ``T_i`` may differ
    - **labels:** ``(N,)`` int64
    - **batch:** ``(batch_size, 1, n_mels, crop_frames)``
"""
from __future__ import annotations

import time
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from .. import registry
from ..api import Backbone, as_float_tensor
from ..errors import ConfigError, InputError, PluginError
from ..parallel import DataParallel, set_dropout_rows
from ..progress import Progress, ensure
from ..utils import resolve_device, seed_everything
from .augment import random_crops, spec_augment
from .objectives import FACTORS, ClassifierObjective, resolve_objective
from .standardize import find_standardizer, frequency_stats


def prepare_clips(features: Sequence[Any]) -> list[Tensor]:
    """Float32 CPU tensors ``(n_mels, T_i)``, all with the same number of mel bands."""
    if len(features) == 0:
        raise InputError("no training clips")
    clips = [as_float_tensor(f, f"clip {i}").cpu() for i, f in enumerate(features)]
    for i, c in enumerate(clips):
        if c.dim() != 2 or c.shape[1] == 0:
            raise InputError(f"clip {i}: expected a (n_mels, T) log-mel, got shape {tuple(c.shape)}")
        if c.shape[0] != clips[0].shape[0]:
            raise InputError(f"clip {i}: {c.shape[0]} mel bands, clip 0 has {clips[0].shape[0]}")
    return clips


def prepare_labels(labels: Any, n_clips: int) -> tuple[Tensor, int]:
    """Labels remapped to ``0..C-1`` (sorted order kept) and ``C``."""
    raw = torch.as_tensor(np.asarray(labels)).reshape(-1)
    if raw.dtype == torch.bool or (raw.is_floating_point() and not torch.equal(raw, raw.round())):
        raise InputError(f"labels must be integers, got {raw.dtype}")
    if raw.numel() != n_clips:
        raise InputError(f"{raw.numel()} labels for {n_clips} clips")
    classes, targets = torch.unique(raw.long(), return_inverse=True)
    return targets, int(classes.numel())


def fit_standardization(backbone: nn.Module, clips: Sequence[Tensor]) -> Tensor:
    """Store band stats in the backbone (if it standardises); returns the band means."""
    mean, std = frequency_stats(clips)
    standardizer = find_standardizer(backbone)
    if standardizer is not None:
        standardizer.set_stats(mean, std)
    return mean


def _batches(n: int, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    order = rng.permutation(n)
    batches = [order[i:i + batch_size] for i in range(0, n, batch_size)]
    # BatchNorm cannot train on a single example: fold a lone last one into its neighbour.
    if len(batches) > 1 and len(batches[-1]) == 1:
        batches[-2] = np.concatenate(batches[-2:])
        batches.pop()
    return batches


def uses_own_loss(backbone: nn.Module, clips: Sequence[Tensor], labels: Tensor, crop_frames: int) -> bool:
    """Whether ``backbone.training_loss`` returns a loss (probed in eval mode, no side effects)."""
    own = getattr(backbone, "training_loss", None)
    if own is None:
        return False
    if isinstance(backbone, Backbone) and type(backbone).training_loss is Backbone.training_loss:
        return False
    probe = random_crops(clips[:2], np.arange(min(2, len(clips))), crop_frames, np.random.default_rng(0))
    was_training = backbone.training
    backbone.eval()
    try:
        with torch.no_grad():
            device = next(iter(backbone.parameters()), probe).device
            return own(probe.to(device), labels[: probe.shape[0]].to(device)) is not None
    finally:
        backbone.train(was_training)


def recalibrate_batchnorm(backbone: nn.Module, clips: Sequence[Tensor], batch_size: int, device: torch.device,
                          parallel: DataParallel | None = None) -> None:
    """Recompute every BatchNorm's running statistics on the training clips, no grad.

    Running averages lag far behind the weights after a short training, and crops
    pooled over ``crop_frames`` vary more than the full clips seen at inference. One
    pass in train mode (BatchNorm only; dropout off) with a cumulative average fixes
    both. Clips are cut to the shortest clip's length so they stack into batches.
    With ``parallel`` each rank forwards its slice of every batch (global-batch BatchNorm).
    """
    norms = [m for m in backbone.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    frames = min(c.shape[1] for c in clips)
    saved_momentum = [m.momentum for m in norms]
    backbone.eval()
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over all batches
        m.train()
    try:
        with torch.no_grad():
            for idx in _batches(len(clips), batch_size, np.random.default_rng(0)):
                if parallel is not None:  # this rank's slice; global-batch BatchNorm sums the rest
                    lo, hi = parallel.slice(len(idx))
                    idx = idx[lo:hi]
                batch = torch.stack([clips[int(i)][:, :frames] for i in idx]).unsqueeze(1)
                backbone(batch.to(device))
    finally:
        for m, momentum in zip(norms, saved_momentum):
            m.momentum = momentum
        backbone.eval()


def _check_options(epochs: int, batch_size: int, crop_frames: int, mixup: float) -> None:
    if epochs < 0:
        raise ConfigError(f"epochs must be >= 0, got {epochs}")
    if batch_size < 2:
        raise ConfigError(f"batch_size must be >= 2 (BatchNorm), got {batch_size}")
    if crop_frames < 0:
        raise ConfigError(f"crop_frames must be >= 1, or 0 for full clips; got {crop_frames}")
    if mixup < 0:
        raise ConfigError(f"mixup must be >= 0 (Beta alpha; 0 = off), got {mixup}")


def train_backbone(
    backbone: Backbone,
    features: Sequence[Any],
    labels: Any,
    *,
    epochs: int,
    batch_size: int = 32,
    lr: float = 1e-3,
    crop_frames: int = 64,
    mixup: float = 0.0,
    specaugment: bool = False,
    precision: str = "fp32",
    channels_last: bool = False,
    objective: str = "auto",
    loss: str = "arcface",
    loss_options: dict[str, Any] | None = None,
    recalibrate_bn: bool = True,
    device: str | torch.device = "cpu",
    seed: int = 0,
    progress: Progress | None = None,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
    parallel: DataParallel | None = None,
) -> list[dict[str, Any]]:
    """Train ``backbone`` in place (moved to ``device``, left in eval mode).

    Returns one ``{"epoch", "loss", "acc"}`` dict per epoch (means over the epoch's
    crops; ``acc`` is ``None`` when the backbone trains with its own loss).
    ``mixup`` is the Beta ``alpha`` (0 = off) and applies to the classification
    objectives (:mod:`.objectives`); ``loss`` names the margin loss (``asdkit.losses``)
    they train with, built with ``loss_options``.
    ``recalibrate_bn`` recomputes BatchNorm statistics on the full training clips
    after the last epoch (:func:`recalibrate_batchnorm`).
    ``on_epoch`` is called after each epoch with its row plus ``lr`` and ``seconds``
    (the epoch's wall time), e.g. :class:`asdkit.pipeline.training_log.TrainingLog`.
    ``precision="bf16"`` runs each step's forward under bfloat16 autocast (the margin
    loss in float32; no loss scaling needed, bf16 has float32's range);
    ``channels_last`` trains with NHWC activations. Both are for GPUs; weights and
    embeddings stay float32.
    ``parallel`` (under torchrun): this rank trains its slice of every global batch
    under DistributedDataParallel (:mod:`asdkit.parallel`); every rank returns the
    same history and holds the same weights, equal to one process's to float32
    rounding (tested); ``featex`` is refused.
    """
    _check_options(epochs, batch_size, crop_frames, mixup)
    clips = prepare_clips(features)
    if crop_frames == 0:  # full clips: every clip cut to the shortest, so that they batch
        crop_frames = min(c.shape[1] for c in clips)
    targets, n_classes = prepare_labels(labels, len(clips))
    objective = resolve_objective(objective, n_classes)
    dev = resolve_device(device)
    seed_everything(seed)
    rng = np.random.default_rng(seed)

    band_mean = fit_standardization(backbone, clips)
    backbone.to(dev)
    if channels_last:
        backbone.to(memory_format=torch.channels_last)  # type: ignore[call-overload]  # (typed overloads lack it)
    own_loss = uses_own_loss(backbone, clips, targets, crop_frames)
    params = list(backbone.parameters())
    classifier = None
    if not own_loss:
        head = registry.create("loss", loss, loss_options or {}, int(backbone.embedding_dim),
                               n_classes * FACTORS[objective]).to(dev)
        classifier = ClassifierObjective(objective, head, n_classes, mixup)
        params += [p for p in head.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=lr)
    step: nn.Module = _BatchStep(backbone, classifier)
    if parallel is not None:
        _check_parallel(parallel, objective, classifier, len(clips), batch_size)
        parallel.convert(backbone)
        step = parallel.wrap(step)

    history: list[dict[str, Any]] = []
    task = ensure(progress).task("train backbone", total=epochs)
    try:
        for epoch in range(1, epochs + 1):
            started = time.perf_counter()
            backbone.train()
            loss_sum = torch.zeros((), device=dev)
            correct = torch.zeros((), device=dev, dtype=torch.long)
            seen = classified_total = 0
            for idx in _batches(len(clips), batch_size, rng):
                x = random_crops(clips, idx, crop_frames, rng)
                y = targets[torch.from_numpy(idx)]
                if parallel is None:  # one process: the batch is prepared where it trains
                    x, y = x.to(dev), y.to(dev)
                if specaugment:
                    x = spec_augment(x, band_mean, rng)
                if classifier is not None:
                    x, y = classifier.prepare(x, y, rng)
                x, y, scale = _my_slice(parallel, backbone, x, y, dev)
                if channels_last:
                    x = x.contiguous(memory_format=torch.channels_last)
                with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
                    batch_loss, batch_correct, classified = step(x, y, rng if parallel is None else None)
                optimizer.zero_grad(set_to_none=True)
                (batch_loss if scale is None else batch_loss * scale).backward()
                optimizer.step()
                correct += batch_correct
                loss_sum += batch_loss.detach() * x.shape[0]
                seen += x.shape[0]
                classified_total += classified
            totals = [float(loss_sum.item()), float(correct.item()), seen, classified_total]
            if parallel is not None:
                totals = parallel.sum(totals, f"training the backbone (epoch {epoch})")
                parallel.after_epoch(epoch)
            mean_loss = totals[0] / max(totals[2], 1)
            acc = None if classifier is None else totals[1] / max(totals[3], 1)
            row = {"epoch": epoch, "loss": mean_loss, "acc": acc}
            history.append(row)
            if on_epoch is not None:
                on_epoch({**row, "lr": optimizer.param_groups[0]["lr"], "seconds": time.perf_counter() - started})
            task.set_info(loss=round(mean_loss, 4), **({} if acc is None else {"acc": round(acc, 3)}))
            task.advance()
        if recalibrate_bn and epochs > 0 and len(clips) > 1:
            recalibrate_batchnorm(backbone, clips, batch_size, dev, parallel)
    finally:
        task.close()
        if parallel is not None:
            parallel.release(backbone)
        if channels_last:  # saved and embedded in torch's default layout
            backbone.to(memory_format=torch.contiguous_format)  # type: ignore[call-overload]
        backbone.eval()
    return history


class _BatchStep(nn.Module):
    """One batch's (loss, correct, classified): the backbone's own loss or the margin
    loss of the objective. The module DistributedDataParallel wraps (backbone + loss)."""

    def __init__(self, backbone: nn.Module, classifier: ClassifierObjective | None) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = None if classifier is None else classifier.loss_fn
        self.classifier = classifier

    def forward(self, x: Tensor, y: Tensor, rng: np.random.Generator | None) -> tuple[Tensor, Tensor, int]:
        if self.classifier is not None:
            return self.classifier.embedded_loss(self.backbone, x, y, rng)
        value = self.backbone.training_loss(x, y)  # type: ignore[operator]
        if value is None:  # it returned a loss on the probe batch (uses_own_loss)
            raise PluginError(f"backbone {type(self.backbone).__name__}: training_loss returned None "
                              "after returning a loss on the probe batch")
        return value, torch.zeros((), dtype=torch.long, device=x.device), x.shape[0]


def _my_slice(parallel: DataParallel | None, backbone: nn.Module, x: Tensor, y: Tensor,
              dev: torch.device) -> tuple[Tensor, Tensor, float | None]:
    """This rank's rows of a prepared global batch, moved to ``dev``, and the factor on
    its mean loss (:class:`~asdkit.parallel.DataParallel`); one process: all, no factor."""
    if parallel is None:
        return x, y, None
    lo, hi = parallel.slice(x.shape[0])
    set_dropout_rows(backbone, torch.arange(lo, hi), x.shape[0])
    return x[lo:hi].to(dev), y[lo:hi].to(dev), parallel.loss_scale(hi - lo, x.shape[0])


def _check_parallel(parallel: DataParallel, objective: str, classifier: ClassifierObjective | None,
                    n_clips: int, batch_size: int) -> None:
    if objective == "featex":
        raise ConfigError("objective 'featex' pairs embeddings across the whole batch: "
                          "it trains in one process only (not under torchrun)")
    if classifier is not None:
        parallel.check_loss(classifier.loss_fn)
    parallel.check_batches(n_clips, batch_size, "training clips", "--batch-size")
