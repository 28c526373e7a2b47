"""What ``extract`` and ``fit`` do differently under ``torchrun``: each rank's share of
the work that splits by clip, and the gathering of its results on rank 0.

- **Features**: each rank computes the log-mels of clips ``rank, rank + N, ...`` into the
  feature cache (:func:`warm_feature_cache`); after a barrier every rank reads all of
  them (from the cache when the filesystem is shared, else computing the rest itself).
- **Embeddings**: the single process's length-grouped batches go to ranks in turn
  (:func:`embed_share`), so every clip is embedded in the very batch one process puts
  it in; rank 0 gathers the rows.
- **kNN graph** (fit): each rank searches the neighbours of its rows
  (:func:`knn_graph_share`); the graph network then trains on slices of every batch
  (:mod:`asdkit.parallel`).
- **Writes**: rank 0 alone writes the RUN folder, after the last collective, so that
  a rank that dies leaves the RUN as it was before the command.
"""
from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import Tensor, nn

from .. import distributed
from ..parallel import shard_batches
from ..progress import NullProgress, Progress
from .features import FeatureStream


def clip_identity(clips: Sequence[Any]) -> list[list[Any]]:
    """What must be equal on every rank (and, for scoring, between a crashed run and its
    rerun): each clip's path, machine, section, size and modification time."""
    rows: list[list[Any]] = []
    for clip in clips:
        stat = clip.path.stat()
        rows.append([str(clip.path), clip.machine, clip.section, stat.st_size, stat.st_mtime_ns])
    return rows


def check_same_clips(clips: Sequence[Any], what: str = "the inputs") -> str:
    """Every rank must list the same clips (one line naming each rank's count if not);
    returns the clips' digest."""
    identity = distributed.digest(clip_identity(clips))
    distributed.check_same(what, identity, f"{len(clips)} clip(s)",
                           "every rank must see the same files at the same paths (a shared filesystem)")
    return identity


def rank_device(setting: str, group: distributed.Group | None) -> torch.device:
    """The device of ``--device`` for this process: ``cuda:LOCAL_RANK`` for a CUDA rank."""
    from ..utils import resolve_device

    device = resolve_device(setting)
    return device if group is None else torch.device(distributed.rank_device(str(device), group))


def rank_progress(progress: Progress, group: distributed.Group | None) -> Progress:
    """Bars, messages and warnings from rank 0 only (every rank sees the same data)."""
    return progress if group is None or group.is_main else NullProgress()


def warm_feature_cache(stream: FeatureStream, group: distributed.Group) -> None:
    """This rank's share of ``stream``'s clips through the feature cache, then a barrier."""
    if stream.cache_dir is not None:
        share = FeatureStream(shard_batches(stream.clips, group.rank, group.world_size), stream.params, stream.policy,
                              stream.cache_dir, stream.on_error, NullProgress(), signal=stream.signal)
        for _ in share:
            pass
    distributed.barrier("computing the log-mel features")


def embed_share(backbone: nn.Module, features: Sequence[Any], *, batch_size: int, device: torch.device,
                group: distributed.Group, progress: Progress) -> Tensor | None:
    """Embeddings of every clip on rank 0 (``None`` elsewhere), each rank embedding its
    turn of the single process's batches (:func:`~asdkit.backbones.embed.group_by_length`)."""
    from ..backbones.embed import embed_clips, group_by_length

    clips = [torch.as_tensor(f) for f in features]
    batches = group_by_length(clips, batch_size)
    mine = [i for batch in shard_batches(batches, group.rank, group.world_size) for i in batch]
    rows = embed_clips(backbone, [clips[i] for i in mine], batch_size=batch_size, device=device,
                       progress=progress)
    gathered = distributed.all_gather_object((mine, rows.numpy()), "gathering the embeddings")
    if not group.is_main:
        return None
    dim = next(r.shape[1] for _, r in gathered if r.ndim == 2 and r.shape[0])
    out = torch.empty(len(clips), dim, dtype=torch.float32)
    for indices, part in gathered:
        if indices:
            out[torch.tensor(indices)] = torch.from_numpy(part)
    return out


def knn_graph_share(x: Tensor, k: int, knn: Any, group: distributed.Group) -> Tensor:
    """:func:`~asdkit.graph.build.knn_graph` with the queries split across ranks: each
    rank builds the index on all of ``x`` (faiss indexes are not split; an IVF-PQ one
    trains from a seeded sample, alike on every rank), searches its rows, and every rank
    gets the whole graph."""
    from ..graph.build import neighbours_of_rows
    from ..parallel import rank_slice

    n = x.shape[0]
    if not 1 <= k < n:
        from ..errors import InputError

        raise InputError(f"kNN graph: k={k} needs 1 <= k < number of clips ({n})")
    knn.build(x)
    lo, hi = rank_slice(n, group.rank, group.world_size)
    mine = neighbours_of_rows(knn, x, k, lo, hi)
    parts = distributed.all_gather_object(mine.numpy(), "building the kNN graph")
    src = torch.cat([torch.from_numpy(p) for p in parts])
    return torch.stack([src.reshape(-1), torch.arange(n).repeat_interleave(k)])
