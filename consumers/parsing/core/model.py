"""The record model: one Filing with its table lines; the contract's field names live here once.

Field names follow ../shared/DESIGN.md "The record contract". A value the form leaves
empty is None, never zero; money and share counts are Decimal.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, fields
from decimal import Decimal
from enum import StrEnum
from typing import Literal

# The record's `table`: Table I (non-derivative securities) or Table II (derivative ones).
TableName = Literal["non_derivative", "derivative"]
# The record's `kind`: a line that reports a transaction, one that reports a holding only, or
# the one record of a filing with no line at all (a Form 3 "no securities owned"; table null).
LineKind = Literal["transaction", "holding", "no_securities"]


class SourceFormat(StrEnum):
    """The record's `source_format`: which reader a document went to (sniffed)."""

    XML = "xml"
    SUBMISSION = "submission"
    PDF = "pdf"
    TEXT = "text"
    HTML = "html"
    UNKNOWN = "unknown"


@dataclass(slots=True)
class Issuer:
    cik: str | None = None
    name: str | None = None
    trading_symbol: str | None = None
    foreign_trading_symbol: str | None = None  # X0609 on


@dataclass(slots=True)
class ReportingOwner:
    cik: str | None = None
    name: str | None = None
    street1: str | None = None
    street2: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    is_director: bool | None = None
    is_officer: bool | None = None
    is_ten_percent_owner: bool | None = None
    is_other: bool | None = None
    officer_title: str | None = None
    other_text: str | None = None
    non_us_address: bool | None = None  # X0609 on; null when the form has no such flag


# The text the form asks for below a checked relationship: an officer's title, the "other".
RELATIONSHIP_TEXT = {"is_officer": "officer_title", "is_other": "other_text"}


@dataclass(slots=True)
class Footnote:
    id: str
    text: str | None


@dataclass(slots=True)
class Signature:
    name: str | None
    date: dt.date | None


@dataclass(slots=True)
class TableLine:
    """One row of Table I (non_derivative) or Table II (derivative), transaction or holding."""

    table: TableName | None  # None only on a filing's no_securities record
    kind: LineKind
    line: int
    security_title: str | None = None
    transaction_date: dt.date | None = None
    deemed_execution_date: dt.date | None = None
    transaction_form_type: str | None = None
    transaction_code: str | None = None
    equity_swap_involved: bool | None = None
    transaction_timeliness: str | None = None
    shares: Decimal | None = None
    total_value: Decimal | None = None
    price_per_share: Decimal | None = None
    acquired_disposed: str | None = None
    shares_owned_following: Decimal | None = None
    value_owned_following: Decimal | None = None
    direct_indirect: str | None = None
    nature_of_ownership: str | None = None
    conversion_or_exercise_price: Decimal | None = None
    exercise_date: dt.date | None = None
    expiration_date: dt.date | None = None
    underlying_security_title: str | None = None
    underlying_shares: Decimal | None = None
    underlying_value: Decimal | None = None
    footnote_ids: dict[str, list[str]] = field(default_factory=dict)
    # Provenance (see Provenance below): this line's own fields; records.py adds the filing's
    # and writes them sorted. Readers change them only through the methods below.
    unread_fields: set[str] = field(default_factory=set)
    unverified_fields: set[str] = field(default_factory=set)
    resolved_fields: set[str] = field(default_factory=set)

    def mark_unread(self, name: str) -> None:
        """A value the form prints here that could not be read or placed: the field is null."""
        setattr(self, name, None)
        self.unread_fields.add(name)

    def note_unread(self, name: str) -> None:
        """Printed but not read, where the value is already null or `name` is a path of its
        own (a field's footnote marks: footnote_ids_path)."""
        self.unread_fields.add(name)

    def note_unverified(self, name: str) -> None:
        """Read by OCR once, with nothing independent confirming it."""
        self.unverified_fields.add(name)

    def withhold(self, name: str) -> None:
        """A value read but refused after all (it looks misread): null and unread, no longer
        a doubtful value."""
        self.unverified_fields.discard(name)
        self.mark_unread(name)

    def clear_unread(self, name: str) -> None:
        """A value held back as unread that the form's own checks confirmed after all."""
        self.unread_fields.discard(name)


def provenance_field(path: str) -> str:
    """A provenance path without its index, as a metric label: "reporting_owners[2].name" ->
    "reporting_owners.name", "footnotes[F3].text" -> "footnotes.text"."""
    return _PATH_INDEX.sub("", path)


_PATH_INDEX = re.compile(r"\[[^\]]*\]")


def footnote_ids_path(field_name: str) -> str:
    """The provenance name of a line field's footnote marks: "footnote_ids.price_per_share"."""
    return f"footnote_ids.{field_name}"


@dataclass(slots=True)
class Provenance:
    """Why a value is what it is, when not simply read from the document.

    unread: printed on the form, but unreadable or not placeable with confidence (so null);
    unverified: read by OCR with no independent confirmation (a second read, the form's own
    arithmetic, or the text layer); resolved: looked up (issuer CIK from EDGAR's ticker file),
    not read. Paths name filing-context fields: "issuer.cik", "reporting_owners[0].name",
    "footnotes[F2].text", "remarks", "signatures[0].date".
    """

    unread: set[str] = field(default_factory=set)
    unverified: set[str] = field(default_factory=set)
    resolved: set[str] = field(default_factory=set)


@dataclass(slots=True)
class Filing:
    """A whole ownership filing: context shared by every record, plus its table lines."""

    source_format: str
    accession_number: str | None = None
    form_type: str | None = None
    schema_version: str | None = None
    period_of_report: dt.date | None = None
    date_of_original_submission: dt.date | None = None
    not_subject_to_section16: bool | None = None
    no_securities_owned: bool | None = None
    aff10b5one: bool | None = None
    filed_at: dt.datetime | None = None
    filing_date: dt.date | None = None
    issuer: Issuer = field(default_factory=Issuer)
    reporting_owners: list[ReportingOwner] = field(default_factory=list)
    footnotes: list[Footnote] = field(default_factory=list)
    remarks: str | None = None
    signatures: list[Signature] = field(default_factory=list)
    lines: list[TableLine] = field(default_factory=list)
    provenance: Provenance = field(default_factory=Provenance)

    @property
    def is_amendment(self) -> bool:
        return bool(self.form_type and self.form_type.endswith("/A"))


# The filing context every record of a filing repeats, in the contract's order (the Avro
# schema's fields between record_id and the line's fields; a test holds the two equal).
# Besides Filing's own fields: is_amendment (from the form type) and parser_version.
FILING_CONTEXT_FIELDS: tuple[str, ...] = (
    "accession_number",
    "form_type",
    "is_amendment",
    "schema_version",
    "source_format",
    "parser_version",
    "period_of_report",
    "date_of_original_submission",
    "not_subject_to_section16",
    "no_securities_owned",
    "aff10b5one",
    "filed_at",
    "filing_date",
    "issuer",
    "reporting_owners",
    "footnotes",
    "remarks",
    "signatures",
)
LINE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(TableLine))
OWNER_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ReportingOwner))
ISSUER_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Issuer))
# The record's place among the records of its filing and of the filing's versions (the schema's
# last fields): how many records the filing yielded, and on the current view the original an
# amendment's line restates and how it was linked. `form4 run` sets only the count.
STREAM_FIELDS: tuple[str, ...] = ("filing_line_count", "amends_accession", "amendment_match")
# The record's provenance lists (the line's last fields): a line's own marks plus the filing's.
PROVENANCE_FIELDS: tuple[str, ...] = ("unread_fields", "unverified_fields", "resolved_fields")
# A line's printed values: what a column of the form holds.
LINE_VALUE_FIELDS: tuple[str, ...] = tuple(
    f for f in LINE_FIELDS if f not in ("table", "kind", "line", "footnote_ids", *PROVENANCE_FIELDS)
)
DECIMAL_LINE_FIELDS: frozenset[str] = frozenset(
    f.name for f in fields(TableLine) if "Decimal" in str(f.type)
)
DATE_LINE_FIELDS: frozenset[str] = frozenset(
    f.name for f in fields(TableLine) if "dt.date" in str(f.type)
)

# The closed value sets of the contract.
OWNERSHIP_FORM_TYPES = frozenset({"3", "3/A", "4", "4/A", "5", "5/A"})
# SEC Form 4 General Instructions 8: the transaction codes.
TRANSACTION_CODES = frozenset("PSVAD FIMCEHOXGLWZJKU".replace(" ", ""))
ACQUIRED_DISPOSED = frozenset("AD")
DIRECT_INDIRECT = frozenset("DI")
TRANSACTION_TIMELINESS = frozenset("EL")
LETTER_FIELDS: dict[str, frozenset[str]] = {
    "transaction_code": TRANSACTION_CODES,
    "acquired_disposed": ACQUIRED_DISPOSED,
    "direct_indirect": DIRECT_INDIRECT,
    "transaction_timeliness": TRANSACTION_TIMELINESS,
}
