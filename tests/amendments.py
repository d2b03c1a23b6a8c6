"""Amendment chains built from a real filing: the original as EDGAR has it, and 4/As that
restate the whole form with a price changed or a line dropped, restate only Table II, follow
one another, come before their original, or cannot tell two originals apart. Each chain is
its own family (its own reporting owner), so many chains share one topic; each chain's
`expected` says, from the offline parser alone, which version's line stands under each key
of the current view."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from consumers.parsing.core.records import filing_records
from consumers.parsing.document import DocumentHints, parse_document
from tests.conftest import FIXTURES

# A real Form 4: 8 Table I transactions and 4 Table II lines (YELP, 2013).
BASE = FIXTURES / "xml" / "000120919113020995.xml"
ORIGINAL_DAY = dt.date(2013, 4, 9)

Edit = Callable[[etree._Element], None]


@dataclass
class Version:
    accession: str
    document: bytes
    filed_at: dt.datetime
    amends_day: dt.date | None = None
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def tags(self) -> dict[str, dict[str, Any]]:
        return {r["record_id"].split(":", 1)[1]: r for r in self.records}


@dataclass
class Chain:
    """One family's versions in the order they are published, and the expected view:
    key -> (accession of the version whose line stands there, amends, match)."""

    name: str
    versions: list[Version]
    expected: dict[str, tuple[str, str | None, str | None]]


def _document(owner_cik: str, amends_day: dt.date | None, edit: Edit | None) -> bytes:
    root = etree.fromstring(BASE.read_bytes())
    root.find("reportingOwner/reportingOwnerId/rptOwnerCik").text = owner_cik
    if amends_day is not None:
        root.find("documentType").text = "4/A"
        period = root.find("periodOfReport")
        box4 = etree.Element("dateOfOriginalSubmission")
        box4.text = amends_day.isoformat()
        period.addnext(box4)
    if edit is not None:
        edit(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def set_price(line: int, price: str) -> Edit:
    def edit(root: etree._Element) -> None:
        lines = root.findall("nonDerivativeTable/nonDerivativeTransaction")
        lines[line - 1].find("transactionAmounts/transactionPricePerShare/value").text = price

    return edit


def drop_line(line: int) -> Edit:
    def edit(root: etree._Element) -> None:
        table = root.find("nonDerivativeTable")
        table.remove(table.findall("nonDerivativeTransaction")[line - 1])

    return edit


def only_table_two(root: etree._Element) -> None:
    root.remove(root.find("nonDerivativeTable"))
    first = root.find("derivativeTable/*")
    first.find("transactionAmounts/transactionPricePerShare/value").text = "9.99"


def version(
    accession: str,
    owner_cik: str,
    day: dt.date,
    amends_day: dt.date | None = None,
    edit: Edit | None = None,
    hour: int = 16,
) -> Version:
    document = _document(owner_cik, amends_day, edit)
    filed_at = dt.datetime.combine(day, dt.time(hour, 5), dt.UTC)  # 12:05 in New York
    filing = parse_document(document, DocumentHints(accession_number=accession, filed_at=filed_at))
    return Version(accession, document, filed_at, amends_day, filing_records(filing))


def _stands(
    versions: list[Version], root: str, tables: dict[str, Version], match: str | None = None
) -> dict[str, tuple[str, str | None, str | None]]:
    """The expected lines of `root`: for each table tag, the version whose lines stand."""
    expected = {}
    for table, source in tables.items():
        for tag in source.tags:
            if tag.startswith(table + ":"):
                amended = source.amends_day is not None
                expected[f"{root}:{tag}"] = (
                    source.accession,
                    root if amended and match == "exact" else None,
                    match if amended else None,
                )
    return expected


def chains(count: int = 1, start: int = 0) -> list[Chain]:
    """`count` rounds of the six chains, each chain with its own reporting owner."""
    built = []
    later = ORIGINAL_DAY + dt.timedelta(days=10)
    latest = ORIGINAL_DAY + dt.timedelta(days=20)
    for round_ in range(start, start + count):
        n = round_ * 100

        def acc(i: int, n: int = n) -> str:
            return f"0009999999-26-{n + i:06d}"

        def owner(i: int, n: int = n) -> str:
            return f"{9_000_000 + n + i:010d}"

        o = version(acc(1), owner(1), ORIGINAL_DAY)
        a = version(acc(2), owner(1), later, ORIGINAL_DAY, set_price(2, "12.34"))
        built.append(
            Chain("price", [o, a], _stands([o, a], o.accession, {"T1": a, "T2": a}, "exact"))
        )

        o = version(acc(3), owner(3), ORIGINAL_DAY)
        a = version(acc(4), owner(3), later, ORIGINAL_DAY, drop_line(2))
        built.append(
            Chain("drop", [o, a], _stands([o, a], o.accession, {"T1": a, "T2": a}, "exact"))
        )

        o = version(acc(5), owner(5), ORIGINAL_DAY)
        a = version(acc(6), owner(5), later, ORIGINAL_DAY, only_table_two)
        built.append(
            Chain("table-two", [o, a], _stands([o, a], o.accession, {"T1": o, "T2": a}, "exact"))
        )

        o = version(acc(7), owner(7), ORIGINAL_DAY)
        a1 = version(acc(8), owner(7), later, ORIGINAL_DAY, set_price(2, "11.00"))
        a2 = version(acc(9), owner(7), latest, ORIGINAL_DAY, set_price(2, "22.00"))
        built.append(
            Chain(
                "two-in-a-row",
                [o, a1, a2],
                _stands([o, a1, a2], o.accession, {"T1": a2, "T2": a2}, "exact"),
            )
        )

        o = version(acc(10), owner(10), ORIGINAL_DAY)
        a = version(acc(11), owner(10), later, ORIGINAL_DAY, drop_line(8))
        built.append(
            Chain(
                "amendment-first",
                [a, o],
                _stands([o, a], o.accession, {"T1": a, "T2": a}, "exact"),
            )
        )

        o1 = version(acc(12), owner(12), ORIGINAL_DAY, hour=15)
        o2 = version(acc(13), owner(12), ORIGINAL_DAY, hour=17)
        a = version(acc(14), owner(12), later, ORIGINAL_DAY, set_price(1, "1.00"))
        expected = {
            **_stands([o1], o1.accession, {"T1": o1, "T2": o1}),
            **_stands([o2], o2.accession, {"T1": o2, "T2": o2}),
            **_stands([a], a.accession, {"T1": a, "T2": a}, "ambiguous"),
        }
        built.append(Chain("ambiguous", [o1, o2, a], expected))
    return built
