"""The parser pool: results in submission order, hung and dying workers replaced, and their
documents turned into `parse_timeout` / `worker_crashed` outcomes while the rest flows."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from consumers.limits import Limits
from consumers.processor.pool import BatchBudget, ParserPool
from consumers.processor.work import Job, Outcome, run_job
from tests.conftest import FIXTURES


def misbehaving_task(job: Job, limits: Limits, encode: bool) -> Outcome:
    """Hangs where no signal reaches it (as in C code) on b"hang", sleeps interruptibly on
    b"slow", dies on b"die", on b"child:PATH" starts a child, writes its pid to PATH and
    hangs; parses anything else for real."""
    if job.data == b"hang":
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        time.sleep(60)
    if job.data == b"slow":
        time.sleep(60)
    if job.data == b"die":
        os._exit(9)
    if job.data.startswith(b"child:"):
        child = subprocess.Popen(["sleep", "60"])
        Path(job.data[6:].decode()).write_text(str(child.pid))
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        time.sleep(60)
    return run_job(job, limits, encode)


def test_results_come_back_in_order_with_failures_in_place() -> None:
    restarts: list[str] = []
    xml = (FIXTURES / "xml" / "form4-10b5one-dutchbros.xml").read_bytes()
    pool = ParserPool(2, document_timeout=2.0, on_restart=restarts.append, task=misbehaving_task)
    try:
        jobs = [Job(xml, "A"), Job(b"hang", "B"), Job(xml, "C"), Job(b"die", "D"), Job(xml, "E")]
        outcomes = pool.parse(jobs)
        assert [o.failure.reason if o.failure else "ok" for o in outcomes] == [
            "ok",
            "parse_timeout",
            "ok",
            "worker_crashed",
            "ok",
        ]
        assert outcomes[1].failure.accession_number == "B"
        assert sorted(restarts) == ["crashed", "timeout"]
        parsed = [outcomes[i] for i in (0, 2, 4)]
        assert all(o.records and o.records[0].payload for o in parsed)
        again = pool.parse([Job(xml, "F")])  # the replaced workers serve the next batch
        assert again[0].failure is None
    finally:
        pool.close()


def test_jobs_queued_behind_a_hung_or_dying_job_are_not_lost() -> None:
    """One worker, so every small job waits in the pipe behind the one before it."""
    restarts: list[str] = []
    xml = (FIXTURES / "xml" / "form4-10b5one-dutchbros.xml").read_bytes()
    pool = ParserPool(1, document_timeout=1.5, on_restart=restarts.append, task=misbehaving_task)
    try:
        data = [b"hang", xml, xml, b"die", xml, b"die", b"hang", xml]
        outcomes = pool.parse([Job(d, str(i)) for i, d in enumerate(data)])
        reasons = [o.failure.reason if o.failure else "ok" for o in outcomes]
        expected = {b"hang": "parse_timeout", b"die": "worker_crashed", xml: "ok"}
        assert reasons == [expected[d] for d in data]
        assert [o.failure.accession_number for o in outcomes if o.failure] == ["0", "3", "5", "6"]
        assert sorted(restarts) == ["crashed", "crashed", "timeout", "timeout"]
    finally:
        pool.close()


def test_workers_killed_while_idle_are_replaced_without_losing_jobs() -> None:
    restarts: list[str] = []
    xml = (FIXTURES / "xml" / "form4-10b5one-dutchbros.xml").read_bytes()
    pool = ParserPool(2, on_restart=restarts.append)
    try:
        for process in pool.processes:  # e.g. the OOM killer, between batches
            process.kill()
            process.join(5)
        outcomes = pool.parse([Job(xml, str(i)) for i in range(6)])
        assert [o.failure.reason if o.failure else "ok" for o in outcomes] == ["ok"] * 6
        assert restarts == ["crashed", "crashed"]
    finally:
        pool.close()


def test_a_slow_parse_is_interrupted_inside_the_worker_without_a_respawn() -> None:
    restarts: list[str] = []
    xml = (FIXTURES / "xml" / "form4-10b5one-dutchbros.xml").read_bytes()
    pool = ParserPool(1, document_timeout=2.0, on_restart=restarts.append, task=misbehaving_task)
    try:
        outcomes = pool.parse([Job(b"slow", "A"), Job(xml, "B")])
        assert outcomes[0].failure.reason == "parse_timeout"
        assert outcomes[1].failure is None
        assert restarts == []
    finally:
        pool.close()


def test_a_killed_worker_takes_its_child_processes_with_it(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    pool = ParserPool(1, document_timeout=1.5, task=misbehaving_task)
    try:
        outcome = pool.parse([Job(f"child:{pid_file}".encode(), "A")])[0]
        assert outcome.failure.reason == "parse_timeout"
        child = int(pid_file.read_text())
        for _ in range(50):
            try:
                os.kill(child, 0)
            except ProcessLookupError:
                break
            # a zombie until its parent's reaper runs: check its state, not only its pid
            stat = Path(f"/proc/{child}/stat")
            if stat.exists() and stat.read_text().split()[2] == "Z":
                break
            time.sleep(0.1)
        else:
            raise AssertionError(f"child {child} outlived its killed worker")
    finally:
        pool.close()


def test_a_spent_budget_starts_no_new_document_and_leaves_the_rest_unstarted() -> None:
    xml = (FIXTURES / "xml" / "form4-10b5one-dutchbros.xml").read_bytes()
    pool = ParserPool(2)
    try:
        jobs = [Job(xml, str(i)) for i in range(6)]
        late = BatchBudget(deadline=time.monotonic() - 1, max_output_bytes=1 << 30)
        outcomes = pool.parse(jobs, late)
        assert outcomes[0] is not None and outcomes[0].failure is None  # the first always runs
        assert outcomes[1:] == [None] * 5
        full = BatchBudget(deadline=time.monotonic() + 60, max_output_bytes=1)
        outcomes = pool.parse(jobs, full)
        done = [o for o in outcomes if o is not None]
        assert 1 <= len(done) < len(jobs)  # at most what was in flight when the first returned
        assert full.spent_bytes == sum(o.output_bytes for o in done) > 0
        everything = pool.parse(jobs, BatchBudget(time.monotonic() + 60, 1 << 30))
        assert all(o is not None and o.failure is None for o in everything)
    finally:
        pool.close()
