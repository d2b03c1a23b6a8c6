"""The cells of a scanned form's grid, located in the page image and re-read by tesseract.

Each inked cell is read whole (no whitelist); amount, date and letter cells again with the
raised footnote mark painted out under a digits or code-letters whitelist, at a higher scale;
the mark alone under a digits-and-parens whitelist. Each crop is one tesseract read; all of
them are bounded by the scan's deadline.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from pdfplumber.utils import extract_text
from PIL import Image

from consumers.parsing.core.errors import ParseError, Reason
from consumers.parsing.core.model import ACQUIRED_DISPOSED, DIRECT_INDIRECT, TRANSACTION_CODES
from consumers.parsing.grid.text import normalise
from consumers.parsing.scan import ocr_labels, ocr_values, page_image, tesseract

TARGET_DPI = 450  # value crops are scaled to this before tesseract reads them
TEXT_DPI = 300  # text crops (labels, names, titles) need less
# A raised footnote mark is printed at about two thirds of the body's size: read at 450 dpi
# its "(1)" came back "(2)" on clean scans, at 1.5 times that it reads as the body does.
MARK_DPI = 675
INK_MARGIN_PIXELS = 2  # a cell's ink box is its glyphs' box grown by this on every side
_INSET_POINTS = 1.5  # stay inside the ruling that bounds a cell
_DIGITISH = re.compile(r"\d")
_CODE_LETTERS = "".join(sorted(TRANSACTION_CODES | ACQUIRED_DISPOSED | DIRECT_INDIRECT))
_FIGURE_LETTERS = "$0123456789,./()"  # an amount's or a date's, its mark's too


@dataclass(eq=False)
class Cell:
    bbox: tuple[float, float, float, float]
    ink: tuple[int, int, int, int] | None = None  # pixel box of the ink, None when blank
    tail: tuple[int, int, int, int] | None = None  # pixel box of a raised footnote mark
    layer: str = ""
    whole: str = ""
    value: str = ""
    mark: str = ""
    strict: bool = False  # a speckled page's cell: its ink is looked for past the specks
    # A noisy page's cell (speckled or blurred): its free text stands only with the text
    # layer's word too (a blurred page's re-read alone gave "CS Sears" for "Common Stock").
    needs_layer: bool = False
    # Its page prints thousands separators: some amount on it was read grouped ("2,633").
    page_groups_thousands: bool = False
    tie_breaks: tuple[str, ...] = ()  # ocr_values.CellReads.tie_breaks

    def reads(self) -> ocr_values.CellReads:
        return ocr_values.CellReads(
            self.layer, self.whole, self.value, self.mark, tie_breaks=self.tie_breaks
        )


def _locate_ink(
    ink: Image.Image, bbox: tuple[float, float, float, float], dpi: float, strict: bool
) -> Cell:
    """The cell with its ink found: on a noisy page (`strict`), its text's, specks aside."""
    scale = dpi / 72.0
    inset = max(2, round(_INSET_POINTS * scale))
    x0, top, x1, bottom = (round(v * scale) for v in bbox)
    box = (x0 + inset, top + inset, x1 - inset, bottom - inset)
    cell = Cell(bbox=bbox, strict=strict)
    if box[2] - box[0] < 3 or box[3] - box[1] < 3:
        return cell
    crop = ink.crop(box)
    found = page_image.text_ink_box(crop, dpi) if strict else page_image.ink_box(crop)
    if found is None:
        return cell
    cell.ink = (
        box[0] + found[0] - INK_MARGIN_PIXELS,
        box[1] + found[1] - INK_MARGIN_PIXELS,
        box[0] + found[2] + INK_MARGIN_PIXELS,
        box[1] + found[3] + INK_MARGIN_PIXELS,
    )
    cell.tail = _mark_box(ink, cell.ink, dpi)
    return cell


def _mark_box(
    ink: Image.Image, box: tuple[int, int, int, int], dpi: float
) -> tuple[int, int, int, int] | None:
    """Where the raised mark ending the cell's last line sits (a wrapped text's mark too)."""
    rows = page_image.last_line_rows(ink.crop(box))
    if rows is None:
        return None
    left, upper, right, _ = box
    line = (left, upper + rows[0], right, upper + rows[1] + 1)
    tail = page_image.raised_tail(ink.crop(line), dpi)
    if tail is None:
        return None
    return (left + tail - 1, line[1] - 1, right, line[3] + 1)


def _after_first_glyph(ink: Image.Image, cell: Cell) -> tuple[int, int, int, int] | None:
    """A one-letter cell's footnote mark is whatever follows the letter, raised or not."""
    assert cell.ink is not None
    columns = page_image.ink_columns(ink.crop(cell.ink))
    inked = [x for x, column in enumerate(columns) if column is not None]
    if not inked:
        return None
    gap = next((x for x in range(inked[0], len(columns)) if columns[x] is None), None)
    rest = [x for x in inked if gap is not None and x > gap]
    if not rest:
        return None
    left, upper, right, lower = cell.ink
    return (left + rest[0] - 1, upper, right, lower)


class Deadline:
    """The scan's time budget, spent by tesseract reads that are cancelled when it runs out."""

    def __init__(self, started: float, budget: float) -> None:
        self.at, self.budget = started + budget, budget

    def check(self) -> float:
        left = self.at - time.monotonic()
        if left <= 0:
            raise self.exceeded()
        return left

    def exceeded(self) -> ParseError:
        return ParseError(
            Reason.PARSE_TIMEOUT, f"PDF parse exceeded {self.budget:g}s", stage="limit"
        )

    def read(self, crops: list[Image.Image], whitelist: str | None = None) -> list[Any]:
        left = self.check()
        try:
            return tesseract.read_crops(crops, whitelist, timeout=left)
        except tesseract.RecognitionTimeout:
            raise self.exceeded() from None


def rescale(image: Image.Image, dpi: float, target_dpi: float) -> Image.Image:
    """A crop of a page image at `dpi` resampled to the scale tesseract reads best."""
    factor = target_dpi / dpi
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    return image.resize(size, Image.Resampling.LANCZOS)


class _Crops:
    """Crops of one page image at the scales tesseract reads best."""

    def __init__(self, grey: Image.Image, dpi: float) -> None:
        self.grey, self.dpi = grey, dpi

    def _scaled(self, box: tuple[int, int, int, int], target_dpi: float) -> Image.Image:
        return self._scale(self.grey.crop(box), target_dpi)

    def _scale(self, image: Image.Image, target_dpi: float) -> Image.Image:
        return rescale(image, self.dpi, target_dpi)

    def whole(self, cell: Cell) -> Image.Image:
        assert cell.ink is not None
        return self._scaled(cell.ink, TEXT_DPI)

    def value(self, cell: Cell, target_dpi: float = TARGET_DPI) -> Image.Image:
        """The cell with its raised mark painted out."""
        assert cell.ink is not None
        image = self.grey.crop(cell.ink)
        if cell.tail is not None:
            left, upper, right, lower = cell.tail
            x, y = cell.ink[0], cell.ink[1]
            image.paste(255, (left + 2 - x, upper - y, right - x, lower - y))
        return self._scale(image, target_dpi)

    def mark(self, cell: Cell) -> Image.Image:
        assert cell.tail is not None
        return self._scaled(cell.tail, MARK_DPI)


def _layer_text(chars: list[dict[str, Any]], bbox: tuple[float, float, float, float]) -> str:
    """The text layer's characters whose middle lies in the cell (OCR boxes overhang cells).

    Chosen from the page's characters once listed, not by pdfplumber's page.filter, which
    walks every object of the page again for each cell."""
    x0, top, x1, bottom = bbox
    inside = [
        char
        for char in chars
        if x0 <= (char["x0"] + char["x1"]) / 2 <= x1
        and top <= (char["top"] + char["bottom"]) / 2 <= bottom
    ]
    return normalise(extract_text(inside)) if inside else ""


def _looks_letter(text: str) -> bool:
    """A code or A/D or D/I cell: a letter or two, perhaps with a mark ("S(1)", "s®")."""
    body = re.sub(r"[(\[{]?\d{0,2}[)\]}®©@°]*$", "", "".join(text.split()))
    return 1 <= len(body) <= 2 and body[0].isalpha() and len(text) <= 6


def _looks_numeric(text: str) -> bool:
    """An amount or date (with its mark), not words that end in a footnote mark."""
    body = re.sub(r"\S{0,2}\d{1,2}\S?$", "", text) if re.search(r"[A-Za-z]{3}", text) else text
    return bool(_DIGITISH.search(body)) and sum(ch.isalpha() for ch in body) <= 2


def read_page_cells(
    chars: list[dict[str, Any]],
    tables: list[Any],
    grey: Image.Image,
    dpi: float,
    deadline: Deadline,
    strict: bool = False,
    needs_layer: bool = False,
) -> list[list[Cell | None]]:
    """Every table row's cells, located in the page image and re-read by tesseract; `chars`
    are the text layer's characters in the image's frame; `strict` marks a speckled page's,
    `needs_layer` a noisy page's (Cell)."""
    ink = page_image.threshold(grey)
    rows: list[list[Cell | None]] = []
    for table in tables:
        for row in table.rows:
            cells: list[Cell | None] = []
            for bbox in row.cells:
                if bbox is None:
                    cells.append(None)
                    continue
                cell = _locate_ink(ink, bbox, dpi, strict)
                cell.needs_layer = needs_layer
                cell.layer = _layer_text(chars, bbox)
                cells.append(cell)
            rows.append(cells)
    crops = _Crops(grey, dpi)
    inked = [c for row in rows for c in row if c is not None and c.ink is not None]
    to_read = []
    for cell in inked:
        label = ocr_labels.column_label_alone(cell.layer)
        if label is None:
            to_read.append(cell)
        else:
            cell.whole = label
    for cell, read in zip(to_read, deadline.read([crops.whole(c) for c in to_read]), strict=True):
        cell.whole = normalise(read.text)
    short = [c for c in inked if len(c.whole) <= 24 and "\n" not in c.whole]
    letters = [c for c in short if _looks_letter(c.whole)]
    for cell in letters:
        if cell.tail is None:
            cell.tail = _after_first_glyph(ink, cell)
    numeric = [c for c in short if not _looks_letter(c.whole) and _looks_numeric(c.whole)]
    for group, whitelist in ((numeric, _FIGURE_LETTERS), (letters, _CODE_LETTERS)):
        reads = deadline.read([crops.value(c) for c in group], whitelist=whitelist)
        for cell, read in zip(group, reads, strict=True):
            cell.value = read.text
    grouped = any(ocr_values.grouped(c.value) for c in numeric)
    for cell in numeric:
        cell.page_groups_thousands = grouped
    contradicted = [
        c for c in numeric if ocr_values.layer_contradicts(c.layer, ocr_values.figure_read(c.value))
    ]
    breaks = [
        deadline.read([crops.value(c, dpi) for c in contradicted], whitelist=_FIGURE_LETTERS)
        for dpi in ocr_values.TIE_BREAK_DPIS
    ]
    for cell, *tie_breaks in zip(contradicted, *breaks, strict=True):
        cell.tie_breaks = tuple(read.text for read in tie_breaks)
    valued = {id(c) for c in numeric + letters}
    worded = [c for c in inked if c.tail is not None and id(c) not in valued]
    reads = deadline.read([crops.value(c, TEXT_DPI) for c in worded])
    for cell, read in zip(worded, reads, strict=True):
        cell.value = normalise(read.text)
    marked = [c for c in inked if c.tail is not None]
    reads = deadline.read([crops.mark(c) for c in marked], whitelist="0123456789()")
    for cell, read in zip(marked, reads, strict=True):
        cell.mark = read.text
    return rows
