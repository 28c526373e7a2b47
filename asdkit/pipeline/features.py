"""Clips -> log-mel features: decode under the audio policy, compute with the selected
log-mel backend, and cache on disk so re-runs only process new files.

Features stream in chunks, so scoring a folder keeps memory bounded whatever its size.
With a :class:`~asdkit.audio.quality.SignalCheck` every decoded clip is also checked
for a usable signal; the cache then only holds clips that passed those rules (the
rules are part of its key) and keeps each clip's decoded duration next to its features.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from ..audio import AudioPolicy, LoadSummary, SignalCheck, iter_audio
from ..features import LogMelParams, compute_logmel
from ..progress import Progress, ensure

CHUNK = 64


@dataclass
class FeatureStream:
    """Iterates ``(clips, features)`` chunks; ``summary`` lists skipped files afterwards."""

    clips: Sequence[Any]
    params: LogMelParams
    policy: AudioPolicy
    cache_dir: Path | None = None
    on_error: str = "fail"
    progress: Progress | None = None
    chunk_size: int = CHUNK
    signal: SignalCheck | None = None
    summary: LoadSummary = field(default_factory=LoadSummary)

    def cache_key(self) -> dict[str, Any]:
        key = {"logmel": self.params.to_dict(), "audio": self.policy.to_dict()}
        if self.signal is not None:  # entries made under these rules passed them
            key["signal"] = self.signal.rules.to_dict()
        return key

    def __iter__(self) -> Iterator[tuple[list[Any], list[np.ndarray]]]:
        from ..features.cache import FeatureCache

        cache = FeatureCache(self.cache_dir) if self.cache_dir else None
        key = self.cache_key()
        progress = ensure(self.progress)
        task = progress.task("log-mel features", total=len(self.clips))
        try:
            for start in range(0, len(self.clips), self.chunk_size):
                chunk = list(self.clips[start:start + self.chunk_size])
                kept, feats = self._chunk(chunk, cache, key)
                task.advance(len(chunk))
                if kept:
                    yield kept, feats
        finally:
            task.close()

    def _chunk(self, chunk: list[Any], cache: Any, key: dict[str, Any]) -> tuple[list[Any], list[np.ndarray]]:
        found = self._cached(chunk, cache, key)
        missing = [i for i in range(len(chunk)) if i not in found]
        batch = iter_audio([chunk[i] for i in missing], self.policy, self.on_error, signal=self.signal)
        loaded = {id(clip): wave for clip, wave in batch}
        for rate in batch.summary.resampled:
            if rate not in self.summary.resampled:
                ensure(self.progress).warn(f"files at {rate} Hz are resampled to {self.policy.sr} Hz")
        self.summary.absorb(batch.summary)
        self.summary.loaded += len(found)
        flagged = {str(p.path) for p in batch.summary.flagged}
        todo = [i for i in missing if id(chunk[i]) in loaded]
        if todo:
            waves = [loaded[id(chunk[i])] for i in todo]
            names = [str(chunk[i].path) for i in todo]
            for i, feat in zip(todo, compute_logmel(waves, self.params, names=names)):
                found[i] = feat
                path = str(chunk[i].path)
                if cache is not None and path not in flagged:  # a flagged clip never passes as cached
                    cache.put(chunk[i].path, key, feat)
                    cache.put(chunk[i].path, _seconds_key(key), np.array([self.summary.seconds[path]]))
        order = sorted(found)
        return [chunk[i] for i in order], [found[i] for i in order]

    def _cached(self, chunk: list[Any], cache: Any, key: dict[str, Any]) -> dict[int, np.ndarray]:
        """Features found in the cache, by position in ``chunk``; a hit needs the clip's
        duration too (it feeds the relative duration rule), else the clip is decoded."""
        found: dict[int, np.ndarray] = {}
        if cache is None:
            return found
        for i, clip in enumerate(chunk):
            hit = cache.get(clip.path, key)
            seconds = cache.get(clip.path, _seconds_key(key)) if hit is not None else None
            if hit is not None and seconds is not None and seconds.size == 1:
                found[i] = hit
                self.summary.seconds[str(clip.path)] = float(seconds.reshape(-1)[0])
        return found


def _seconds_key(key: dict[str, Any]) -> dict[str, Any]:
    return {**key, "entry": "decoded seconds"}


def collect_features(stream: FeatureStream) -> tuple[list[Any], list[np.ndarray]]:
    """Every chunk of a stream joined: ``(kept clips, features)``."""
    clips: list[Any] = []
    feats: list[np.ndarray] = []
    for chunk_clips, chunk_feats in stream:
        clips.extend(chunk_clips)
        feats.extend(chunk_feats)
    return clips, feats
