"""Synthetic data generation speed: clips per second of CPU time (goal: >= 50 on one core).

Timing is a benchmark, not a test (timings on a shared 2-core machine are flaky). CPU
time, not wall time, so other processes on the machine do not count; run it with
``OMP_NUM_THREADS=1`` so that CPU time is one core's.

    OMP_NUM_THREADS=1 python benchmarks/bench_synth.py [--clips-per-type 8]
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

from asdkit.synth import MACHINE_TYPES, SynthConfig, generate

GOAL = 50.0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clips-per-type", type=int, default=8, help="training clips per machine type")
    args = p.parse_args(argv)
    config = SynthConfig(machines=MACHINE_TYPES, train_source=args.clips_per_type - 2, train_target=1,
                         test_clips=1, seconds=10.0)
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp) / "warm", dataclasses.replace(config, machines=("fan",), train_source=1))
        started = time.process_time()
        summary = generate(Path(tmp) / "out", config)
        rate = summary.clips / (time.process_time() - started)
    verdict = "met" if rate >= GOAL else "not met"
    print(f"{summary.clips} ten-second clips: {rate:.0f} clips per CPU second (goal >= {GOAL:.0f}: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
