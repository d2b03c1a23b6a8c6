"""A scanned Form 3/4/5 (page image + OCR text layer) read from its pixels as well as its text.

A scan has no vector rulings, so the table grid is found in the image (page_image), each cell
is cropped, cleaned and re-read with tesseract (in a few batched runs a page), and the grid
goes through the same label-driven GridReader as a printed PDF. Value cells are taken only
when the reads agree (ocr_values); anything else stays null. Without tesseract the scan is
read from its text layer alone, strictly (text_form).
"""

from __future__ import annotations

import re
import subprocess
import time
from dataclasses import dataclass
from typing import Any

from PIL import Image

from consumers.parsing import form_grid, ocr_labels, ocr_values, page_image, scan_checks, tesseract
from consumers.parsing.errors import ParseError, Reason
from consumers.parsing.form_grid import GridReader
from consumers.parsing.model import Filing, TableLine
from consumers.parsing.text_form import normalise

TARGET_DPI = 450  # value crops are scaled to this before tesseract reads them
TEXT_DPI = 300  # text crops (labels, names, titles) need less
DEFAULT_SCAN_DPI = 150.0
MAX_PAGE_PIXELS = 40_000_000  # a Letter page at 400 dpi is 15 Mpx; more is not a form scan
_INSET_POINTS = 1.5  # stay inside the ruling that bounds a cell
_AMOUNT_FIELDS = frozenset(
    {
        "shares",
        "price_per_share",
        "shares_owned_following",
        "conversion_or_exercise_price",
        "underlying_shares",
        "shares_acquired",
        "shares_disposed",
    }
)
_DATE_FIELDS = frozenset(
    {"transaction_date", "deemed_execution_date", "exercise_date", "expiration_date"}
)
_LETTER_FIELDS = {
    "transaction_code": ocr_values.CODES,
    "acquired_disposed": ocr_values.A_OR_D,
    "direct_indirect": ocr_values.D_OR_I,
}
_TEXT_NOISE = re.compile(r"^[\[\]|_—~]+|[\[\]|_—~]+$")
_DIGITISH = re.compile(r"\d")
_CODE_LETTERS = "".join(sorted(ocr_values.CODES | ocr_values.A_OR_D | ocr_values.D_OR_I))


@dataclass(eq=False)
class _Cell:
    bbox: tuple[float, float, float, float]
    ink: tuple[int, int, int, int] | None = None  # pixel box of the ink, None when blank
    tail: tuple[int, int, int, int] | None = None  # pixel box of a raised footnote mark
    layer: str = ""
    whole: str = ""
    confidence: float = 0.0
    value: str = ""
    value_confidence: float = 0.0
    mark: str = ""

    def reads(self) -> ocr_values.CellReads:
        return ocr_values.CellReads(self.layer, self.whole, self.value, self.mark)


def scan_resolution(page: Any) -> float:
    """The resolution the page was scanned at, from its largest image."""
    images = [i for i in page.images if i.get("srcsize") and i["x1"] > i["x0"]]
    if not images:
        return DEFAULT_SCAN_DPI
    image = max(images, key=lambda i: i["x1"] - i["x0"])
    return min(max(image["srcsize"][0] * 72.0 / (image["x1"] - image["x0"]), 72.0), 400.0)


def _locate_ink(ink: Image.Image, bbox: tuple[float, float, float, float], dpi: float) -> _Cell:
    scale = dpi / 72.0
    inset = max(2, round(_INSET_POINTS * scale))
    x0, top, x1, bottom = (round(v * scale) for v in bbox)
    box = (x0 + inset, top + inset, x1 - inset, bottom - inset)
    cell = _Cell(bbox=bbox)
    if box[2] - box[0] < 3 or box[3] - box[1] < 3:
        return cell
    found = page_image.ink_box(ink.crop(box))
    if found is None:
        return cell
    pad = 2
    cell.ink = (
        box[0] + found[0] - pad,
        box[1] + found[1] - pad,
        box[0] + found[2] + pad,
        box[1] + found[3] + pad,
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


def _after_first_glyph(ink: Image.Image, cell: _Cell) -> tuple[int, int, int, int] | None:
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


class _Deadline:
    """The scan's time budget, spent by tesseract runs that are killed when it runs out."""

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
        except subprocess.TimeoutExpired:
            raise self.exceeded() from None
        except subprocess.CalledProcessError as error:
            stderr = (error.stderr or b"").decode("utf-8", "replace").strip()[:200]
            raise ParseError(Reason.OCR_LOW_CONFIDENCE, f"tesseract failed: {stderr}") from None


class _Crops:
    """Crops of one page image at the scales tesseract reads best."""

    def __init__(self, grey: Image.Image, dpi: float) -> None:
        self.grey, self.dpi = grey, dpi

    def _scaled(self, box: tuple[int, int, int, int], target_dpi: float) -> Image.Image:
        return self._scale(self.grey.crop(box), target_dpi)

    def _scale(self, image: Image.Image, target_dpi: float) -> Image.Image:
        factor = target_dpi / self.dpi
        size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
        return image.resize(size, Image.Resampling.LANCZOS)

    def whole(self, cell: _Cell) -> Image.Image:
        assert cell.ink is not None
        return self._scaled(cell.ink, TEXT_DPI)

    def value(self, cell: _Cell, target_dpi: float = TARGET_DPI) -> Image.Image:
        """The cell with its raised mark painted out."""
        assert cell.ink is not None
        image = self.grey.crop(cell.ink)
        if cell.tail is not None:
            left, upper, right, lower = cell.tail
            x, y = cell.ink[0], cell.ink[1]
            image.paste(255, (left + 2 - x, upper - y, right - x, lower - y))
        return self._scale(image, target_dpi)

    def mark(self, cell: _Cell) -> Image.Image:
        assert cell.tail is not None
        return self._scaled(cell.tail, TARGET_DPI)


def _layer_text(page: Any, bbox: tuple[float, float, float, float]) -> str:
    """The text layer's characters whose middle lies in the cell (OCR boxes overhang cells)."""
    x0, top, x1, bottom = bbox

    def inside(obj: dict[str, Any]) -> bool:
        if obj.get("object_type") != "char":
            return False
        x, y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return x0 <= x <= x1 and top <= y <= bottom

    return normalise(page.filter(inside).extract_text() or "")


def _looks_letter(text: str) -> bool:
    """A code or A/D or D/I cell: a letter or two, perhaps with a mark ("S(1)", "s®")."""
    body = re.sub(r"[(\[{]?\d{0,2}[)\]}®©@°]*$", "", "".join(text.split()))
    return 1 <= len(body) <= 2 and body[0].isalpha() and len(text) <= 6


def _looks_numeric(text: str) -> bool:
    """An amount or date (with its mark), not words that end in a footnote mark."""
    body = re.sub(r"\S{0,2}\d{1,2}\S?$", "", text) if re.search(r"[A-Za-z]{3}", text) else text
    return bool(_DIGITISH.search(body)) and sum(ch.isalpha() for ch in body) <= 2


def _read_page_cells(
    page: Any, tables: list[Any], grey: Image.Image, dpi: float, deadline: _Deadline
):
    ink = page_image.threshold(grey)
    rows: list[list[_Cell | None]] = []
    for table in tables:
        for row in table.rows:
            cells: list[_Cell | None] = []
            for bbox in row.cells:
                if bbox is None:
                    cells.append(None)
                    continue
                cell = _locate_ink(ink, bbox, dpi)
                cell.layer = _layer_text(page, bbox)
                cells.append(cell)
            rows.append(cells)
    crops = _Crops(grey, dpi)
    inked = [c for row in rows for c in row if c is not None and c.ink is not None]
    for cell, read in zip(inked, deadline.read([crops.whole(c) for c in inked]), strict=True):
        cell.whole, cell.confidence = normalise(read.text), read.confidence
    short = [c for c in inked if len(c.whole) <= 24 and "\n" not in c.whole]
    letters = [c for c in short if _looks_letter(c.whole)]
    for cell in letters:
        if cell.tail is None:
            cell.tail = _after_first_glyph(ink, cell)
    numeric = [c for c in short if not _looks_letter(c.whole) and _looks_numeric(c.whole)]
    for group, whitelist in ((numeric, "$0123456789,./()"), (letters, _CODE_LETTERS)):
        reads = deadline.read([crops.value(c) for c in group], whitelist=whitelist)
        for cell, read in zip(group, reads, strict=True):
            cell.value, cell.value_confidence = read.text, read.confidence
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


_CHECKED = re.compile(
    r"(?:^|(?<=\s))[\[({|lI]?[XxK][\]J)}|1l]?(?=\s+(?:Director|10%|Officer|Other|Form))"
)
_UNCHECKED = re.compile(
    r"(?:^|(?<=\s))(?:\[\s*[\]J]|\[|\])(?=\s+(?:Director|10%|Officer|Other|Form))"
)
_ROMAN = re.compile(r"\b(?=[IVXl]*[IVX])(?=[IVXl]*l)[IVXl]{2,}\b")  # "XIl" -> "XII"
_FORM_TITLE = re.compile(r"\bFORM\s*([345])(?=\s|/|$)")
_OPEN_TICKER = re.compile(r"(\[\s*[A-Z][A-Z.\-]{0,9})\s*[J|1l)}]?\s*$", re.MULTILINE)


def _text(cell: _Cell | None) -> str | None:
    """A text cell as re-read, without the ruling fragments OCR glues to its edges, and with
    the form's checkboxes and ticker brackets as printed ("X]" -> "[X]", "[ TSLA" -> "[TSLA]")."""
    if cell is None:
        return None
    read = cell.whole
    if cell.tail is not None and cell.value:
        read = cell.value.rstrip("'!’`\"°*")  # what is left of a painted-out mark
    lines = (_TEXT_NOISE.sub("", line).strip() for line in read.splitlines())
    text = ocr_labels.restore_labels("\n".join(line for line in lines if line))
    text = _ROMAN.sub(lambda m: m[0].replace("l", "I"), text)
    text = _CHECKED.sub("[X]", text)
    text = _UNCHECKED.sub("[ ]", text)
    text = _OPEN_TICKER.sub(r"\1]", text)
    return text.replace("lf Amendment", "If Amendment")


def _marks_text(marks: list[str]) -> str:
    return "".join(f"({m[1:]})" for m in marks)


_NATURE = "nature_of_ownership"
_GATED_TEXT_FIELDS = frozenset({_NATURE})
_LAYER_NOISE = re.compile(r"[\[\]|{}_—~]")
_LEFT_RULING = re.compile(r"^[|lI\[](?=[A-Z(])")  # a cell's left rule read as "I" or "l"


def _layer_agrees(text: str, layer: str) -> bool:
    """The re-read text is what the scan's own text layer says (ruling fragments aside)."""
    if not text:
        return True

    def squeeze(value: str) -> str:
        lines = (_LEFT_RULING.sub("", line.strip()) for line in value.splitlines())
        return " ".join(_LAYER_NOISE.sub(" ", " ".join(lines)).split())

    # The layer glues a mark to the last word ("L.P2e)"): its final full stop may be lost.
    return squeeze(layer).startswith(squeeze(text).rstrip("."))


class _Resolver:
    """Turns each data row's cells into the texts the grid reader gets: a value only when its
    reads agree; an agreed letter the text layer does not confirm is held back (null) as a
    candidate the rest of the filing may confirm after the grid is read (scan_checks)."""

    def __init__(self) -> None:
        self.row: list[_Cell | None] = []
        self.held: dict[str, str] = {}  # field -> candidate of the row being resolved

    def __call__(self, fields: list[str | None], row: Any) -> list[str | None]:
        self.held = {}
        texts = [self._resolve(f, c) for f, c in zip(fields, self.row, strict=False)]
        ownership = self.held.get("direct_indirect")
        if ownership is not None:
            # The nature-of-ownership column is filled exactly for indirect holdings.
            nature = [c for f, c in zip(fields, self.row, strict=False) if f == _NATURE]
            inked = any(c is not None and c.ink is not None for c in nature)
            if ownership == ("I" if inked else "D"):
                index = fields.index("direct_indirect")
                texts[index] = ownership + (texts[index] or "")
                del self.held["direct_indirect"]
        return texts

    def _resolve(self, field: str | None, cell: _Cell | None) -> str | None:
        if cell is None:
            return None
        if cell.ink is None or field is None or field == "v":
            return ""
        if field in _AMOUNT_FIELDS:
            agreement = ocr_values.agreed_amount(cell.reads())
        elif field in _DATE_FIELDS:
            agreement = ocr_values.agreed_date(cell.reads())
        elif field in _LETTER_FIELDS:
            agreement = ocr_values.agreed_letter(cell.reads(), _LETTER_FIELDS[field])
        else:
            text = _text(cell) or ""
            marks = ocr_values.clean_mark(cell.mark) if cell.tail is not None else []
            if field in _GATED_TEXT_FIELDS and not _layer_agrees(text, cell.layer):
                text = ""
            return text + _marks_text(marks)
        if agreement.value is None:
            return ocr_values.agreed_marks_only(cell.reads())
        # Two re-reads (different scales and alphabets) agreeing on a well-formed amount or
        # date were measured as safe as three; a letter needs the layer or the form's checks.
        if agreement.confirmed or field not in _LETTER_FIELDS:
            return agreement.value + _marks_text(agreement.marks)
        self.held[field] = agreement.value
        return _marks_text(agreement.marks)


def parse_scanned_pdf(pdf: Any, started: float, budget: float) -> Filing:
    """Read a scan whose pages carry an OCR text layer; ParseError when it cannot be trusted."""
    deadline = _Deadline(started, budget)
    reader = GridReader("pdf")
    texts: list[str] = []  # the grids' surroundings: layer text above, a re-read below
    layer_texts: list[str] = []
    grids = 0
    resolver = _Resolver()
    reader.resolve_cells = resolver
    held: list[tuple[TableLine, dict[str, str]]] = []
    for page in pdf.pages:
        deadline.check()
        layer_texts.append(_FORM_TITLE.sub(r"FORM \1", normalise(page.extract_text() or "")))
        dpi = scan_resolution(page)
        if page.width * page.height * (dpi / 72.0) ** 2 > MAX_PAGE_PIXELS:
            raise ParseError(
                Reason.DOCUMENT_TOO_LARGE,
                f"page of {page.width:g}x{page.height:g} pt at {dpi:g} dpi exceeds "
                f"{MAX_PAGE_PIXELS:,} pixels",
                stage="limit",
            )
        grey = page.to_image(resolution=dpi).original.convert("L")
        horizontal, vertical = page_image.find_rulings(page_image.threshold(grey), dpi)
        if len(horizontal) < 2 or len(vertical) < 2:
            texts.append(_reread_below(grey, dpi, 0.0, deadline))
            continue
        # A row cut by a page break has walls but no floor (or roof): close it at their ends.
        ends = sorted(
            {round(v["top"], 1) for v in vertical} | {round(v["bottom"], 1) for v in vertical}
        )
        tables = page.find_tables(
            {
                "vertical_strategy": "explicit",
                "horizontal_strategy": "explicit",
                "explicit_vertical_lines": vertical,
                "explicit_horizontal_lines": horizontal + ends,
                "snap_tolerance": 3,
                "join_tolerance": 3,
                "intersection_tolerance": 3,
            }
        )
        tables.sort(key=lambda t: (t.bbox[1], t.bbox[0]))
        grids += len(tables)
        bottom = max((t.bbox[3] for t in tables), default=0.0)
        above = page.crop((0, 0, page.width, bottom)).extract_text() if bottom else ""
        texts.append(_FORM_TITLE.sub(r"FORM \1", normalise(above or "")))
        texts.append(_reread_below(grey, dpi, bottom, deadline))
        for row in _read_page_cells(page, tables, grey, dpi, deadline):
            resolver.row, resolver.held = row, {}
            lines = len(reader.filing.lines)
            reader.feed([[_text(c) for c in row]])
            if resolver.held and len(reader.filing.lines) > lines:
                held.append((reader.filing.lines[-1], resolver.held))
    if grids == 0:
        raise ParseError(Reason.OCR_LOW_CONFIDENCE, "no ruled table found in the page images")
    filing = reader.finish(_with_form_title("\n".join(texts)))
    scan_checks.confirm_held(filing, held)
    return _withhold_unverified(filing, "\n".join(layer_texts))


_STATEMENTS = (  # the heading each form prints under its title, longest first
    ("ANNUAL STATEMENT OF CHANGES IN BENEFICIAL OWNERSHIP", "5"),
    ("INITIAL STATEMENT OF BENEFICIAL OWNERSHIP", "3"),
    ("STATEMENT OF CHANGES IN BENEFICIAL OWNERSHIP", "4"),
)


def _with_form_title(text: str) -> str:
    """A scan's big "FORM 4" title is often lost by OCR; its printed heading says the same."""
    head = text[:2000]
    if _FORM_TITLE.search(head):
        return text
    squeezed = " ".join(head.upper().split())
    for heading, form in _STATEMENTS:
        if heading in squeezed:
            return f"FORM {form}\n{text}"
    return text


def _reread_below(grey: Image.Image, dpi: float, top_points: float, deadline: _Deadline) -> str:
    """The page below its grids (footnotes, remarks, signature) re-read from the image."""
    scale = dpi / 72.0
    area = grey.crop((0, round(top_points * scale) + 2, grey.width, grey.height))
    box = page_image.ink_box(page_image.threshold(area))
    if box is None:
        return ""
    factor = TEXT_DPI / dpi
    crop = area.crop(box)
    crop = crop.resize(
        (round(crop.width * factor), round(crop.height * factor)), Image.Resampling.LANCZOS
    )
    (read,) = deadline.read([crop])
    return _FORM_TITLE.sub(r"FORM \1", normalise(read.text))


def _same_text(first: str | None, second: str | None) -> bool:
    return first is not None and " ".join(first.split()) == " ".join((second or "").split())


def _withhold_unverified(filing: Filing, layer_text: str) -> Filing:
    """Free text outside the grid is re-read from the image; a footnote text, remark or
    signature name stands only when the scan's text layer says exactly the same, else it is
    null (for review). Marks must name a footnote found; a signature date must be plausible."""
    layer_notes = {note.id: note.text for note in form_grid.footnotes_in(layer_text)}
    known = {note.id for note in filing.footnotes}
    for note in filing.footnotes:
        if not _same_text(note.text, layer_notes.get(note.id)):
            note.text = None
    if not _same_text(filing.remarks, form_grid.remarks_in(layer_text)):
        filing.remarks = None
    layer_names = [s.name for s in form_grid.signatures_in(layer_text)]
    for index, signature in enumerate(filing.signatures):
        layer_name = layer_names[index] if index < len(layer_names) else None
        if not _same_text(signature.name, layer_name):
            signature.name = None
        if signature.date is not None and filing.period_of_report is not None:
            days = (signature.date - filing.period_of_report).days
            if not 0 <= days <= 366:
                signature.date = None
    for line in filing.lines:
        for field, ids in list(line.footnote_ids.items()):
            kept = [i for i in ids if i in known]
            if kept:
                line.footnote_ids[field] = kept
            else:
                del line.footnote_ids[field]
    return filing
