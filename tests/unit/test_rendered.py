"""PDF and OCR-text renderings: the seed exactly, fixture PDFs field by field against their XML,
hostile PDFs refused fast with their own reasons, and OCR that cannot be trusted refused."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from pathlib import Path

import pytest

from bench.scoring import compare_filings
from consumers.parsing import ParseError, Reason, parse_document
from tests.conftest import FIXTURES

PDFS = FIXTURES / "pdf"
SCANS = ("ocr-", "ocr120-", "noisy150-")  # read by the scan tests
CLEAN = sorted(p for p in PDFS.glob("*.pdf") if not p.name.startswith(SCANS))


def test_seed_comes_out_exactly() -> None:
    filing = parse_document((FIXTURES / "seed" / "form4-ocr-sonus-2011.txt").read_bytes())
    assert filing.source_format == "text" and filing.form_type == "4"
    assert (filing.issuer.name, filing.issuer.trading_symbol) == ("SONUS NETWORKS INC", "SONS")
    (owner,) = filing.reporting_owners
    assert owner.name == "Dillon Matthew S."
    assert owner.is_officer and not owner.is_director and not owner.is_ten_percent_owner
    assert owner.officer_title == "VP, Global Services"
    assert (owner.city, owner.state, owner.zip) == ("WESTFORD", "MA", "01886")  # Cyrillic МА
    assert filing.period_of_report == dt.date(2011, 2, 15)
    (line,) = filing.lines
    assert line.table == "non_derivative" and line.kind == "transaction"
    assert line.security_title == "Common Stock"
    assert line.transaction_date == dt.date(2011, 2, 15)
    assert line.transaction_code == "F"
    assert line.shares == Decimal("1123") and line.footnote_ids == {"shares": ["F1"]}
    assert line.acquired_disposed == "D"
    assert line.price_per_share == Decimal("3.15")
    assert line.shares_owned_following == Decimal("71627")
    assert line.direct_indirect == "D" and line.nature_of_ownership is None
    assert [(f.id, f.text) for f in filing.footnotes] == [
        (
            "F1",
            "PAYMENT OF TAX LIABILITY BY DELIVERING SECURITIES TO THE COMPANY INCIDENT TO "
            "THE VESTING OF A SECURITY",
        )
    ]
    assert [(s.name, s.date) for s in filing.signatures] == [
        ("Matthew S. Dillon", dt.date(2011, 2, 15))
    ]


@pytest.mark.parametrize("path", CLEAN, ids=lambda p: p.name)
def test_pdf_fields_agree_with_the_xml(path: Path) -> None:
    truth = parse_document(path.with_suffix(".xml").read_bytes())
    got = parse_document(path.read_bytes())
    assert got.source_format == "pdf"
    assert [(line.table, line.line) for line in got.lines] == [
        (line.table, line.line) for line in truth.lines
    ]
    score = compare_filings(truth, got)
    assert score.wrong <= max(1, score.total // 100), score.wrong_fields
    assert score.right / score.total >= 0.70  # the rest is null (clipped columns), not wrong


def test_pdf_reads_values_footnotes_and_joint_owners() -> None:
    filing = parse_document((PDFS / "000089924321036608.pdf").read_bytes())
    assert filing.form_type == "3"
    assert len(filing.reporting_owners) == 7
    assert filing.reporting_owners[-1].name == "THIEL PETER"
    assert all(o.is_ten_percent_owner for o in filing.reporting_owners)
    first, second = filing.lines
    assert first.shares_owned_following == Decimal("10386626")
    assert second.footnote_ids["shares_owned_following"] == ["F1", "F3"]
    assert second.nature_of_ownership == "See Footnote"
    assert len(filing.signatures) == 7


def test_edgar_html_look_printed_to_pdf() -> None:
    filing = parse_document((PDFS / "374WaterForm4.pdf").read_bytes())
    owner = filing.reporting_owners[0]
    assert owner.officer_title == "Chief Technology Officer"
    derivative = next(line for line in filing.lines if line.table == "derivative")
    assert derivative.security_title == "Stock options (right to buy)"
    assert derivative.conversion_or_exercise_price == Decimal("0.33")
    assert derivative.expiration_date == dt.date(2035, 4, 29)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("encrypted.pdf", Reason.PDF_ENCRYPTED),
        ("truncated.pdf", Reason.PDF_BROKEN),
        ("image-only.pdf", Reason.PDF_NO_TEXT),
        ("deflate-bomb.pdf", Reason.DOCUMENT_TOO_LARGE),
        ("3000-pages.pdf", Reason.PDF_TOO_MANY_PAGES),
    ],
)
def test_hostile_pdfs_fail_fast_with_their_reason(name: str, reason: Reason) -> None:
    started = time.process_time()
    with pytest.raises(ParseError) as caught:
        parse_document((FIXTURES / "hostile" / name).read_bytes())
    assert caught.value.reason == reason
    assert time.process_time() - started < 10


def test_ocr_line_that_breaks_arithmetic_is_refused() -> None:
    seed = (FIXTURES / "seed" / "form4-ocr-sonus-2011.txt").read_text()
    line = "Common Stock\t02/15/2011\t\tF\t\t1,123(1)\tD\t\\$3.15\t71,627\tD\t"
    assert line in seed
    bad_second = line.replace("71,627", "70,000")  # 71,627 - 1,123 would be 70,504
    with pytest.raises(ParseError) as caught:
        parse_document(seed.replace(line, line + "\n" + bad_second).encode())
    assert caught.value.reason == Reason.OCR_LOW_CONFIDENCE
    good_second = line.replace("71,627", "70,504")
    filing = parse_document(seed.replace(line, line + "\n" + good_second).encode())
    assert [row.shares_owned_following for row in filing.lines] == [Decimal(71627), Decimal(70504)]


def test_edgar_html_rendering_parses_like_its_pdf() -> None:
    html = parse_document((PDFS / "374WaterForm4.html").read_bytes())
    pdf = parse_document((PDFS / "374WaterForm4.pdf").read_bytes())
    truth = parse_document((PDFS / "374WaterForm4.xml").read_bytes())
    assert html.source_format == "html"
    assert (html.issuer.name, html.issuer.trading_symbol) == ("374Water Inc.", "SCWO")
    assert html.reporting_owners[0].officer_title == "Chief Technology Officer"
    assert [(line.table, line.shares) for line in html.lines] == [
        (line.table, line.shares) for line in pdf.lines
    ]
    score = compare_filings(truth, html)
    assert score.wrong == 0, score.wrong_fields


@pytest.mark.parametrize(
    ("stem", "ext"),
    [("form3.snow", "html"), ("form3.snow", "pdf"), ("form5.snow", "html"), ("form5.snow", "pdf")],
)
def test_form3_and_form5_layouts_in_the_edgar_look(stem: str, ext: str) -> None:
    """Form 3 numbers Table II's columns differently, Form 5 prints one Code column and its
    period as the fiscal year end; a wrapped amount or a title spanning rows must not shift
    a value into the wrong line."""
    truth = parse_document((PDFS / f"{stem}.xml").read_bytes())
    got = parse_document((PDFS / f"{stem}.{ext}").read_bytes())
    score = compare_filings(truth, got)
    assert score.wrong == 0, score.wrong_fields
    assert score.right / score.total >= 0.94  # form5.snow.pdf: 2 footnote marks missed
    assert got.period_of_report == truth.period_of_report
    assert [
        (x.table, x.shares, x.shares_owned_following, x.underlying_shares) for x in got.lines
    ] == [(x.table, x.shares, x.shares_owned_following, x.underlying_shares) for x in truth.lines]
    assert [x.transaction_code for x in got.lines] == [x.transaction_code for x in truth.lines]
