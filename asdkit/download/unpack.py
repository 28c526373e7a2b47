"""Unpack a zip or tar archive into a folder, safely and all-or-nothing.

Every member is checked before anything is written: an absolute path, a drive
letter or a ``..`` part refuses the whole archive, as do links, devices and other
special members (DCASE archives hold only folders and files). Members are written
into a hidden staging folder inside the target, then moved into place file by
file, merging with what is there (a year's additional-training archive adds
``<machine>/train`` beside the evaluation archive's ``<machine>/test``). On any
error the staging folder is removed and the target is left as it was. Corrupt
archives (bad CRC, truncated gzip) raise :class:`DownloadError`.
"""
from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import tarfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import IO, Callable, Iterator

from .errors import DownloadError

_DRIVE = re.compile(r"^[A-Za-z]:")
#: (relative path, is a folder, opens the member's bytes)
_Member = tuple[PurePosixPath, bool, Callable[[], IO[bytes]]]


def _member_path(name: str, archive: Path) -> PurePosixPath | None:
    """The relative path a member unpacks to (None for the archive root itself), or
    :class:`DownloadError` when it would land outside the target."""
    text = name.replace("\\", "/")
    path = PurePosixPath(text)
    if path.is_absolute() or _DRIVE.match(text) or ".." in path.parts:
        raise DownloadError(f"{archive.name}: member '{name}' has an absolute path or '..'; "
                            "refused to unpack the archive (nothing unpacked)")
    parts = [p for p in path.parts if p not in ("", ".")]
    return PurePosixPath(*parts) if parts else None


def _refuse(archive: Path, name: str, what: str) -> DownloadError:
    return DownloadError(f"{archive.name}: member '{name}' is {what}; refused to unpack the archive "
                         "(nothing unpacked)")


def _zip_opener(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], IO[bytes]]:
    return lambda: zf.open(info)


def _tar_opener(archive: Path, tf: tarfile.TarFile, info: tarfile.TarInfo) -> Callable[[], IO[bytes]]:
    def open_member() -> IO[bytes]:
        handle = tf.extractfile(info)
        if handle is None:
            raise _refuse(archive, info.name, "not a regular file")
        return handle
    return open_member


def _zip_members(archive: Path, zf: zipfile.ZipFile) -> list[_Member]:
    members: list[_Member] = []
    for info in zf.infolist():
        kind = stat.S_IFMT(info.external_attr >> 16)  # 0: no Unix type recorded (permissions only, or DOS)
        if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise _refuse(archive, info.filename, "a link or special file")
        path = _member_path(info.filename, archive)
        if path is not None:
            members.append((path, info.is_dir(), _zip_opener(zf, info)))
    return members


def _tar_members(archive: Path, tf: tarfile.TarFile) -> list[_Member]:
    members: list[_Member] = []
    for info in tf.getmembers():
        if not (info.isfile() or info.isdir()):
            raise _refuse(archive, info.name, "a link or special file")
        path = _member_path(info.name, archive)
        if path is not None:
            members.append((path, info.isdir(), _tar_opener(archive, tf, info)))
    return members


def _write_members(members: list[_Member], staging: Path) -> None:
    for path, is_dir, opener in members:
        target = staging / path
        if is_dir:
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with opener() as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)


def _unpack_into(archive: Path, kind: str, staging: Path) -> None:
    try:
        if kind == "zip":
            with zipfile.ZipFile(archive) as zf:
                _write_members(_zip_members(archive, zf), staging)
        else:
            with tarfile.open(archive, "r:*") as tf:
                _write_members(_tar_members(archive, tf), staging)
    except (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError) as exc:
        raise DownloadError(f"{archive.name}: corrupt archive ({' '.join(str(exc).split())}); "
                            "delete it and download again") from None
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise DownloadError(f"{staging.parent}: disk full (no space left on device) while unpacking "
                                f"{archive.name}") from None
        raise


def _files_below(folder: Path) -> Iterator[Path]:
    for root, _dirs, files in os.walk(folder):
        for name in files:
            yield Path(root) / name


def _merge(staging: Path, target: Path) -> None:
    """Move every file of ``staging`` to the same relative place in ``target``
    (same file system, so each move is a rename); empty folders are kept too."""
    for root, dirs, _files in os.walk(staging):
        for name in dirs:
            (target / Path(root).relative_to(staging) / name).mkdir(parents=True, exist_ok=True)
    for path in _files_below(staging):
        destination = target / path.relative_to(staging)
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, destination)


def unpack(archive: Path, kind: str, target: Path) -> list[str]:
    """Unpack ``archive`` (``zip`` or ``tar``) into ``target``; returns the names of
    the top-level entries it holds (for the record of what was unpacked)."""
    target.mkdir(parents=True, exist_ok=True)
    staging = target / f".unpacking-{archive.name}"
    shutil.rmtree(staging, ignore_errors=True)  # left by an interrupted run
    staging.mkdir()
    try:
        _unpack_into(archive, kind, staging)
        top = sorted(os.listdir(staging))
        _merge(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return top
