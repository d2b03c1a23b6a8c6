"""Deciding what an OCR'd cell says, from independent reads of it, or leaving it unread.

Each value cell of a scanned form is read three ways: the PDF's own OCR text layer, a
re-read of the cell's crop, and a re-read of the crop split at its raised footnote mark with
a character whitelist. A value is taken only when the two re-reads agree on a well-formed
value that the layer does not contradict (or tie-break reads at other scales overrule it);
whether the layer agrees too is reported (`confirmed`) for the caller to weigh.
Otherwise the field stays null (sent for review), because a wrong number is worse than none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_AMOUNT = re.compile(r"^\$?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_DATE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")
_MARK_DIGITS = re.compile(r"\d{1,2}")
_MORE_DIGITS = re.compile(r"[,.]?\d{3}")
_MARKS_ONLY = re.compile(r"^(?:\(\d{1,2}\))+$")
_CLEAN_MARK = re.compile(r"^\(\d{1,2}\)$")
_DOLLAR = re.compile(r"^[\\lI]?[$S§s]+")  # "$", also read as "S", "s", "\s" or "ls" at low dpi
_NOISE = str.maketrans({"[": "", "]": "", "|": "", "{": "", "}": "", "‘": "", "’": "", "“": ""})


@dataclass(frozen=True)
class CellReads:
    """The reads of one cell; `value`/`mark` come from the split crop (may be empty)."""

    layer: str  # the PDF text layer inside the cell
    whole: str  # the crop re-read, no whitelist
    value: str  # the crop left of the raised mark, whitelisted
    mark: str  # the raised mark alone, whitelisted
    # The value's crop read again at other scales, when the layer contradicts the value read
    # (layer_contradicts): the tie-break (TIE_BREAK_DPIS).
    tie_breaks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Agreement:
    """What the reads agree a cell says. `value` None: they do not agree on a well-formed value.
    `confirmed`: the PDF's own text layer (an independent OCR at the scan's resolution) agrees
    too; the caller decides which fields need it (letters do: see scan/reader.py)."""

    value: str | None
    marks: list[str] = field(default_factory=list)
    confirmed: bool = False
    # The marks were read twice: the whole re-read or the layer has them after the value's
    # digits too, not the split read alone (a noisy page needs it: see scan/reader.py).
    marks_read_twice: bool = False


NO_AGREEMENT = Agreement(None)


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
    return [f"F{int(split[0])}"] if _mark_read_again(reads, value_digits) else None


def _split_marks(reads: CellReads, value_digits: str) -> tuple[list[str], bool]:
    """An amount's or a date's footnote ids from its split-off mark, and whether they were
    read twice (_mark_read_again)."""
    if not reads.mark:
        return [], False
    marks = _mark_ids(reads, value_digits) or []
    return marks, bool(marks) and _mark_read_again(reads, value_digits)


def _mark_read_again(reads: CellReads, value_digits: str) -> bool:
    """The whole re-read or the text layer has the split read's mark number after the value's
    digits ("787(2)"): on a noisy page a mark read alone may be a speck-spoilt other number."""
    split = _MARK_DIGITS.findall(reads.mark)
    return len(split) == 1 and any(
        digits(other).startswith(value_digits) and digits(other)[len(value_digits) :] == split[0]
        for other in (reads.whole, reads.layer)
    )


def clean_mark(mark: str) -> list[str]:
    """Footnote ids of a mark read on its own, only when it read as "(n)" or "(n)(m)..."."""
    cleaned = _clean(mark)
    if not _MARKS_ONLY.match(cleaned):
        return []
    return [f"F{int(n)}" for n in _MARK_DIGITS.findall(cleaned)]


def agreed_marks_only(reads: CellReads) -> str:
    """A cell holding only footnote marks ("(2)(3)"), as both re-reads read it; else ""."""
    value, whole = _clean(reads.value), _clean(reads.whole)
    return value if _MARKS_ONLY.match(value) and value == whole else ""


_WHOLE_MARK = re.compile(r"^\((\d{1,2})\)$")


def _mark_in_value(reads: CellReads) -> bool:
    """The value's read holds its footnote mark's ")" but not the mark apart: the mark's "(" and
    number were read as digits of the value ("$1,110.234(24)" as "$1,110.23424)", "3,262(2)" as
    "3.26242)"), or the mark read alone is only that ")" and its number stayed in the value."""
    mark = _clean(reads.mark)
    if mark:
        return mark.startswith(")") and not _MARK_DIGITS.search(mark)
    value = _clean(reads.value)
    return value.endswith(")") and "(" not in value


_FIGURE = re.compile(r"\d[\d,./]*\d|\d")


def layer_contradicts(layer: str, value: str) -> bool:
    """The text layer read a figure of the same shape (digits and separators by place) with
    other digits ("10,711" or "1.655.720" where both re-reads say "10,741" or "1,685,720";
    "22/21/2021" for "12/24/2021"): an independent read that disagrees digit for digit puts the
    value in doubt. So does the layer's figure being the value without its leading 1
    ("[7,072,285" for "17,072,285": a ruling the re-reads took for a 1, or the layer lost it;
    not after a "$", which the layer often reads into the digit after it: "|gg27.08" for
    "$827.08"; nor after a letter, where the layer saw the 1 and misread it: "n77" for "177").
    A layer that lost another digit, gained one, or glued on a mark says nothing."""
    bare = value.lstrip("$")
    for found in _FIGURE.finditer(layer):
        figure = found[0]
        if _shape(figure) == _shape(bare):
            return digits(figure) != digits(bare)
        after_letter = layer[: found.start()][-1:].isalpha()  # "n77": the layer saw a glyph
        if (
            value.startswith("1")
            and not after_letter
            and (_shape(figure), digits(figure)) == (_shape(value)[1:], digits(value)[1:])
        ):
            return True  # the re-reads have a 1 more: the cell's left ruling, or the layer lost it
    return False


def layer_doubts_date(layer: str, value: str) -> bool:
    """The layer reads a date of the value's shape with other digits, also one that lost the
    month's leading 1 ("2/21/2021" for "12/24/2021"): unlike an amount's, a date's doubt costs
    little, as a date the filing prints elsewhere confirms it (checks.confirm_held_dates)."""
    return layer_contradicts(layer, value) or (
        value.startswith("1") and layer_contradicts(layer, value[1:])
    )


# Scales a contradicted value's crop is read at again (the re-reads are at 450 dpi): measured on
# JPEG scans, where the two re-reads agreed on a misread digit ("10,741", "12/24/2021") that
# the read at 600 dpi had as printed, as the layer did; where the layer was the one wrong
# ("[168,454,202"), every scale read the value alike.
TIE_BREAK_DPIS = (600, 375)


# The cell's left ruling read as an opening parenthesis ("(53,653"): no amount is printed after
# one, and a footnote mark's own "(" is closed before any other opens ("(14)" stays).
_RULING_AS_PAREN = re.compile(r"^\((?=[$\d])(?![^(]*\))")


def figure_read(text: str) -> str:
    """A whitelisted read of a figure, its ruling bits, spaces and trailing mark pieces off."""
    return _RULING_AS_PAREN.sub("", _clean(text)).rstrip("().")


def _contradicted(reads: CellReads, value: str) -> bool:
    """The layer contradicts the value (layer_contradicts), and the tie-break reads that read
    anything (a short figure may come back empty at 600 dpi) do not all read it as the
    re-reads did."""
    read = [figure for figure in map(figure_read, reads.tie_breaks) if figure]
    return layer_contradicts(reads.layer, value) and not (
        read and all(text == value for text in read)
    )


def _shape(figure: str) -> str:
    """A figure's digits and separators by place, a point and a comma alike (the layer's OCR
    confuses them as the re-reads do, and which one it is the re-reads decide)."""
    return re.sub(r"\d", "9", figure.replace(",", "."))


def agreed_amount(reads: CellReads) -> Agreement:
    """The amount the split read and the whole read agree on; confirmed by the text layer."""
    if _mark_in_value(reads):
        return NO_AGREEMENT
    value = figure_read(reads.value)
    if not _AMOUNT.match(value):
        return NO_AGREEMENT
    bare = value.lstrip("$")
    wanted = digits(bare)
    whole = _DOLLAR.sub("", _RULING_AS_PAREN.sub("", _clean(reads.whole)))
    if not whole.startswith(bare) or _MORE_DIGITS.match(whole[len(bare) :]):
        return NO_AGREEMENT  # another value, or this one cut short by a mis-split mark
    if not reads.mark and whole[len(bare) : len(bare) + 1].isdigit():
        return NO_AGREEMENT  # the whole read has a digit more, and no mark was split off
    if _contradicted(reads, value):
        return NO_AGREEMENT
    layer = digits(reads.layer)
    if _separators_lost(bare, wanted, reads.layer, layer):
        return NO_AGREEMENT
    confirmed = (
        layer.startswith(wanted)
        and len(layer) - len(wanted) <= 2
        and _whole_digits(reads.layer) in (None, _whole_digits(bare))
    ) or (
        bare == "0" and bool((_DOLLAR_ZERO if value[0] == "$" else _LONE_ZERO).match(reads.layer))
    )
    marks, read_twice = _split_marks(reads, wanted)
    return Agreement(value, marks, confirmed, marks_read_twice=read_twice)


_GROUPED = re.compile(r"\d,\d{3}(?!\d)")
_GROUPED_FROM = 4  # a form that groups thousands groups every amount of this many digits


def grouped(text: str) -> bool:
    """The text has a figure printed with a thousands separator ("2,633", "$1,077.188")."""
    return bool(_GROUPED.search(_clean(text)))


_POINT_OR_COMMA = re.compile(r"^\d{1,3}\.\d{3}$")


def point_may_be_comma(value: str) -> bool:
    """A lone point before three digits, no "$" ("83.334"): a thousands comma read as a point
    would look the same."""
    return bool(_POINT_OR_COMMA.match(value))


def separator_in_doubt(value: str, layer: str) -> bool:
    """On a form that groups thousands, an amount whose separators the reads may have lost or
    changed: a whole part long enough to be grouped but read without a separator (was the
    lost one a comma or the point? "1093018" for "$1,093.018"), or a lone point before three
    digits in a figure without a "$" ("28.220" for 28,220 shares; prices print "$", and three
    decimals are common in them) unless the layer read that point too ("201.785" shares)."""
    whole = value.lstrip("$").split(".")[0]
    if len(whole) >= _GROUPED_FROM and whole.isdigit():
        return True
    return point_may_be_comma(value) and value not in _FIGURE.findall(layer)


# A lone zero as the layer's OCR reads it ("o", "O"), perhaps after the cell's left ruling
# ("|o", "fo", "[0") and before a speck.
_LONE_ZERO = re.compile(r"^\s*[|\[{(lIif]?\s*[0oO]\W*$")
# "$0" as the layer's OCR reads it: its "$" as an "s" or a "g" too ("|so.", "fso", "[so").
_DOLLAR_ZERO = re.compile(r"^\s*[|\[{(lIif]?\s*[$sSg§]\s*[0oO]\W*$")
# An amount this many digits long is printed with thousands separators.
_GROUPED_FROM_DIGITS = 5
_SEPARATED = re.compile(r"\d[,.]\d")


def _separators_lost(bare: str, wanted: str, layer_text: str, layer: str) -> bool:
    """The scan's own text layer has the separators both re-reads lost from a long figure
    ("1077188" where it reads "1,077.188"): where the point was is not known."""
    whole_digits = bare.split(".")[0]
    return (
        len(whole_digits) >= _GROUPED_FROM_DIGITS
        and whole_digits.isdigit()
        and layer.startswith(wanted)
        and bool(_SEPARATED.search(layer_text))
    )


# A point after thousands groups is a decimal point for certain (one alone may be a comma
# misread, "8.202" for "8,202").
_DECIMAL_POINT = re.compile(r"(\d{1,3}(?:,\d{3})+)\.\d")


def _whole_digits(text: str) -> int | None:
    """How many digits stand before a certain decimal point, None without one: the layer's
    digits agreeing is no confirmation when its point is elsewhere ("1,163.655", "1163655")."""
    point = _DECIMAL_POINT.search(text)
    return None if point is None else len(digits(point[1]))


def agreed_date(reads: CellReads) -> Agreement:
    value = _clean(reads.value).rstrip("()")
    if not _DATE.match(value):
        return NO_AGREEMENT
    wanted = digits(value)
    if not digits(reads.whole).startswith(wanted) or _contradicted(reads, value):
        return NO_AGREEMENT
    confirmed = digits(reads.layer).startswith(wanted)
    marks, read_twice = _split_marks(reads, wanted)
    return Agreement(value, marks, confirmed, marks_read_twice=read_twice)


_RULING_BITS = "[]|{}()!"
# A letter read alone, doubled ("Cc") or before a mark ("s(1)"), past a ruling read as "l".
_LONE_LETTER = re.compile(r"^[(\[{l!]?([A-Za-z])(?:\1|\(.*)?$", re.IGNORECASE)


def _first_letter(text: str) -> str:
    """The cell's letter, past ruling fragments OCR reads as "|", "[" or a leading "l"/"i"."""
    cleaned = _clean(text).strip(_RULING_BITS).upper()
    if len(cleaned) >= 2 and cleaned[0] in "LI1" and cleaned[1].isalpha():
        cleaned = cleaned[1:]
    return cleaned[:1]


def agreed_letter(reads: CellReads, allowed: frozenset[str]) -> Agreement:
    """A one-letter cell (transaction code, A/D, D/I): the re-reads agree, the layer confirms."""
    letter = _first_letter(reads.whole)
    if letter not in allowed or (reads.value and _first_letter(reads.value) != letter):
        return NO_AGREEMENT
    if reads.mark:
        marks = _mark_ids(reads, "") or []
        read_twice = bool(marks) and _mark_read_again(reads, "")
    else:  # a mark too small to stand out as raised, read whole as "S(5)"
        mark = _WHOLE_MARK.match(_clean(reads.whole).lstrip("[|")[1:])
        marks = [f"F{int(mark[1])}"] if mark else []
        read_twice = mark is not None and digits(reads.layer) == mark[1]
    # Only the whole read saw a letter, and more than a letter ("eit)" for "G(1)"): the layer's
    # agreement is no confirmation (it read "em"); the letter is held for the form's checks.
    garbled = not reads.value and not _LONE_LETTER.match(_clean(reads.whole))
    confirmed = _first_letter(reads.layer) == letter and not garbled
    return Agreement(letter, marks, confirmed, marks_read_twice=read_twice)
