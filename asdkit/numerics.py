"""One floating-point road on every x86-64 machine with AVX2, so a seed gives the same scores.

torch, MKL, oneDNN and OpenBLAS each pick their kernels by the CPU they find: AVX-512
on one machine, AVX2 on another, MKL's Intel path on Intel and another on AMD. The
kernels round differently; training amplifies the last bit into different models.
Measured here (README, Reproducibility): the seeded tiny pipeline gave three different
score sets under ``ATEN_CPU_CAPABILITY=default``, ``MKL_CBWR=COMPATIBLE`` and the
defaults, on one machine.

:func:`pin_cpu_numerics` (run by ``import asdkit``, before torch loads) caps every
library at AVX2 through their documented environment variables, unless the variable
is already set (yours wins) or ``ASDKIT_FAST_NUMERICS=1`` (each library's fastest
kernels, machine-dependent results):

- ``ATEN_CPU_CAPABILITY=avx2`` (torch's own CPU kernels)
- ``MKL_CBWR=AVX2`` (MKL conditional numerical reproducibility: the same results on
  every AVX2 CPU, Intel or AMD)
- ``ONEDNN_MAX_CPU_ISA=AVX2`` (oneDNN convolutions)
- ``OPENBLAS_CORETYPE=Haswell`` (the OpenBLAS of numpy, scipy and faiss)

On a CPU without AVX2, or not x86-64, nothing is set. The thread count still matters
(parallel reductions split their sums by thread): the same seed gives the same scores
with the same number of threads; ``RUN/config.json`` records both (README,
Reproducibility).
"""
from __future__ import annotations

import os
import platform
import sys

PINNED: dict[str, str] = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "MKL_CBWR": "AVX2",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    "OPENBLAS_CORETYPE": "Haswell",
}
OPT_OUT = "ASDKIT_FAST_NUMERICS"


def cpu_has_avx2() -> bool:
    """Whether this is an x86-64 CPU with AVX2 (Linux: /proc/cpuinfo; elsewhere: no)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return " avx2 " in f" {line.split(':', 1)[-1].strip()} "
    except OSError:
        return False
    return False


def pin_cpu_numerics() -> dict[str, str]:
    """Set the variables of :data:`PINNED` that are not set yet; returns what it set.

    Must run before torch (and numpy's BLAS) initialise to take effect; ``import
    asdkit`` does it first thing. Nothing is set when ``ASDKIT_FAST_NUMERICS=1``, when
    torch is already imported, or on a CPU without AVX2.
    """
    if os.environ.get(OPT_OUT, "").strip() not in ("", "0") or "torch" in sys.modules or not cpu_has_avx2():
        return {}
    applied = {}
    for name, value in PINNED.items():
        if name not in os.environ:
            os.environ[name] = value
            applied[name] = value
    return applied


def numerics_in_effect() -> dict[str, str]:
    """The variables of :data:`PINNED` as this process sees them, and torch's thread
    count and CPU capability once torch is loaded (for run configs)."""
    state = {name: os.environ.get(name, "") for name in PINNED}
    torch = sys.modules.get("torch")
    if torch is not None:
        state["torch_threads"] = str(torch.get_num_threads())
        state["torch_cpu_capability"] = str(torch.backends.cpu.get_cpu_capability())
    return state
