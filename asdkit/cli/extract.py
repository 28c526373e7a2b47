"""``asdkit extract``: train the backbone and embed every clip of a dataset."""
from __future__ import annotations

from pathlib import Path

import click

from ..pipeline.settings import OBJECTIVES, PRECISIONS, ExtractSettings as Defaults
from ..runconfig import config_option, save_effective
from .app import AppState, err, out, pass_state
from .options import component_option, feature_options, feature_settings, finish_skips, on_error_options, parse_opts


@click.command("extract")
@click.argument("data", type=click.Path(path_type=Path))
@config_option
@click.option("-o", "--output", "run_dir", type=click.Path(path_type=Path), required=True,
              help="RUN folder to create or update.")
@click.option("--layout", default="auto", show_default=True,
              help="Dataset layout: auto, dcase2020, dcase2021, eval, generic.")
@component_option("backbone", "backbone", Defaults.backbone)
@click.option("--labels", type=click.Choice(["machine", "section", "attribute"]), default="machine",
              show_default=True, help="Classes the backbone learns (section/attribute where the layout has them).")
@click.option("--objective", type=click.Choice(OBJECTIVES), default="auto",
              show_default=True, help="What the backbone classifies: the classes (arcface), or classes multiplied "
              "without metadata: (class, augmentation) pairs, statistics exchange (statex), feature exchange "
              "between branches (featex, two-branch backbones); auto: arcface with 2+ classes.")
@component_option("loss", "margin loss the backbone trains with", Defaults.loss)
@click.option("--epochs", type=int, default=20, show_default=True, help="Training epochs (0: no training).")
@click.option("--batch-size", type=int, default=32, show_default=True)
@click.option("--lr", type=float, default=1e-3, show_default=True, help="Learning rate.")
@click.option("--crop-frames", type=int, default=64, show_default=True,
              help="Training on random crops of this many log-mel frames (0: full clips).")
@click.option("--mixup", type=float, default=0.0, show_default=True, help="Mixup Beta alpha (0: off).")
@click.option("--specaugment", is_flag=True, help="Time and frequency masking while training.")
@click.option("--precision", type=click.Choice(PRECISIONS), default="fp32", show_default=True,
              help="Training arithmetic: bf16 runs the backbone's forward under bfloat16 autocast (margin "
              "losses stay float32); for GPUs (on CPUs without bf16 units it is slower).")
@click.option("--channels-last", is_flag=True, help="Train with NHWC tensors (faster convolutions on GPUs).")
@click.option("--weights", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Start from a state dict (asdkit or torchvision MobileNetV2 layout).")
@click.option("--cache", "cache_dir", type=click.Path(path_type=Path),
              help="Feature cache folder (default: RUN/cache).")
@feature_options
@on_error_options
@click.option("--tensorboard", is_flag=True,
              help="Also log each epoch to TensorBoard in RUN/tensorboard/backbone (pip install "
              "'asdkit[tensorboard]'); RUN/logs/backbone.csv is always written.")
@pass_state
def command(state: AppState, data: Path, run_dir: Path, layout: str, backbone: str,
            backbone_opts: tuple[str, ...], labels: str, objective: str, loss: str,
            loss_opts: tuple[str, ...], epochs: int, batch_size: int, lr: float,
            crop_frames: int, mixup: float, specaugment: bool, precision: str, channels_last: bool,
            weights: Path | None,
            cache_dir: Path | None, sr: int, n_mels: int, n_fft: int, hop: int, channel: str,
            seconds: float | None, strict: bool, on_error: str, allow_skips: bool, tensorboard: bool) -> None:
    """Train the backbone on the normal training clips and embed every clip.

    Log-mel (native kernel) -> backbone -> embeddings of all clips in
    RUN/embeddings.safetensors, their records in RUN/clips.csv. The default backbone,
    log-mel statistics, trains nothing (the best measured default, README); learnt
    backbones (mobilenetv2, dual_branch) train with a margin loss over machine types
    or over classes made from the data (--objective).

    A clip that decodes but carries no usable signal is refused, so that it never
    trains as "normal": --on-error fail stops on it, skip leaves it out and lists it.
    Rules: shorter than 1 s or than 0.5 x the training clips' median duration; silent
    (50% of 50 ms frames below -70 dBFS); constant (DC only); DC offset above 0.1;
    clipped (over 0.1% of samples flat at a peak of -6 dBFS or louder). README, "Bad signals".

    Every option can come from a TOML file's [extract] table (--config); the options
    in effect are saved in RUN/run.toml ('asdkit config RUN'). Training epochs are
    logged to RUN/logs/backbone.csv as they finish. Under torchrun the ranks share
    features, training (DDP, slices of every batch) and embeddings; rank 0 writes RUN.

    \b
    Example:
      asdkit extract data/ -o run/
      asdkit extract data/ -o run/ --backbone mobilenetv2 --backbone-opt width_mult=0.5 --epochs 30
      asdkit extract data/ -o run/ --backbone dual_branch --objective featex --loss subcluster_adacos
      asdkit extract data/ -o run2/ --config run/run.toml      # redo run/
    """
    from ..pipeline import ExtractSettings, run_extract
    from ..utils import resolve_device
    from .ranks import job_group

    features, audio = feature_settings(sr, n_mels, n_fft, hop, channel, seconds, strict)
    settings = ExtractSettings(
        layout=layout, backbone=backbone, backbone_options=parse_opts(backbone_opts, "backbone"),
        labels=labels, objective=objective, loss=loss, loss_options=parse_opts(loss_opts, "loss"),
        epochs=epochs, batch_size=batch_size, lr=lr, crop_frames=crop_frames,
        mixup=mixup, specaugment=specaugment, precision=precision, channels_last=channels_last,
        weights=str(weights) if weights else None,
        features=features, audio=audio, on_error=on_error, seed=state.seed, device=state.device)
    with job_group(str(resolve_device(state.device))) as group:  # under torchrun: ranks share the work
        result = run_extract(data, run_dir, settings, state.progress, cache_dir, tensorboard=tensorboard,
                             group=group)
    if result is None:  # not rank 0: rank 0 wrote the RUN folder and reports
        return
    save_effective(click.get_current_context(), result.run.run_config)
    last = result.history[-1] if result.history else {}
    acc = last.get("acc")
    fit_line = f", final loss {last['loss']:.4g}" + (f", accuracy {acc:.3f}" if acc is not None else "") if last else ""
    err.print(f"embedded {len(result.clips)} clips; backbone objective {result.objective} over "
              f"{len(result.classes)} class(es){fit_line}")
    out.print(str(result.run.root))
    finish_skips(result.skipped, allow_skips)
