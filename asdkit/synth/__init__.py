"""Synthetic machine sounds in the DCASE 2024 layout, for demos, tests and benchmarks.

- :func:`generate` - write a dataset (see :mod:`asdkit.synth.writer` for the layout)
- :func:`generate_once` - the same, reusing the folder when it already holds that dataset
- :class:`SynthConfig` - size and difficulty (``SynthConfig.small()`` for a demo)
- :data:`MACHINE_TYPES` - the machine families (see ``docs/synth.md``)
"""
from .anomalies import ANOMALY_KINDS
from .config import SynthConfig
from .families import MACHINE_TYPES
from .writer import SynthSummary, generate, generate_once

__all__ = ["ANOMALY_KINDS", "MACHINE_TYPES", "SynthConfig", "SynthSummary", "generate", "generate_once"]
