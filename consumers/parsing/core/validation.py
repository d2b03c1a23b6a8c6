"""Semantic checks after parsing: codes from the SEC's lists, so garbage never becomes a record."""

from __future__ import annotations

from consumers.parsing.core.errors import ParseError, Reason
from consumers.parsing.core.model import Filing

# SEC Form 4 General Instructions 8: the transaction codes.
TRANSACTION_CODES = frozenset("PSVAD FIMCEHOXGLWZJKU".replace(" ", ""))
FORM_TYPES = frozenset({"3", "3/A", "4", "4/A", "5", "5/A"})
_ENUMS = {
    "acquired_disposed": frozenset({"A", "D"}),
    "direct_indirect": frozenset({"D", "I"}),
    "transaction_timeliness": frozenset({"E", "L"}),
}


def validate_filing(filing: Filing) -> None:
    """Raise ParseError naming the first field that breaks the contract."""
    if filing.form_type not in FORM_TYPES:
        raise ParseError(
            Reason.INVALID_FORM_TYPE,
            f"form type {filing.form_type!r} is not a Form 3, 4 or 5",
            field="form_type",
        )
    for line in filing.lines:
        where = f"{line.table} line {line.line}"
        code = line.transaction_code
        if code is not None and code not in TRANSACTION_CODES:
            raise ParseError(
                Reason.INVALID_CODE,
                f"{where}: transaction code {code!r} is not in the SEC list",
                field="transaction_code",
            )
        for name, allowed in _ENUMS.items():
            value = getattr(line, name)
            if value is not None and value not in allowed:
                raise ParseError(
                    Reason.INVALID_CODE,
                    f"{where}: {name} {value!r} is not one of {sorted(allowed)}",
                    field=name,
                )
