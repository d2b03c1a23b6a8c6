from __future__ import annotations

import pytest

from consumers.parsing.core.model import SourceFormat
from consumers.parsing.sniff import sniff
from tests.conftest import FIXTURES


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'<?xml version="1.0"?>\n<ownershipDocument>', SourceFormat.XML),
        (b"\xef\xbb\xbf<ownershipDocument>", SourceFormat.XML),
        (b'<o:ownershipDocument xmlns:o="x">', SourceFormat.XML),
        (b"<SEC-DOCUMENT>0000842517-24-000086.txt", SourceFormat.SUBMISSION),
        (b"<SUBMISSION>\n<ACCESSION-NUMBER>", SourceFormat.SUBMISSION),
        (b"%PDF-1.7\n", SourceFormat.PDF),
        (b"<!DOCTYPE html><html>", SourceFormat.HTML),
        (b"UNITED STATES SECURITIES AND EXCHANGE COMMISSION\nFORM 4\n", SourceFormat.TEXT),
        (b"GIF89a", SourceFormat.UNKNOWN),
        (b"hello world", SourceFormat.UNKNOWN),
    ],
)
def test_sniff(data: bytes, expected: SourceFormat) -> None:
    assert sniff(data) == expected


def test_seed_is_text() -> None:
    seed = next((FIXTURES / "seed").glob("*.txt"))
    assert sniff(seed.read_bytes()) == SourceFormat.TEXT
