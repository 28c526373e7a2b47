"""Small shared helpers: atomic writes, seeding, device selection, package versions."""
from __future__ import annotations

import contextlib
import importlib.metadata as md
import json
import os
import random
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:
    import torch

from .errors import ConfigError


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", **kwargs: Any) -> Iterator[IO]:
    """Write to a temporary file beside ``path``, then rename over it.

    An interrupted write (exception, Ctrl-C, kill -9) leaves either the old file or
    none, never a half-written one; stray temporary files start with ``.tmp-``.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".tmp-{target.name}.", dir=target.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; outputs follow the umask
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def output_folder(path: str | os.PathLike, what: str = "-o") -> Path:
    """``path`` as a folder this process can write into (created when missing), or a
    one-line :class:`ConfigError` naming ``what`` (the option) and the path."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{what} {folder}: exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{what} {folder}: cannot create the folder ({exc.strerror or exc})") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"{what} {folder}: folder is not writable")
    return folder


def output_file(path: str | os.PathLike, what: str = "-o") -> Path:
    """``path`` as a file this process can (over)write, its folder created when missing."""
    target = Path(path)
    if target.is_dir():
        raise ConfigError(f"{what} {target}: is a folder; give a file name")
    output_folder(target.parent if str(target.parent) else Path("."), what)
    return target


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def atomic_write_json(path: str | os.PathLike, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and CUDA) from one integer."""
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def resolve_device(name: "str | torch.device | None" = "auto") -> "torch.device":
    """The one place a device name becomes a device: ``auto`` (or None) -> cuda when
    available, else cpu; ``cuda`` without a GPU is an error; a torch.device passes."""
    import torch

    name = str(name or "auto").lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError("--device cuda was asked for, but torch sees no CUDA GPU")
        return torch.device(name)
    if name == "cpu":
        return torch.device("cpu")
    raise ConfigError(f"unknown device '{name}' (valid: auto, cpu, cuda)")


def package_versions() -> dict[str, str]:
    """Versions of asdkit and the packages that shape its results."""
    from ._version import __version__

    out = {"asdkit": __version__}
    for pkg in ("torch", "torch_geometric", "torch_cluster", "faiss-cpu", "numpy",
                "scikit-learn", "soundfile"):
        with contextlib.suppress(md.PackageNotFoundError):
            out[pkg] = md.version(pkg)
    return out
