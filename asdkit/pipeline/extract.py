"""``extract``: dataset -> log-mel -> trained backbone -> embeddings of every clip.

The backbone is trained from scratch on the normal training clips with an ArcFace
classifier over machine types (``labels="machine"``; metadata-free), over sections or
attributes where the layout provides them, or with a self-supervised objective when
there is only one class (one factory, one machine). Or it starts from ``weights``.

Every clip's signal is checked (:mod:`asdkit.audio.quality`): a silent, constant,
clipped or too short clip is refused, so that it never becomes a "normal" training
example; ``on_error`` decides whether that stops the run or skips and lists the clip.
The relative duration rule compares each clip with the median duration of the
training clips that passed the other rules; that median is stored in the backbone
bundle (``train_seconds``) for ``score`` to apply the same rule.
"""
from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .. import registry
from ..api import Backbone
from ..audio import AudioPolicy, Clip, LoadSummary, Problem, SignalCheck, scan_dataset, write_clips_csv
from ..audio.quality import bad_signal_message, duration_reasons
from ..bundle import save_bundle, with_prefix
from ..distributed import Group
from ..formats.bundle_schema import BackboneConfig, Component
from ..errors import InputError
from ..features import LogMelParams
from ..parallel import DataParallel
from ..progress import Progress, ensure
from ..utils import output_folder, seed_everything
from .features import FeatureStream, collect_features
from .ranks import check_same_clips, embed_share, rank_device, rank_progress, warm_feature_cache
from .runfolder import RunFolder
from .settings import ExtractSettings
from .training_log import TrainingLog, clear_training_log, require_tensorboard


@dataclass
class ExtractResult:
    run: RunFolder
    clips: list[Clip]
    classes: list[str]
    objective: str
    history: list[dict[str, Any]]
    skipped: LoadSummary


def class_key(clip: Clip, mode: str) -> str:
    """The training class of a clip under a label mode."""
    if mode == "machine":
        return clip.machine
    if mode == "section":
        return f"{clip.machine}/section_{clip.section}"
    attrs = json.dumps(dict(sorted(clip.attributes.items())))
    return f"{clip.machine}/section_{clip.section}/{attrs}"


def is_training_clip(clip: Clip) -> bool:
    return clip.split == "train" and clip.label != "anomaly"


def median_train_seconds(clips: list[Clip], summary: LoadSummary) -> float | None:
    """Median decoded duration of the normal training clips (``None`` when unknown)."""
    seconds = [summary.seconds[str(c.path)] for c in clips
               if is_training_clip(c) and str(c.path) in summary.seconds]
    return float(np.median(seconds)) if seconds else None


def drop_short_clips(clips: list[Clip], feats: list[Any], check: SignalCheck, summary: LoadSummary,
                     on_error: str) -> tuple[list[Clip], list[Any]]:
    """Refuse clips far shorter than the training clips' median (the relative duration
    rule, which needs all durations first): the first one is an :class:`InputError`
    under ``on_error="fail"``; else each is left out and listed in ``summary.skipped``."""
    kept_clips, kept_feats = [], []
    for clip, feat in zip(clips, feats):
        seconds = summary.seconds.get(str(clip.path))
        reasons = [] if seconds is None else duration_reasons(seconds, check.rules, check.reference_seconds)
        if not reasons:
            kept_clips.append(clip)
            kept_feats.append(feat)
            continue
        message = bad_signal_message(clip.path, reasons)
        if on_error == "fail":
            raise InputError(message)
        summary.skipped.append(Problem(clip.path, message[len(f"{clip.path}: "):]))
        summary.loaded -= 1
    return kept_clips, kept_feats


def _make_backbone(settings: ExtractSettings, n_mels: int, progress: Progress) -> Backbone:
    options = dict(settings.backbone_options)
    cls = registry.load("backbone", settings.backbone)
    if "n_mels" in registry.option_defaults(cls) and "n_mels" not in options:
        options["n_mels"] = n_mels  # backbones tied to the mel count follow the features
    backbone = registry.create("backbone", settings.backbone, options)
    if settings.weights:
        from ..backbones.weights import load_weights

        report = load_weights(backbone, settings.weights)
        progress.log(f"loaded weights from {settings.weights} ({report})")
    return backbone


def _component_of(obj: Any) -> Component:
    """The name and options :func:`asdkit.registry.create` stamped on the component it built."""
    return Component(obj.asdkit_name, dict(obj.asdkit_options))


def run_extract(data: str | Path, out: str | Path, settings: ExtractSettings | None = None,
                progress: Progress | None = None, cache_dir: str | Path | None = None,
                tensorboard: bool = False, group: Group | None = None) -> ExtractResult | None:
    """Embed every clip of ``data`` into the RUN folder ``out``; the backbone's epochs go
    to RUN/logs/backbone.csv and, with ``tensorboard``, RUN/tensorboard/backbone
    (:mod:`.training_log`).

    With ``group`` (a torchrun job, :func:`asdkit.distributed.process_group`) the ranks
    share the work (:mod:`.ranks`): features by clip, the backbone's training by slices
    of every batch (:mod:`asdkit.parallel`), the embeddings by batch; rank 0 writes the
    RUN folder and returns the result, the other ranks return ``None``."""
    from ..backbones.embed import embed_clips
    from ..backbones.objectives import resolve_objective
    from ..backbones.train import train_backbone

    settings = settings or ExtractSettings()
    progress = ensure(progress)
    if tensorboard:
        require_tensorboard()
    params = LogMelParams.from_dict(settings.features) if settings.features else LogMelParams()
    policy = AudioPolicy.from_dict(settings.audio) if settings.audio else AudioPolicy()
    device = rank_device(settings.device, group)
    progress = rank_progress(progress, group)
    main = group is None or group.is_main
    seed_everything(settings.seed)
    run = RunFolder.at(output_folder(out, "-o"))

    dataset = scan_dataset(data, settings.layout)
    for problem in dataset.problems:
        progress.warn(str(problem))
    check = SignalCheck()
    stream = FeatureStream(dataset.clips, params, policy, Path(cache_dir) if cache_dir else run.cache,
                           settings.on_error, progress, signal=check)
    if group is not None:
        check_same_clips(dataset.clips, f"the clips of {data}")
        warm_feature_cache(stream, group)
    clips, feats = collect_features(stream)
    train_seconds = median_train_seconds(clips, stream.summary)
    check = SignalCheck(check.rules, train_seconds)
    clips, feats = drop_short_clips(clips, feats, check, stream.summary, settings.on_error)
    train_idx = [i for i, c in enumerate(clips) if is_training_clip(c)]
    if not train_idx:
        raise InputError(f"{data}: no normal training clips (split 'train') to train the backbone on")
    classes = sorted({class_key(clips[i], settings.labels) for i in train_idx})
    label_of = {name: j for j, name in enumerate(classes)}
    labels = torch.tensor([label_of[class_key(clips[i], settings.labels)] for i in train_idx])

    backbone = _make_backbone(settings, params.n_mels, progress)
    history: list[dict[str, Any]] = []
    trains = settings.epochs > 0 and getattr(backbone, "trainable", True)
    objective = resolve_objective(settings.objective, len(classes)) if trains else (
        "pretrained" if settings.weights or getattr(backbone, "trainable", True) else "none")
    if trains:
        with TrainingLog(run, "backbone", tensorboard) if main else contextlib.nullcontext() as log:
            history = train_backbone(
                backbone, [feats[i] for i in train_idx], labels, epochs=settings.epochs,
                batch_size=settings.batch_size, lr=settings.lr, crop_frames=settings.crop_frames,
                mixup=settings.mixup, specaugment=settings.specaugment, precision=settings.precision,
                channels_last=settings.channels_last, objective=objective, loss=settings.loss,
                loss_options=settings.loss_options, device=device,
                seed=settings.seed, progress=progress, on_epoch=log,
                parallel=None if group is None else DataParallel(group, device))
    elif main:
        clear_training_log(run, "backbone")
    if group is None:
        embeddings = embed_clips(backbone, feats, batch_size=settings.batch_size, device=device,
                                 progress=progress)
    else:
        shared = embed_share(backbone, feats, batch_size=settings.batch_size, device=device, group=group,
                             progress=progress)
        if shared is None:  # not rank 0: its rows went to rank 0, which writes the RUN folder
            return None
        embeddings = shared

    config = BackboneConfig(_component_of(backbone), params.to_dict(),
                            policy.to_dict(), settings.labels, list(classes), objective, train_seconds)
    save_bundle(run.backbone, with_prefix("backbone", backbone.state_dict()), config.to_dict())
    run.save_tensor(run.embeddings, "embeddings", embeddings)
    write_clips_csv(run.clips, clips)
    run.update_history("backbone", history)
    run.update_config("extract", {**settings.to_dict(), "data": str(Path(data).resolve()),
                                  "objective": objective, "classes": classes})
    return ExtractResult(run, clips, classes, objective, history, stream.summary)
