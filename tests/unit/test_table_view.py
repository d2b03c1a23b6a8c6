"""`form4 tail --format table` / `form4 demo`: one aligned line per record, header once, and
what the record says about its own values (unread, unverified) kept visible."""

from __future__ import annotations

from decimal import Decimal

from consumers.kafka.tail import TableView
from consumers.parsing import parse_document
from consumers.parsing.core.records import filing_records
from tests.conftest import FIXTURES


def test_records_line_up_under_one_header_with_their_doubts_marked() -> None:
    records = filing_records(
        parse_document((FIXTURES / "xml" / "form4-10b5one-dutchbros.xml").read_bytes())
    )
    doubtful = dict(records[1])
    doubtful["price_per_share"] = Decimal("73.5652")
    doubtful["unverified_fields"] = ["price_per_share"]
    doubtful["unread_fields"] = ["shares_owned_following"]
    doubtful["shares_owned_following"] = None
    view = TableView()
    first, second = view.row(records[0]), view.row(doubtful)
    header, line = first.splitlines()
    assert header.split()[:3] == ["accession", "form", "ticker"]
    assert len(second.splitlines()) == 1  # the header is printed once
    assert header.index("shares") + len("shares") == line.index("177,098") + len("177,098")
    assert "12,902,297.69" in line  # value = shares x price, exact
    assert "73.5652?" in second and second.rstrip().endswith("unread")
    assert Decimal("177098") == records[0]["shares"]


def test_a_dead_letter_shows_its_reason_and_message() -> None:
    view = TableView()
    text = view.row(
        {"accession_number": None, "reason": "pdf_broken", "message": "unreadable\\n PDF"}
    )
    header, line = text.splitlines()
    assert header.split() == ["accession", "reason", "message"]
    assert line.split()[1] == "pdf_broken" and "unreadable" in line
