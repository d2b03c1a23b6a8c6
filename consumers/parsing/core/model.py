"""The record model: one Filing with its table lines; the contract's field names live here once.

Field names follow ../shared/DESIGN.md "The record contract". A value the form leaves
empty is None, never zero; money and share counts are Decimal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from decimal import Decimal


@dataclass(slots=True)
class Issuer:
    cik: str | None = None
    name: str | None = None
    trading_symbol: str | None = None


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

    table: str
    kind: str
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

    @property
    def is_amendment(self) -> bool:
        return bool(self.form_type and self.form_type.endswith("/A"))


LINE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(TableLine))
OWNER_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ReportingOwner))
ISSUER_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Issuer))
DECIMAL_LINE_FIELDS: frozenset[str] = frozenset(
    f.name for f in fields(TableLine) if "Decimal" in str(f.type)
)
DATE_LINE_FIELDS: frozenset[str] = frozenset(
    f.name for f in fields(TableLine) if "dt.date" in str(f.type)
)
