"""Semantic checks after parsing: codes from the SEC's lists, so garbage never becomes a record."""

from __future__ import annotations

from decimal import Decimal

from consumers.parsing.core.errors import ParseError, Reason
from consumers.parsing.core.model import LETTER_FIELDS, OWNERSHIP_FORM_TYPES, Filing


def owned_after_follows(
    owned_before: Decimal, shares: Decimal, direction: str | None, owned_after: Decimal
) -> bool:
    """The form's own arithmetic: a line's owned-after is the previous line's (same security
    and ownership) plus its amount when acquired (A), minus it otherwise."""
    change = shares if direction == "A" else -shares
    return owned_before + change == owned_after


def validate_filing(filing: Filing) -> None:
    """Raise ParseError naming the first field that breaks the contract."""
    if filing.form_type not in OWNERSHIP_FORM_TYPES:
        raise ParseError(
            Reason.INVALID_FORM_TYPE,
            f"form type {filing.form_type!r} is not a Form 3, 4 or 5",
            field="form_type",
        )
    for line in filing.lines:
        where = f"{line.table} line {line.line}"
        for name, allowed in LETTER_FIELDS.items():
            value = getattr(line, name)
            if value is not None and value not in allowed:
                raise ParseError(
                    Reason.INVALID_CODE,
                    f"{where}: {name} {value!r} is not one of {''.join(sorted(allowed))}",
                    field=name,
                )
