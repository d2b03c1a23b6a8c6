"""A page of the form's shape at another size reads as the form: the same records from a scan
whose image was embedded without its resolution (a page 2.14 times letter) or a PDF printed
at half size, as at letter size."""

from __future__ import annotations

import pytest

from bench.make_ocr_tier import rescale_pages
from consumers.parsing import parse_document
from consumers.parsing.core.page import form_scale
from consumers.parsing.core.records import filing_records
from tests.conftest import FIXTURES

SCAN = FIXTURES / "pdf" / "ocr-000089924319028183.pdf"  # image + OCR layer, 150 dpi
PRINTED = FIXTURES / "pdf" / "000089924321036608.pdf"  # text layer and vector rulings


def _records(data: bytes) -> list[dict]:
    return filing_records(parse_document(data))


@pytest.fixture(scope="module")
def scan_at_letter() -> list[dict]:
    return _records(SCAN.read_bytes())


@pytest.mark.parametrize("factor", [0.5, 2.14, 3.0])
def test_a_scan_at_another_page_size_gives_the_records_it_gives_at_letter(
    scan_at_letter: list[dict], factor: float
) -> None:
    assert scan_at_letter  # the letter-size scan reads (a read that failed twice is not equal)
    assert _records(rescale_pages(SCAN.read_bytes(), factor)) == scan_at_letter


@pytest.mark.parametrize("factor", [0.5, 3.0])
def test_a_printed_form_at_another_page_size_gives_the_same_records(factor: float) -> None:
    letter = _records(PRINTED.read_bytes())
    assert letter and letter[0]["footnotes"] and letter[0]["signatures"]
    assert _records(rescale_pages(PRINTED.read_bytes(), factor)) == letter


def test_only_the_forms_shape_at_another_size_is_rescaled() -> None:
    assert form_scale(612, 792) == 1.0  # letter
    assert form_scale(792, 612) == 1.0  # landscape letter
    assert form_scale(595, 842) == 1.0  # A4: another shape, read as printed
    assert form_scale(600, 776) == 1.0  # letter cropped a little by a scanner
    assert form_scale(1309.7, 1694.9) == pytest.approx(612 / 1309.7)  # 70 ppi embedding
    assert form_scale(306, 396) == pytest.approx(2.0)
    assert form_scale(2376, 1836) == pytest.approx(1 / 3)  # landscape, three times
    assert form_scale(0, 792) == 1.0


def test_a_dark_or_faint_scan_is_stretched_to_white_paper_and_black_ink() -> None:
    from PIL import Image, ImageDraw

    from consumers.parsing.scan.page_image import normalise_levels

    good = Image.new("L", (200, 100), 255)
    ImageDraw.Draw(good).rectangle((20, 20, 60, 80), fill=0)
    assert normalise_levels(good) is good  # a good scan: the very same pixels
    dark = good.point(lambda v: 40 + v * 140 // 255)  # paper 180, ink 40
    faint = good.point(lambda v: 170 + v * 85 // 255)  # paper 255, ink 170
    for spoilt in (dark, faint):
        fixed = normalise_levels(spoilt)
        assert fixed.getpixel((100, 50)) == 255 and fixed.getpixel((40, 50)) == 0
    blank = Image.new("L", (50, 50), 200)
    assert normalise_levels(blank) is blank  # nothing to stretch


def test_on_any_scan_a_misread_looking_title_is_withheld_but_an_address_mark_is_not() -> None:
    from consumers.parsing.core.model import Filing, ReportingOwner, TableLine
    from consumers.parsing.scan.noisy import withhold_misreads

    line = TableLine(table="non_derivative", kind="transaction", line=1)
    line.security_title, line.underlying_security_title = "ClassA Common Stock", "Commen Stock"
    line.nature_of_ownership = "By Trust"
    owner = ReportingOwner(name="Jane Doe", street1="C/O YAHOO! INC., 701 FIRST AVENUE")
    owner.city = "REDMOND WA 98052"
    filing = Filing(source_format="pdf", lines=[line], reporting_owners=[owner])
    withhold_misreads(filing)
    assert line.security_title is None and line.underlying_security_title is None
    assert {"security_title", "underlying_security_title"} <= line.unread_fields
    assert line.nature_of_ownership == "By Trust" and owner.name == "Jane Doe"
    assert owner.street1 == "C/O YAHOO! INC., 701 FIRST AVENUE"  # the filer's own mark
    assert owner.city is None and "reporting_owners[0].city" in filing.provenance.unread
