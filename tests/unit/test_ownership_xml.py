"""Every fixture (and corpus) ownership XML parses, and agrees field by field with an oracle."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

from consumers.parsing import ParseError, Reason, parse_document
from consumers.parsing.core.records import filing_records
from consumers.parsing.document import DocumentHints, accession_from_name
from tests.conftest import FIXTURES, corpus_dir
from tests.unit.oracle import PATHS, expected_filing, expected_lines

FIXTURE_XMLS = sorted((FIXTURES / "xml").glob("*.xml"))


def _check_against_oracle(path: Path) -> None:
    data = path.read_bytes()
    filing = parse_document(data, DocumentHints(accession_number=accession_from_name(path.name)))
    truth = expected_filing(data)
    assert filing.form_type == truth["form_type"]
    assert filing.issuer.cik == truth["issuer_cik"]
    assert filing.issuer.trading_symbol == truth["ticker"]
    assert [o.cik for o in filing.reporting_owners] == truth["owner_ciks"]
    assert [f.id for f in filing.footnotes] == truth["footnote_ids"]
    assert [s.name for s in filing.signatures] == truth["signatures"]
    lines = expected_lines(data)
    assert len(filing.lines) == len(lines)
    for ours, expected in zip(filing.lines, lines, strict=True):
        assert (ours.table, ours.line, ours.kind) == (
            expected["table"],
            expected["line"],
            expected["kind"],
        )
        for name in PATHS:
            value = getattr(ours, name)
            if isinstance(value, dt.date):
                value = value.isoformat()
            assert value == expected[name], (path.name, ours.line, name)
        for name, ids in expected["footnotes"].items():
            assert ours.footnote_ids.get(name) == ids, (path.name, ours.line, name)


@pytest.mark.parametrize("path", FIXTURE_XMLS, ids=lambda p: p.name)
def test_fixture_xml_matches_oracle(path: Path) -> None:
    _check_against_oracle(path)


def test_every_corpus_xml_matches_oracle() -> None:
    paths = sorted(corpus_dir("ownership-xml").glob("*.xml"))
    assert len(paths) >= 290
    for path in paths:
        _check_against_oracle(path)


def test_fixtures_cover_the_shapes_that_matter() -> None:
    filings = [parse_document(p.read_bytes()) for p in FIXTURE_XMLS]
    forms = {f.form_type for f in filings}
    assert {"3", "4", "5"} <= forms
    assert any(len(f.reporting_owners) > 1 for f in filings)
    kinds = {(line.table, line.kind) for f in filings for line in f.lines}
    assert kinds == {
        ("non_derivative", "transaction"),
        ("non_derivative", "holding"),
        ("derivative", "transaction"),
        ("derivative", "holding"),
    }


def test_10b5one_flag_and_price_footnotes() -> None:
    filing = parse_document((FIXTURES / "xml" / "form4-10b5one-dutchbros.xml").read_bytes())
    assert filing.aff10b5one is True
    first = filing.lines[0]
    assert first.transaction_code == "S"
    assert first.shares == Decimal("177098")
    assert first.price_per_share == Decimal("72.854")
    assert first.footnote_ids["transaction_code"] == ["F1"]
    assert first.footnote_ids["price_per_share"] == ["F2"]
    assert first.direct_indirect == "I"
    assert first.nature_of_ownership == "By DM Trust Aggregator, LLC"


def test_total_value_alternative_is_read() -> None:
    path = corpus_dir("ownership-xml") / "000106299322021877.xml"
    filing = parse_document(path.read_bytes())
    valued = [line for line in filing.lines if line.total_value is not None]
    assert valued and all(line.shares is None for line in valued)


def test_absent_values_are_null_not_zero() -> None:
    xml = (FIXTURES / "xml" / "000089924317024441.xml").read_bytes()
    filing = parse_document(xml)
    holding = filing.lines[0]
    assert holding.kind == "holding" and holding.table == "derivative"
    assert holding.conversion_or_exercise_price is None
    assert holding.footnote_ids["conversion_or_exercise_price"] == ["F1"]
    assert holding.transaction_code is None and holding.shares is None


def test_form3_without_securities_yields_one_visible_record() -> None:
    filing = parse_document((FIXTURES / "xml" / "form3.nosecurities.xml").read_bytes())
    assert filing.lines == []
    records = filing_records(filing, fallback_id="x")
    assert len(records) == 1
    assert records[0]["kind"] == "no_securities" and records[0]["table"] is None


def test_namespaced_document_without_declaration_parses() -> None:
    xml = (FIXTURES / "xml" / "form4-10b5one-dutchbros.xml").read_bytes()
    body = xml.split(b"?>", 1)[1].replace(
        b"<ownershipDocument>", b'<ownershipDocument xmlns="http://www.sec.gov/edgar/ownership">', 1
    )
    plain = parse_document(xml)
    namespaced = parse_document(body)
    assert namespaced.lines == plain.lines
    assert namespaced.issuer == plain.issuer


def test_a_line_missing_elements_is_kept_with_nulls() -> None:
    xml = (FIXTURES / "xml" / "form4-10b5one-dutchbros.xml").read_bytes()
    start = xml.index(b"<transactionAmounts>")
    end = xml.index(b"</transactionAmounts>") + len(b"</transactionAmounts>")
    stripped = xml[:start] + xml[end:]
    filing = parse_document(stripped)
    assert len(filing.lines) == len(parse_document(xml).lines)
    assert filing.lines[0].shares is None and filing.lines[0].acquired_disposed is None
    assert filing.lines[0].shares_owned_following == Decimal("4022003")


@pytest.mark.parametrize(
    ("old", "new", "reason", "field"),
    [
        (b"<value>177098</value>", b"<value>17x098</value>", Reason.INVALID_DECIMAL, "shares"),
        (
            b"<value>2025-02-25</value>",
            b"<value>2025-02-30</value>",
            Reason.INVALID_DATE,
            "transaction_date",
        ),
        (
            b"<transactionCode>S</transactionCode>",
            b"<transactionCode>Q</transactionCode>",
            Reason.INVALID_CODE,
            "transaction_code",
        ),
        (b"<value>D</value>", b"<value>X</value>", Reason.INVALID_CODE, "acquired_disposed"),
        (b"<value>I</value>", b"<value>Z</value>", Reason.INVALID_CODE, "direct_indirect"),
        (
            b"<documentType>4</documentType>",
            b"<documentType>8-K</documentType>",
            Reason.INVALID_FORM_TYPE,
            "form_type",
        ),
        (
            b"<value>72.854</value>",
            b"<value>1.00000000001</value>",
            Reason.DECIMAL_OUT_OF_RANGE,
            "price_per_share",
        ),
    ],
)
def test_validation_names_the_field(old: bytes, new: bytes, reason: Reason, field: str) -> None:
    xml = (FIXTURES / "xml" / "form4-10b5one-dutchbros.xml").read_bytes()
    assert old in xml
    with pytest.raises(ParseError) as caught:
        parse_document(xml.replace(old, new, 1))
    assert caught.value.reason == reason
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("000106299324008173.xml", "0001062993-24-008173"),
        ("0001062993-24-008173.xml", "0001062993-24-008173"),
        ("dir/0001062993-24-008173.pdf", "0001062993-24-008173"),
        ("form4.snow.xml", None),
        ("1234.xml", None),
    ],
)
def test_accession_from_file_name(name: str, expected: str | None) -> None:
    assert accession_from_name(name) == expected


def test_a_relationship_the_xml_leaves_out_is_false_as_on_the_printed_form() -> None:
    """Same answer from every format: an unchecked box is false, whether the XML says 0 or
    omits the flag."""
    text = (FIXTURES / "xml" / "form4-10b5one-dutchbros.xml").read_text()
    stripped = re.sub(r"\s*<is(Other|TenPercentOwner)>[^<]*</is\w+>", "", text)
    assert "<isOther>" not in stripped and "<isTenPercentOwner>" not in stripped
    owner = parse_document(stripped.encode()).reporting_owners[0]
    assert owner.is_other is False and owner.is_ten_percent_owner is False
    as_filed = parse_document(text.encode()).reporting_owners[0]
    assert as_filed.is_other is False and as_filed.is_ten_percent_owner is True


def test_schema_x0609_foreign_trading_symbol_and_non_us_address_are_carried() -> None:
    """X0609 (2026) adds issuerForeignTradingSymbol and rptOwnerNonUSAddressFlag; an older
    filing has neither: null, not false (the form never said)."""
    from consumers.avro_codec import decode_single_object, encode_single_object
    from consumers.schemas import TRANSACTION

    text = (FIXTURES / "xml" / "000120919113020995.xml").read_text()
    older = filing_records(parse_document(text.encode(), DocumentHints("0001209191-13-020995")))
    assert older[0]["issuer"]["foreign_trading_symbol"] is None
    assert older[0]["reporting_owners"][0]["non_us_address"] is None
    x0609 = (
        text.replace("X0306", "X0609")
        .replace(
            "<issuerTradingSymbol>YELP</issuerTradingSymbol>",
            "<issuerTradingSymbol>YELP</issuerTradingSymbol>"
            "<issuerForeignTradingSymbol>YLP.L</issuerForeignTradingSymbol>",
        )
        .replace(
            "<rptOwnerStateDescription></rptOwnerStateDescription>",
            "<rptOwnerStateDescription></rptOwnerStateDescription>"
            "<rptOwnerNonUSAddressFlag>1</rptOwnerNonUSAddressFlag>",
        )
    )
    (record, *_) = filing_records(
        parse_document(x0609.encode(), DocumentHints("0001209191-13-020995"))
    )
    assert record["schema_version"] == "X0609"
    assert record["issuer"]["foreign_trading_symbol"] == "YLP.L"
    assert record["reporting_owners"][0]["non_us_address"] is True
    decoded = decode_single_object(encode_single_object(TRANSACTION, record))[1]
    assert decoded["issuer"]["foreign_trading_symbol"] == "YLP.L"
    assert decoded["reporting_owners"][0]["non_us_address"] is True
