"""Typed values from form text: exact decimals, dates, flags. Each failure names its field."""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

from consumers.parsing.core.errors import ParseError, Reason

EDGAR_ZONE = ZoneInfo("America/New_York")  # EDGAR's clock and its filing days

# Avro decimal(38, 10) carries every value the SEC schema admits in practice; a value with
# more places would be rounded on the wire, so it is refused instead (exact or nothing).
DECIMAL_SCALE = 10
DECIMAL_PRECISION = 38

_DECIMAL_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)")
_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:Z|[+-]\d{2}:\d{2})?")
_TRUE = frozenset({"1", "true", "TRUE", "True", "Y", "y"})
_FALSE = frozenset({"0", "false", "FALSE", "False", "N", "n"})


def canonical_decimal(value: Decimal) -> Decimal:
    """Drop trailing fractional zeros ("3.150" -> 3.15, "100.00" -> 100) without exponents."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


_MAX_INTEGER_DIGITS = DECIMAL_PRECISION - DECIMAL_SCALE


def to_decimal(text: str | None, field: str) -> Decimal | None:
    """Exact decimal from form text; canonical (no trailing fractional zeros) and range-checked."""
    if text is None:
        return None
    value = _decimal_of(text)
    if isinstance(value, Decimal):
        return value
    if value is Reason.INVALID_DECIMAL:
        raise ParseError(value, f"{field}: {text!r} is not a decimal", field=field)
    raise ParseError(
        value,
        f"{field}: {text!r} needs more than decimal({DECIMAL_PRECISION},{DECIMAL_SCALE})",
        field=field,
    )


# Filings repeat their numbers (prices, holdings, "0"): parsing each distinct text once pays.
# Decimal and date are immutable, so sharing the cached objects is safe.
@functools.lru_cache(maxsize=65536)
def _decimal_of(text: str) -> Decimal | Reason:
    raw = text.replace(",", "") if "," in text else text
    if not _DECIMAL_RE.fullmatch(raw):
        return Reason.INVALID_DECIMAL
    integer, _, fraction = raw.lstrip("+-").partition(".")
    fraction = fraction.rstrip("0")
    if len(fraction) > DECIMAL_SCALE or len(integer.lstrip("0")) > _MAX_INTEGER_DIGITS:
        return Reason.DECIMAL_OUT_OF_RANGE
    sign = "-" if raw[0] == "-" else ""
    return Decimal(f"{sign}{integer or '0'}.{fraction}" if fraction else f"{sign}{integer or '0'}")


def to_date(text: str | None, field: str) -> dt.date | None:
    if text is None:
        return None
    value = _date_of(text)
    if value is None:
        raise ParseError(Reason.INVALID_DATE, f"{field}: {text!r} is not a date", field=field)
    return value


@functools.lru_cache(maxsize=16384)
def _date_of(text: str) -> dt.date | None:
    match = _DATE_RE.fullmatch(text)
    if match:
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None
    return None


def to_bool(text: str | None, field: str) -> bool | None:
    if text is None:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ParseError(Reason.INVALID_BOOLEAN, f"{field}: {text!r} is not 0/1", field=field)


def clean_text(text: str | None) -> str | None:
    """Strip; an empty or whitespace-only value is absent (None)."""
    if text is None:
        return None
    text = text.strip()
    return text or None
