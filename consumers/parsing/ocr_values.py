"""Deciding what an OCR'd cell says, from independent reads of it, or leaving it unread.

Each value cell of a scanned form is read three ways: the PDF's own OCR text layer, a
re-read of the cell's crop, and a re-read of the crop split at its raised footnote mark with
a character whitelist. A value is taken only when the reads agree; otherwise the field stays
null (sent for review), because a wrong number is worse than none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from consumers.parsing.validation import TRANSACTION_CODES

_AMOUNT = re.compile(r"^\$?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_DATE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")
_MARK_DIGITS = re.compile(r"\d{1,2}")
_CLEAN_MARK = re.compile(r"^\(\d{1,2}\)$")
_NOISE = str.maketrans({"[": "", "]": "", "|": "", "{": "", "}": "", "‘": "", "’": "", "“": ""})


@dataclass(frozen=True)
class CellReads:
    """The reads of one cell; `value`/`mark` come from the split crop (may be empty)."""

    layer: str  # the PDF text layer inside the cell
    whole: str  # the crop re-read, no whitelist
    value: str  # the crop left of the raised mark, whitelisted
    mark: str  # the raised mark alone, whitelisted


def digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _clean(text: str) -> str:
    return "".join(text.translate(_NOISE).split())


def _mark_ids(reads: CellReads, value_digits: str) -> list[str] | None:
    """Footnote ids of the raised mark, when the split read and a whole read agree."""
    split = _MARK_DIGITS.findall(reads.mark)
    if len(split) != 1:
        return None
    if _CLEAN_MARK.match(_clean(reads.mark)):
        return [f"F{int(split[0])}"]  # both parens read: the raised glyphs were "(n)"
    for other in (reads.whole, reads.layer):
        rest = digits(other)
        if rest.startswith(value_digits) and rest[len(value_digits) :] == split[0]:
            return [f"F{int(split[0])}"]
    return None


def clean_mark(mark: str) -> list[str]:
    """Footnote ids of a mark read on its own, only when it read as "(n)"."""
    cleaned = _clean(mark)
    return [f"F{int(cleaned[1:-1])}"] if _CLEAN_MARK.match(cleaned) else []


def agreed_amount(reads: CellReads) -> tuple[str | None, list[str]]:
    """(amount text, footnote ids) when the reads agree on the amount; (None, []) otherwise."""
    value = _clean(reads.value).rstrip("().")
    if not _AMOUNT.match(value):
        return None, []
    bare = value.lstrip("$")
    wanted = digits(bare)
    whole = _clean(reads.whole)
    if not whole.lstrip("$S§s").startswith(bare.replace("$", "")) and not whole.startswith(value):
        return None, []
    layer = digits(reads.layer)
    if not layer.startswith(wanted) or len(layer) - len(wanted) > 2:
        return None, []
    marks = _mark_ids(reads, wanted) if reads.mark else []
    return value, marks or []


def agreed_date(reads: CellReads) -> tuple[str | None, list[str]]:
    value = _clean(reads.value).rstrip("()")
    if not _DATE.match(value):
        return None, []
    wanted = digits(value)
    if not digits(reads.whole).startswith(wanted) or not digits(reads.layer).startswith(wanted):
        return None, []
    marks = _mark_ids(reads, wanted) if reads.mark else []
    return value, marks or []


def agreed_letter(reads: CellReads, allowed: frozenset[str]) -> tuple[str | None, list[str]]:
    """A one-letter cell (transaction code, A/D, D/I): the same letter in every read."""
    letters = []
    for text in (reads.value or reads.whole, reads.whole, reads.layer):
        cleaned = _clean(text).lstrip("(").upper()
        letters.append(cleaned[:1])
    if len(set(letters)) != 1 or letters[0] not in allowed:
        return None, []
    marks = _mark_ids(reads, "") if reads.mark else []
    return letters[0], marks or []


CODES = frozenset(TRANSACTION_CODES)
A_OR_D = frozenset("AD")
D_OR_I = frozenset("DI")
