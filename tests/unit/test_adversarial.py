"""Each class of adversarial document ends as its named failure (or, if honest, as records
that fit), with a bounded message, whatever its size."""

from __future__ import annotations

import pytest

from consumers import limits as bounds
from consumers.limits import Limits
from consumers.parsing import ParseError, parse_document
from consumers.parsing.core.errors import Reason
from consumers.processor.work import Job, run_job
from tests.adversarial import ADVERSARIES, Adversary

STREAM_LIMITS = Limits(max_bytes=bounds.MAX_DOCUMENT_BYTES)


@pytest.mark.parametrize("adversary", ADVERSARIES, ids=lambda a: a.name)
def test_each_adversary_ends_with_its_reason_and_a_bounded_message(adversary: Adversary) -> None:
    outcome = run_job(Job(adversary.build(), "9999999999-26-000001"), STREAM_LIMITS)
    if adversary.reason is None:
        assert outcome.failure is None
        assert outcome.records
        assert all(len(r.payload) <= STREAM_LIMITS.max_record_bytes for r in outcome.records)
        assert outcome.output_bytes <= STREAM_LIMITS.max_filing_output_bytes
        return
    assert outcome.failure is not None
    assert outcome.failure.reason == adversary.reason
    assert len(outcome.failure.message) <= bounds.MAX_ERROR_MESSAGE_CHARS + 40


def test_a_parse_error_never_carries_a_whole_document_in_its_message() -> None:
    error = ParseError(Reason.INVALID_CODE, "code " + "x" * 10_000_000)
    assert len(error.message) <= bounds.MAX_ERROR_MESSAGE_CHARS + 40
    assert "more characters" in error.message


def test_a_filing_whose_records_would_not_fit_is_refused_before_they_are_built() -> None:
    """The 1 MB remark on 300 lines is measured on the shared context: the worker never holds
    300 copies of it."""
    data = next(a for a in ADVERSARIES if a.name == "remark-on-every-line").build()
    filing = parse_document(data)
    assert len(filing.lines) == 300 and len(filing.remarks or "") == 1_000_000
    outcome = run_job(Job(data), STREAM_LIMITS)
    assert outcome.failure is not None and outcome.failure.reason == "record_too_large"
    assert "300 records" in outcome.failure.message


def test_a_record_limit_learnt_from_a_small_topic_applies_to_each_record() -> None:
    honest = next(a for a in ADVERSARIES if a.name == "honest-xml-huge-key").build()
    fits = run_job(Job(honest), Limits(max_record_bytes=100_000))
    assert fits.failure is None
    biggest = max(len(r.payload) for r in fits.records)
    too_small = run_job(Job(honest), Limits(max_record_bytes=biggest - 1))
    assert too_small.failure is not None and too_small.failure.reason == "record_too_large"
