"""Dynamic batching: the clips of concurrent requests scored in one backbone forward.

Requests put prepared waveforms on a queue and await their verdict. One collector
task takes the first waiting clip, then keeps adding clips until the batch holds
``max_batch`` of them or the first has waited ``max_wait`` seconds; it waits only
while more clips are on their way (requests still being received or decoded), so a
lone request is scored at once. The batch is scored by
:meth:`~asdkit.pipeline.online.OnlineScorer.score_waves` on one worker thread (the
event loop keeps serving meanwhile); clips arriving during that forward form the
next batch, so batches grow with the load by themselves.

Scores do not depend on the batch: the pipeline scores each clip inductively (its
kNN attachment is to training clips only), so batching changes speed, not results
(up to float32 rounding: BLAS sums a batch in another order than a single clip).
If a batch fails as a whole, its clips are scored one by one, so that one clip's
error reaches only its own request.
"""
from __future__ import annotations

import asyncio
import contextlib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np

from ..pipeline.online import OnlineScorer, Verdict


@dataclass
class Job:
    """One clip waiting for its verdict."""

    wave: np.ndarray
    machine: str
    section: str
    reasons: list[str]
    future: "asyncio.Future[Verdict]"
    queued_at: float = field(default_factory=time.perf_counter)


class Batcher:
    """Queues clips and scores them in batches on one model thread.

    Args:
        scorer: the loaded model's :class:`OnlineScorer` (used read-only).
        max_batch: most clips per forward (1: no batching).
        max_wait: seconds the first clip of a batch may wait for others.
        on_batch: called with ``(batch size, seconds the forward took)`` (metrics).
    """

    def __init__(self, scorer: OnlineScorer, max_batch: int = 32, max_wait: float = 0.005,
                 on_batch: Callable[[int, float], None] | None = None) -> None:
        self.scorer = scorer
        self.max_batch = max_batch
        self.max_wait = max_wait
        self.on_batch = on_batch
        self._queue: asyncio.Queue[Job] | None = None
        self._task: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._incoming = 0

    async def start(self) -> None:
        """Start the collector on the running event loop (app startup)."""
        self._queue = asyncio.Queue()
        # One thread: forwards never overlap, so the model is never used concurrently.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="asdkit-model")
        self._task = asyncio.get_running_loop().create_task(self._run(), name="asdkit-batcher")

    async def stop(self) -> None:
        """Stop collecting; clips still queued get an error (app shutdown)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._queue is not None:
            while not self._queue.empty():
                job = self._queue.get_nowait()
                if not job.future.done():
                    job.future.set_exception(RuntimeError("the service is shutting down"))
        if self._executor is not None:
            self._executor.shutdown(wait=True)

    @property
    def queued(self) -> int:
        return self._queue.qsize() if self._queue is not None else 0

    @contextlib.contextmanager
    def incoming(self) -> Iterator[None]:
        """Mark a request that will submit clips soon (being received or decoded): a
        batch waits for it (up to ``max_wait``) instead of leaving without it."""
        self._incoming += 1
        try:
            yield
        finally:
            self._incoming -= 1

    async def score(self, wave: np.ndarray, machine: str, section: str, reasons: list[str]) -> Verdict:
        """The verdict of one prepared waveform, once its batch has been scored."""
        if self._queue is None:
            raise RuntimeError("the batcher is not running (app not started)")
        future: asyncio.Future[Verdict] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(Job(wave, machine, section, reasons, future))
        return await future

    async def _run(self) -> None:
        while True:
            jobs = await self._collect()
            jobs = [job for job in jobs if not job.future.done()]  # a cancelled request's clip
            if jobs:
                await self._score(jobs)

    async def _collect(self) -> list[Job]:
        """The next batch: the first queued clip, plus those that arrive within the wait."""
        assert self._queue is not None  # start() sets it before this task runs
        jobs = [await self._queue.get()]
        deadline = time.perf_counter() + self.max_wait
        while len(jobs) < self.max_batch:
            if not self._queue.empty():
                jobs.append(self._queue.get_nowait())
                continue
            left = deadline - time.perf_counter()
            if left <= 0 or self._incoming == 0:
                break
            try:
                jobs.append(await asyncio.wait_for(self._queue.get(), left))
            except asyncio.TimeoutError:
                break
        return jobs

    async def _score(self, jobs: list[Job]) -> None:
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        try:
            results = await loop.run_in_executor(self._executor, self._score_sync, jobs)
        except Exception as exc:  # the executor itself failed: every clip gets the error
            results = [exc] * len(jobs)
        if self.on_batch is not None:
            self.on_batch(len(jobs), time.perf_counter() - started)
        for job, result in zip(jobs, results):
            if job.future.done():
                continue
            if isinstance(result, BaseException):
                job.future.set_exception(result)
            else:
                job.future.set_result(result)

    def _score_sync(self, jobs: list[Job]) -> list[Verdict | BaseException]:
        """Runs on the model thread: the batch in one forward, else clip by clip."""
        import torch

        with torch.inference_mode():
            try:
                return list(self._forward(jobs))
            except Exception:
                if len(jobs) == 1:
                    raise
            results: list[Verdict | BaseException] = []
            for job in jobs:
                try:
                    results.extend(self._forward([job]))
                except Exception as exc:  # only this clip's request fails
                    results.append(exc)
            return results

    def _forward(self, jobs: list[Job]) -> list[Verdict]:
        return self.scorer.score_waves([j.wave for j in jobs], [j.machine for j in jobs],
                                       [j.section for j in jobs], [j.reasons for j in jobs])
