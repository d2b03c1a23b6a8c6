"""Semantic checks after parsing: codes from the SEC's lists, so garbage never becomes a record."""

from __future__ import annotations

from decimal import Decimal

from consumers.parsing.core.errors import ParseError, Reason
from consumers.parsing.core.model import LETTER_FIELDS, OWNERSHIP_FORM_TYPES, Filing, SourceFormat


def owned_after_follows(
    owned_before: Decimal, shares: Decimal, direction: str | None, owned_after: Decimal
) -> bool:
    """The form's own arithmetic: a line's owned-after is the previous line's (same security
    and ownership) plus its amount when acquired (A), minus it otherwise."""
    change = shares if direction == "A" else -shares
    return owned_before + change == owned_after


# The formats whose values are the filer's own data (a bad code there is the filing's fault);
# in a rendering it is a misread cell.
FILED_FORMATS = frozenset({SourceFormat.XML, SourceFormat.SUBMISSION})


def validate_filing(filing: Filing) -> None:
    """Raise ParseError naming the first field that breaks the contract; in a rendering, a
    letter outside the SEC's lists is a misread cell: null and marked unread instead."""
    if filing.form_type not in OWNERSHIP_FORM_TYPES:
        raise ParseError(
            Reason.INVALID_FORM_TYPE,
            f"form type {filing.form_type!r} is not a Form 3, 4 or 5",
            field="form_type",
        )
    as_filed = filing.source_format in FILED_FORMATS
    for line in filing.lines:
        where = f"{line.table} line {line.line}"
        for name, allowed in LETTER_FIELDS.items():
            value = getattr(line, name)
            if value is not None and value not in allowed:
                if not as_filed:
                    # A rendering's cell read as no code: that value is unread, not the filing.
                    line.mark_unread(name)
                    continue
                raise ParseError(
                    Reason.INVALID_CODE,
                    f"{where}: {name} {value!r} is not one of {''.join(sorted(allowed))}",
                    field=name,
                )
