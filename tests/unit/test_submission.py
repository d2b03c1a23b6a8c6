"""EDGAR submissions: header facts, the embedded XML, cross-checks, refusals of other forms."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from consumers.parsing import ParseError, Reason, parse_document
from tests.conftest import FIXTURES
from tests.unit.oracle import expected_lines

SUBMISSIONS = FIXTURES / "submissions"
XML_SUBMISSIONS = [p for p in sorted(SUBMISSIONS.iterdir()) if b"<XML>" in p.read_bytes()]


@pytest.mark.parametrize("path", XML_SUBMISSIONS, ids=lambda p: p.name)
def test_submission_parses_with_header_context(path: Path) -> None:
    data = path.read_bytes()
    filing = parse_document(data)
    accession = re.search(rb"(\d{10}-\d{2}-\d{6})", data)[1].decode()
    xml = re.search(rb"<XML>\s*(.*?)\s*</XML>", data, re.S)[1]
    assert filing.source_format == "submission"
    assert filing.accession_number == accession
    assert filing.filing_date is not None
    assert len(filing.lines) == len(expected_lines(xml))


def test_acceptance_datetime_is_eastern_converted_to_utc() -> None:
    filing = parse_document((SUBMISSIONS / "0000842517-24-000086.txt").read_bytes())
    assert filing.filed_at == dt.datetime(2024, 5, 1, 17, 7, 22, tzinfo=dt.UTC)
    assert filing.filing_date == dt.date(2024, 5, 1)
    assert filing.form_type == "4"


def test_dissemination_format_has_filing_date_only() -> None:
    filing = parse_document((SUBMISSIONS / "0001562180-25-000280.nc").read_bytes())
    assert filing.accession_number == "0001562180-25-000280"
    assert filing.filing_date == dt.date(2025, 1, 8)
    assert filing.filed_at is None
    assert filing.issuer.trading_symbol == "TSVT"


def test_pre_xml_text_filing_is_named() -> None:
    with pytest.raises(ParseError) as caught:
        parse_document((SUBMISSIONS / "0001094891-00-000193.txt").read_bytes())
    assert caught.value.reason == Reason.UNSUPPORTED_TEXT_FILING
    assert "pre-XML text filing" in caught.value.message


def test_issuer_cik_mismatch_with_header_is_refused() -> None:
    data = (SUBMISSIONS / "0000842517-24-000086.txt").read_bytes()
    forged = data.replace(
        b"<issuerCik>0000842517</issuerCik>", b"<issuerCik>0000000001</issuerCik>"
    )
    assert forged != data
    with pytest.raises(ParseError) as caught:
        parse_document(forged)
    assert caught.value.reason == Reason.HEADER_MISMATCH


@pytest.mark.parametrize("path", sorted((FIXTURES / "not-form4").iterdir()), ids=lambda p: p.name)
def test_other_forms_are_not_ownership_filings(path: Path) -> None:
    with pytest.raises(ParseError) as caught:
        parse_document(path.read_bytes())
    assert caught.value.reason == Reason.NOT_OWNERSHIP_FILING
    assert caught.value.source_format == "submission"
