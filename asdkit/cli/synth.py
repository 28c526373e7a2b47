"""``asdkit synth``: write a synthetic DCASE 2024-layout dataset of machine sounds."""
from __future__ import annotations

import dataclasses
import time
from typing import Any

import click

from ..errors import ConfigError
from ..synth import MACHINE_TYPES, SynthConfig, generate
from .app import AppState, out, pass_state


def _parse_machines(text: str | None) -> tuple[str, ...] | None:
    """``"4"`` -> the first four types; ``"fan,pump"`` -> those types."""
    if text is None:
        return None
    text = text.strip()
    if text.isdigit():
        count = int(text)
        if not 1 <= count <= len(MACHINE_TYPES):
            raise ConfigError(f"--machines {count}: choose 1..{len(MACHINE_TYPES)} machine types")
        return MACHINE_TYPES[:count]
    return tuple(name.strip() for name in text.split(",") if name.strip())


@click.command("synth")
@click.argument("out_dir", metavar="OUT", type=click.Path(file_okay=False, path_type=str))
@click.option("--small", is_flag=True, help="Demo size: 4 machines, 60+6 train, 10+10 test per domain.")
@click.option("--machines", help=f"How many types, or a comma list of: {', '.join(MACHINE_TYPES)}.")
@click.option("--train-clips", type=click.IntRange(0), help="Source-domain normal training clips per section [990].")
@click.option("--target-train-clips", type=click.IntRange(0), help="Target-domain normal training clips [10].")
@click.option("--test-clips", type=click.IntRange(0), help="Normal and anomalous test clips per domain, each [50].")
@click.option("--sections", type=click.IntRange(1, 100), help="Sections per machine type [1].")
@click.option("--seconds", type=float, help="Clip length [10].")
@click.option("--anomaly-snr", type=float, help="Anomaly difficulty in dB; higher is subtler [6].")
@click.option("--seed", type=int, help="Seed of the dataset [the global --seed]; same seed, same bytes.")
@pass_state
def command(state: AppState, out_dir: str, small: bool, machines: str | None, train_clips: int | None,
            target_train_clips: int | None, test_clips: int | None, sections: int | None,
            seconds: float | None, anomaly_snr: float | None, seed: int | None) -> None:
    """Write synthetic machine sounds to OUT in the DCASE 2024 layout.

    Seven machine families (fan, gearbox, valve, press, pump, compressor,
    conveyor); the target domain shifts speed, load, background and microphone;
    anomalies include bearing faults, imbalance, speed drift, rubbing, missing or
    extra events and clipping. See docs/synth.md.

    \b
    Example:
      asdkit synth data/ --small
      asdkit synth data/ --machines fan,valve --train-clips 200 --anomaly-snr 10
    """
    config = SynthConfig.small() if small else SynthConfig()
    overrides: dict[str, Any] = {"machines": _parse_machines(machines), "train_source": train_clips,
                 "train_target": target_train_clips, "test_clips": test_clips, "sections": sections,
                 "seconds": seconds, "anomaly_snr": anomaly_snr,
                 "seed": seed if seed is not None else state.seed}
    config = dataclasses.replace(config, **{k: v for k, v in overrides.items() if v is not None})
    started = time.perf_counter()
    summary = generate(out_dir, config, progress=state.progress)
    elapsed = time.perf_counter() - started
    state.progress.log(f"{summary.clips} clips in {elapsed:.1f} s ({summary.clips / max(elapsed, 1e-9):.0f} clips/s)")
    out.print(f"wrote {summary.clips} clips of {len(summary.machines)} machine type(s) to {summary.out_dir}")
