"""Hostile and junk inputs end as a named failure, quickly, never as an exception or a hang."""

from __future__ import annotations

import time

import pytest

from consumers.limits import Limits
from consumers.parsing import ParseError, Reason, parse_document
from tests.conftest import FIXTURES

HOSTILE = FIXTURES / "hostile"

XML_CASES = {
    "billion-laughs.xml": Reason.FORBIDDEN_XML_CONSTRUCT,
    "quadratic-blowup.xml": Reason.FORBIDDEN_XML_CONSTRUCT,
    "external-entity.xml": Reason.FORBIDDEN_XML_CONSTRUCT,
    "empty.xml": Reason.EMPTY_DOCUMENT,
    "not-xml.xml": Reason.UNRECOGNIZED_FORMAT,
}


@pytest.mark.parametrize(("name", "reason"), XML_CASES.items())
def test_hostile_xml_fails_fast_with_reason(name: str, reason: Reason) -> None:
    started = time.process_time()
    with pytest.raises(ParseError) as caught:
        parse_document((HOSTILE / name).read_bytes())
    assert caught.value.reason == reason
    assert time.process_time() - started < 5  # generous: refusal is milliseconds


def test_external_entity_is_never_read() -> None:
    with pytest.raises(ParseError) as caught:
        parse_document((HOSTILE / "external-entity.xml").read_bytes())
    assert "root:" not in caught.value.message


def test_size_limit_applies_before_parsing() -> None:
    data = (FIXTURES / "xml" / "form4-10b5one-dutchbros.xml").read_bytes()
    with pytest.raises(ParseError) as caught:
        parse_document(data, limits=Limits(max_bytes=1000))
    assert caught.value.reason == Reason.DOCUMENT_TOO_LARGE


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + b"\0" * 100,
        b"\x00\x01\x02" * 50,
        b"   \n  ",
        b"<html><body>hi</body></html>",
        b"<?xml version='1.0'?><informationTable/>",
        b"<ownershipDocument><issuer>",
    ],
)
def test_junk_is_a_clean_failure(data: bytes) -> None:
    with pytest.raises(ParseError) as caught:
        parse_document(data)
    assert caught.value.reason != Reason.INTERNAL_ERROR
