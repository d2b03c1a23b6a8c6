"""The parser pool: results in submission order, hung and dying workers replaced, and their
documents turned into `parse_timeout` / `worker_crashed` outcomes while the rest flows."""

from __future__ import annotations

import os
import time

from consumers.parsing.document import Limits
from consumers.stream.pool import ParserPool
from consumers.stream.work import Job, Outcome, run_job
from tests.conftest import FIXTURES


def misbehaving_task(job: Job, limits: Limits, encode: bool) -> Outcome:
    """Hangs on b"hang", dies on b"die", parses anything else for real."""
    if job.data == b"hang":
        time.sleep(60)
    if job.data == b"die":
        os._exit(9)
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
        for worker in pool._workers:  # e.g. the OOM killer, between batches
            worker.process.kill()
            worker.process.join(5)
        outcomes = pool.parse([Job(xml, str(i)) for i in range(6)])
        assert [o.failure.reason if o.failure else "ok" for o in outcomes] == ["ok"] * 6
        assert restarts == ["crashed", "crashed"]
    finally:
        pool.close()
