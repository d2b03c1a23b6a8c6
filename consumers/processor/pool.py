"""A pool of parser processes with a per-document time budget and a memory cap.

Why not concurrent.futures: a hung task there cannot be killed alone and one dead worker
breaks the whole pool. Here each worker has its own pipe and its own process group; a worker
past its deadline is SIGKILLed with its children (tesseract) and replaced, and its document
becomes a `parse_timeout` failure; a worker that dies (OOM kill, segfault in a C library)
becomes `worker_crashed`. Inside the worker a SIGALRM a little before the kill interrupts a
parse wherever it is (inside a long page too), so most timeouts end cleanly without a respawn.
Results come back in submission order, whatever order workers finish in. A batch can carry a
budget (a deadline and output bytes): once spent, no new document starts, and the ones never
started come back as None for the next batch.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from types import FrameType
from typing import cast

from consumers import limits as bounds
from consumers.issuers.directory import use_directory_file
from consumers.limits import DEFAULT_LIMITS, QUEUED_JOB_MAX_BYTES, Limits
from consumers.parsing.core.errors import DeadlineExceeded, ParseError, Reason
from consumers.processor.work import Job, Outcome, run_job

Task = Callable[[Job, Limits, bool], Outcome]


@dataclass(slots=True)
class BatchBudget:
    """What one batch may spend: no document starts after `deadline` (time.monotonic()) or once
    its outcomes hold `max_output_bytes`; a failure is charged the original it may carry."""

    deadline: float
    max_output_bytes: int
    failure_bytes_cap: int = bounds.DLQ_INLINE_MAX_BYTES
    spent_bytes: int = 0

    def charge(self, job: Job, outcome: Outcome) -> None:
        carried = min(len(job.data), self.failure_bytes_cap) if outcome.failure else 0
        self.spent_bytes += outcome.output_bytes + carried

    def allows_more(self) -> bool:
        return time.monotonic() < self.deadline and self.spent_bytes < self.max_output_bytes


def _raise_deadline(signum: int, frame: FrameType | None) -> None:
    raise DeadlineExceeded


@dataclass(frozen=True, slots=True)
class WorkerSpec:
    """What every worker process is started with."""

    limits: Limits
    memory_limit: int  # address space, bytes; 0 for none
    encode: bool  # Avro-encode in the worker (no Schema Registry)
    task: Task
    deadline_seconds: float  # the in-worker SIGALRM, a little before the pool's kill
    issuer_directory: Path | None = None  # the company tickers file each worker reads


def _worker_main(conn: Connection, spec: WorkerSpec) -> None:
    os.setpgrp()  # a kill of the group takes this worker's tesseract children with it
    if spec.memory_limit > 0:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (spec.memory_limit, spec.memory_limit))
    signal.signal(signal.SIGALRM, _raise_deadline)
    use_directory_file(spec.issuer_directory)
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        index, job = message
        try:
            signal.setitimer(signal.ITIMER_REAL, spec.deadline_seconds)
            outcome = spec.task(job, spec.limits, spec.encode)
        except DeadlineExceeded:
            outcome = _failed(
                job, Reason.PARSE_TIMEOUT, f"parsing took longer than {spec.deadline_seconds:g}s"
            )
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        conn.send((index, outcome))


class _Worker:
    def __init__(
        self, ctx: mp.context.SpawnContext | mp.context.ForkServerContext, spec: WorkerSpec
    ) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, spec), daemon=True)
        self.process.start()
        child.close()
        self.queue: deque[int] = deque()  # job indices sent, in the order it works on them
        self.deadline = 0.0  # of the job at the head of the queue

    def kill(self) -> None:
        """SIGKILL the worker's whole process group (it leads one), so no child outlives it."""
        pid = self.process.pid
        try:
            if pid is not None and os.getpgid(pid) == pid:
                os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass  # already gone
        self.process.kill()
        self.process.join(5)
        self.conn.close()


class ParserPool:
    """Parse batches of jobs in worker processes; `restarts` counts replaced workers by cause."""

    def __init__(
        self,
        workers: int,
        limits: Limits = DEFAULT_LIMITS,
        document_timeout: float = bounds.DOCUMENT_TIMEOUT_SECONDS,
        memory_limit: int = bounds.WORKER_MEMORY_LIMIT_BYTES,
        on_restart: Callable[[str], None] | None = None,
        encode: bool = True,
        task: Task = run_job,
        issuer_directory: Path | None = None,
    ) -> None:
        """`task` is what a worker runs per job: the real parse, or a stand-in in tests;
        `issuer_directory`, the company tickers file rendered filings' CIKs come from."""
        self._ctx: mp.context.SpawnContext | mp.context.ForkServerContext = (
            mp.get_context("forkserver") if os.name == "posix" else mp.get_context("spawn")
        )
        self.document_timeout = document_timeout
        self._spec = WorkerSpec(
            limits,
            memory_limit,
            encode,
            task,
            deadline_seconds=max(
                document_timeout / 2, document_timeout - bounds.DOCUMENT_DEADLINE_MARGIN_SECONDS
            ),
            issuer_directory=issuer_directory,
        )
        self._on_restart = on_restart or (lambda cause: None)
        self._workers = [self._spawn() for _ in range(max(1, workers))]

    @property
    def processes(self) -> list[mp.process.BaseProcess]:
        """The worker processes now serving (a supervisor's or a test's view)."""
        return [worker.process for worker in self._workers]

    def _spawn(self) -> _Worker:
        return _Worker(self._ctx, self._spec)

    def _replace(self, worker: _Worker, cause: str, pending: deque[int]) -> None:
        """Kill and respawn; the jobs it had queued behind the failed one go back first in line."""
        pending.extendleft(reversed(worker.queue))
        worker.queue.clear()
        worker.kill()
        self._on_restart(cause)
        self._workers[self._workers.index(worker)] = self._spawn()

    def _feed(
        self,
        jobs: Sequence[Job],
        pending: deque[int],
        results: list[Outcome | None],
        refused: Counter[int],
        may_start: Callable[[], bool],
    ) -> None:
        for worker in list(self._workers):
            while (
                pending
                and may_start()
                and (
                    not worker.queue
                    or (
                        len(worker.queue) == 1
                        and len(jobs[pending[0]].data) <= QUEUED_JOB_MAX_BYTES
                    )
                )
            ):
                if not worker.queue and worker.process.exitcode is not None:
                    # Died while idle (OOM killer, a kill between batches): not the fault of
                    # the job about to be sent, so replace it before sending.
                    self._replace(worker, "crashed", pending)
                    break
                index = pending.popleft()
                try:
                    worker.conn.send((index, jobs[index]))
                except (BrokenPipeError, OSError):
                    if worker.queue:  # parse() reads its EOF and fails the job it died on
                        pending.appendleft(index)
                        break
                    self._replace(worker, "crashed", pending)
                    refused[index] += 1
                    if refused[index] >= 2:
                        # Even a fresh worker died before reading (a broken install): fail the
                        # job rather than respawn forever.
                        results[index] = _failed(
                            jobs[index], Reason.WORKER_CRASHED, "no parser process would start"
                        )
                    else:
                        pending.appendleft(index)
                    break
                if not worker.queue:
                    worker.deadline = time.monotonic() + self.document_timeout
                worker.queue.append(index)

    def parse(self, jobs: Sequence[Job], budget: BatchBudget | None = None) -> list[Outcome | None]:
        """Outcomes in job order; with a `budget`, jobs it left unstarted are None (the first
        job always starts, so every batch makes progress)."""
        results: list[Outcome | None] = [None] * len(jobs)
        pending = deque(range(len(jobs)))
        refused: Counter[int] = Counter()  # sends of a job that found its worker dead

        def may_start() -> bool:
            return budget is None or len(pending) == len(jobs) or budget.allows_more()

        while True:
            self._feed(jobs, pending, results, refused, may_start)
            busy = {w.conn: w for w in self._workers if w.queue}
            if not busy:
                if pending and may_start():
                    continue  # every worker was replaced while feeding: feed the fresh ones
                break
            timeout = max(0.0, min(w.deadline for w in busy.values()) - time.monotonic())
            for ready in wait(list(busy), timeout=timeout):
                worker = busy[cast(Connection, ready)]
                try:
                    index, outcome = worker.conn.recv()
                except (EOFError, OSError):
                    head = worker.queue.popleft()
                    crashed = _failed(
                        jobs[head],
                        Reason.WORKER_CRASHED,
                        "the parser process died on this document",
                    )
                    results[head] = crashed
                    if budget is not None:
                        budget.charge(jobs[head], crashed)
                    self._replace(worker, "crashed", pending)
                    continue
                worker.queue.popleft()
                results[index] = outcome
                if budget is not None:
                    budget.charge(jobs[index], outcome)
                # The next queued job starts now; its budget runs from here.
                worker.deadline = time.monotonic() + self.document_timeout
            now = time.monotonic()
            for worker in busy.values():
                if worker.queue and worker.deadline <= now and worker in self._workers:
                    head = worker.queue.popleft()
                    timed_out = _failed(
                        jobs[head],
                        Reason.PARSE_TIMEOUT,
                        f"parsing took longer than {self.document_timeout:g}s",
                    )
                    results[head] = timed_out
                    if budget is not None:
                        budget.charge(jobs[head], timed_out)
                    self._replace(worker, "timeout", pending)
        return results

    def close(self) -> None:
        for worker in self._workers:
            with contextlib.suppress(OSError):
                worker.conn.send(None)
            worker.process.join(2)
            if worker.process.is_alive():
                worker.kill()
            worker.conn.close()


def _failed(job: Job, reason: Reason, message: str) -> Outcome:
    return Outcome(
        failure=ParseError(
            reason,
            message,
            stage="worker",
            source_format="unknown",
            accession_number=job.accession_number,
        )
    )
