"""asdkit: unsupervised anomalous sound detection of machines.

Public API (heavy modules are imported on first use, never at ``import asdkit``):

- :func:`native_available` - whether the compiled log-mel kernel is in use
- :mod:`asdkit.registry` - find and create components (backbones, graph layers,
  scorers, kNN backends) registered through entry points
- :mod:`asdkit.testing` - contract checks for plugin authors

Importing asdkit first caps the CPU math libraries at AVX2 so that seeded runs agree
across machines (:mod:`asdkit.numerics`; ``ASDKIT_FAST_NUMERICS=1`` opts out).
"""
from .numerics import pin_cpu_numerics

pin_cpu_numerics()  # before anything imports torch or numpy's BLAS

from ._native_loader import native_available  # noqa: E402
from ._version import __version__  # noqa: E402
from .errors import AsdkitError  # noqa: E402

__all__ = ["__version__", "native_available", "AsdkitError"]
