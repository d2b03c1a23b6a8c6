from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from consumers.parsing import ParseError
from consumers.parsing.core.values import to_bool, to_date, to_decimal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.150", "3.15"),
        ("100.00", "100"),
        ("0", "0"),
        ("1,123", "1123"),
        (".5", "0.5"),
        ("-2.25", "-2.25"),
        ("0.0000000001", "1E-10"),
    ],
)
def test_decimals_are_exact_and_canonical(text: str, expected: str) -> None:
    assert to_decimal(text, "shares") == Decimal(expected)
    assert str(to_decimal(text, "shares")) == str(Decimal(expected))


@pytest.mark.parametrize("text", ["1e5", "NaN", "inf", "12.3.4", "$5", ""])
def test_non_decimals_are_refused(text: str) -> None:
    with pytest.raises(ParseError):
        to_decimal(text, "shares")


def test_none_stays_none() -> None:
    assert (
        to_decimal(None, "x") is None and to_date(None, "x") is None and to_bool(None, "x") is None
    )


def test_dates_with_timezone_suffix() -> None:
    assert to_date("2011-02-15-05:00", "d") == dt.date(2011, 2, 15)
    with pytest.raises(ParseError):
        to_date("2011-13-01", "d")


def test_booleans() -> None:
    assert to_bool("1", "f") is True and to_bool("false", "f") is False
    with pytest.raises(ParseError):
        to_bool("maybe", "f")
