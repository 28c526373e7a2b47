"""``extract``: dataset -> log-mel -> trained backbone -> embeddings of every clip.

The backbone is trained from scratch on the normal training clips with an ArcFace
classifier over machine types (``labels="machine"``; metadata-free), over sections or
attributes where the layout provides them, or with a self-supervised objective when
there is only one class (one factory, one machine). Or it starts from ``weights``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from .. import registry
from ..audio import AudioPolicy, Clip, LoadSummary, scan_dataset, write_clips_csv
from ..bundle import save_bundle, with_prefix
from ..errors import InputError
from ..features import LogMelParams
from ..progress import Progress, ensure
from ..utils import resolve_device, seed_everything
from .features import FeatureStream, collect_features
from .runfolder import RunFolder
from .settings import ExtractSettings


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


def _make_backbone(settings: ExtractSettings, n_mels: int, progress: Progress) -> torch.nn.Module:
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


def run_extract(data: str | Path, out: str | Path, settings: ExtractSettings | None = None,
                progress: Progress | None = None, cache_dir: str | Path | None = None) -> ExtractResult:
    """Embed every clip of ``data`` into the RUN folder ``out``."""
    from ..backbones.embed import embed_clips
    from ..backbones.objectives import resolve_objective
    from ..backbones.train import train_backbone

    settings = settings or ExtractSettings()
    progress = ensure(progress)
    params = LogMelParams.from_dict(settings.features) if settings.features else LogMelParams()
    policy = AudioPolicy.from_dict(settings.audio) if settings.audio else AudioPolicy()
    device = resolve_device(settings.device)
    seed_everything(settings.seed)
    run = RunFolder.at(out)

    dataset = scan_dataset(data, settings.layout)
    for problem in dataset.problems:
        progress.warn(str(problem))
    stream = FeatureStream(dataset.clips, params, policy, Path(cache_dir) if cache_dir else run.cache,
                           settings.on_error, progress)
    clips, feats = collect_features(stream)
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
        history = train_backbone(
            backbone, [feats[i] for i in train_idx], labels, epochs=settings.epochs,
            batch_size=settings.batch_size, lr=settings.lr, crop_frames=settings.crop_frames,
            mixup=settings.mixup, specaugment=settings.specaugment, objective=objective, loss=settings.loss,
            loss_options=settings.loss_options, device=device,
            seed=settings.seed, progress=progress)
    embeddings = embed_clips(backbone, feats, batch_size=settings.batch_size, device=device,
                             progress=progress)

    spec = {"name": backbone.asdkit_name, "options": backbone.asdkit_options}
    save_bundle(run.backbone, with_prefix("backbone", backbone.state_dict()), {
        "backbone": spec, "features": params.to_dict(), "audio": policy.to_dict(),
        "labels": settings.labels, "classes": classes, "objective": objective})
    run.save_tensor(run.embeddings, "embeddings", embeddings)
    write_clips_csv(run.clips, clips)
    run.update_history("backbone", history)
    run.update_config("extract", {**settings.to_dict(), "data": str(Path(data).resolve()),
                                  "objective": objective, "classes": classes})
    return ExtractResult(run, clips, classes, objective, history, stream.summary)
