"""``score`` under ``torchrun``: clips sharded across ranks, resumable, merged on rank 0.

The rule that makes N processes write the same bytes as one: every rank collects the
same clip list (checked: a digest of the clips' paths, machines, sections, sizes and
modification times is compared with an all-gather), cuts it into the chunks of
:data:`~asdkit.pipeline.features.CHUNK` clips that the single-process scorer uses, and
takes chunks ``rank, rank + N, rank + 2N, ...``. Each chunk is scored by
:func:`~asdkit.pipeline.score.score_clips` exactly as in one process (same clips in the
same batch, so the same floating-point results), and rank 0 writes the official files
through :func:`~asdkit.pipeline.score.finish_score`, in the single-process clip order.

Resumable: each rank appends a scored chunk to ``OUT/.shards/rank-R.csv``
(``path,machine,section,score,flagged,reason``; a skipped clip has no score) and, once
those rows are on disk (fsync), the chunk's paths to ``OUT/.shards/rank-R.done`` (one
JSON string a line, the manifest). A rerun of the same job (``job.json``: clips, model
and options) skips every chunk whose paths are all in a manifest; a different job starts
afresh. A crash can only tear the last line of a file, which readers drop and the next
run trims. Only rank 0 writes official files, after a barrier that every rank reaches
when its share is done: a rank that dies fails the job (torchrun stops the others)
before anything official is written. ``.shards`` stays after a success (a rerun then
only merges again); delete it to score everything anew.

Test hook: ``ASDKIT_TEST_FAIL_AFTER_CHUNKS=K`` makes rank ``ASDKIT_TEST_FAIL_RANK``
(default: the last rank) exit abruptly (``os._exit(3)``) after its K-th chunk is
recorded, as a killed process would; nothing else reads these variables.
"""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from .. import distributed
from ..audio import Clip, LoadSummary, Problem
from ..errors import ConfigError, InputError
from ..parallel import shard_batches
from ..progress import NullProgress, Progress, ensure
from ..utils import atomic_write_json, output_folder
from .features import CHUNK
from .model import AsdModel
from .ranks import check_same_clips
from .score import ScoreResult, collect_clips, finish_score, score_clips, signal_check

SHARDS = ".shards"
JOB = "job.json"
COLUMNS = ["path", "machine", "section", "score", "flagged", "reason"]
FAIL_AFTER_ENV = "ASDKIT_TEST_FAIL_AFTER_CHUNKS"


@dataclass(frozen=True)
class ShardRow:
    """One clip's result in a partial: ``score`` is None for a skipped clip (``reason`` why);
    a ``flagged`` clip was scored with a bad signal (``reason`` which)."""

    path: str
    machine: str
    section: str
    score: float | None
    flagged: bool
    reason: str


def rank_chunks(n_clips: int, rank: int, world_size: int, size: int = CHUNK) -> list[range]:
    """The clip index ranges of this rank: chunk ``i`` (clips ``i*size .. (i+1)*size-1``)
    goes to rank ``i mod world_size``, so shares differ by one chunk at most."""
    return shard_batches([range(s, min(s + size, n_clips)) for s in range(0, n_clips, size)], rank, world_size)


def _complete_lines(path: Path) -> str:
    """The file's text up to its last newline: a line torn by a crash is left out."""
    if not path.is_file():
        return ""
    data = path.read_bytes()
    return data[:data.rfind(b"\n") + 1].decode("utf-8")


def _trim_torn_tail(path: Path) -> None:
    """Cut a line torn by a crash so that the next append starts on a fresh line."""
    if path.is_file():
        size = len(_complete_lines(path).encode("utf-8"))
        if size != path.stat().st_size:
            os.truncate(path, size)


def _append(path: Path, text: str) -> None:
    """Append ``text`` and wait until it is on disk (the manifest may only name rows that are)."""
    with open(path, "a", encoding="utf-8", newline="") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


class ShardStore:
    """``OUT/.shards``: the job's identity, and each rank's partial and manifest."""

    def __init__(self, out: Path) -> None:
        self.folder = out / SHARDS

    def partial(self, rank: int) -> Path:
        return self.folder / f"rank-{rank}.csv"

    def manifest(self, rank: int) -> Path:
        return self.folder / f"rank-{rank}.done"

    def prepare(self, job: dict[str, Any]) -> bool:
        """Rank 0, before anyone writes: keep the folder when it holds this job (True: a
        resume), else clear it and record ``job``."""
        job_file = self.folder / JOB
        if job_file.is_file():
            try:
                if json.loads(job_file.read_text(encoding="utf-8")) == job:
                    return True
            except (OSError, ValueError):
                pass  # unreadable: an older or damaged folder, started afresh below
        if self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True)
        atomic_write_json(job_file, job)
        return False

    def done_paths(self) -> set[str]:
        """Every path recorded in any rank's manifest (complete lines only)."""
        done: set[str] = set()
        for manifest in sorted(self.folder.glob("rank-*.done")):
            done.update(json.loads(line) for line in _complete_lines(manifest).splitlines() if line)
        return done

    def rows(self) -> dict[str, ShardRow]:
        """Every rank's partial rows, by path (a chunk scored twice gives the same row)."""
        rows: dict[str, ShardRow] = {}
        for partial in sorted(self.folder.glob("rank-*.csv")):
            for rec in csv.DictReader(io.StringIO(_complete_lines(partial), newline="")):
                score = float(rec["score"]) if rec["score"] else None
                rows[rec["path"]] = ShardRow(rec["path"], rec["machine"], rec["section"], score,
                                             rec["flagged"] == "1", rec["reason"])
        return rows

    def open_rank(self, rank: int) -> None:
        """Trim this rank's files of a torn last line; give a new partial its header."""
        for path in (self.partial(rank), self.manifest(rank)):
            _trim_torn_tail(path)
        if not self.partial(rank).is_file() or self.partial(rank).stat().st_size == 0:
            _append(self.partial(rank), ",".join(COLUMNS) + "\n")

    def record(self, rank: int, rows: Sequence[ShardRow]) -> None:
        """Append a chunk's rows, then (once they are on disk) its paths to the manifest."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        for r in rows:
            writer.writerow([r.path, r.machine, r.section, "" if r.score is None else repr(r.score),
                             int(r.flagged), r.reason])
        _append(self.partial(rank), buf.getvalue())
        _append(self.manifest(rank), "".join(json.dumps(r.path) + "\n" for r in rows))


class _MutedTasks:
    """Forwards warnings and messages but no per-chunk bars (the shard has its own bar)."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress

    def task(self, description: str, total: int | None = None) -> Any:
        return NullProgress().task(description, total)

    def log(self, message: str) -> None:
        self._progress.log(message)

    def warn(self, message: str) -> None:
        self._progress.warn(message)


def chunk_rows(chunk: Sequence[Clip], done: Sequence[Clip], scores: Sequence[float],
               summary: LoadSummary) -> list[ShardRow]:
    """One row per clip of ``chunk``, in its order: scored (flagged or not) or skipped."""
    scored = {str(c.path): s for c, s in zip(done, scores)}
    flagged = {str(p.path): p.reason for p in summary.flagged}
    skipped = {str(p.path): p.reason for p in summary.skipped}
    rows = []
    for clip in chunk:
        path = str(clip.path)
        if path in scored:
            rows.append(ShardRow(path, clip.machine, clip.section, scored[path], path in flagged,
                                 flagged.get(path, "")))
        elif path in skipped:
            rows.append(ShardRow(path, clip.machine, clip.section, None, False, skipped[path]))
        else:  # score_clips scores or skips every clip it is given
            raise RuntimeError(f"{path}: neither scored nor skipped")
    return rows


def merge(clips: Sequence[Clip], store: ShardStore) -> tuple[list[Clip], list[float], LoadSummary]:
    """The partials back in the single-process order: ``(scored clips, scores, summary)``."""
    done_paths = store.done_paths()
    rows = store.rows()
    missing = [c for c in clips if str(c.path) not in done_paths or str(c.path) not in rows]
    if missing:
        raise InputError(f"{store.folder}: no result for {len(missing)} clip(s) after every rank finished "
                         f"(first: {missing[0].path}); delete the folder and score again")
    done: list[Clip] = []
    scores: list[float] = []
    summary = LoadSummary()
    for clip in clips:
        row = rows[str(clip.path)]
        if row.score is None:
            summary.skipped.append(Problem(clip.path, row.reason))
            continue
        done.append(clip)
        scores.append(row.score)
        if row.flagged:
            summary.flagged.append(Problem(clip.path, row.reason))
    summary.loaded = len(done)
    return done, scores, summary


def _score_share(model: AsdModel, clips: Sequence[Clip], store: ShardStore, group: distributed.Group, *,
                 on_error: str, on_bad_signal: str, progress: Progress) -> None:
    """Score this rank's chunks that no manifest lists yet, recording each as it finishes."""
    check = signal_check(model, on_bad_signal)
    done_paths = store.done_paths()
    mine = rank_chunks(len(clips), group.rank, group.world_size)
    todo = [r for r in mine if any(str(clips[i].path) not in done_paths for i in r)]
    progress.log(f"rank {group.rank}/{group.world_size}: {len(todo)} of its {len(mine)} chunk(s) to score"
                 + (f" ({len(mine) - len(todo)} already done in {store.folder})" if len(todo) < len(mine) else ""))
    store.open_rank(group.rank)
    quiet = _MutedTasks(progress)
    task = progress.task(f"scoring (rank {group.rank})", total=sum(len(r) for r in todo))
    try:
        for recorded, span in enumerate(todo, start=1):
            chunk = [clips[i] for i in span]
            done, scores, summary = score_clips(model, chunk, on_error=on_error, progress=quiet, signal=check)
            store.record(group.rank, chunk_rows(chunk, done, scores, summary))
            task.advance(len(chunk))
            distributed.fail_point(FAIL_AFTER_ENV, recorded, group)
    finally:
        task.close()


def _model_digest(model_path: str | Path) -> str:
    from ..bundle import MANIFEST, find_bundle

    return distributed.digest((find_bundle(model_path) / MANIFEST).read_text(encoding="utf-8"))


def run_sharded_score(inputs: Sequence[str | Path], model_path: str | Path, out_dir: str | Path, *,
                      machine: str | None = None, layout: str = "auto", split: str = "test",
                      transductive: bool = False, on_error: str = "fail", on_bad_signal: str = "refuse",
                      device: str = "cpu", evaluate: bool = True, metrics_path: str | Path | None = None,
                      progress: Progress | None = None) -> ScoreResult | None:
    """:func:`~asdkit.pipeline.score.run_score` over the ranks of a ``torchrun`` job:
    the result on rank 0, ``None`` on the others (rank 0 alone writes official files)."""
    if transductive:
        raise ConfigError("--transductive links all scored clips together in one batch: it cannot be "
                          "sharded; run it in one process (without torchrun)")
    progress = ensure(progress)
    with distributed.process_group(device) as group:
        model = AsdModel.load(model_path, distributed.rank_device(device, group))
        left_out: list[Problem] = []
        clips = collect_clips(inputs, model, machine=machine, layout=layout, split=split, left_out=left_out)
        identity = check_same_clips(clips)
        job = {"clips": identity, "n_clips": len(clips), "model": _model_digest(model_path), "chunk": CHUNK,
               "on_error": on_error, "on_bad_signal": on_bad_signal}
        distributed.check_same("the model and options", distributed.digest(job), "",
                               "give every rank the same --model RUN and options")
        out = output_folder(out_dir) if group.is_main else Path(out_dir)
        store = ShardStore(out)
        if group.is_main and store.prepare(job):
            progress.log(f"resuming the scoring job recorded in {store.folder}")
        distributed.barrier("the start of scoring")  # the shard folder is ready before any rank writes
        _score_share(model, clips, store, group, on_error=on_error, on_bad_signal=on_bad_signal, progress=progress)
        # Every share is on disk: only now may official files be written.
        distributed.barrier("the end of scoring; no official file was written")
        if not group.is_main:
            return None
        done, scores, summary = merge(clips, store)
        return finish_score(model, out, done, scores, summary, on_bad_signal=on_bad_signal, evaluate=evaluate,
                            metrics_path=metrics_path, progress=progress, left_out=left_out)
