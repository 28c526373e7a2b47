"""Download data sets: archives in parallel, each fetched, verified, unpacked, recorded.

Files below the download folder ``DIR``:

- ``DIR/<folder>/...``: the unpacked data, in the layout the archives hold
  (``<machine>/train``, ``<machine>/test``, ...), which asdkit's scanner reads.
- ``DIR/.asdkit-download/<data set>/<file>.part``: an archive being downloaded
  (resumed by the next run); ``<file>``: a verified archive waiting to be unpacked
  (kept afterwards with ``keep_archives``); ``<file>.corrupt``: one that failed its
  checksum, kept for inspection and replaced by the next attempt;
  ``<file>.done.json``: the record that it was verified and unpacked.

An archive whose record exists and whose unpacked top-level folders are still
there is skipped without network access, so a rerun after an interruption fetches
only what is missing. Unpacking runs one archive at a time (merges into shared
machine folders never race); downloads run ``jobs`` at a time.
"""
from __future__ import annotations

import json
import os
import threading
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..errors import ConfigError
from ..progress import Progress, ensure
from ..utils import atomic_write_json, output_folder
from .checksum import mismatch
from .errors import DownloadError
from .fetch import Cancelled, FetchOptions, client, fetch
from .table import Archive, DatasetSpec, DatasetTable, load_table
from .unpack import unpack

STATE_FOLDER = ".asdkit-download"
NOT_VERIFIED = "checksum not published in asdkit's table: not verified"


@dataclass
class ArchiveOutcome:
    dataset: str
    file: str
    status: str  # "downloaded", "unpacked" (from a kept archive) or "skipped" (done before)
    verified: bool  # checked against a published checksum


@dataclass
class DownloadResult:
    """What :func:`download` did, per data set folder."""

    root: Path
    folders: dict[str, Path] = field(default_factory=dict)  # data set -> its unpacked folder
    archives: list[ArchiveOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(a.status == status for a in self.archives)

    @property
    def unverified(self) -> list[str]:
        return [a.file for a in self.archives if not a.verified and a.status != "skipped"]


class _LockedProgress:
    """Serialises task creation and logging from the download threads."""

    def __init__(self, inner: Progress) -> None:
        self._inner = inner
        self._lock = threading.Lock()

    def task(self, description: str, total: int | None = None) -> Any:
        with self._lock:
            return _LockedTask(self._inner.task(description, total), self._lock)

    def log(self, message: str) -> None:
        with self._lock:
            self._inner.log(message)

    def warn(self, message: str) -> None:
        with self._lock:
            self._inner.warn(message)


class _LockedTask:
    def __init__(self, task: Any, lock: threading.Lock) -> None:
        self._task, self._lock = task, lock

    def advance(self, n: int = 1) -> None:
        with self._lock:
            self._task.advance(n)

    def set_info(self, **fields: Any) -> None:
        with self._lock:
            self._task.set_info(**fields)

    def close(self) -> None:
        with self._lock:
            self._task.close()


@dataclass(frozen=True)
class _Job:
    spec: DatasetSpec
    archive: Archive
    root: Path

    @property
    def state(self) -> Path:
        return self.root / STATE_FOLDER / self.spec.name

    @property
    def target(self) -> Path:
        return self.root / self.spec.folder

    def path(self, suffix: str = "") -> Path:
        return self.state / f"{self.archive.file}{suffix}"


def _record_holds(job: _Job) -> bool:
    """Whether the ``.done.json`` record says this archive is unpacked and its
    top-level entries are still in the target folder."""
    try:
        record = json.loads(job.path(".done.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    same = record.get("url") == job.archive.url and record.get("digest") == job.archive.digest
    return same and all((job.target / name).exists() for name in record.get("top", []))


def _verify(job: _Job, path: Path) -> bool:
    """Check ``path`` against the table; a mismatch keeps it as ``.corrupt`` and
    raises. Returns whether a published checksum was checked."""
    problem = mismatch(path, job.archive)
    if problem is not None:
        corrupt = job.path(".corrupt")
        os.replace(path, corrupt)
        raise DownloadError(f"{job.archive.file}: corrupt download: {problem}; kept as {corrupt}, "
                            "nothing unpacked; run again to download it anew")
    return job.archive.digest is not None


class _Runner:
    def __init__(self, progress: Progress, options: FetchOptions, keep_archives: bool, force: bool) -> None:
        self.progress = progress
        self.options = options
        self.keep_archives = keep_archives
        self.force = force
        self.cancel = threading.Event()
        self.unpack_lock = threading.Lock()
        self.warn_lock = threading.Lock()
        self.warned: set[str] = set()
        self.http = client(options.timeout)

    def _warn_unverified(self, dataset: str) -> None:
        """Once per data set: its archives have no published checksum."""
        with self.warn_lock:
            first = dataset not in self.warned
            self.warned.add(dataset)
        if first:
            self.progress.warn(f"{dataset}: {NOT_VERIFIED} (the archives' own CRCs are still checked "
                               "while unpacking)")

    def run(self, job: _Job) -> ArchiveOutcome:
        name = f"{job.spec.name}/{job.archive.file}"
        if not self.force and _record_holds(job):
            return ArchiveOutcome(job.spec.name, job.archive.file, "skipped", job.archive.digest is not None)
        job.state.mkdir(parents=True, exist_ok=True)
        archive, part = job.path(), job.path(".part")
        if self.force:
            for stale in (archive, part, job.path(".done.json")):
                stale.unlink(missing_ok=True)
        status = "unpacked" if archive.exists() else "downloaded"
        if status == "downloaded":
            fetch(self.http, job.archive.url, part, label=name, progress=self.progress, cancel=self.cancel,
                  options=self.options)
            verified = _verify(job, part)
            os.replace(part, archive)
        else:
            verified = _verify(job, archive)  # a kept archive: checked again before use
        if not verified:
            self._warn_unverified(job.spec.name)
        with self.unpack_lock:
            if self.cancel.is_set():
                raise Cancelled()
            top = unpack(archive, job.archive.kind, job.target)
        atomic_write_json(job.path(".done.json"), {
            "file": job.archive.file, "url": job.archive.url, "algorithm": job.archive.algorithm,
            "digest": job.archive.digest, "verified": verified, "folder": job.spec.folder, "top": top,
            "unpacked_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
        if not self.keep_archives:
            archive.unlink()
        return ArchiveOutcome(job.spec.name, job.archive.file, status, verified)


def _run_all(runner: _Runner, jobs: list[_Job], n_jobs: int, progress: Progress) -> list[ArchiveOutcome]:
    """Run the jobs on a thread pool; the first error cancels the rest and is raised."""
    overall = progress.task("archives", len(jobs))
    outcomes: list[ArchiveOutcome] = []
    try:
        with ThreadPoolExecutor(max_workers=n_jobs, thread_name_prefix="asdkit-download") as pool:
            futures = [pool.submit(runner.run, job) for job in jobs]
            try:
                pending = set(futures)
                while pending:
                    done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                    errors: list[BaseException] = []
                    for future in done:
                        exc = future.exception()
                        if exc is None:
                            outcomes.append(future.result())
                            overall.advance()
                        else:
                            errors.append(exc)
                    if errors:  # the cause, not the archives it cancelled
                        raise next((e for e in errors if not isinstance(e, Cancelled)), errors[0])
            finally:
                runner.cancel.set()  # stop the others between chunks; their .part files stay
                for future in futures:
                    future.cancel()
    finally:
        overall.close()
        runner.http.close()
    return outcomes


def download(names: str | list[str], dest: str | os.PathLike, *,
             table: DatasetTable | Mapping | str | os.PathLike | None = None, jobs: int = 4,
             retries: int = 5, retry_delay: float = 1.0, timeout: float = 60.0, keep_archives: bool = False,
             force: bool = False, progress: Progress | None = None) -> DownloadResult:
    """Download, verify and unpack data sets ``names`` (see ``asdkit download --list``)
    into ``dest``; ``table`` replaces the built-in list (an object, mapping or JSON
    path). Raises :class:`DownloadError` (one line) on the first archive that fails,
    after stopping the others; a rerun resumes and skips what is done."""
    if jobs < 1:
        raise ConfigError(f"--jobs {jobs}: must be at least 1")
    if retries < 0:
        raise ConfigError(f"--retries {retries}: must be 0 or more")
    specs = [load_table(table).get(name) for name in ([names] if isinstance(names, str) else names)]
    root = output_folder(dest, "DIR")
    result = DownloadResult(root=root, folders={s.name: root / s.folder for s in specs})
    unique = list({s.name: s for s in specs}.values())  # a name given twice is fetched once
    jobs_list = [_Job(spec, archive, root) for spec in unique for archive in spec.archives]
    shown = _LockedProgress(ensure(progress))
    runner = _Runner(shown, FetchOptions(retries, retry_delay, timeout), keep_archives, force)
    outcomes = _run_all(runner, jobs_list, min(jobs, len(jobs_list)), shown)
    order = {(j.spec.name, j.archive.file): i for i, j in enumerate(jobs_list)}
    result.archives = sorted(outcomes, key=lambda o: order[(o.dataset, o.file)])
    return result
