"""The three stages as library functions (no click, no printing).

- :func:`run_extract` - dataset -> trained backbone -> embeddings (RUN folder)
- :func:`run_fit` - kNN graph -> graph network + ArcFace head -> scorers -> model bundle
- :func:`run_score` - files/folders -> official CSVs (+ metrics when labels are known)
- :func:`run_fuse` - several scored RUNs -> one z-normalised ensemble of their scores
- :class:`AsdModel` - a fitted model loaded from a bundle, for scoring from Python
"""
from __future__ import annotations

import importlib
from typing import Any

# Loaded on first use: importing asdkit.pipeline.settings (the CLI's defaults) must not
# pull in torch, so that `asdkit --help` stays fast.
_WHERE = {
    "ExtractResult": "extract", "run_extract": "extract", "FitResult": "fit", "run_fit": "fit",
    "AsdModel": "model", "RunFolder": "runfolder", "ScoreResult": "score", "run_score": "score",
    "ExtractSettings": "settings", "FitSettings": "settings", "FuseResult": "fuse", "run_fuse": "fuse",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
