"""A RUN folder (layout: :mod:`asdkit.formats.run_layout`) with the writes the
pipeline makes there: config and history updates and tensors, all atomic."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ..errors import InputError
from ..formats.run_layout import RunLayout
from ..numerics import numerics_in_effect
from ..utils import atomic_open, atomic_write_json, package_versions


@dataclass(frozen=True)
class RunFolder(RunLayout):
    """:class:`RunLayout` plus the pipeline's writes."""

    # ------------------------------------------------------------ json files
    def update_config(self, stage: str, settings: dict[str, Any]) -> None:
        config = self.read_json(self.config, {}) or {}
        config[stage] = settings
        config["versions"] = package_versions()
        config["numerics"] = numerics_in_effect()  # the CPU kernels the results came from
        atomic_write_json(self.config, config)

    def update_history(self, stage: str, rows: list[dict[str, Any]]) -> None:
        history = self.read_json(self.history, {}) or {}
        history[stage] = rows
        atomic_write_json(self.history, history)

    # ------------------------------------------------------------ tensors
    def save_tensor(self, path: Path, key: str, value: Tensor) -> None:
        from safetensors.torch import save

        with atomic_open(path, "wb") as fh:
            fh.write(save({key: value.detach().to("cpu").contiguous()}))

    def load_tensor(self, path: Path, key: str) -> Tensor:
        from safetensors.torch import load

        try:
            return load(path.read_bytes())[key]
        except Exception as exc:  # OSError, KeyError, or safetensors' own error type
            raise InputError(f"{path}: cannot read tensor '{key}' ({exc})") from None


def embeddings_of(run: RunFolder) -> Tensor:
    return run.load_tensor(run.embeddings, "embeddings").to(torch.float32)
