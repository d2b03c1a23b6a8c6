"""Scanned forms: rulings and raised marks found in pixels, values taken only when reads agree."""

from __future__ import annotations

import io
import shutil
import subprocess
import time
from dataclasses import replace
from decimal import Decimal

import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from bench.scoring import compare_filings
from consumers.parsing import ParseError, Reason, parse_document
from consumers.parsing.core.model import TRANSACTION_CODES as CODES
from consumers.parsing.core.model import Filing, Footnote, Issuer, ReportingOwner, TableLine
from consumers.parsing.core.printed import footnotes_in, signatures_in
from consumers.parsing.scan import noisy, page_image, tesseract
from consumers.parsing.scan import reader as scan_reader
from consumers.parsing.scan.cells import MARK_DPI, Cell, Deadline, rescale
from consumers.parsing.scan.checks import (
    confirm_held,
    confirm_held_dates,
    withhold_broken_chains,
    withhold_points_read_as_commas,
)
from consumers.parsing.scan.layer import ScanPage
from consumers.parsing.scan.noisy import withhold_misreads, withhold_speckled
from consumers.parsing.scan.ocr_labels import (
    column_label_alone,
    form_by_heading,
    form_named_in,
    restore_agreed_label,
    restore_headings,
    restore_labels,
)
from consumers.parsing.scan.ocr_values import (
    Agreement,
    CellReads,
    agreed_amount,
    agreed_date,
    agreed_letter,
    agreed_marks_only,
    clean_mark,
    layer_contradicts,
    layer_doubts_date,
    separator_in_doubt,
)
from consumers.parsing.scan.page_image import (
    blurred,
    despeckle,
    estimate_skew,
    find_rulings,
    level,
    normalise_levels,
    raised_tail,
    rotate_point,
    shared_ends,
    sharpened,
    text_ink_box,
    text_lines,
    threshold,
    without_underlines,
)
from consumers.parsing.scan.prose import FORM_FOOTER, reread_lines
from tests.conftest import FIXTURES

SCAN = FIXTURES / "pdf" / "ocr-000089924319028183.pdf"
SCAN_120_DPI = FIXTURES / "pdf" / "ocr120-000106299324020070.pdf"  # bench/make_ocr_tier.py
NOISY_SCAN = FIXTURES / "pdf" / "noisy150-000089924320013498.pdf"  # bench/make_scan_tier.py


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
    ruled = pytest.approx  # to within a ruling's thickness
    assert [line["top"] for line in horizontal] == [ruled(y, abs=1) for y in (20, 60, 100)]
    walls = sorted(line["x0"] for line in vertical)
    assert walls == [ruled(x, abs=1) for x in (20, 120, 200, 280)]
    # a wall spans its table, give or take the thickness of the rulings it meets
    for line in vertical:
        assert (line["top"], line["bottom"]) == (
            pytest.approx(20, abs=1),
            pytest.approx(100, abs=1),
        )


def test_a_blurred_line_of_text_is_no_ruling_and_the_rulings_stay() -> None:
    # a real Form 4's header boxes scanned at 150 dpi through the blur family (seed 41):
    # three rulings cross the page; blur runs its lines of small type into dark bars
    grey = normalise_levels(Image.open(FIXTURES / "scan" / "blurred-header-150dpi.png"))
    ink = threshold(grey)
    assert len(find_rulings(ink, 150)[0]) > 20  # thresholded alone, each bar passes
    rulings = find_rulings(ink, 150, grey)[0]
    across = [line for line in rulings if line["x1"] - line["x0"] > 500]
    assert [round(line["top"]) for line in across] == [7, 99, 117]
    assert len(rulings) <= 6


def test_a_blurred_page_is_told_from_a_sharp_one_by_its_ink_edges() -> None:
    real = normalise_levels(Image.open(FIXTURES / "scan" / "blurred-header-150dpi.png"))
    assert blurred(real)
    typed = Image.new("L", (1200, 400), 255)
    draw = ImageDraw.Draw(typed)
    for row in range(6):  # the form's small type, anti-aliased as a scanner's optics leave it
        draw.text(
            (20, 20 + 60 * row),
            "1. Name and Address of Reporting Person*" * 2,
            fill=0,
            font=ImageFont.load_default(size=22),
        )
    assert not blurred(typed)
    assert blurred(normalise_levels(typed.filter(ImageFilter.GaussianBlur(1.5))))
    assert not blurred(threshold(typed))  # a 1-bit fax: no grey between ink and paper
    assert sharpened(typed, 150).size == typed.size


@pytest.mark.parametrize("skew", [-1.7, -0.6, 0.0, 1.2, 2.0])
def test_a_page_fed_askew_is_levelled_and_its_rulings_found_whole(skew: float) -> None:
    page = _page_with_grid(150).rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=255)
    angle = estimate_skew(page)
    assert angle == pytest.approx(-skew, abs=0.1)
    horizontal, vertical = find_rulings(threshold(level(page, angle)), 150)
    assert len(horizontal) == 3 and len(vertical) == 4  # no ruling broken into steps
    # a point of the askew page lands where the levelled page has it
    x, y = rotate_point(*rotate_point(120, 60, skew, 300, 200), angle, 300, 200)
    assert (x, y) == (pytest.approx(120, abs=0.5), pytest.approx(60, abs=0.5))


def test_pieces_of_one_ruling_broken_by_noise_are_one_ruling() -> None:
    image = _page_with_grid(150)
    draw = ImageDraw.Draw(image)
    scale = 150 / 72
    for y in (40, 80):  # paper specks cut the wall at x=120 twice
        draw.rectangle([118 * scale, y * scale, 122 * scale, y * scale + 2], fill=255)
    _, vertical = find_rulings(threshold(image), 150)
    wall = [line for line in vertical if abs(line["x0"] - 120) < 2]
    assert len(wall) == 1
    assert (wall[0]["top"], wall[0]["bottom"]) == (
        pytest.approx(20, abs=1),
        pytest.approx(100, abs=1),
    )


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


def _agreed(agreement: Agreement) -> tuple[str | None, list[str], bool]:
    return agreement.value, agreement.marks, agreement.confirmed


def test_an_amount_needs_both_re_reads_and_is_confirmed_by_the_text_layer() -> None:
    agreed = CellReads(layer="8.2022", whole="8,202(2)", value="8,202", mark="(2)")
    assert _agreed(agreed_amount(agreed)) == ("8,202", ["F2"], True)
    # the text layer read another digit: the re-reads still agree, unconfirmed
    assert _agreed(agreed_amount(CellReads("8.2622", "8,202(2)", "8,202", "(2)"))) == (
        "8,202",
        ["F2"],
        False,
    )
    # the whole-cell re-read disagrees with the split re-read: nothing
    assert agreed_amount(CellReads("8.2022", "8,282(2)", "8,202", "(2)")).value is None
    # not an amount at all
    assert agreed_amount(CellReads("8,2O2", "8,2O2", "8,2.02", "")).value is None
    # "5,300" split at its comma as if "300" were a raised mark: the whole read goes on
    assert agreed_amount(CellReads("5.300", "5,300", "5", "300")).value is None
    # the dollar sign read as "\\s" or "ls" before the digits at low resolution
    assert agreed_amount(CellReads("|ga7s.i9@", "\\s875.19(9)", "$875.19", "(3)")).value == (
        "$875.19"
    )
    assert agreed_amount(CellReads("", "ls166.8754)", "$166.8754", "())")).value == "$166.8754"
    # a price whose mark's parens were lost in two reads but read cleanly when split
    assert _agreed(
        agreed_amount(CellReads("$1,176.5853", "$1,176.585©)", "$1,176.585)", "(3)"))
    ) == (
        "$1,176.585",
        ["F3"],
        True,
    )


def test_dates_letters_and_mark_only_cells() -> None:
    assert _agreed(agreed_date(CellReads("[11/08/2021", "11/08/2021", "11/08/2021", ""))) == (
        "11/08/2021",
        [],
        True,
    )
    assert agreed_date(CellReads("11/09/2021", "11/08/2021", "11/08/2021", "")).confirmed is False
    assert agreed_date(CellReads("11/08/2021", "11/09/2021", "11/08/2021", "")).value is None
    assert _agreed(agreed_letter(CellReads("so", "s®", "S", "(1)"), CODES)) == ("S", ["F1"], True)
    # the layer's left rule glued to the letter ("Is") is not a second letter
    assert agreed_letter(CellReads("Is", "S)", "S", ""), CODES).confirmed is True
    # a mark too small to be seen raised, read whole
    assert agreed_letter(CellReads("so", "s(5)", "S", ""), CODES).marks == ["F5"]
    assert agreed_letter(CellReads("P", "F", "F", ""), CODES).confirmed is False
    assert agreed_letter(CellReads("F", "F", "P", ""), CODES).value is None
    assert agreed_letter(CellReads("Q", "Q", "Q", ""), CODES).value is None  # not an SEC code
    # only the whole read saw a letter, and more than a letter: a 120 dpi "G(1)" read "eit)",
    # with the layer's "em" agreeing on E. Held for the form's checks, never confirmed.
    garbled = agreed_letter(CellReads("em", "eit)", "", ""), CODES)
    assert (garbled.value, garbled.confirmed) == ("E", False)
    # the same with a clean whole read ("s(1)", "Cc"): the layer confirms it
    assert agreed_letter(CellReads("so", "s(t)", "", ""), CODES).confirmed is True
    assert agreed_letter(CellReads("c®", "Cc", "", ""), CODES).confirmed is True
    # the layer's digits agree but its decimal point, after a thousands group, does not
    assert not agreed_amount(CellReads("$1,163.655", "1163655", "1163655", "")).confirmed
    assert agreed_amount(CellReads("$1,163.655", "$1,163.655", "$1,163.655", "")).confirmed

    assert agreed_marks_only(CellReads("(a", "(2)(3)", "(2)(3)", "")) == "(2)(3)"
    assert agreed_marks_only(CellReads("(a", "(2)(3)", "(2)(5)", "")) == ""
    assert clean_mark("(2)(3)(4)") == ["F2", "F3", "F4"]
    assert clean_mark("2)(3)") == []


def test_the_prose_headings_are_restored_or_put_back_above_the_first_footnote() -> None:
    assert restore_headings("Explanation of Rusponses:\n1. Held by a trust.\nRemarks; none") == (
        "Explanation of Responses:\n1. Held by a trust.\nRemarks: none"
    )
    assert restore_headings("Table II ends\n1. Held by a trust.\n2. Sold.") == (
        "Table II ends\nExplanation of Responses:\n1. Held by a trust.\n2. Sold."
    )
    for prose in ("Remarks made in a footnote", "No footnotes here"):  # no colon: not one
        assert restore_headings(prose) == prose


def test_box_labels_are_restored_and_values_left_alone() -> None:
    assert restore_labels("2 Issuer Name and Ticker or Trading Symbol\nMongoDB, Inc. [MDB]") == (
        "2. Issuer Name and Ticker or Trading Symbol\nMongoDB, Inc. [MDB]"
    )
    for garbled in ("L. Name and", "i Name and", "=, Name-and"):  # a noisy scan's "1. Name"
        assert restore_labels(f"{garbled} Address of Reporting Person*") == (
            "1. Name and Address of Reporting Person*"
        )
    for value in (
        "2800 SAND HILL ROAD, SUITE 101",
        "1,000 shares held by trust",
        "11/09/2021",
        "A Common Stock",
        "Transaction Code",
    ):
        assert restore_labels(value) == value


def test_a_label_both_reads_name_is_restored() -> None:
    """Blur garbles a label past the bar; the text layer, an independent read, names it."""
    layer = "Name and Address of Reporting Person' ,\n(First) (Middle)"
    box = "1 Name and 4-2 ess of =---iny Person\nWO SEQUOIA CAPITAL"
    assert restore_agreed_label(box, layer) == (
        "1. Name and Address of Reporting Person*\nWO SEQUOIA CAPITAL"
    )
    # The number unread and the label printed twice with it ("2." on a Form 4, "3." on a
    # Form 5): the words alone, which say which box it is.
    issuer = "issuer Name and 7--- or Trading Symbol Retaborstep\nenae"
    assert restore_agreed_label(issuer, "issuer Name andt Ticker } or Trading Symbo!") == (
        "Issuer Name and Ticker or Trading Symbol Retaborstep\nenae"
    )
    # Two labels as near ("2." and "3. Transaction Date"), told apart by no more than the
    # garbled number: the words alone.
    date = "3: Trans=== Date (Month/Day/Year)"
    assert restore_agreed_label(date, "Transaction Date (Month/Day/Year)") == (
        "Transaction Date (Month/Day/Year)"
    )
    # The label's line lost by the re-read, read by the layer: the box is there.
    lost = "Lash (Fas (Mackie)\n2029 STIERUIN"
    assert restore_agreed_label(lost, "Name and Address of Reporting Person\ni Weceban") == (
        f"1. Name and Address of Reporting Person*\n{lost}"
    )


def test_a_footnote_stands_when_the_layer_says_the_same_in_the_order_it_was_written() -> None:
    """A tesseract layer places each word's letters at guesses: read by place, the second
    print of a footnote is scrambled; read in writing order, it confirms the re-read."""
    trust = "The Elon Musk Revocable Trust dated July 22, 2003, for which the person is trustee."
    filing = Filing(source_format="pdf")
    filing.footnotes = [Footnote(id="F1", text=trust), Footnote(id="F2", text="Held by a trust.")]
    placed = (
        "Explanation of Responses:\n1. The Elon Musk RevocTruast bdatled eJu ly 22, 2003, for"
        " whichth e person is trustee.\n2. Held by a trust."
    )
    written = f"Explanation of Responses:\n1. {trust}\n2. Held by a tust."
    scan_reader.withhold_unconfirmed_prose(filing, scan_reader.LayerText(placed, written))
    assert filing.footnotes[0].text == trust
    assert filing.footnotes[1].text == "Held by a trust."  # by place
    scan_reader.withhold_unconfirmed_prose(filing, scan_reader.LayerText(written, written))
    assert filing.footnotes[1].text is None  # neither order says "trust"
    assert filing.provenance.unread == {"footnotes[F2].text"}


def test_a_label_one_read_names_is_left_alone() -> None:
    garbled = "1 Name and 4-2 ess of =---iny Person\nWO SEQUOIA CAPITAL"
    assert restore_agreed_label(garbled, "SEQUOIA CAPITAL, 2800 SAND HILL") == garbled
    # A value where the layer names a label: the re-read is not near it, and a label is in it.
    name = "1. Name and Address of Reporting Person*\nJOHN SMITH"
    assert restore_agreed_label(name, "Name and Address of Reporting Person") == name


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
    monkeypatch.setenv("FORM4_TESSDATA", "/nonexistent/tessdata")
    with pytest.raises(ParseError) as caught:
        parse_document(SCAN.read_bytes())
    assert caught.value.reason == Reason.OCR_LOW_CONFIDENCE


BLURRED_FORM_4 = FIXTURES / "scan" / "blurred-form4-150dpi.pdf"  # seed 41, blur family


@pytest.mark.usefixtures("needs_tesseract")
def test_a_scanned_form_4_whose_tables_blur_took_is_refused_not_emitted_empty(
    monkeypatch,
) -> None:
    """Read as it is (not sharpened), its boxes are found (the layer names the labels blur took
    from the re-read), but not one of its six lines: emitted, it would say the insider
    reported nothing."""
    monkeypatch.setattr(page_image, "blurred", lambda grey: False)
    with pytest.raises(ParseError) as caught:
        parse_document(BLURRED_FORM_4.read_bytes())
    assert caught.value.reason == Reason.PDF_TABLE_UNREADABLE
    assert "no table line read on a Form 4" in str(caught.value)


@pytest.mark.usefixtures("needs_tesseract")
def test_a_blurred_scan_is_sharpened_and_its_words_need_the_layer() -> None:
    filing = parse_document(BLURRED_FORM_4.read_bytes())
    truth = parse_document((FIXTURES / "scan" / "blurred-form4.xml").read_bytes())
    assert len(filing.lines) == len(truth.lines) == 6
    # the sharpened re-read alone reads the titles "CS Sears": unconfirmed, they are unread
    assert all(line.security_title is None for line in filing.lines)
    assert all("security_title" in line.unread_fields for line in filing.lines)
    pairs = zip(filing.lines, truth.lines, strict=True)
    right = {line.shares for line, wanted in pairs if line.shares == wanted.shares}
    assert {Decimal(10447), Decimal(16853)} <= right


def _scan_of_words(text: str) -> bytes:
    """A one-page image + text-layer PDF made by tesseract, the way scans arrive."""
    image = Image.new("L", (1600, 400), 255)
    ImageDraw.Draw(image).text((50, 100), text, fill=0, font=ImageFont.load_default(size=120))
    png = io.BytesIO()
    image.save(png, "PNG", dpi=(72, 72))
    binary = shutil.which("tesseract")
    assert binary is not None, "the tesseract binary (Debian tesseract-ocr) makes scans"
    made = subprocess.run(
        [binary, "stdin", "stdout", "pdf"], input=png.getvalue(), check=True, capture_output=True
    )
    return made.stdout


@pytest.mark.usefixtures("needs_tesseract")
def test_a_scan_without_a_ruled_form_or_too_big_to_render_is_refused(monkeypatch) -> None:
    scan = _scan_of_words("FORM 4 SCAN")
    with pytest.raises(ParseError) as caught:
        parse_document(scan)
    assert caught.value.reason == Reason.OCR_LOW_CONFIDENCE
    monkeypatch.setattr(scan_reader, "MAX_SCAN_PAGE_PIXELS", 100_000)
    with pytest.raises(ParseError) as caught:
        parse_document(scan)
    assert caught.value.reason == Reason.DOCUMENT_TOO_LARGE
    assert "pixels" in str(caught.value)


def _sale(number: int, shares: str, owned: str, code: str | None = "S") -> TableLine:
    return TableLine(
        table="non_derivative",
        kind="transaction",
        line=number,
        security_title="Common Stock",
        transaction_code=code,
        shares=Decimal(shares),
        shares_owned_following=Decimal(owned),
        direct_indirect="D",
    )


def test_held_letters_are_set_only_when_the_form_confirms_them() -> None:
    first, second = _sale(1, "100", "900"), _sale(2, "50", "850", code=None)
    exercise, odd = _sale(3, "5", "855", code="M"), _sale(4, "5", "1", code="M")
    filing = Filing(source_format="pdf", lines=[first, second, exercise, odd])
    confirm_held(
        filing,
        [
            (second, {"acquired_disposed": "D", "transaction_code": "S"}),  # S is read on line 1
            (exercise, {"acquired_disposed": "A"}),  # only arithmetic: 850 + 5 = 855
            (odd, {"acquired_disposed": "A"}),  # 855 + 5 is not 1, and M goes either way
        ],
    )
    assert (second.acquired_disposed, second.transaction_code) == ("D", "S")
    assert exercise.acquired_disposed == "A"
    assert odd.acquired_disposed is None


def test_a_box_date_that_is_no_calendar_date_is_dropped_not_fatal() -> None:
    label = "3. Date of Earliest Transaction (Month/Day/Year)"
    misread = scan_reader.cell_text(Cell(bbox=(0, 0, 1, 1), whole=f"{label}\n00/31/2022"))
    assert misread == label
    read = scan_reader.cell_text(Cell(bbox=(0, 0, 1, 1), whole=f"{label}\n08/31/2022"))
    assert read == f"{label}\n08/31/2022"


def test_a_direct_indirect_stroke_is_an_i_the_nature_column_must_confirm() -> None:
    def ownership(d_or_i: Cell, nature: Cell) -> str | None:
        resolved = scan_reader.resolve_scan_cells(
            ["direct_indirect", "nature_of_ownership"], [d_or_i, nature]
        )
        # a printed stroke is either read, or null and marked unread: never silently null
        assert bool(resolved.texts[0]) != ("direct_indirect" in resolved.unread)
        return resolved.texts[0] or None

    stroke = (957, 551, 963, 567)  # a sans-serif "I" at 150 dpi: 2 px wide, 12 px tall
    by_trust = Cell(bbox=(0, 0, 1, 1), ink=(0, 0, 40, 16), whole="By Trust", layer="By Trust")
    blank = Cell(bbox=(0, 0, 1, 1))
    assert ownership(Cell(bbox=(0, 0, 1, 1), ink=stroke, whole="|"), by_trust) == "I"
    # the engine reading a crop on its own may drop a lone stroke: the ink still says "I"
    assert ownership(Cell(bbox=(0, 0, 1, 1), ink=stroke, whole=""), by_trust) == "I"
    # no nature of ownership: an indirect holding would name it, so the stroke stays unread
    assert ownership(Cell(bbox=(0, 0, 1, 1), ink=stroke, whole="|"), blank) is None
    # a round glyph read as "|" is no I
    wide = Cell(bbox=(0, 0, 1, 1), ink=(950, 551, 963, 567), whole="|")
    assert ownership(wide, by_trust) is None


def test_a_footnote_mark_read_as_a_sign_is_an_unread_mark_not_text() -> None:
    nature = Cell(
        bbox=(0, 0, 1, 1), ink=(0, 0, 80, 16), whole="See Footnote®", layer="See Footnote®"
    )
    resolved = scan_reader.resolve_scan_cells(["nature_of_ownership"], [nature])
    assert resolved.texts == ["See Footnote"]
    assert resolved.unread == {"footnote_ids.nature_of_ownership"}


def test_a_box_read_without_a_space_the_layer_has_takes_the_layers_spacing() -> None:
    layer = "IBOTHA ROELOF Natera, Inc. [ NTRA ] BUILDING A SUITE 100 below) Class A"
    assert scan_reader.spaced_as_in_layer("BOTHAROELOF", layer) is None  # "IBOTHA": no word
    assert scan_reader.spaced_as_in_layer("BUILDING ASUITE 100", layer) == "BUILDING A SUITE 100"
    assert scan_reader.spaced_as_in_layer("Natera,Inc.", layer) == "Natera, Inc."
    # the layer dropping a space the re-read has keeps the re-read's
    assert scan_reader.spaced_as_in_layer("Class A", "ClassA") == "Class A"
    assert scan_reader.spaced_as_in_layer("BOTHA ROELOF", "BOTHA RUELOF") is None
    assert scan_reader.spaced_as_in_layer("98052-6399", "WA 9 8052-6399") == "98052-6399"


def test_crops_are_kept_within_tesseracts_image_limits() -> None:
    from consumers.parsing.scan.tesseract import MAX_CROP_PIXELS, MAX_CROP_SIDE_PIXELS, bounded

    small = Image.new("L", (400, 120), 255)
    assert bounded(small) is small
    for size in ((50_000, 200), (200, 47_666), (6_000, 6_000)):  # too wide, too tall, too big
        crop = bounded(Image.new("L", size, 255))
        assert max(crop.size) <= MAX_CROP_SIDE_PIXELS
        assert crop.width * crop.height <= MAX_CROP_PIXELS
        assert abs(crop.width / crop.height - size[0] / size[1]) < 0.05 * size[0] / size[1]


@pytest.mark.usefixtures("needs_tesseract")
def test_each_crop_comes_back_with_its_own_text() -> None:
    crops = []
    for n in range(6):
        crop = Image.new("L", (260, 70), 255)
        ImageDraw.Draw(crop).text((10, 10), f"{n}{n}{n}", fill=0, font_size=40)
        crops.append(crop)
    tall = Image.new("L", (300, 40_000), 255)  # over tesseract's limit: shrunk, not refused
    ImageDraw.Draw(tall).text((10, 36_000), "777", fill=0, font_size=60)
    reads = tesseract.read_crops([*crops, tall], whitelist="0123456789")
    assert [r.text for r in reads] == [f"{n}{n}{n}" for n in range(6)] + ["777"]
    ((middle, _),) = reads[-1].lines  # where the line is in the crop as given, not as shrunk
    assert 36_000 < middle < 36_080


@pytest.mark.usefixtures("needs_tesseract")
def test_a_read_past_its_timeout_is_cancelled() -> None:
    page = Image.new("L", (2500, 3300), 255)
    draw = ImageDraw.Draw(page)
    for row in range(60):
        line = "1,234,567 shares of Common Stock " * 3
        draw.text((40, 40 + row * 54), line, fill=0, font_size=30)
    with pytest.raises(tesseract.RecognitionTimeout):
        tesseract.read_crops([page], timeout=0.05)


def _letter_page(dpi: float) -> ScanPage:
    """A Letter page scanned at `dpi`."""
    return ScanPage(1, 612.0, 792.0, dpi, chars=[], tables_page=None, pdfium_page=None)


def test_a_scans_budget_grows_with_its_pages_and_pixels_up_to_the_ceiling() -> None:
    from consumers.limits import SCAN_TIME_BUDGET_SECONDS
    from consumers.parsing.scan.reader import scan_budget

    one, two = scan_budget([_letter_page(150)]), scan_budget([_letter_page(150)] * 2)
    assert one < two < SCAN_TIME_BUDGET_SECONDS
    assert scan_budget([_letter_page(120)]) < one < scan_budget([_letter_page(300)])
    assert scan_budget([_letter_page(150)] * 40) == SCAN_TIME_BUDGET_SECONDS


def test_pdfium_lists_the_text_layer_pdfminer_lays_out() -> None:
    import pdfplumber
    from pdfplumber.utils import extract_text

    from consumers.parsing.scan.layer import ScanDocument

    with pdfplumber.open(SCAN) as pdf, ScanDocument(SCAN.read_bytes(), pdf.pages) as scan:
        assert scan.draws_no_paths()
        for plumber, page in zip(pdf.pages, scan.pages(), strict=True):
            assert page.dpi == pytest.approx(150, abs=1)
            assert extract_text(page.chars) == extract_text(plumber.chars)

            def inked(chars: list[dict]) -> list[dict]:
                return sorted(
                    (c for c in chars if c["text"].strip()),
                    key=lambda c: (round(c["top"]), c["x0"]),
                )

            mine, theirs_all = inked(page.chars), inked(plumber.chars)
            assert len(mine) == len(theirs_all)
            for theirs, ours in zip(theirs_all, mine, strict=True):
                assert abs(theirs["x0"] - ours["x0"]) < 0.5
                assert abs(theirs["top"] - ours["top"]) < 0.5


def _words_page() -> Image.Image:
    page = Image.new("L", (600, 200), 255)
    draw = ImageDraw.Draw(page)
    draw.text((20, 20), "1,234 Common Stock, Inc.", fill=0, font_size=24)
    draw.text((20, 100), "BOTHA ROELOF", fill=0, font_size=24)
    return page


def _dark(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    return threshold(image.crop(box)).histogram()[0]


def test_specks_are_painted_out_and_text_and_a_clean_page_are_left_alone() -> None:
    clean = _words_page()
    assert despeckle(clean, 150) == (clean, False)
    noisy = clean.copy()
    specks = [(x, y) for x in range(5, 600, 37) for y in (70, 160, 190)]
    for x, y in specks:
        noisy.paste(0, (x, y, x + 2, y + 2))
    cleaned, speckled = despeckle(noisy, 150)
    assert speckled
    assert all(cleaned.getpixel(point) == 255 for point in specks)
    for line in ((0, 10, 600, 60), (0, 90, 600, 140)):  # every glyph, commas and stops kept
        assert _dark(cleaned, line) == _dark(clean, line)


def test_a_noisy_cells_ink_box_holds_its_text_and_stops_and_not_the_specks_apart() -> None:
    cell = Image.new("L", (200, 60), 255)
    draw = ImageDraw.Draw(cell)
    draw.text((10, 10), "D", fill=0, font_size=24)  # 150 dpi: a letter of some 12 points
    letter = threshold(cell).point(lambda v: 255 - v).getbbox()
    assert letter is not None
    full_stop = (letter[2] + 2, letter[3] - 2, letter[2] + 4, letter[3])
    cell.paste(0, full_stop)
    for x, y in ((150, 8), (180, 50), (90, 52)):  # specks well apart from it
        cell.paste(0, (x, y, x + 2, y + 2))
    box = text_ink_box(threshold(cell), 150)
    assert box == (letter[0], letter[1], full_stop[2], letter[3])
    specks_only = Image.new("L", (200, 60), 255)
    specks_only.paste(0, (40, 40, 42, 42))
    assert text_ink_box(threshold(specks_only), 150) is None
    filled = Image.new("L", (200, 60), 255)
    filled.paste(0, (20, 10, 180, 50))  # mostly ink: its box as it is, not labelled
    assert text_ink_box(threshold(filled), 150) == (20, 10, 180, 50)


def test_a_row_is_closed_where_walls_end_together_not_where_one_broken_ruling_ends() -> None:
    def wall(x: float, top: float, bottom: float) -> dict[str, float]:
        return {"x0": x, "x1": x, "top": top, "bottom": bottom}

    walls = [wall(10, 100, 400), wall(200, 100, 400.8), wall(300, 100, 250), wall(300, 251, 400)]
    assert shared_ends(walls) == [100.0, 400.0]  # 250 and 251: one ruling noise broke


def test_a_scanned_owners_lines_not_read_whole_are_unread() -> None:
    read = ReportingOwner(
        name="Doe John", street1="1 MAIN ST", city="PALO ALTO", state="CA", zip="94301"
    )
    partial = ReportingOwner(name="Roe Jane", city="PALO ALTO", is_officer=True, is_other=False)
    filing = Filing(source_format="pdf", reporting_owners=[read, partial])
    scan_reader.mark_owner_lines_unread(filing)
    assert filing.provenance.unread == {
        "reporting_owners[1].street1",
        "reporting_owners[1].state",
        "reporting_owners[1].zip",
        "reporting_owners[1].officer_title",  # an officer's title is asked below the box
    }


def test_an_underline_is_painted_out_and_the_letters_on_it_kept() -> None:
    page = _words_page()
    draw = ImageDraw.Draw(page)
    left, _, right, bottom = draw.textbbox((20, 100), "BOTHA ROELOF", font_size=24)
    draw.line([(left, bottom + 1), (right, bottom + 1)], fill=0, width=2)
    read = without_underlines(page, threshold(page), 150)
    assert _dark(read, (0, bottom, 600, bottom + 4)) == 0
    assert _dark(read, (0, 90, 600, bottom)) == _dark(_words_page(), (0, 90, 600, bottom))
    clean = _words_page()  # no run that long and thin: the page itself comes back
    assert without_underlines(clean, threshold(clean), 150) is clean


def test_a_speckled_pages_values_need_the_text_layer_too() -> None:
    def shares(layer: str, strict: bool, blurred: bool = False) -> tuple[str | None, bool]:
        cell = Cell(bbox=(0, 0, 1, 1), ink=(0, 0, 60, 16), layer=layer, whole="1,234")
        cell.value, cell.strict, cell.needs_layer = "1,234", strict, strict or blurred
        resolved = scan_reader.resolve_scan_cells(["shares_owned_following"], [cell])
        return resolved.texts[0] or None, "shares_owned_following" in resolved.unread

    assert shares("1,2B4", strict=False) == ("1,234", False)  # two re-reads agree: taken
    assert shares("1,2B4", strict=True) == (None, True)  # noisy: the layer must agree too
    assert shares("1,234", strict=True) == ("1,234", False)
    # a blurred page's agreed amounts stand: both re-reads misread "4" as "6" there too, but
    # holding them for the layer cost 195 right values for 4 wrong ones (BENCHMARKS.md)
    assert shares("se279", strict=False, blurred=True) == ("1,234", False)
    # on any page, a layer that read another figure of the same shape says they may be wrong
    assert shares("1,284", strict=False) == (None, True)


def test_a_text_cell_whose_re_read_lost_a_wrapped_line_is_not_taken() -> None:
    def title(layer: str, strict: bool) -> tuple[str | None, set[str]]:
        cell = Cell(bbox=(0, 0, 1, 1), ink=(0, 0, 60, 30), layer=layer, whole="Common")
        cell.strict = cell.needs_layer = strict
        resolved = scan_reader.resolve_scan_cells(["security_title"], [cell])
        return resolved.texts[0] or None, resolved.unread | resolved.unverified

    assert title("Common\nStock", strict=True) == (None, {"security_title"})
    assert title("Common\nStock", strict=False) == ("Common", {"security_title"})  # unverified
    assert title("Common", strict=True) == ("Common", set())
    assert title("Common(2)", strict=True) == ("Common", set())  # the layer glues a mark


def test_a_noisy_pages_title_of_the_forms_words_stands_on_the_layers_letters() -> None:
    def title(whole: str, layer: str, field: str = "security_title") -> str | None:
        cell = Cell(bbox=(0, 0, 1, 1), ink=(0, 0, 60, 30), layer=layer, whole=whole, strict=True)
        cell.needs_layer = True
        return scan_reader.resolve_scan_cells([field], [cell]).texts[0] or None

    # the layer dropped the space before the class letter: its letters agree, spacing aside
    assert title("Class A\nCommon\nStock", "ClassA\nCommon\nStock") == "Class A\nCommon\nStock"
    assert title("Class B Common Stock", "ClassB Common Stock", "underlying_security_title")
    # any other letter, a word the form's titles are not made of, or another field: unread
    assert title("Class A Common Stock", "ClassB Common Stock") is None
    assert title("Class A Common Stock", "Class Common Stock") is None
    warrant = "Common Stock Warrant (Right to buy)"
    assert title(warrant, warrant.replace(" ", "", 1)) is None
    assert title("See Footnote", "SeeFootnote", "nature_of_ownership") is None
    assert not noisy.of_title_words("Class.A Common Stock")
    assert noisy.of_title_words("Series B-1 Preferred Stock")


def test_specks_before_a_footnotes_number_do_not_lose_it_and_every_note_after_it() -> None:
    read = (
        "Explanation of Responses:\n1. First note.\n.2. Second note.\n'3. Third note.\n"
        "4. Fourth note, of 1.5 shares."
    )
    notes = footnotes_in(scan_reader.prose_text(read))
    assert [(n.id, n.text) for n in notes] == [
        ("F1", "First note."),
        ("F2", "Second note."),
        ("F3", "Third note."),
        ("F4", "Fourth note, of 1.5 shares."),
    ]


def test_marks_specks_leave_in_a_text_cell_are_dropped() -> None:
    for read, text in (
        ('"1. Title of\nSecurity', "1. Title of\nSecurity"),
        ("Common ° Stock ..", "Common Stock"),
        ("Class A Common Stock,", "Class A Common Stock"),
        (
            "Non-\nQualified Stock Option (right to\nbuy)",
            "Non-\nQualified Stock Option (right to\nbuy)",
        ),
        ("by Trust)", "by Trust"),
        ("EVP - Sales", "EVP - Sales"),
        ("Tesla, Inc. [ TSLA ]", "Tesla, Inc. [ TSLA]"),
    ):
        assert scan_reader.cell_text(Cell(bbox=(0, 0, 1, 1), whole=read)) == text


@pytest.mark.usefixtures("needs_tesseract")
def test_a_noisy_scan_is_read_and_emits_no_wrong_value() -> None:
    filing = parse_document(NOISY_SCAN.read_bytes())
    score = compare_filings(_truth(NOISY_SCAN.stem.split("-", 1)[1]), filing)
    assert score.wrong == 0, score.wrong_fields
    assert score.right >= 0.15 * score.total
    assert len(filing.lines) == 4  # no row lost or merged though most of its cells are unread


def test_tightly_set_lines_are_parted_and_an_is_dots_stay_with_their_line() -> None:
    page = Image.new("L", (600, 60), 255)
    draw = ImageDraw.Draw(page)
    for top in (5, 17, 29):  # three lines of ink, each 11 rows, one blank row between
        draw.rectangle((20, top, 500, top + 10), fill=0)
    draw.point((300, 16), fill=0)  # a speck in the row between the first two lines
    draw.rectangle((40, 42, 42, 43), fill=0)  # a dot over the next line...
    draw.rectangle((40, 46, 300, 52), fill=0)  # ...of lower letters, two rows under it
    lines = text_lines(page, 150.0)
    assert [(top, bottom) for _, top, _, bottom in lines] == [(5, 16), (17, 28), (29, 40), (42, 53)]
    assert lines[0][0] == 20 and lines[0][2] == 501


def test_lines_run_together_by_noise_in_the_gap_between_them_are_parted() -> None:
    page = Image.new("L", (1200, 80), 255)
    draw = ImageDraw.Draw(page)
    for top in (5, 18, 40):  # three lines of ink, 11 rows each; one row between the first two
        draw.rectangle((20, top, 1100, top + 10), fill=0)
    for x in range(30, 1100, 90):  # noise in that row: more ink than a blank row may hold
        draw.point((x, 16), fill=0)
        draw.point((x + 1, 17), fill=0)
    lines = text_lines(page, 150.0)
    assert len(lines) == 3
    assert lines[0][1] == 5 and lines[0][3] <= 18 and lines[1][1] >= 16 and lines[1][3] == 29


_BOILERPLATE = "Any holder may ask the issuer for details of each sale"


def _prose_page(lines: list[str]) -> tuple[Image.Image, list[dict[str, object]]]:
    """A page image at 150 dpi of `lines` of text, and a text layer saying the same: each
    character's box, like an OCR layer's, from above the line's ink down to its bottom."""
    page = Image.new("L", (1300, 60 + 34 * len(lines)), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=22)
    chars: list[dict[str, object]] = []
    scale = 72.0 / 150.0
    for number, text in enumerate(lines):
        y = 30 + 34 * number
        draw.text((40, y), text, fill=0, font=font)
        left, top, right, bottom = draw.textbbox((40, y), text, font=font)
        step = (right - left) / len(text)
        for index, char in enumerate(text):
            x0 = left + index * step
            chars.append(
                {
                    "text": char,
                    "x0": x0 * scale,
                    "x1": (x0 + step) * scale,
                    "top": (top - 6) * scale,
                    "bottom": bottom * scale,
                    "doctop": (top - 6) * scale,
                    "upright": True,
                }
            )
    return page, chars


def _reread_recorded(
    page: Image.Image, chars: list[dict[str, object]]
) -> tuple[str, list[Image.Image]]:
    """reread_lines' text of a 150 dpi page, and the crops it sent tesseract."""
    seen: list[Image.Image] = []

    class Recorded(Deadline):
        def read(self, crops, whitelist=None):
            seen.extend(crops)
            return super().read(crops, whitelist)

    return reread_lines(page, 150.0, 0.0, chars, Recorded(time.monotonic(), 60.0)), seen


@pytest.mark.usefixtures("needs_tesseract")
def test_a_line_a_noisy_layer_reads_differently_each_time_is_still_read_once() -> None:
    lines = ["1. Sold at prices from $10.00 to $11.00", _BOILERPLATE]
    lines += ["2. Sold at prices from $12.00 to $13.00", _BOILERPLATE]
    page, chars = _prose_page(lines)
    misread = {"o": "a", "e": "c"}  # the layer's OCR of the second print, spoilt by noise
    start = sum(len(line) for line in lines[:3])
    for char in chars[start : start + 30]:
        char["text"] = misread.get(str(char["text"]), char["text"])
    read, seen = _reread_recorded(page, chars)
    texts = read.splitlines()
    assert len(texts) == 4 and "details" in texts[3]
    lines_read = seen[0].height / (34 * 300 / 150)
    assert len(seen) == 1 and 2.5 < lines_read <= 3.0


@pytest.mark.usefixtures("needs_tesseract")
@pytest.mark.parametrize("changed", [False, True], ids=["repeated", "one-word-changed"])
def test_a_line_the_layer_repeats_is_read_once_and_any_other_line_is_read(changed: bool) -> None:
    last = _BOILERPLATE.replace("details", "records") if changed else _BOILERPLATE
    lines = ["1. Sold at prices from $10.00 to $11.00", _BOILERPLATE]
    lines += ["2. Sold at prices from $12.00 to $13.00", last]
    page, chars = _prose_page(lines)
    read, seen = _reread_recorded(page, chars)
    texts = read.splitlines()
    assert len(texts) == 4 and texts[0].startswith("1.") and texts[2].startswith("2.")
    assert "details" in texts[1]
    assert ("records" if changed else "details") in texts[3]
    # One block read either way, at 300 dpi: of four lines 34 px apart, or of three.
    lines_read = seen[0].height / (34 * 300 / 150)
    assert len(seen) == 1 and (3.3 < lines_read < 4 if changed else 2.5 < lines_read <= 3.0)


def test_on_a_noisy_scan_a_broken_chain_withholds_the_numbers_it_ties() -> None:
    lines = [_sale(1, "100", "900"), _sale(2, "50", "850"), _sale(3, "20", "860")]
    for line in lines:
        line.acquired_disposed = "D"
    filing = Filing(source_format="pdf", lines=lines)
    withhold_broken_chains(filing)  # 900 - 50 = 850 holds; 850 - 20 is not 860
    first, second, third = filing.lines
    assert first.shares_owned_following == Decimal(900) and first.shares == Decimal(100)
    assert second.shares == Decimal(50) and second.shares_owned_following is None
    assert third.shares is None and third.shares_owned_following is None
    assert "shares_owned_following" in second.unread_fields
    assert {"shares", "shares_owned_following"} <= set(third.unread_fields)


def test_a_line_whose_ownership_was_not_read_is_not_linked_past() -> None:
    # 900 -> 850 (by Trust) -> 830 (nature unread: may be the trust's) -> 800 (by Trust)
    lines = [_sale(1, "100", "900"), _sale(2, "50", "850"), _sale(3, "20", "830")]
    lines.append(_sale(4, "30", "800"))
    for line in lines:
        line.acquired_disposed, line.direct_indirect = "D", "I"
        line.nature_of_ownership = "by Trust"
    lines[2].nature_of_ownership = None
    filing = Filing(source_format="pdf", lines=lines)
    withhold_broken_chains(filing)  # linking 850 to 800 past the unread line would break
    assert [line.shares_owned_following for line in lines] == [
        Decimal(n) for n in (900, 850, 830, 800)
    ]
    lines[2].nature_of_ownership = "by Trust"
    lines[3].nature_of_ownership = "by LLC"  # another holding: its chain starts over
    lines[3].shares_owned_following = Decimal(5000)
    withhold_broken_chains(filing)
    assert lines[3].shares_owned_following == Decimal(5000)


def test_on_any_scan_a_title_misread_as_another_word_or_cut_to_its_tail_is_withheld() -> None:
    misread = ["Comnion Stock", "Stock", "- ock", "Class A Comrnon Stock", "Cornmon Stock"]
    misread += ["Common, Stock", "Sic", "enn"]  # a speck's comma; no title word at all
    misread += ["Stock Option (right buy)"]  # lost the "to" of "(right to buy)"
    kept = ["Common Stock", "Stock Option (right to buy)", "Preferred Stock", "Restricted Stock"]
    kept += ["Limited Partnership Units", "Series B-1 Convertible Preferred Stock"]
    kept += ["Class A Common Stock, par value $0.0001 per share"]
    titles = misread + kept
    lines = [_sale(n, "1", "1") for n in range(1, len(titles) + 1)]
    for line, title in zip(lines, titles, strict=True):
        line.security_title = title
    owner = ReportingOwner(city="REDMOND.", state="WA")  # a speck's full stop
    filing = Filing(source_format="pdf", lines=lines, reporting_owners=[owner])
    withhold_misreads(filing)
    assert [line.security_title for line in lines] == [None] * len(misread) + kept
    assert all("security_title" in line.unread_fields for line in lines[: len(misread)])
    assert owner.city is None and "reporting_owners[0].city" in filing.provenance.unread
    assert all(line.underlying_security_title is None for line in lines)  # none printed
    assert not any("underlying_security_title" in line.unread_fields for line in lines)


def test_an_unverified_title_stands_only_in_the_words_titles_are_written_in() -> None:
    titles = ["Common Stark", "Resiriciea Stock Units", "Non-Qualified Stock Option (right to buy)"]
    titles += ["Class B Common Stock"]
    lines = [_sale(n, "1", "1") for n in range(1, len(titles) + 1)]
    for line, title in zip(lines, titles, strict=True):
        line.security_title = title
        line.note_unverified("security_title")
    withhold_misreads(Filing(source_format="pdf", lines=lines, reporting_owners=[ReportingOwner()]))
    assert [line.security_title for line in lines] == [None, None, *titles[2:]]
    confirmed = _sale(9, "1", "1")
    confirmed.security_title = "Common Stark"  # the layer read it so too: not this rule's
    withhold_misreads(Filing(source_format="pdf", lines=[confirmed]))
    assert confirmed.security_title == "Common Stark"


def test_on_a_noisy_page_a_footnote_mark_read_once_is_unread() -> None:
    def shares(whole: str, layer: str, strict: bool) -> tuple[str | None, bool]:
        cell = Cell(bbox=(0, 0, 1, 1), ink=(0, 0, 60, 16), tail=(50, 0, 60, 8), layer=layer)
        cell.whole, cell.value, cell.mark, cell.strict = whole, "31,026", "(2)", strict
        resolved = scan_reader.resolve_scan_cells(["shares"], [cell])
        return resolved.texts[0] or None, "footnote_ids.shares" in resolved.unread

    # only the split read saw "(2)"; the layer read "0)": a speck may have made it
    assert shares("31,026", "31,0260)", strict=True) == ("31,026", True)
    assert shares("31,026", "31,0260)", strict=False) == ("31,026(2)", False)
    # the whole re-read has it too: it stands
    assert shares("31,026(2)", "31,026", strict=True) == ("31,026(2)", False)


def test_a_zero_the_layer_read_as_the_letter_o_is_confirmed() -> None:
    for layer in ("o", "|o", "fo", "[0", "O ."):
        assert agreed_amount(CellReads(layer, "0", "0", "")).confirmed
    for layer in ("", "6", "oz", "|o1"):
        assert not agreed_amount(CellReads(layer, "0", "0", "")).confirmed
    assert not agreed_amount(CellReads("o", "10", "10", "")).confirmed


def test_a_zero_price_the_layer_read_with_an_s_for_its_dollar_is_confirmed() -> None:
    for layer in ("|so.", "fso", "[so\n;", "$0", "gO"):
        assert agreed_amount(CellReads(layer, "$0", "$0", "")).confirmed
    for layer in ("so", "s6", "$10"):
        assert not agreed_amount(CellReads(layer, "0", "0", "")).confirmed
    assert not agreed_amount(CellReads("s10", "$0", "$0", "")).confirmed


def test_a_left_ruling_read_as_an_opening_parenthesis_is_no_part_of_the_amount() -> None:
    agreed = agreed_amount(CellReads("53,653", "(53,653", "(53,653", ""))
    assert (agreed.value, agreed.confirmed) == ("53,653", True)
    assert agreed_amount(CellReads("", "(53,653(1)", "(53,653", "(1)")).value == "53,653"
    # a footnote mark alone keeps its parenthesis: it is no amount
    assert agreed_amount(CellReads("(14)", "(14).", "(14).", "")).value is None


def test_a_held_date_is_set_when_another_line_has_it_confirmed() -> None:
    import datetime as dt

    first, second, third, fourth = (_sale(n, "10", str(100 + 10 * n)) for n in (1, 2, 3, 4))
    first.transaction_date = dt.date(2022, 4, 28)
    filing = Filing(source_format="pdf", lines=[first, second, third, fourth])
    filing.period_of_report = dt.date(2022, 4, 27)
    for line in (second, third, fourth):
        line.mark_unread("transaction_date")
    confirm_held_dates(
        filing,
        [
            (second, {"transaction_date": "04/28/2022"}),  # line 1 has it, confirmed
            (third, {"transaction_date": "04/27/2022"}),  # box 3 says it
            (fourth, {"transaction_date": "04/26/2022"}),  # nothing says it
        ],
    )
    assert second.transaction_date == dt.date(2022, 4, 28)
    assert third.transaction_date == dt.date(2022, 4, 27)
    assert fourth.transaction_date is None
    assert "transaction_date" not in second.unread_fields | third.unread_fields
    assert "transaction_date" in fourth.unread_fields


def test_a_text_cells_raised_mark_read_as_a_number_but_not_whole_is_an_unread_footnote() -> None:
    def nature(mark: str) -> tuple[str | None, bool]:
        cell = Cell(bbox=(0, 0, 1, 1), ink=(0, 0, 80, 16), tail=(60, 0, 80, 8), layer="by Trust")
        cell.whole, cell.value, cell.mark = "by Trust(2)", "by Trust", mark
        resolved = scan_reader.resolve_scan_cells(["nature_of_ownership"], [cell])
        return resolved.texts[0], "footnote_ids.nature_of_ownership" in resolved.unread

    assert nature("(2)") == ("by Trust(2)", False)
    assert nature("2)") == ("by Trust", True)
    assert nature(".") == ("by Trust", False)  # a speck, no mark


def test_a_title_whose_layer_reads_the_left_ruling_as_an_i_is_confirmed() -> None:
    cell = Cell(bbox=(0, 0, 1, 1), ink=(0, 0, 60, 30), layer="Common\niStock", needs_layer=True)
    cell.whole = "Common\nStock"
    resolved = scan_reader.resolve_scan_cells(["security_title"], [cell])
    assert resolved.texts == ["Common\nStock"] and "security_title" not in resolved.unread


def test_a_long_amount_both_re_reads_lost_the_separators_of_is_not_taken() -> None:
    # the layer has the separators: where the point was ("1,077.188" or "1,077,188") is unknown
    assert agreed_amount(CellReads("|s1,077.188@", "$1077188", "$1077188", "")).value is None
    assert agreed_amount(CellReads("1,102,064", "1102064", "1102064", "")).value is None
    # a layer without separators says nothing against it; a short figure has none to lose
    assert agreed_amount(CellReads("1102064", "1102064", "1102064", "")).value == "1102064"
    assert agreed_amount(CellReads("9,211", "9211", "9211", "")).value == "9211"
    assert agreed_amount(CellReads("$1,077.188", "$1,077.188", "$1,077.188", "")).value == (
        "$1,077.188"
    )


def test_on_a_noisy_scan_a_point_between_two_words_is_a_speck() -> None:
    lines = [_sale(1, "1", "1"), _sale(2, "1", "1"), _sale(3, "1", "1")]
    for line, title in zip(
        lines, ["Series.E Preferred Stock", "Series E Preferred Stock"], strict=False
    ):
        line.security_title = title
    lines[2].nature_of_ownership = "By Smith Family Trust U.S.A."
    filing = Filing(source_format="pdf", lines=lines, reporting_owners=[ReportingOwner()])
    withhold_speckled(filing, unclear_boxes=set(), joint_owner_flag_cells=[])
    assert [line.security_title for line in lines[:2]] == [None, "Series E Preferred Stock"]
    assert lines[2].nature_of_ownership == "By Smith Family Trust U.S.A."


def test_on_a_noisy_scan_text_the_specks_wrote_into_is_withheld() -> None:
    titles = ["Common Stock.", "Common - Stock", "Class A Common Stock Class A Common Stock"]
    titles += ["Class B. Common Stock", "ClassA Common Stock", "Common Steck"]
    titles += ["Common Stock", "Stock Option (right to buy)", "Class B Common Stock"]
    natures = ["by. Trust", "See. Footnote", "By Spouse|", "By Trust dtd. 1/1/2000"]
    natures += ["By LLC..."]
    lines = [_sale(n, "1", "1") for n in range(1, len(titles) + 1)]
    for line, title in zip(lines, titles, strict=True):
        line.security_title = title
    lines[6].nature_of_ownership = "by Trust?"
    lines[6].price_per_share, lines[7].price_per_share = Decimal("1101.41207"), Decimal("10.1234")
    owner = ReportingOwner(name="Doe John", city="PALO ALTO-CA", state="CA")
    owner.is_director, owner.is_officer, owner.is_ten_percent_owner = True, False, False
    filing = Filing(source_format="pdf", lines=lines, reporting_owners=[owner])
    filing.issuer = Issuer(name="Natera, Inc:", trading_symbol="NTRA")
    filing.remarks = "¢"
    for line, nature in zip(lines, natures, strict=False):
        line.nature_of_ownership = nature
    withhold_speckled(filing, unclear_boxes={"is_officer"}, joint_owner_flag_cells=[])
    assert [line.security_title for line in filing.lines] == [None] * 6 + titles[6:]
    assert [line.nature_of_ownership for line in lines[:5]] == [None] * 3 + [natures[3], None]
    assert filing.lines[6].nature_of_ownership is None
    assert {"nature_of_ownership", "price_per_share"} <= set(filing.lines[6].unread_fields)
    assert filing.lines[7].price_per_share == Decimal("10.1234")
    assert (filing.issuer.name, filing.issuer.trading_symbol) == (None, "NTRA")
    for ticker, kept in (("BRK.B", "BRK.B"), ("CMMB J", None), ("| MDB", None)):
        filing.issuer.trading_symbol = ticker
        withhold_speckled(filing, unclear_boxes=set(), joint_owner_flag_cells=[])
        assert filing.issuer.trading_symbol == kept
    assert (owner.name, owner.city, owner.state) == ("Doe John", None, "CA")
    # "not checked" stands only where the box was read whole
    assert (owner.is_director, owner.is_officer, owner.is_ten_percent_owner) == (True, None, False)
    assert filing.remarks is None
    unread = {"issuer.name", "reporting_owners[0].city", "reporting_owners[0].is_officer"}
    assert unread | {"remarks", "issuer.trading_symbol"} == filing.provenance.unread


def test_on_a_noisy_scan_a_joint_filers_relationship_stands_only_on_an_x() -> None:
    owners = [ReportingOwner(name="Doe John"), ReportingOwner(name="Roe Jane")]
    owners[0].is_director, owners[0].is_ten_percent_owner = True, False
    owners[0].is_officer, owners[0].officer_title = True, "CEO"
    owners[1].is_director, owners[1].is_other, owners[1].other_text = True, True, "OI"
    filing = Filing(source_format="pdf", reporting_owners=owners)
    cells = [["X", "", "X CEO", ""], ["x", "", "", "OI"]]
    withhold_speckled(filing, unclear_boxes={"is_officer"}, joint_owner_flag_cells=cells)
    doe, roe = filing.reporting_owners
    # an X stands, with the title after it; a blank cell may have lost its X; junk is not a mark
    assert (doe.is_director, doe.is_ten_percent_owner, doe.officer_title) == (True, None, "CEO")
    assert (roe.is_director, roe.is_other, roe.other_text) == (True, None, None)
    assert {"reporting_owners[1].other_text", "reporting_owners[0].is_other"} <= (
        filing.provenance.unread
    )
    assert "reporting_owners[0].officer_title" not in filing.provenance.unread


def test_a_speckled_pages_row_the_scanners_ocr_found_nothing_in_is_blank() -> None:
    def row(layer: str, strict: bool) -> tuple[list[str | None], set[str]]:
        cells = [
            Cell(bbox=(0, 0, 1, 1), ink=(0, 0, 9, 9), layer=layer, whole="'."),
            Cell(bbox=(1, 0, 2, 1), ink=(0, 0, 9, 9), layer="", whole="5,"),
        ]
        for cell in cells:
            cell.strict = strict
        resolved = scan_reader.resolve_scan_cells(["security_title", "shares"], cells)
        return resolved.texts, resolved.unread

    assert row("' .", strict=True) == (["", ""], set())  # specks: no line
    assert row("' .", strict=False)[1] == {"shares"}  # a clean scan's inked cell is unread
    assert "shares" in row("Common", strict=True)[1]  # printed: a line, its amount unread
    # in a printed row, a cell with a mark alone in both reads is a speck: blank, not unread
    speck = Cell(bbox=(0, 0, 1, 1), ink=(0, 0, 9, 9), layer="»", whole="&", strict=True)
    title = Cell(bbox=(1, 0, 2, 1), ink=(0, 0, 9, 9), layer="buy", whole="buy", strict=True)
    fields = ["security_title", "transaction_date"]
    resolved = scan_reader.resolve_scan_cells(fields, [title, speck])
    assert resolved.texts == ["buy", ""] and resolved.unread == set()


def test_a_mark_read_into_the_values_digits_puts_the_value_in_doubt() -> None:
    # the mark's "(" lost and its number read as digits: "$1,110.234(24)" -> "$1,110.23424)"
    glued = CellReads("Ig1110.234@4", "$1,110.23424)", "$1,110.23424)", "")
    assert agreed_amount(glued).value is None
    # the mark read alone is only its ")": its "(1" stayed in the value ("2,453(1)" -> "2.4530")
    assert agreed_amount(CellReads("basa", "2.4530)", "2.4530.", ")")).value is None
    # the value's read lost a digit the whole read has, with no mark split off ("809" -> "80")
    assert agreed_amount(CellReads("aos", "809", "80", "")).value is None
    # a ")" left of a mark that was split off and read is no doubt
    assert agreed_amount(CellReads("", "$69.35)", "$69.35)", "(3)")).value == "$69.35"


def test_a_layer_figure_of_the_same_shape_with_other_digits_contradicts() -> None:
    assert layer_contradicts("10,711", "10,741")
    assert layer_contradicts("[1.655.720", "1,685,720")  # a point and a comma alike
    assert layer_contradicts("[22/21/2021", "12/24/2021")
    assert not layer_contradicts("[12/21/2021", "12/21/2021")
    assert not layer_contradicts("890.495", "$890,495")  # same digits: the re-reads decide
    # the value without its first digit: the re-reads took the cell's ruling for a 1, or the
    # layer lost the 1; either way one of them is wrong
    assert layer_contradicts("[7,072,285", "17,072,285")
    assert not layer_contradicts("7,070)", "17,270")  # lost a digit and misread another
    assert not layer_contradicts("|gg27.08)", "$827.08")  # the layer read "$8" as "gg"
    assert not layer_contradicts("n77@)", "177")  # the layer saw the 1, as an "n"
    assert not layer_contradicts("11,600)", "1,600")  # the layer's extra 1 is its own
    assert not layer_contradicts("2,6330)", "2,633")  # its mark glued on: no figure alike
    assert agreed_amount(CellReads("10,711", "10,741", "10,741", "")).value is None
    # the tie-break: the value's crop read again at other scales; kept only if all agree
    layer_wrong = CellReads("[168,454,202", "168,454,292", "168,454,292", "")
    kept = agreed_amount(replace(layer_wrong, tie_breaks=("168,454,292", "168,454,292")))
    assert kept.value == "168,454,292"
    reads_wrong = CellReads("10,711", "10,741", "10,741", "", tie_breaks=("10,711", "10,741"))
    assert agreed_amount(reads_wrong).value is None
    assert agreed_date(CellReads("|32/21/2021", "12/24/2021.", "12/24/2021", "")).value is None


def test_a_date_the_layer_reads_otherwise_is_in_doubt_even_when_every_scale_agrees() -> None:
    assert layer_doubts_date("[32/21/2021", "12/24/2021")
    assert layer_doubts_date("2/21/2021,", "12/24/2021")  # lost the month's 1, and the day
    assert layer_doubts_date("2/24/2021,", "12/24/2021")  # the 1 may be the cell's ruling
    assert not layer_doubts_date("|12/24/2021", "12/24/2021")
    assert not layer_doubts_date("i2/2u2021", "12/21/2021")  # no date read: nothing to say
    # every scale read "12/24/2021" where the layer has "21": held for the filing to confirm
    cell = Cell(
        bbox=(0, 0, 1, 1),
        ink=(0, 0, 60, 16),
        layer="[32/21/2021",
        whole="12/24/2021",
        value="12/24/2021",
        tie_breaks=("12/24/2021", "12/24/2021"),
    )
    resolved = scan_reader.resolve_scan_cells(["transaction_date"], [cell])
    assert resolved.texts == [""] and resolved.held == {"transaction_date": "12/24/2021"}
    assert "transaction_date" in resolved.unread


def test_on_a_page_that_groups_thousands_a_figure_that_lost_a_separator_is_unread() -> None:
    assert separator_in_doubt("1093018", "") and separator_in_doubt("$1077.188", "")
    assert separator_in_doubt("28.220", "a.220")  # 28,220 shares, or 28.22?
    assert not separator_in_doubt("201.785", "201.785]")  # the layer read the point too
    assert not separator_in_doubt("$131.356", "")  # a price: three decimals are common
    assert not separator_in_doubt("1,093,018", "") and not separator_in_doubt("400", "")

    def price(value: str, groups: bool) -> str | None:
        cell = Cell(bbox=(0, 0, 1, 1), ink=(0, 0, 60, 16), layer="", whole=value, value=value)
        cell.page_groups_thousands = groups
        return scan_reader.resolve_scan_cells(["price_per_share"], [cell]).texts[0] or None

    assert price("$1093018", groups=True) is None
    assert price("$1093018", groups=False) == "$1093018"  # a form that prints no separators
    assert price("$1,093.018", groups=True) == "$1,093.018"


def test_on_a_noisy_page_a_letters_mark_read_once_is_unread() -> None:
    def code(whole: str, layer: str) -> tuple[str | None, bool]:
        cell = Cell(bbox=(0, 0, 1, 1), ink=(0, 0, 30, 16), tail=(20, 0, 30, 8), layer=layer)
        cell.whole, cell.value, cell.mark, cell.strict = whole, "S", "(2)", True
        resolved = scan_reader.resolve_scan_cells(["transaction_code"], [cell])
        return resolved.texts[0] or None, "footnote_ids.transaction_code" in resolved.unread

    assert code("s®", "is®") == ("S", True)  # only the split read has a number
    assert code("s(2)", "is®") == ("S(2)", False)  # the whole read has it too


def test_a_price_a_thousand_times_its_neighbours_had_its_point_read_as_a_comma() -> None:
    prices = ["1,077.984", "1,077,188", "1,078.5", "1,079.01"]
    lines = []
    for number, price in enumerate(prices, start=1):
        line = _sale(number, "100", str(1000 - number))
        line.price_per_share = Decimal(price.replace(",", ""))
        lines.append(line)
    filing = Filing(source_format="pdf", lines=lines)
    withhold_points_read_as_commas(filing)
    assert [line.price_per_share for line in lines] == [
        Decimal("1077.984"),
        None,
        Decimal("1078.5"),
        Decimal("1079.01"),
    ]
    assert "price_per_share" in lines[1].unread_fields
    # two prices are no neighbourhood: which of them is off cannot be told
    pair = Filing(source_format="pdf", lines=lines[:2])
    lines[1].price_per_share = Decimal("1077188")
    withhold_points_read_as_commas(pair)
    assert lines[1].price_per_share == Decimal("1077188")


def test_a_date_the_text_layer_misread_is_no_reason_to_refuse_the_filing() -> None:
    text = "/s/ Jane Roe 94/28/2022\n** Signature of Reporting Person"
    with pytest.raises(ParseError):
        signatures_in(text)  # as printed text, an impossible date is an invalid document
    assert signatures_in(scan_reader.layer_text(text)) == []  # as OCR's, a date not read


def test_a_noisy_pages_amounts_the_layer_did_not_confirm_stand_when_the_arithmetic_holds() -> None:
    first = _sale(1, "100", "900")
    second, third = _sale(2, "50", "850"), _sale(3, "25", "825")
    for line in (first, second, third):
        line.acquired_disposed = "D"
    for line in (second, third):
        line.shares = line.shares_owned_following = None  # held: read twice, not by the layer
    filing = Filing(source_format="pdf", lines=[first, second, third])
    confirm_held(
        filing,
        [
            (second, {"shares": "50", "shares_owned_following": "850"}),  # 900 - 50 = 850
            (third, {"shares": "25", "shares_owned_following": "852"}),  # 850 - 25 is not 852
        ],
    )
    assert (second.shares, second.shares_owned_following) == (Decimal(50), Decimal(850))
    assert (third.shares, third.shares_owned_following) == (None, None)


@pytest.mark.usefixtures("needs_tesseract")
def test_a_raised_mark_is_read_at_the_scale_its_small_print_needs() -> None:
    # the "(1)" after "2,633" on a clean 150 dpi scan, as the cell reader crops it
    mark = Image.open(FIXTURES / "scan" / "raised-mark-1-150dpi.png")
    assert tesseract.read_crops([rescale(mark, 150, 450)], "0123456789()")[0].text == "(2)"
    assert tesseract.read_crops([rescale(mark, 150, MARK_DPI)], "0123456789()")[0].text == "(1)"


def test_a_fields_marks_stand_whole_or_not_at_all() -> None:
    line = _sale(1, "100", "900")
    line.footnote_ids = {"exercise_date": ["F3", "F4"], "shares": ["F3"]}
    filing = Filing(source_format="pdf", lines=[line])
    referenced = scan_reader.keep_known_marks(filing, {"F3"})  # no footnote 4 found below
    assert referenced == {"F3", "F4"}
    assert line.footnote_ids == {"shares": ["F3"]}  # not a part of exercise_date's list
    assert "footnote_ids.exercise_date" in line.unread_fields


def test_table_iis_amount_not_read_leaves_its_direction_unread_not_blank() -> None:
    fields = ["security_title", "shares_acquired", "shares_disposed"]
    amount = Cell(bbox=(0, 0, 1, 1), ink=(0, 0, 60, 16), layer="", whole="1,2B4", value="1,2B4")
    resolved = scan_reader.resolve_scan_cells(fields, [None, amount, None])
    assert {"shares", "acquired_disposed"} <= resolved.unread


def test_blur_running_a_label_into_a_bar_is_no_underline_to_paint_out() -> None:
    """Sharpened, blurred small type thresholds into bars as thin as an underline, but with
    ink above or below them; painted out, they took "1. Name and Address" with them."""
    grey = sharpened(
        normalise_levels(Image.open(FIXTURES / "scan" / "blurred-header-150dpi.png")), 150
    )
    read = without_underlines(grey, threshold(grey), 150, blurred=True)
    label = (60, 15, 450, 35)  # "1. Name and Address of Reporting Person*"
    assert _dark(read, label) == _dark(grey, label) > 0
    underline = (60, 46, 200, 48)  # below "Hoffman Reid"
    assert _dark(read, underline) < _dark(grey, underline)


def test_a_label_whose_number_blur_took_is_restored_by_its_words() -> None:
    assert restore_labels("Name and Adress of Reporting Person*\nBOTHA") == (
        "1. Name and Address of Reporting Person*\nBOTHA"
    )
    # twins but for the number ("2." on a Form 4, "3." on a Form 3): the words alone
    assert restore_labels("issuer Name and Ticker or Trading Symbol\nNatera, Inc. [NTRA]") == (
        "Issuer Name and Ticker or Trading Symbol\nNatera, Inc. [NTRA]"
    )
    assert restore_labels("2. issuer Name and Ticker or Trading Symbol") == (
        "2. Issuer Name and Ticker or Trading Symbol"
    )
    for value in ("MENLO PARK CA 94025", "Common Stock, par value", "Ownership (Instr. 4)"):
        assert restore_labels(value) == value


def test_a_forms_heading_names_it_though_misread_and_annual_is_no_form_4() -> None:
    heading = "{fdondnenn cnet STATEMENT OF CHANGES IN BENEFICIAL OWNERSIOP"
    assert form_by_heading(f"UNITED STATES\n{heading}") == "4"
    assert form_by_heading("ANNUL STATEMENT OF CHANGES IN BENEFICIAL OWNERSHIP") == "5"
    assert form_by_heading("INITIAL STATEMENT OF BENEFICIAL OWNERSIOP") == "3"
    # too misread for a Form 5's heading, but "ANNUAL" is still near: not a Form 4 either
    assert form_by_heading("ANXXAL STATEMENT OF CHANGES IN BENEFICIAL OWNERSIOP") is None
    assert form_by_heading("STATEMENT OF CHANGES IN OWNERSHIP") is None
    assert form_by_heading("Washington, D.C. 20549") is None


def test_a_page_names_its_form_by_heading_or_by_its_date_boxs_label() -> None:
    assert form_named_in("ANNUAL STATEMENT OF CHANGESI N BENEFICIAL OWNERSHIP") == "5"
    assert form_named_in("STATOEF MCHEANGNEST\n2. Date of Earliest Transaction (Mo") == "4"
    assert form_named_in("2. Date of Event Requiring Statement") == "3"
    assert form_named_in("3. Statement for Issuer's Fiscal Year Ended") == "5"
    assert form_named_in("Washington, D.C. 20549 Date of Transaction") is None


@pytest.mark.usefixtures("needs_tesseract")
def test_a_blurred_scan_whose_layer_lost_the_title_is_named_by_its_re_read_heading() -> None:
    """The layer reads the heading "STATOF CEHANGMES EIN NBENETFICI AL OWNERSHIP" and no
    "FORM 4"; the header re-read finds the heading, and blur no longer costs box 1's label."""
    path = FIXTURES / "scan" / "blurred-untitled-000089924319022340.pdf"
    filing = parse_document(path.read_bytes())
    assert filing.form_type == "4"
    truth = parse_document((FIXTURES / "scan" / "blurred-untitled.xml").read_bytes())
    score = compare_filings(truth, filing)
    assert score.wrong == 0, score.wrong_fields
    assert len(filing.lines) == len(truth.lines)


@pytest.mark.usefixtures("needs_tesseract")
def test_the_forms_footer_below_its_signature_is_not_read_and_the_rest_is() -> None:
    footer = [
        line.replace("respond", "resp0nd")  # a noisy layer's reading still names it
        for line in FORM_FOOTER[:2] + FORM_FOOTER[-1:]
    ]
    signature = "/s/ Jane Roe, Attorney-in-Fact 10/31/2023"
    page, chars = _prose_page(["1. Held by a family trust.", signature, *footer])
    read, seen = _reread_recorded(page, chars)
    assert read.splitlines()[0].startswith("1. Held by") and "10/31/2023" in read
    assert "Reminder" not in read and "OMB" not in read
    assert len(seen) == 1 and seen[0].height < 3 * 34 * 300 / 150  # two lines, not five
    # a footer line that is not last (a signature below it) is read as it was
    page, chars = _prose_page([footer[0], signature])
    read = reread_lines(page, 150.0, 0.0, chars, Deadline(time.monotonic(), 60.0))
    assert "Reminder" in read and "10/31/2023" in read


def test_a_header_cell_the_layer_reads_as_its_label_alone_is_that_label() -> None:
    said = "4, Securities Acquired | (A) or Disposed Of (D) (Instr. 3, 4 and 5)"
    assert column_label_alone(said) == (
        "4. Securities Acquired (A) or Disposed Of (D) (Instr. 3, 4 and 5)"
    )
    owned = "5. Amoouf Snecurtiti es Beneficially Owned Following Reported | Transaction(s)"
    assert column_label_alone(f"{owned} (Instr. 3 and 4)") == (
        "5. Amount of Securities Beneficially Owned Following Reported Transaction(s)"
    )
    for other in (
        "LTitle off Derivative| Security (instr. 3) }",  # its number lost: re-read
        "4. Conversion or Exercise Price of Derivative Security",  # a Form 3's number
        "2. Amount of Securities Beneficially Owned (Instr. 4)",  # a Form 3's label
        "1. Name and Address of Reporting Person*",  # a box, which holds values
        "3. Transaction Date (Month/Day/Year) 01/02/2023",  # more than the label
    ):
        assert column_label_alone(other) is None


def test_a_comma_a_wrapped_line_ends_in_is_kept_and_a_ruling_piece_is_not() -> None:
    def nature(whole: str, layer: str | None = None) -> str | None:
        said = whole if layer is None else layer
        cell = Cell(bbox=(0, 0, 1, 1), ink=(0, 0, 60, 30), layer=said, whole=whole)
        return scan_reader.resolve_scan_cells(["nature_of_ownership"], [cell]).texts[0]

    assert nature("By Sequoia\nPartners Fund,\nLP") == "By Sequoia\nPartners Fund,\nLP"
    assert nature("By Sequoia\nPartners Fund |\nLP") == "By Sequoia\nPartners Fund\nLP"
    assert nature("By Sequoia\nPartners Fund, LP,") == "By Sequoia\nPartners Fund, LP"
    # a speck read as a comma: the layer has none there
    assert nature("By Common,\nTrust", "By Common\nTrust") == "By Common\nTrust"


def test_a_re_read_far_from_the_layers_letters_is_unread_not_unverified() -> None:
    def underlying(whole: str, layer: str) -> tuple[str | None, set[str], set[str]]:
        cell = Cell(bbox=(0, 0, 1, 1), ink=(0, 0, 60, 30), layer=layer, whole=whole)
        resolved = scan_reader.resolve_scan_cells(["underlying_security_title"], [cell])
        return resolved.texts[0] or None, resolved.unread, resolved.unverified

    # thinned strokes: "Common Stock" in a narrow cell re-read as "Soo"
    assert underlying("Soo", "|Common|2\n[Stock") == (None, {"underlying_security_title"}, set())
    # a variant of the layer's reading stays, marked unverified
    assert underlying("Common Stock", "Comnion Stock") == (
        "Common Stock",
        set(),
        {"underlying_security_title"},
    )
    # nothing in the layer to be far from: unverified as before
    assert underlying("Common Stock", "")[0] == "Common Stock"
    # a layer with fewer letters lost them: the re-read stays, unverified
    assert underlying("Common Stock", "[eee\noc")[0] == "Common Stock"
