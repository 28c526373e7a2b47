"""Model bundles: tensors + manifest, checksummed, loaded without executing code.

A bundle is a folder::

    model/tensors.safetensors   every tensor (backbone, graph network, scorers, training graph)
    model/manifest.json         config, component specs, package versions, sha256 of the tensors

Tensors are stored with safetensors, which holds raw arrays only: loading a bundle
never unpickles anything. The manifest records the tensors file's SHA-256 and its own
checksum; a truncated or tampered bundle is refused with a one-line
:class:`~asdkit.errors.ModelError`.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from .errors import ModelError
from .utils import atomic_open, atomic_write_text, package_versions

FORMAT = "asdkit-bundle"
FORMAT_VERSION = 1
TENSORS = "tensors.safetensors"
MANIFEST = "manifest.json"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _manifest_checksum(manifest: dict[str, Any]) -> str:
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def save_bundle(folder: str | Path, tensors: dict[str, Tensor], config: dict[str, Any]) -> Path:
    """Write a bundle atomically (tensors first, manifest last: no manifest, no bundle)."""
    from safetensors.torch import save

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    payload = save({k: v.detach().to("cpu").contiguous() for k, v in tensors.items()})
    with atomic_open(folder / TENSORS, "wb") as fh:
        fh.write(payload)
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "config": config,
        "versions": package_versions(), "tensors_sha256": hashlib.sha256(payload).hexdigest(),
    }
    manifest["manifest_sha256"] = _manifest_checksum(manifest)
    atomic_write_text(folder / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return folder


def find_bundle(path: str | Path) -> Path:
    """Accept a RUN folder (uses RUN/model) or the bundle folder itself."""
    path = Path(path)
    for candidate in (path / "model", path):
        if (candidate / MANIFEST).is_file():
            return candidate
    if not path.exists():
        raise ModelError(f"{path}: no such model (run 'asdkit fit' first)")
    raise ModelError(f"{path}: no model bundle here (expected {path / 'model' / MANIFEST}; run 'asdkit fit' first)")


def load_bundle(path: str | Path, device: str | torch.device = "cpu") -> tuple[dict[str, Tensor], dict[str, Any]]:
    """Verify and load a bundle: ``(tensors, config)``."""
    from safetensors import SafetensorError
    from safetensors.torch import load

    folder = find_bundle(path)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{folder / MANIFEST}: unreadable manifest ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelError(f"{folder / MANIFEST}: not an asdkit model bundle")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ModelError(f"{folder}: bundle format {manifest.get('format_version')} is not supported "
                         f"(this asdkit reads format {FORMAT_VERSION})")
    if manifest.get("manifest_sha256") != _manifest_checksum(manifest):
        raise ModelError(f"{folder / MANIFEST}: checksum mismatch (the manifest was modified)")
    tensors_path = folder / TENSORS
    if not tensors_path.is_file():
        raise ModelError(f"{tensors_path}: missing tensors file")
    if _sha256(tensors_path) != manifest["tensors_sha256"]:
        raise ModelError(f"{tensors_path}: checksum mismatch (truncated or modified)")
    try:
        tensors = load(tensors_path.read_bytes())
    except SafetensorError as exc:
        raise ModelError(f"{tensors_path}: unreadable tensors ({exc})") from None
    check_finite(tensors, tensors_path)
    return {k: v.to(device) for k, v in tensors.items()}, manifest["config"]


def check_finite(tensors: dict[str, Tensor], where: str | Path) -> None:
    """Refuse weights holding NaN or Inf (a diverged training or corrupted weights saved
    with a valid checksum): otherwise they surface later as "NaN in the new clips"."""
    for name, value in tensors.items():
        if value.is_floating_point() and value.numel() and not bool(torch.isfinite(value).all()):
            raise ModelError(f"{where}: tensor '{name}' holds NaN or Inf values (corrupted or diverged "
                             "weights); fit the model again")


def split_prefix(tensors: dict[str, Tensor], prefix: str) -> dict[str, Tensor]:
    """The sub-dict of ``tensors`` under ``prefix.``, with the prefix removed."""
    cut = len(prefix) + 1
    return {k[cut:]: v for k, v in tensors.items() if k.startswith(prefix + ".")}


def with_prefix(prefix: str, tensors: dict[str, Tensor]) -> dict[str, Tensor]:
    return {f"{prefix}.{k}": v for k, v in tensors.items()}
