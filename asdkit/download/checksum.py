"""Digests of downloaded files, and the verdict on one against the table."""
from __future__ import annotations

import hashlib
from pathlib import Path

from .table import Archive

_BLOCK = 1 << 20


def file_digest(path: Path, algorithm: str) -> str:
    """Hex digest of the whole file, read in 1 MiB blocks (archives are gigabytes)."""
    hasher = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            hasher.update(block)
    return hasher.hexdigest()


def mismatch(path: Path, archive: Archive) -> str | None:
    """Why ``path`` is not ``archive`` (size, then checksum), or None when it fits.

    With no published checksum only the size is checked (when known); the caller
    says so to the user."""
    size = path.stat().st_size
    if archive.size is not None and size != archive.size:
        return f"size {size} bytes, expected {archive.size}"
    if archive.algorithm is None or archive.digest is None:
        return None
    actual = file_digest(path, archive.algorithm)
    if actual != archive.digest:
        return f"{archive.algorithm.upper()} mismatch (expected {archive.digest}, got {actual})"
    return None
