"""Confirming held-back scan values with what the form itself says, beyond the reads.

A letter two re-reads of the cell agree on, but the scan's text layer does not, is held back
(two-way agreement on codes was measured wrong too often: S/G, G/E); so is a noisy page's
amount (shares, owned after) that the layer does not confirm. It is used only when the filing
confirms it independently:
- arithmetic: owned-after of a line = owned-after of the line above it of the same holding
  (title, direct or indirect, nature: what was not read tells nothing), or simply the line above
  it in its table, plus (A) or minus (D) its amount; numbers read apart that add up fix the
  direction and confirm the amounts;
- the direction a code implies (S, F sell: D; P buys: A); a code confirmed elsewhere in the same
  table. (Direct/indirect is checked against the nature column's ink as the row is read.)
- a noisy page's date that the layer does not confirm ("oa/2e/2022"), when another line's same
  date column has that date confirmed, or it is the transaction date and the period of report
  (box 3, confirmed by the layer) says it: the lines of one filing mostly share their dates
  (confirm_held_dates, once the boxes are checked).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any

from consumers.parsing.core.errors import ParseError
from consumers.parsing.core.model import (
    ACQUIRED_DISPOSED,
    DATE_LINE_FIELDS,
    Filing,
    TableLine,
    TableName,
)
from consumers.parsing.core.printed import parse_printed_date, parse_printed_number
from consumers.parsing.core.validation import owned_after_follows

_DISPOSES = frozenset("SFD")  # codes that can only dispose ("D" is a disposition to the issuer)
_ACQUIRES = frozenset("PA")


# Amounts a noisy page's layer did not confirm, held for the arithmetic to (see module doc).
HELD_AMOUNTS = frozenset({"shares", "shares_owned_following"})
# Dates a noisy page's layer did not confirm, held for another line's or box 3's to confirm.
HELD_DATES = DATE_LINE_FIELDS


class _Held:
    """A line's held values (field -> letter, amount as a number, or date), set once
    confirmed."""

    def __init__(self, line: TableLine, held: dict[str, str]) -> None:
        self.line = line
        self.values: dict[str, Any] = {}
        self.update(held)

    def update(self, held: dict[str, str]) -> None:
        for field, text in held.items():
            parse = _HELD_PARSERS.get(field)
            if parse is None:
                self.values[field] = text
                continue
            try:
                self.values[field] = parse(text, field)
            except ParseError:
                continue

    def get(self, field: str) -> Any:
        value = getattr(self.line, field)
        return value if value is not None else self.values.get(field)

    def confirm(self, fields: Iterable[str]) -> None:
        for field in fields:
            if getattr(self.line, field) is None and field in self.values:
                setattr(self.line, field, self.values[field])


_HELD_PARSERS: dict[str, Callable[[str, str], Any]] = {
    **dict.fromkeys(HELD_AMOUNTS, parse_printed_number),
    **dict.fromkeys(HELD_DATES, parse_printed_date),
}


def confirm_held(filing: Filing, held: list[tuple[TableLine, dict[str, str]]]) -> None:
    """Set each held value the filing's arithmetic or codes confirm; leave the rest null.
    What is set is no longer unread."""
    by_line = _by_line(held)
    _confirm_chains(filing, by_line)
    _confirm_letters(filing, by_line.values())
    _clear_confirmed(held)


def _clear_confirmed(held: list[tuple[TableLine, dict[str, str]]]) -> None:
    """A held field that has its value now was confirmed: it is no longer unread."""
    for line, fields in held:
        for field in fields:
            if getattr(line, field) is not None:
                line.clear_unread(field)


def _by_line(held: list[tuple[TableLine, dict[str, str]]]) -> dict[int, _Held]:
    by_line: dict[int, _Held] = {}
    for line, texts in held:
        if id(line) in by_line:
            by_line[id(line)].update(texts)
        else:
            by_line[id(line)] = _Held(line, texts)
    return by_line


def _holding(entry: _Held) -> tuple[Any, ...]:
    """What tells a line's holding apart: its title, direct or indirect, and nature, each None
    when it was not read."""
    line = entry.line
    nature = " ".join((line.nature_of_ownership or "").split()).lower()
    return (
        (line.security_title or "").lower() or None,
        entry.get("direct_indirect"),
        nature or None,
    )


def _may_be_one_holding(entry: _Held, other: _Held) -> bool:
    """Same table, and nothing read that tells them apart (what was not read tells nothing)."""
    return entry.line.table == other.line.table and all(
        a is None or b is None or a == b
        for a, b in zip(_holding(entry), _holding(other), strict=True)
    )


def _nearest_above(
    entries: list[_Held], linked: Callable[[_Held, _Held], bool]
) -> Iterator[tuple[_Held, _Held]]:
    """Each line and the nearest line above it that `linked` allows."""
    for index, entry in enumerate(entries):
        before = next((e for e in reversed(entries[:index]) if linked(entry, e)), None)
        if before is not None:
            yield before, entry


def _same_holding(entries: list[_Held]) -> Iterator[tuple[_Held, _Held]]:
    """Each line and the nearest line above it that may be of its holding: a line between them
    whose ownership was not read may be of it, so the line above it is not linked past it."""
    return _nearest_above(entries, _may_be_one_holding)


def _above_in_table(entries: list[_Held]) -> Iterator[tuple[_Held, _Held]]:
    """Each line and the line above it in its table, whatever their holdings read as."""
    return _nearest_above(entries, lambda entry, other: entry.line.table == other.line.table)


def _links(pairs: Iterable[tuple[_Held, _Held]]) -> Iterator[tuple[_Held, _Held, bool]]:
    """Each linked pair of lines where the amount, both owned-after values and the direction
    are all known; and whether the form's arithmetic holds between them."""
    for before, entry in pairs:
        owned_before = before.get("shares_owned_following")
        owned = entry.get("shares_owned_following")
        shares, direction = entry.get("shares"), entry.get("acquired_disposed")
        if None in (owned_before, owned, shares) or direction not in ACQUIRED_DISPOSED:
            continue
        yield before, entry, owned_after_follows(owned_before, shares, direction, owned)


def withhold_broken_chains(filing: Filing) -> None:
    """On a noisy scan three reads were measured agreeing on a misread digit: where the form's
    arithmetic fails between two lines of one holding, the amount and the two owned-after
    values it ties are withheld (null, unread), since the reads cannot say which is wrong.
    (Filers break the chain too, 11% of such pairs in the corpus XML: those values are
    withheld needlessly, never wrongly.)"""
    links = list(_links(_same_holding([_Held(line, {}) for line in filing.lines])))
    for before, entry, holds in links:
        if not holds:
            before.line.mark_unread("shares_owned_following")
            entry.line.mark_unread("shares")
            entry.line.mark_unread("shares_owned_following")


# A price that is among the filing's other prices of its table once a thousand times smaller
# had its decimal point read as a comma.
_POINT_AS_COMMA = Decimal(1000)
_AMONG = (Decimal("0.5"), Decimal(2))  # "among them": within this factor of their median
_PRICES_TO_COMPARE = 2  # fewer others than this say nothing about where the prices lie


def withhold_points_read_as_commas(filing: Filing) -> None:
    """A price whose decimal point two re-reads took for a thousands comma ("$1,077,188" for
    "$1,077.188", which a JPEG scan's blocks make look alike) is a thousand times the prices
    around it: the lines of a filing that reports many sales at weighted average prices lie
    close together, and a price a thousand times theirs that is otherwise among them is no
    coincidence. Such a price is withheld (null, unread), not mended."""
    by_table: dict[TableName | None, list[tuple[TableLine, Decimal]]] = {}
    for line in filing.lines:
        price = line.price_per_share
        if price is not None and price > 0:
            by_table.setdefault(line.table, []).append((line, price))
    low, high = _AMONG
    for priced in by_table.values():
        for index, (line, price) in enumerate(priced):
            others = sorted(p for i, (_, p) in enumerate(priced) if i != index)
            if len(others) < _PRICES_TO_COMPARE:
                continue
            median = others[len(others) // 2]
            if median * low <= price / _POINT_AS_COMMA <= median * high:
                line.mark_unread("price_per_share")


def _confirm_chains(filing: Filing, by_line: dict[int, _Held]) -> None:
    """Values the arithmetic confirms between two lines of a holding, or between a line and the
    one above it in its table, whatever their titles and natures read as (a noisy page leaves
    them unread): misread digits that add up exactly are no coincidence, but for a zero amount,
    which leaves any misread owned-after value "adding up"."""
    entries = [by_line.get(id(line)) or _Held(line, {}) for line in filing.lines]
    for pairs in (_same_holding(entries), _above_in_table(entries)):
        for before, entry, holds in _links(pairs):
            if holds and entry.get("shares"):
                before.confirm(["shares_owned_following"])
                entry.confirm(["shares_owned_following", "shares", "acquired_disposed"])


def confirm_held_dates(filing: Filing, held: list[tuple[TableLine, dict[str, str]]]) -> None:
    """A held date that another line has, confirmed, in the same column, or a transaction date
    the period of report says (call it once the boxes are checked against the layer): two
    re-reads agreed on it, and a misread would have to land on a date the filing prints
    elsewhere. What is set is no longer unread."""
    confirmed = {
        (field, getattr(line, field))
        for line in filing.lines
        for field in HELD_DATES
        if getattr(line, field) is not None
    }
    if filing.period_of_report is not None:
        confirmed.add(("transaction_date", filing.period_of_report))
    for entry in _by_line(held).values():
        fields = [
            field
            for field in HELD_DATES
            if field in entry.values and (field, entry.values[field]) in confirmed
        ]
        entry.confirm(fields)
    _clear_confirmed(held)


def _confirm_letters(filing: Filing, entries: Iterable[_Held]) -> None:
    codes = {(line.table, line.transaction_code) for line in filing.lines if line.transaction_code}
    for entry in entries:
        line = entry.line
        code = entry.values.get("transaction_code")
        if code is not None and (line.table, code) in codes:
            entry.confirm(["transaction_code"])
        code = line.transaction_code
        direction = entry.values.get("acquired_disposed")
        if code is not None and (
            (direction == "D" and code in _DISPOSES) or (direction == "A" and code in _ACQUIRES)
        ):
            entry.confirm(["acquired_disposed"])
