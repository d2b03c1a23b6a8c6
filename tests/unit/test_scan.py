"""Scanned forms: rulings and raised marks found in pixels, values taken only when reads agree."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PIL import Image, ImageDraw

from consumers.parsing import ParseError, Reason, parse_document, tesseract
from consumers.parsing.compare import compare_filings
from consumers.parsing.ocr_values import CODES, CellReads, agreed_amount, agreed_date, agreed_letter
from consumers.parsing.page_image import find_rulings, raised_tail, threshold
from tests.conftest import FIXTURES

SCAN = FIXTURES / "pdf" / "ocr-000089924319028183.pdf"
SCAN_120_DPI = FIXTURES / "pdf" / "ocr120-000089924320015006.pdf"


def _page_with_grid(dpi: float) -> Image.Image:
    """A 2x3-cell table ruled at known points, plus text-sized strokes that are not rulings."""
    scale = dpi / 72
    image = Image.new("L", (round(300 * scale), round(200 * scale)), 255)
    draw = ImageDraw.Draw(image)
    for y in (20, 60, 100):
        draw.line([(20 * scale, y * scale), (280 * scale, y * scale)], fill=0, width=2)
    for x in (20, 120, 200, 280):
        draw.line([(x * scale, 20 * scale), (x * scale, 100 * scale)], fill=0, width=2)
    draw.line([(40 * scale, 150 * scale), (60 * scale, 150 * scale)], fill=0, width=2)  # a dash
    draw.line([(150 * scale, 140 * scale), (150 * scale, 145 * scale)], fill=0, width=2)  # an "l"
    return image


@pytest.mark.parametrize("dpi", [120, 150])
def test_rulings_are_found_where_drawn_and_strokes_are_not(dpi: int) -> None:
    horizontal, vertical = find_rulings(threshold(_page_with_grid(dpi)), dpi)
    assert [round(line["top"]) for line in horizontal] == [20, 60, 100]
    assert [round(line["x0"]) for line in sorted(vertical, key=lambda v: v["x0"])] == [
        20,
        120,
        200,
        280,
    ]
    assert all(round(line["top"]) == 20 and round(line["bottom"]) == 100 for line in vertical)


def _glyphs(bottoms: list[int]) -> Image.Image:
    """Black boxes standing for glyphs, each ending at the given row."""
    image = Image.new("L", (12 * len(bottoms) + 4, 40), 255)
    draw = ImageDraw.Draw(image)
    for index, bottom in enumerate(bottoms):
        draw.rectangle([2 + 12 * index, bottom - 14, 10 + 12 * index, bottom], fill=0)
    return threshold(image)


def test_a_raised_trailing_mark_is_split_off_at_its_first_glyph() -> None:
    # "8,202" on a baseline at row 30, then "(2)" ending 6 px higher (3 points at 150 dpi)
    assert raised_tail(_glyphs([30, 30, 30, 30, 24, 24, 24]), dpi := 150) == 2 + 12 * 4
    assert raised_tail(_glyphs([30, 30, 30, 30]), dpi) is None  # no mark
    assert raised_tail(_glyphs([30, 29, 30, 31]), dpi) is None  # jitter is not a mark
    assert raised_tail(_glyphs([24, 24, 24]), dpi) is None  # a cell holding only a mark


def test_amount_is_taken_only_when_every_read_agrees() -> None:
    agreed = CellReads(layer="8.2022", whole="8,202(2)", value="8,202", mark="(2)")
    assert agreed_amount(agreed) == ("8,202", ["F2"])
    # the text layer read another digit: nobody can tell which is right
    assert agreed_amount(CellReads("8.2622", "8,202(2)", "8,202", "(2)")) == (None, [])
    # the whole-cell re-read disagrees with the split re-read
    assert agreed_amount(CellReads("8.2022", "8,282(2)", "8,202", "(2)")) == (None, [])
    # not an amount at all
    assert agreed_amount(CellReads("8,2O2", "8,2O2", "8,2.02", "")) == (None, [])
    # a price whose mark's parens were lost in two reads but read cleanly when split
    assert agreed_amount(CellReads("$1,176.5853", "$1,176.585©)", "$1,176.585)", "(3)")) == (
        "$1,176.585",
        ["F3"],
    )


def test_dates_and_letters_need_agreement_too() -> None:
    assert agreed_date(CellReads("[11/08/2021", "11/08/2021", "11/08/2021", "")) == (
        "11/08/2021",
        [],
    )
    assert agreed_date(CellReads("11/09/2021", "11/08/2021", "11/08/2021", "")) == (None, [])
    assert agreed_letter(CellReads("so", "s®", "S", "(1)"), CODES) == ("S", ["F1"])
    assert agreed_letter(CellReads("P", "F", "F", ""), CODES) == (None, [])
    assert agreed_letter(CellReads("Q", "Q", "Q", ""), CODES) == (None, [])  # not an SEC code


@pytest.fixture
def needs_tesseract() -> None:
    """Not a skip: the scan path is the product, and .ci/run installs tesseract-ocr."""
    assert tesseract.available(), "install tesseract-ocr (Debian) to test the scan path"


def _truth(name: str):
    return parse_document((FIXTURES / "pdf" / f"{name}.xml").read_bytes())


@pytest.mark.usefixtures("needs_tesseract")
@pytest.mark.parametrize("path", [SCAN, SCAN_120_DPI], ids=["150dpi", "120dpi"])
def test_scan_emits_only_values_the_xml_has(path) -> None:
    filing = parse_document(path.read_bytes())
    score = compare_filings(_truth(path.stem.split("-", 1)[1]), filing)
    assert score.wrong == 0, score.wrong_fields
    assert score.right >= 0.7 * score.total
    assert filing.source_format == "pdf"
    assert all(isinstance(line.shares, Decimal) or line.shares is None for line in filing.lines)


def test_without_tesseract_a_scan_is_read_from_its_text_layer_strictly(monkeypatch) -> None:
    monkeypatch.setenv("FORM4_TESSERACT", "/nonexistent/tesseract")
    with pytest.raises(ParseError) as caught:
        parse_document(SCAN.read_bytes())
    assert caught.value.reason == Reason.OCR_LOW_CONFIDENCE
