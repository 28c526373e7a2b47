"""The benchmark's data and model, made once and kept in a work folder.

- ``base/``: a synthetic training set (asdkit.synth, 10-s clips, 4 machine types);
- ``run/``: a small model trained on it with asdkit (few epochs: the weights' quality
  does not matter for timing, only their shapes);
- ``pool-<n>/``: synthetic test clips to score (another seed, so never seen in training);
- ``mem/``: hard links to pool clips under distinct names, for the memory runs.

Each folder carries a ``bench_stamp.json`` of the settings that made it; a folder
whose stamp differs is rebuilt, one whose stamp matches is reused (``retrain=True``
retrains the model anyway, e.g. after a change to asdkit's training or bundle).
"""
from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STAMP = "bench_stamp.json"
MACHINES = ("fan", "gearbox", "valve", "pump")
WIDTH_MULT = 0.5        # the demo's backbone width
EMBEDDING_DIM = 128     # the paper's embedding size


@dataclass
class Workspace:
    root: Path
    run: Path
    pool: Path


def _fresh(folder: Path, stamp: dict[str, Any]) -> bool:
    """True when ``folder`` must be (re)built; clears a stale one."""
    path = folder / STAMP
    if path.is_file() and json.loads(path.read_text()) == stamp:
        return False
    if folder.exists():
        shutil.rmtree(folder)
    return True


def _stamp(folder: Path, stamp: dict[str, Any]) -> None:
    (folder / STAMP).write_text(json.dumps(stamp, sort_keys=True))


def synth(folder: Path, **config: Any) -> Path:
    from asdkit.synth import SynthConfig, generate

    stamp = {"synth": config}
    if _fresh(folder, stamp):
        generate(folder, SynthConfig(machines=MACHINES, seconds=10.0, **config))
        _stamp(folder, stamp)
    return folder


def train_model(run: Path, data: Path, *, backbone_epochs: int, gnn_epochs: int, device: str) -> Path:
    """Extract + fit a small asdkit model into ``run`` (reused when already there)."""
    from asdkit.pipeline import ExtractSettings, FitSettings, run_extract, run_fit

    stamp = {"data": str(data), "backbone_epochs": backbone_epochs, "gnn_epochs": gnn_epochs,
             "width_mult": WIDTH_MULT, "embedding_dim": EMBEDDING_DIM}
    if _fresh(run, stamp):
        run_extract(data, run, ExtractSettings(
            backbone="mobilenetv2", epochs=backbone_epochs, device=device,
            backbone_options={"width_mult": WIDTH_MULT, "embedding_dim": EMBEDDING_DIM}))
        run_fit(run, FitSettings(gnn="sage_gat", epochs=gnn_epochs, device=device))
        _stamp(run, stamp)
    return run


def prepare(root: Path, n_clips: int, *, train_per_machine: int = 60, backbone_epochs: int = 2,
            gnn_epochs: int = 5, device: str = "cpu", retrain: bool = False) -> Workspace:
    """The training set, the trained RUN, and a pool of at least ``n_clips`` test clips."""
    root.mkdir(parents=True, exist_ok=True)
    if retrain and (root / "run").exists():
        shutil.rmtree(root / "run")
    base = synth(root / "base", train_source=train_per_machine, train_target=max(1, train_per_machine // 10),
                 test_clips=1, seed=0)
    run = train_model(root / "run", base, backbone_epochs=backbone_epochs, gnn_epochs=gnn_epochs,
                      device=device)
    # Each machine type gets 4 * test_clips test clips (normal/anomaly x source/target).
    per_kind = max(1, math.ceil(n_clips / (4 * len(MACHINES))))
    per_kind = 1 << (per_kind - 1).bit_length()  # powers of two: runs with nearby N share a pool
    pool = synth(root / f"pool-{per_kind}", train_source=0, train_target=0, test_clips=per_kind, seed=1)
    return Workspace(root, run, pool)


def pool_clips(pool: Path, n: int) -> list:
    """``n`` test clips of the pool as asdkit ``Clip`` records, machine types interleaved."""
    from asdkit.audio import scan_dataset

    clips = [c for c in scan_dataset(pool).clips if c.split == "test"]
    by_machine: dict[str, list] = {}
    for clip in sorted(clips, key=lambda c: str(c.path)):
        by_machine.setdefault(clip.machine, []).append(clip)
    interleaved = [c for group in zip(*by_machine.values()) for c in group]
    if len(interleaved) < n:
        raise RuntimeError(f"{pool}: {len(interleaved)} test clips, {n} wanted")
    return interleaved[:n]


def linked_clips(root: Path, sources: list, n: int) -> list[Path]:
    """``n`` distinct file names (hard links, no extra disk) cycling over ``sources``.

    Laid out as ``mem/<machine>/test/section_00_source_test_normal_<i>_noAttribute.wav``
    so ``asdkit score`` reads the machine type from the folder and the fields from the name.
    """
    import os

    paths = []
    for i in range(n):
        clip = sources[i % len(sources)]
        target = root / "mem" / clip.machine / "test" / f"section_00_source_test_normal_{i:06d}_noAttribute.wav"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(clip.path, target)
            except OSError:  # another file system: a copy does as well
                shutil.copyfile(clip.path, target)
        paths.append(target)
    return paths
