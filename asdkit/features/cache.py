"""On-disk cache of per-clip arrays (features, embeddings), keyed by content and parameters.

An entry's key is the SHA-256 of the audio file's bytes plus a hash of every
parameter that affects the array (a dict -> canonical JSON -> SHA-256), so renaming
or moving files keeps hits and changing any parameter or byte misses. Layout::

    ROOT/<params key>/params.json        the parameters, for people reading the cache
    ROOT/<params key>/<ab>/<content hash>.npy

Each entry is a standard ``.npy`` file followed by a 32-byte SHA-256 trailer of the
``.npy`` bytes (``numpy.load`` ignores trailing bytes). Entries are written to a
temporary file and renamed, so a killed run leaves whole entries or none; a damaged
entry fails its checksum and is recomputed.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from ..progress import Progress, ensure
from ..utils import atomic_write_bytes, atomic_write_json

_DIGEST_BYTES = 32
_HASH_CHUNK = 1 << 20
#: Temporary files older than this are left over from killed runs and are removed.
STALE_TEMP_SECONDS = 3600


def file_digest(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def params_key(params: Mapping[str, Any] | str) -> str:
    """Stable key of a parameter dict (canonical JSON); a string is taken as a ready key."""
    if isinstance(params, str):
        return params
    text = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def encode_entry(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    payload = buffer.getvalue()
    return payload + hashlib.sha256(payload).digest()


def decode_entry(blob: bytes) -> np.ndarray | None:
    """The array, or ``None`` when the blob is truncated or fails its checksum."""
    payload, trailer = blob[:-_DIGEST_BYTES], blob[-_DIGEST_BYTES:]
    if len(blob) <= _DIGEST_BYTES or hashlib.sha256(payload).digest() != trailer:
        return None
    try:
        return np.load(io.BytesIO(payload), allow_pickle=False)
    except ValueError:
        return None


@dataclass
class CacheStats:
    hits: int = 0
    computed: int = 0
    corrupt: int = 0  # entries that failed their checksum and were recomputed


def _path_of(clip: Any) -> Path:
    return Path(clip.path) if hasattr(clip, "path") else Path(os.fspath(clip))


class FeatureCache:
    """Arrays on disk under ``root``, looked up by (file content, parameters)."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.stats = CacheStats()
        self._digests: dict[tuple[str, int, int], str] = {}
        self.remove_stale_temporaries()

    def content_key(self, path: str | os.PathLike) -> str | None:
        """Digest of a file's bytes, memoised per (path, size, mtime) within this process;
        ``None`` when the file cannot be read (gone, a dangling link, no permission):
        such a file has no entry, and the decoder then reports it by name."""
        try:
            stat = os.stat(path)
            memo = (os.fspath(path), stat.st_size, stat.st_mtime_ns)
            if memo not in self._digests:
                self._digests[memo] = file_digest(path)
        except OSError:
            return None
        return self._digests[memo]

    def entry_path(self, content: str, params: Mapping[str, Any] | str) -> Path:
        return self.root / params_key(params) / content[:2] / f"{content}.npy"

    def get(self, path: str | os.PathLike, params: Mapping[str, Any] | str) -> np.ndarray | None:
        """The cached array for this file and parameters, or ``None`` (missing, corrupt,
        or the file itself unreadable)."""
        content = self.content_key(path)
        if content is None:
            return None
        entry = self.entry_path(content, params)
        try:
            blob = entry.read_bytes()
        except FileNotFoundError:
            return None
        array = decode_entry(blob)
        if array is None:
            self.stats.corrupt += 1
        return array

    def put(self, path: str | os.PathLike, params: Mapping[str, Any] | str, array: np.ndarray) -> Path | None:
        """Store ``array`` for this file and parameters (atomically); returns the entry
        path, or ``None`` when the file went away after it was read (nothing to key it by)."""
        content = self.content_key(path)
        if content is None:
            return None
        self._write_params(params)
        entry = self.entry_path(content, params)
        atomic_write_bytes(entry, encode_entry(array))
        return entry

    def _write_params(self, params: Mapping[str, Any] | str) -> None:
        if isinstance(params, str):
            return
        description = self.root / params_key(params) / "params.json"
        if not description.exists():
            atomic_write_json(description, json.loads(json.dumps(params, default=str)))

    def cached_map(self, clips: Iterable[Any], params: Mapping[str, Any] | str,
                   compute_fn: Callable[[Any], np.ndarray],
                   progress: Progress | None = None) -> list[np.ndarray]:
        """``compute_fn(clip)`` for every clip, computing only entries not cached yet.

        Returns the arrays in the order of ``clips``; each new result is stored as soon
        as it is computed, so an interrupted run resumes where it stopped.
        """
        clips = list(clips) if not isinstance(clips, Sequence) else clips
        results: list[np.ndarray] = []
        task = ensure(progress).task("features (cached)", total=len(clips))
        try:
            for clip in clips:
                results.append(self._get_or_compute(clip, params, compute_fn))
                task.advance()
                task.set_info(cached=self.stats.hits, computed=self.stats.computed)
        finally:
            task.close()
        return results

    def _get_or_compute(self, clip: Any, params: Mapping[str, Any] | str,
                        compute_fn: Callable[[Any], np.ndarray]) -> np.ndarray:
        path = _path_of(clip)
        cached = self.get(path, params)
        if cached is not None:
            self.stats.hits += 1
            return cached
        array = np.asarray(compute_fn(clip))
        self.put(path, params, array)
        self.stats.computed += 1
        return array

    def entries(self, params: Mapping[str, Any] | str) -> list[Path]:
        """Every stored entry file for these parameters."""
        return sorted((self.root / params_key(params)).glob("*/*.npy"))

    def remove_stale_temporaries(self, max_age_s: float = STALE_TEMP_SECONDS) -> int:
        """Delete ``.tmp-*`` files left by killed runs (older than ``max_age_s``)."""
        cutoff, removed = time.time() - max_age_s, 0
        for tmp in self.root.glob("*/*/.tmp-*"):
            try:
                if tmp.stat().st_mtime < cutoff:
                    tmp.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed
