"""A scanned Form 3/4/5 (page image + OCR text layer) read from its pixels as well as its text.

A scan has no vector rulings, so the table grid is found in the image (page_image), each cell
is re-read with tesseract (cells), and the grid goes through the same label-driven
GridReader as a printed PDF. Value cells are taken only when the reads agree (ocr_values) or
the form confirms them (checks); anything else stays null. Without tesseract the scan is
read from its text layer alone, strictly (grid/text.py; rendered/pdf.py chooses).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum
from typing import Any, NamedTuple

from pdfplumber.utils import extract_text
from PIL import Image

from consumers.limits import (
    MAX_SCAN_PAGE_PIXELS,
    SCAN_SECONDS_BASE,
    SCAN_SECONDS_PER_MEGAPIXEL,
    SCAN_SECONDS_PER_PAGE,
    SCAN_TIME_BUDGET_SECONDS,
)
from consumers.parsing.core.errors import ParseError, Reason
from consumers.parsing.core.model import (
    DATE_LINE_FIELDS,
    DECIMAL_LINE_FIELDS,
    LETTER_FIELDS,
    RELATIONSHIP_TEXT,
    Filing,
    footnote_ids_path,
)
from consumers.parsing.core.printed import (
    TITLE_SEARCH_CHARS,
    footnotes_in,
    remarks_in,
    signatures_in,
)
from consumers.parsing.grid.reader import AMOUNT_COLUMN_FIELDS, GridReader, ResolvedCells
from consumers.parsing.grid.text import normalise
from consumers.parsing.scan import (
    checks,
    noisy,
    ocr_labels,
    ocr_values,
    page_image,
    prose,
)
from consumers.parsing.scan.cells import (
    INK_MARGIN_PIXELS,
    TEXT_DPI,
    Cell,
    Deadline,
    read_page_cells,
    rescale,
)
from consumers.parsing.scan.layer import ScanPage

_AMOUNT_FIELDS = DECIMAL_LINE_FIELDS | AMOUNT_COLUMN_FIELDS
# What ruling pieces and specks leave in a line of text: marks before its first word, after its
# last (a full stop only when it stands apart: "Inc." keeps its own), and marks standing alone
# between words ("Common ° Stock").
_NOISE_MARKS = r"\[\]|_—~\"'‘’“”`,:;°•"  # not a hyphen: "Non-" wraps "Qualified"
_TEXT_NOISE = re.compile(
    rf"^[{_NOISE_MARKS}.*\s]+|[{_NOISE_MARKS}\s]+$|\s+\.+$"
    r"|(?<=\s)[.,:;°•'\"‘’“”`~_|]+(?=\s)"  # not a hyphen ("EVP - Sales"), nor "[ TSLA ]"
)

_CHECKED = re.compile(
    r"(?:^|(?<=\s))[\[({|lI]?[XxK][\]J)}|1l]?(?=\s+(?:Director|10%|Officer|Other|Form))"
)
_UNCHECKED = re.compile(
    r"(?:^|(?<=\s))(?:\[\s*[\]J]|\[|\])(?=\s+(?:Director|10%|Officer|Other|Form))"
)
_ROMAN = re.compile(r"\b(?=[IVXl]*[IVX])(?=[IVXl]*l)[IVXl]{2,}\b")  # "XIl" -> "XII"
_FORM_TITLE = re.compile(r"\bFORM\s*([345])(?=\s|/|$)")
_PRINTED_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_MARKS_BEFORE_NUMBER = re.compile(r"^[.,:;'`‘’\"°•*]+\s*(?=\d{1,3}\.\s)", re.MULTILINE)
_OPEN_TICKER = re.compile(r"(\[\s*[A-Z][A-Z.\-]{0,9})\s*[J|1l)}]?\s*$", re.MULTILINE)


def cell_text(cell: Cell | None) -> str | None:
    """A text cell as re-read, without the ruling fragments OCR glues to its edges, and with
    the form's checkboxes and ticker brackets as printed ("X]" -> "[X]", "[ TSLA" -> "[TSLA]")."""
    if cell is None:
        return None
    read = cell.whole
    if cell.tail is not None and cell.value:
        read = cell.value.rstrip("'!’`\"°*¢©®")  # what is left of a painted-out mark
    read = _PRINTED_DATE.sub(_checked_date, read)
    split = read.splitlines()
    commas = set(_WORD_BEFORE_COMMA.findall(cell.layer))  # the layer's: a speck reads as one too
    lines = (
        _line_text(line, commas if index < len(split) - 1 else set())
        for index, line in enumerate(split)
    )
    text = ocr_labels.restore_labels(_unmatched_close("\n".join(line for line in lines if line)))
    text = ocr_labels.restore_agreed_label(text, cell.layer)
    text = _ROMAN.sub(lambda m: m[0].replace("l", "I"), text)
    text = _CHECKED.sub("[X]", text)
    text = _UNCHECKED.sub("[ ]", text)
    text = _OPEN_TICKER.sub(r"\1]", text)
    return text.replace("lf Amendment", "If Amendment")


# A comma a wrapped line ends in, right after its word ("Partners Fund," / "LP"): text, where
# a line's other trailing marks are the cell's ruling pieces.
_WORD_BEFORE_COMMA = re.compile(r"([A-Za-z0-9.)]+),")
_WRAPPED_COMMA = re.compile(_WORD_BEFORE_COMMA.pattern + "$")


def _line_text(line: str, commas: set[str]) -> str:
    """A line of a text cell without the noise OCR leaves at its ends (_TEXT_NOISE), but for
    a comma after its last word that the layer reads there too (`commas`: the words the layer
    has a comma after; none for a cell's last line)."""
    text = " ".join(_TEXT_NOISE.sub("", line).split())
    wrapped = _WRAPPED_COMMA.search(line.rstrip())
    if text and wrapped and wrapped[1] in commas and text.endswith(wrapped[1]):
        text += ","
    return text


def _unmatched_close(text: str) -> str:
    """A closing parenthesis ending the text with none opened for it is a ruling's piece."""
    return text[:-1].rstrip() if text.endswith(")") and text.count(")") > text.count("(") else text


def _checked_date(match: re.Match[str]) -> str:
    """A date as re-read (a box's, a signature's), dropped when it is no calendar date
    ("00/31/2022"): the field is null, sent for review, rather than the filing refused."""
    month, day, year = (int(part) for part in match.groups())
    try:
        dt.date(year, month, day)
    except ValueError:
        return ""
    return match[0]


def _marks_text(marks: list[str]) -> str:
    return "".join(f"({m[1:]})" for m in marks)


_NATURE = "nature_of_ownership"
_GATED_TEXT_FIELDS = frozenset({_NATURE})
# A footnote mark as OCR may read it: "(1)", "(t)", "®", "©".
_MARK_TEXT = re.compile(r"\(\S{1,2}\)|[®©]")
# A raised "(8)" that OCR took for a sign, ending a text cell ("See Footnote®"): no title or
# nature of ownership ends in one.
_MARK_READ_AS_SIGN = re.compile(r"\s*[®©]+$")
_LAYER_NOISE = re.compile(r"[\[\]|{}_—~]")
_MORE_WORDS = re.compile(r"[A-Za-z]{2}")
_WORDISH = re.compile(r"[A-Za-z0-9]{2}")
_ALPHANUMERIC = re.compile(r"[A-Za-z0-9]")
_LEFT_RULING = re.compile(r"^[|lIi!\[](?=[A-Z(])")  # a cell's left rule read as "I", "l", "i"


def _cell_line(value: str) -> str:
    """A cell's text on one line, without the ruling fragments OCR reads at its edges."""
    lines = (_LEFT_RULING.sub("", _TEXT_NOISE.sub("", line)) for line in value.splitlines())
    return " ".join(_LAYER_NOISE.sub(" ", " ".join(lines)).split())


def _layer_agrees(text: str, layer: str, spaced: bool = True) -> bool:
    """The re-read text is what the scan's own text layer says (ruling fragments aside; its
    spaces too, unless `spaced`)."""
    if not text:
        return True
    # The layer glues a mark to the last word ("L.P2e)"): its final full stop may be lost.
    said, read = _cell_line(layer), _cell_line(text).rstrip(".")
    if not spaced:
        said, read = said.replace(" ", ""), read.replace(" ", "")
    # More words in the layer: the re-read lost a wrapped line ("Common" of "Common Stock").
    return said.startswith(read) and not _MORE_WORDS.search(said[len(read) :])


# What OCR makes of one upright stroke: a ruling-like glyph, or nothing at all (the engine
# reading a crop on its own drops a lone stroke as noise).
_STROKE_READS = frozenset({"", "|", "l", "1", "[", "]", "{", "}", "!"})


def _is_stroke(cell: Cell) -> bool:
    """The cell's ink is one thin upright stroke, and OCR read it as such."""
    if cell.ink is None or cell.whole.strip() not in _STROKE_READS:
        return False
    left, top, right, bottom = cell.ink
    margins = 2 * INK_MARGIN_PIXELS
    return (right - left - margins) * 3 <= bottom - top - margins


def resolve_scan_cells(fields: list[str | None], cells: Sequence[Cell | None]) -> ResolvedCells:
    """What the grid reader gets for a data row's cells: a value only when its reads agree;
    the agreed letters the text layer does not confirm, held back (null) as candidates the
    rest of the filing may confirm after the grid is read (checks); and which inked cells
    were not read, or were read once without confirmation (free text the layer disagrees with)."""
    resolved = ResolvedCells([])
    inked = [c for c in cells if c is not None and c.ink is not None]
    if inked and all(c.strict and not _WORDISH.search(c.layer) for c in inked):
        # A speckled page's blank row: its "ink" is specks and ruling pieces, in which the
        # scanner's own OCR found no word or figure (a printed row always gives it some).
        resolved.texts = ["" if c is not None else None for c in cells]
        return resolved
    resolved.texts = [_resolve_cell(f, c, resolved) for f, c in zip(fields, cells, strict=False)]
    if "shares" in resolved.unread and AMOUNT_COLUMN_FIELDS & set(fields):
        # Table II's amount goes in the acquired or the disposed column, which says the
        # direction: an amount not read leaves the direction unread too (unless the other
        # column was read).
        resolved.unread.add("acquired_disposed")
    held = resolved.held
    ownership = held.get("direct_indirect")
    if ownership is not None:
        # The nature-of-ownership column is filled exactly for indirect holdings.
        nature = [c for f, c in zip(fields, cells, strict=False) if f == _NATURE]
        nature_inked = any(c is not None and c.ink is not None for c in nature)
        if ownership == ("I" if nature_inked else "D"):
            index = fields.index("direct_indirect")
            resolved.texts[index] = ownership + (resolved.texts[index] or "")
            del held["direct_indirect"]
            resolved.unread.discard("direct_indirect")
    return resolved


class FieldKind(StrEnum):
    """How a cell's reads are brought to agreement, by what its column holds."""

    AMOUNT = "amount"  # shares, prices, values: digits that must agree as a number
    DATE = "date"  # a printed date that must agree as a calendar date
    LETTER = "letter"  # one of a few letters (code, A/D, D/I), held for the form's checks
    TEXT = "text"  # free text: the re-read, confirmed by the text layer or not


def field_kind(field: str) -> FieldKind:
    if field in _AMOUNT_FIELDS:
        return FieldKind.AMOUNT
    if field in DATE_LINE_FIELDS:
        return FieldKind.DATE
    if field in LETTER_FIELDS:
        return FieldKind.LETTER
    return FieldKind.TEXT


# Each kind's rule of agreement between a cell's reads (text has none: the layer decides).
_AGREEMENT: dict[FieldKind, Callable[[str, ocr_values.CellReads], ocr_values.Agreement]] = {
    FieldKind.AMOUNT: lambda field, reads: ocr_values.agreed_amount(reads),
    FieldKind.DATE: lambda field, reads: ocr_values.agreed_date(reads),
    FieldKind.LETTER: lambda field, reads: ocr_values.agreed_letter(reads, LETTER_FIELDS[field]),
}


def _resolve_cell(field: str | None, cell: Cell | None, resolved: ResolvedCells) -> str | None:
    """One data cell's text for the grid reader, noting in `resolved` what it holds back,
    could not read, or read without confirmation."""
    if cell is None:
        return None
    if field is None or field == "v":
        return ""
    if cell.ink is None:
        if _WORDISH.search(cell.layer):
            # no ink found where the scanner's OCR read words (a blurred page's faint type):
            # not known to be blank
            resolved.unread.add(_value_name(field))
        return ""
    if _specks_only(field, cell):
        return ""
    if field == "direct_indirect" and _is_stroke(cell):
        # A sans-serif "I" is one upright stroke, which OCR reads as a ruling ("|"): held
        # as "I" for the nature-of-ownership column to confirm (see resolve_scan_cells).
        resolved.held[field] = "I"
        resolved.unread.add(field)
        return ""
    kind = field_kind(field)
    if kind is FieldKind.TEXT:
        return _resolve_text(field, cell, resolved)
    return _resolve_agreed(field, cell, _AGREEMENT[kind](field, cell.reads()), resolved)


def _specks_only(field: str, cell: Cell) -> bool:
    """A noisy page's specks: marks in both reads, no figure (but a lone letter may read as
    nothing at all: a letter cell stays unread)."""
    return (
        cell.strict
        and field not in LETTER_FIELDS
        and not _ALPHANUMERIC.search(cell.whole + cell.layer)
    )


def _value_name(field: str) -> str:
    """The record field a column's value goes to (acquired and disposed amounts: shares)."""
    return "shares" if field in AMOUNT_COLUMN_FIELDS else field


def _resolve_text(field: str, cell: Cell, resolved: ResolvedCells) -> str:
    """Free text: the re-read when the text layer agrees; else null and unread (a gated
    column, or any on a noisy page), or kept and marked unverified."""
    text = cell_text(cell) or ""
    marks = ocr_values.clean_mark(cell.mark) if cell.tail is not None else []
    bare = _MARK_READ_AS_SIGN.sub("", text)
    if (cell.tail is not None and not marks and ocr_values.digits(cell.mark)) or bare != text:
        # a raised mark not read whole ("2)", or "(8)" read as "®"): its footnote is there,
        # unread
        resolved.unread.add(footnote_ids_path(_value_name(field)))
        text = bare
    if not _layer_agrees(text, cell.layer) and not _title_agrees_unspaced(field, text, cell.layer):
        if field in _GATED_TEXT_FIELDS or cell.needs_layer or _layer_reads_other(text, cell.layer):
            resolved.withheld[_value_name(field)] = (text, _cell_line(cell.layer))
            text = ""
            resolved.unread.add(_value_name(field))
        else:
            resolved.unverified.add(_value_name(field))
    return text + _marks_text(marks)


# Below this likeness to the layer's letters a re-read is no variant of what the layer read.
_MIN_VARIANT_LIKENESS = 0.5


def _layer_reads_other(text: str, layer: str) -> bool:
    """The layer reads more letters in the cell than the re-read, and the re-read is far from
    them: the re-read lost the text ("Soo" where the layer has "Common Stock"), and is no
    reading to keep unverified. (A layer with fewer letters is the one that lost them: a dark
    scan's layer reads "[eee oc" for the "Common Stock" the re-read has right.)"""
    said, read = (re.sub(r"[^a-z]", "", value.lower()) for value in (layer, text))
    return len(said) > len(read) and (
        SequenceMatcher(None, read, said, autojunk=False).ratio() < _MIN_VARIANT_LIKENESS
    )


def _title_agrees_unspaced(field: str, text: str, layer: str) -> bool:
    """A title of the form's own words ("Class A Common Stock") that the layer has letter for
    letter but for a space: the layer's OCR of a noisy page most often drops the space before a
    class letter ("ClassA"), and the re-read's spacing is the printed one."""
    return (
        field in noisy.TITLE_FIELDS
        and noisy.of_title_words(" ".join(text.split()))
        and _layer_agrees(text, layer, spaced=False)
    )


def _resolve_agreed(
    field: str, cell: Cell, agreement: ocr_values.Agreement, resolved: ResolvedCells
) -> str:
    """An amount, date or letter whose reads agreed (or did not): the value, its footnote
    marks, and what stays unread or held for the form's checks."""
    name = _value_name(field)
    if agreement.value is None:
        marks_only = ocr_values.agreed_marks_only(cell.reads())
        if not marks_only:
            resolved.unread.add(name)
        return marks_only
    if not agreement.marks and (
        cell.tail is not None or _MARK_TEXT.search(cell.whole) or _MARK_TEXT.search(cell.layer)
    ):
        resolved.unread.add(footnote_ids_path(name))  # a footnote mark is there, unread
    value, marks = agreement.value, agreement.marks
    amount_or_date = field not in LETTER_FIELDS
    if cell.strict and marks and not agreement.marks_read_twice:
        # read once on a noisy page, where a speck turns a "(1)" into a "(2)"
        resolved.unread.add(footnote_ids_path(name))
        marks = []
    if _figure_in_doubt(field, cell, value):
        resolved.unread.add(name)
        return _marks_text(marks)
    if field in checks.HELD_DATES and ocr_values.layer_doubts_date(cell.layer, value):
        # Every re-read's scale agreed against the layer ("12/24/2021" where the layer has
        # "[32/21/2021"): a JPEG's blocks make a "1" a "4" at every scale. Held for another
        # line's confirmed date in the column, or box 3, to confirm.
        resolved.held[field] = value
        resolved.unread.add(name)
        return _marks_text(marks)
    if cell.strict and amount_or_date and not _sure_on_a_noisy_page(agreement):
        if field in checks.HELD_AMOUNTS or field in checks.HELD_DATES:
            resolved.held[field] = value  # for the form's arithmetic or dates to confirm (checks)
        resolved.unread.add(name)
        return _marks_text(marks)
    # Two re-reads (different scales and alphabets) agreeing on a well-formed amount or
    # date were measured as safe as three; a letter needs the layer or the form's checks.
    if agreement.confirmed or amount_or_date:
        return value + _marks_text(marks)
    resolved.held[field] = value
    resolved.unread.add(field)  # until the form's checks confirm it
    return _marks_text(marks)


# Counts of shares, which no form prints with a "$".
_COUNT_FIELDS = frozenset({"shares", "shares_owned_following", "underlying_shares"})


def _figure_in_doubt(field: str, cell: Cell, value: str) -> bool:
    """An amount both re-reads agree on that still cannot be right as read: a "$" in a count of
    shares is a misread digit ("$9,031" for 59,031); on a page that groups thousands, a
    separator lost or changed (ocr_values.separator_in_doubt)."""
    if field_kind(field) is not FieldKind.AMOUNT:
        return False
    if value.startswith("$") and _value_name(field) in _COUNT_FIELDS:
        return True
    return cell.page_groups_thousands and ocr_values.separator_in_doubt(value, cell.layer)


def _sure_on_a_noisy_page(agreement: ocr_values.Agreement) -> bool:
    """On a noisy page two re-reads agree on misread digits, and all three reads take a
    blurred thousands comma for a point ("83.334" for 83,334): only a value the layer
    confirms, with no separator in doubt, stands."""
    value = agreement.value or ""
    return agreement.confirmed and not ocr_values.point_may_be_comma(value)


def parse_scanned_pdf(pages: list[ScanPage], started: float, budget: float) -> Filing:
    """Read a scan whose pages carry an OCR text layer; ParseError when it cannot be trusted.
    `budget` is the ceiling of the scan's own budget (scan_budget)."""
    deadline = Deadline(started, scan_budget(pages, budget))
    reader = GridReader("pdf", resolve_cells=resolve_scan_cells)
    reads = [_read_page(page, reader, deadline) for page in pages]
    if not any(read.grids for read in reads):
        raise ParseError(Reason.OCR_LOW_CONFIDENCE, "no ruled table found in the page images")
    # a page had scanner speckle: its reads are trusted only with the layer's
    speckled = any(read.speckled for read in reads)
    filing = reader.finish(_with_form_title(reads, deadline))
    if not filing.lines and not (filing.form_type or "").startswith("3"):
        # Only a Form 3 may report no securities. A scanned Form 4 or 5 without a line is one
        # whose tables were not read (a heavily blurred scan), not a report of nothing.
        raise ParseError(
            Reason.PDF_TABLE_UNREADABLE, f"no table line read on a Form {filing.form_type}"
        )
    checks.confirm_held(filing, reader.held)
    checks.withhold_points_read_as_commas(filing)
    if speckled:
        checks.withhold_broken_chains(filing)
        noisy.withhold_speckled(filing, reader.unclear_boxes, reader.joint_owner_flag_cells)
    layer = LayerText(
        "\n".join(read.layer.placed for read in reads),
        "\n".join(read.layer.written for read in reads),
    )
    _withhold_unverified(filing, layer, strict=any(read.noisy for read in reads))
    checks.confirm_held_dates(filing, reader.held)  # the period of report is checked by now
    noisy.withhold_misreads(filing)
    return filing


class LayerText(NamedTuple):
    """A scan's text layer, as two strings: its characters by where they sit (`placed`: the
    grid's and the boxes' checks) and in the order the scanner's OCR wrote them (`written`).
    An OCR layer draws each word's letters at guessed places, so by place a line of prose can
    read "the staoff fth e Securitieasnd" where in writing order it reads "the staff of the
    Securities and"."""

    placed: str
    written: str


@dataclass
class _PageRead:
    """What one page gave: its grids' rows went to the reader; the text around them (the
    layer's above the grids, a re-read below) and the layer's whole text stay for the checks."""

    texts: list[str]
    layer: LayerText
    grids: int
    speckled: bool
    noisy: bool  # speckled or blurred: its reads stand only with the layer's
    header: Image.Image | None = None  # the page image above its first grid
    dpi: float = 0.0  # the page image's resolution


# pdfplumber's table finding over the rulings found in the image (points).
_TABLE_SETTINGS = {
    "vertical_strategy": "explicit",
    "horizontal_strategy": "explicit",
    "snap_tolerance": 3,
    "join_tolerance": 3,
    "intersection_tolerance": 3,
}


def _read_page(page: ScanPage, reader: GridReader, deadline: Deadline) -> _PageRead:
    """One page: levelled, despeckled, its rulings found, its grids' rows fed to `reader`."""
    deadline.check()
    dpi = page.dpi
    if page.pixels > MAX_SCAN_PAGE_PIXELS:
        raise ParseError(
            Reason.DOCUMENT_TOO_LARGE,
            f"page of {page.width:g}x{page.height:g} pt at {dpi:g} dpi exceeds "
            f"{MAX_SCAN_PAGE_PIXELS:,} pixels",
            stage="limit",
        )
    grey = page_image.normalise_levels(page.render())  # a faint or dark scan: levels stretched
    # A page fed askew breaks each ruling into steps: level the image, and the text layer's
    # characters with it, before the grid is looked for.
    angle = page_image.estimate_skew(grey)
    grey, speckled = page_image.despeckle(page_image.level(grey, angle), dpi)
    blurred = not speckled and page_image.blurred(grey)
    if blurred:
        grey = page_image.sharpened(grey, dpi)  # (a speckled page's would sharpen its specks)
    noisy = speckled or blurred
    chars = _leveled_chars(page, angle)
    layer = LayerText(
        layer_text(extract_text(chars) if chars else ""),
        layer_text(extract_text(chars, use_text_flow=True) if chars else ""),
    )
    ink = page_image.threshold(grey)
    horizontal, vertical = page_image.find_rulings(ink, dpi, grey)
    grey = page_image.without_underlines(grey, ink, dpi, blurred)  # found: now in the way
    if len(horizontal) < 2 or len(vertical) < 2:
        below = prose_text(prose.reread_lines(grey, dpi, 0.0, chars, deadline))
        return _PageRead([below], layer, 0, speckled, noisy)
    # A row cut by a page break has walls but no floor (or roof): close it where its walls end
    # together. One wall ending alone is a ruling broken by noise, not a floor.
    ends = page_image.shared_ends(vertical)
    tables = page.tables_page.find_tables(
        {
            **_TABLE_SETTINGS,
            "explicit_vertical_lines": vertical,
            "explicit_horizontal_lines": [*horizontal, *page.across(ends)],
        }
    )
    tables.sort(key=lambda t: (t.bbox[1], t.bbox[0]))
    bottom = max((t.bbox[3] for t in tables), default=0.0)
    top = round(tables[0].bbox[1] * dpi / 72.0) if tables else 0
    header = grey.crop((0, 0, grey.width, top)) if top > 0 else None
    above = [c for c in chars if (c["top"] + c["bottom"]) / 2 <= bottom]
    texts = [
        layer_text(extract_text(above) if above else ""),
        prose_text(prose.reread_lines(grey, dpi, bottom, chars, deadline)),
    ]
    rows = read_page_cells(chars, tables, grey, dpi, deadline, strict=speckled, needs_layer=noisy)
    for row in rows:
        reader.feed_row([cell_text(c) for c in row], cells=row)
    return _PageRead(texts, layer, len(tables), speckled, noisy, header, dpi)


def scan_budget(pages: list[ScanPage], ceiling: float = SCAN_TIME_BUDGET_SECONDS) -> float:
    """Seconds a scan may take: a base, plus its pages and their pixels, at most `ceiling`."""
    megapixels = sum(page.pixels for page in pages) / 1e6
    work = SCAN_SECONDS_BASE + SCAN_SECONDS_PER_PAGE * len(pages)
    return min(ceiling, work + SCAN_SECONDS_PER_MEGAPIXEL * megapixels)


def _leveled_chars(page: ScanPage, angle: float) -> list[dict[str, Any]]:
    """The page's text-layer characters, each moved with its centre as the page image is
    turned by `angle` (page_image.level): the layer stays over the ink it was read from."""
    if not angle:
        return list(page.chars)
    moved = []
    for char in page.chars:
        x, y = (char["x0"] + char["x1"]) / 2, (char["top"] + char["bottom"]) / 2
        new_x, new_y = page_image.rotate_point(x, y, angle, page.width, page.height)
        dx, dy = new_x - x, new_y - y
        moved.append(
            {
                **char,
                "x0": char["x0"] + dx,
                "x1": char["x1"] + dx,
                "top": char["top"] + dy,
                "bottom": char["bottom"] + dy,
                "doctop": char["doctop"] + dy,
                "y0": char["y0"] - dy,
                "y1": char["y1"] - dy,
            }
        )
    return moved


def _with_form_title(reads: list[_PageRead], deadline: Deadline) -> str:
    """The pages' text, led by the form's title. A scan's big "FORM 4" is often lost by OCR;
    its printed heading says the same, in the layer or else in a re-read of the header."""
    text = "\n".join(t for read in reads for t in read.texts)
    head = text[:TITLE_SEARCH_CHARS]
    if _FORM_TITLE.search(head):
        return text
    form = ocr_labels.form_named_in(head)
    if form is not None:
        return f"FORM {form}\n{text}"
    return _title_from_header(reads, deadline) + text


def _title_from_header(reads: list[_PageRead], deadline: Deadline) -> str:
    """The form's title where the text layer has neither it nor its heading (blur): the first
    page's header re-read, its heading matched nearly (ocr_labels.form_by_heading). The box
    around the big title defeats tesseract, but the heading below it reads."""
    first = next((read for read in reads if read.grids), None)
    if first is None or first.header is None:
        return ""
    (read,) = deadline.read([rescale(first.header, first.dpi, TEXT_DPI)])
    title = _FORM_TITLE.search(page_text(read.text))
    form = title[1] if title else ocr_labels.form_by_heading(read.text)
    return f"FORM {form}\n" if form else ""


def prose_text(read: str) -> str:
    """The page below its grids (footnotes, remarks, signature) as re-read, its dates checked,
    its headings restored, and the specks before a footnote's number dropped (".19. The
    price": footnotes are numbered in order, so one number lost loses every note after it)."""
    read = _MARKS_BEFORE_NUMBER.sub("", _PRINTED_DATE.sub(_checked_date, read))
    return page_text(ocr_labels.restore_headings(read))


def layer_text(text: str) -> str:
    """The text layer as page text, its dates checked: the layer confirms what the re-reads
    found, and a date it misread ("94/28/2022") is no date, not a reason to refuse the filing."""
    return page_text(_PRINTED_DATE.sub(_checked_date, text))


def page_text(text: str) -> str:
    """Page text normalised as OCR text, with the title OCR squeezes ("FORM4") spaced."""
    return _FORM_TITLE.sub(r"FORM \1", normalise(text))


def _same_text(first: str | None, second: str | None) -> bool:
    return first is not None and " ".join(first.split()) == " ".join((second or "").split())


def _withhold_unverified(filing: Filing, layer: LayerText, strict: bool) -> Filing:
    """What a scan reads once, outside the grid's agreed cells, checked against the scan's own
    text layer: the prose below the grids, the footnote marks, and the header boxes."""
    withhold_unconfirmed_prose(filing, layer)
    _withhold_signatures(filing, layer)
    known = {note.id for note in filing.footnotes}
    listed = {note.id for text in layer for note in footnotes_in(text)}  # by the layer's OCR
    referenced = keep_known_marks(filing, known | listed)
    # A footnote marked in the tables, or a gap in the numbering, that was not found below.
    numbers = [int(i[1:]) for i in known | referenced if i[1:].isdigit()]
    expected = {f"F{n}" for n in range(1, max(numbers, default=0) + 1)} | referenced
    filing.provenance.unread.update(f"footnotes[{i}].text" for i in expected - known)
    _mark_box_reads(filing, layer.placed, strict)
    return filing


def withhold_unconfirmed_prose(filing: Filing, layer: LayerText) -> None:
    """A footnote's text or the remarks stand only when the layer says exactly the same, in
    either of its orders, else they are null and marked unread."""
    unread = filing.provenance.unread
    layer_notes: dict[str, list[str | None]] = {}
    for text in layer:
        for note in footnotes_in(text):
            layer_notes.setdefault(note.id, []).append(note.text)
    for note in filing.footnotes:
        if not any(_same_text(note.text, said) for said in layer_notes.get(note.id, [])):
            note.text = None
            unread.add(f"footnotes[{note.id}].text")
    remarks = filing.remarks
    if not any(_same_text(remarks, remarks_in(text)) for text in layer):
        filing.remarks = None
        if remarks:
            unread.add("remarks")


def _withhold_signatures(filing: Filing, layer: LayerText) -> None:
    """A signature's name stands when the layer has it; its date when it is plausible (within
    a year after the period of report). Every form is signed: none found is not blank."""
    unread = filing.provenance.unread
    if not filing.signatures:
        unread.update({"signatures[0].name", "signatures[0].date"})
    layer_names = [[s.name for s in signatures_in(text)] for text in layer]
    period = filing.period_of_report
    for index, signature in enumerate(filing.signatures):
        said = [names[index] for names in layer_names if index < len(names)]
        if not any(_same_text(signature.name, name) for name in said):
            signature.name = None
            unread.add(f"signatures[{index}].name")
        signed = signature.date
        if signed is None or period is None or not 0 <= (signed - period).days <= 366:
            signature.date = None  # not read, nothing to check it against, or implausible
            unread.add(f"signatures[{index}].date")


def keep_known_marks(filing: Filing, known: set[str]) -> set[str]:
    """Footnote marks in the tables must name a footnote found below (by the re-read or the
    layer); a field with one that does not loses all its marks, which are unread (a part of
    its list would be a wrong list). Returns every id the tables referenced."""
    referenced: set[str] = set()
    for line in filing.lines:
        for field, ids in list(line.footnote_ids.items()):
            referenced.update(ids)
            if not set(ids) <= known:
                line.note_unread(footnote_ids_path(field))  # a mark not confirmed
                del line.footnote_ids[field]
    return referenced


_BOX_DATES = ("period_of_report", "date_of_original_submission")
_CITY_LINE_FIELDS = ("city", "state", "zip")


def _mark_box_reads(filing: Filing, layer_text: str, strict: bool) -> None:
    """The header boxes are read once, from the re-read image: each value the scan's own text
    layer does not also contain is unverified (withheld, null and unread, when `strict`: a
    noisy scan); a box every form prints but none was read is unread."""
    layer = _squeezed(layer_text)
    provenance = filing.provenance
    boxes = noisy.header_boxes(filing)
    for name in _BOX_DATES:
        day = getattr(filing, name)
        if day is not None and not any(
            _squeezed(text) in layer
            for text in (f"{day.month}/{day.day}/{day.year}", f"{day:%m/%d/%Y}")
        ):
            boxes.append((name, filing, name))  # as a date: not in the layer either way
    for path, holder, name in boxes:
        value = getattr(holder, name)
        if not value or (isinstance(value, str) and _squeezed(value) in layer):
            continue
        if isinstance(value, str) and (spaced := spaced_as_in_layer(value, layer)) is not None:
            setattr(holder, name, spaced)
            continue
        if strict:
            setattr(holder, name, None)
            provenance.unread.add(path)
        else:
            provenance.unverified.add(path)
    mark_owner_lines_unread(filing)
    if filing.period_of_report is None:
        provenance.unread.add("period_of_report")
    if filing.issuer.trading_symbol is None:
        provenance.unread.add("issuer.trading_symbol")


def mark_owner_lines_unread(filing: Filing) -> None:
    """One printed line holds an owner's city, state and zip: any of them null on a scan is a
    line not read whole, marked unread (a foreign address's blank state cannot be told from
    a lost one). So is a null street (box 1 prints one), and a null title of an officer or
    an "other" relationship the box checks (the form asks for it below the box)."""
    unread = filing.provenance.unread
    for index, owner in enumerate(filing.reporting_owners):
        path = f"reporting_owners[{index}]"
        unread.update(
            f"{path}.{name}" for name in _CITY_LINE_FIELDS if getattr(owner, name) is None
        )
        if owner.street1 is None:
            unread.add(f"{path}.street1")
        for flag, title in RELATIONSHIP_TEXT.items():
            if getattr(owner, flag) and getattr(owner, title) is None:
                unread.add(f"{path}.{title}")


_SPACE_IN_FIGURE = re.compile(r"(?<=\d) (?=\d)")


def spaced_as_in_layer(value: str, layer: str) -> str | None:
    """`value` as the layer has it letter for letter but for its spaces, with the more word
    breaks of the two ("BOTHA ROELOF" for a re-read "BOTHAROELOF"): type set tight, or a speck
    in the gap, drops a space, and OCR seldom adds one. None when the layer has no such text."""
    letters = value.replace(" ", "")
    if not letters:
        return None
    pattern = r"\s?".join(re.escape(letter) for letter in letters)
    found = re.search(rf"(?<![A-Za-z0-9]){pattern}(?![A-Za-z0-9])", layer)
    if found is None:
        return None
    spaced = _SPACE_IN_FIGURE.sub("", found[0])  # "9 8052-6399": a number is not two words
    return spaced if spaced.count(" ") > value.count(" ") else value


def _squeezed(text: str) -> str:
    return " ".join(_LAYER_NOISE.sub(" ", text).split())
