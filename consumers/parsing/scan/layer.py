"""A scanned PDF as pdfium reads it: each page's scan resolution, the characters of its OCR
text layer, and its rendering, all from pdfium's C code.

pdfminer lays a scan's text layer out glyph by glyph in Python: about 0.4 s a page on the
corpus scans, a sixth of a median scan's time. pdfium lists the same characters, with boxes
within 0.3 pt of pdfminer's, in about 20 ms. So a PDF that draws no vector paths (no ruled
grid to find: the scan path's case) is read here without pdfminer's layout at all.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Any

from PIL import Image

from consumers.parsing.core.errors import ParseError, Reason
from consumers.parsing.core.page import form_scale
from consumers.parsing.scan.page_image import ruling

DEFAULT_SCAN_DPI = 150.0  # a page with no image to measure is taken as scanned at this
MIN_SCAN_DPI, MAX_SCAN_DPI = 72.0, 400.0
# A glyph turned less than this from level (or upside down) is upright, as a page fed askew
# leaves its words; pdfminer calls only a quarter-turned glyph not upright.
_UPRIGHT_RADIANS = math.pi / 4


@dataclass(eq=False)
class ScanPage:
    """One page of a scan in the form's frame: top-down points of the printed form (letter),
    whatever size the PDF gave its page, and the resolution the paper was scanned at. Every
    threshold downstream, in points or in pixels, then means the same on any page size.
    pdfplumber's page finds the tables, pdfium gives the characters and the pixels."""

    number: int
    width: float
    height: float
    dpi: float
    chars: list[dict[str, Any]]
    tables_page: Any  # pdfplumber's page: its table finder, given explicit rulings
    pdfium_page: Any
    scale: float = 1.0  # form points per PDF point (1: the page is the form's size)
    # Pixels per PDF point to render at; None: the scan resolution's (dpi * scale / 72). A
    # rescaled page renders at its image's own pixel density, so the picture is drawn pixel
    # for pixel as at the form's size, not resampled by a rounding of the page's points.
    render_density: float | None = None

    @property
    def pixels(self) -> float:
        """Pixels of the page's image at its scan resolution."""
        return self.width * self.height * (self.dpi / 72.0) ** 2

    def across(self, ys: list[float]) -> list[float] | list[dict[str, Any]]:
        """Horizontal rulings at `ys` across the whole page, for the table finder (which draws
        a bare y across its own page: the PDF's, not the form's, when they differ)."""
        if self.scale == 1.0:
            return ys
        return [ruling(0.0, self.width, y, y) for y in ys]

    def render(self) -> Image.Image:
        """The page at its scan resolution in grey, rendered as pdfplumber renders it; pdfium's
        refusal of a damaged page is a broken PDF, not a bug."""
        import pypdfium2

        try:
            bitmap = self.pdfium_page.render(
                scale=self.render_density or self.dpi * self.scale / 72.0,
                no_smoothtext=True,
                no_smoothpath=True,
                no_smoothimage=True,
                prefer_bgrx=True,
            )
        except pypdfium2.PdfiumError as exc:
            raise ParseError(Reason.PDF_BROKEN, f"the page cannot be rendered: {exc}") from None
        return bitmap.to_pil().convert("L")


class ScanDocument:
    """The PDF opened in pdfium beside pdfplumber's pages (already bounded by check_page)."""

    def __init__(self, data: bytes, plumber_pages: list[Any]) -> None:
        import pypdfium2

        try:
            self._document = pypdfium2.PdfDocument(io.BytesIO(data))
        except pypdfium2.PdfiumError as exc:
            raise ParseError(Reason.PDF_BROKEN, f"unreadable PDF: {exc}") from None
        if len(self._document) < len(plumber_pages):
            self._document.close()
            raise ParseError(Reason.PDF_BROKEN, "the page tree and pdfium disagree on the pages")
        self._plumber_pages = plumber_pages

    def close(self) -> None:
        self._document.close()

    def __enter__(self) -> ScanDocument:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def draws_no_paths(self) -> bool:
        """True when no page draws a vector path (so pdfplumber could find no ruled grid) and
        some page has a text layer: a scan, read without pdfminer's layout."""
        import pypdfium2.raw as pdfium_c

        has_text = False
        for index in range(len(self._plumber_pages)):
            page = self._document[index]
            if any(o.type == pdfium_c.FPDF_PAGEOBJ_PATH for o in page.get_objects()):
                return False
            has_text = has_text or page.get_textpage().count_chars() > 0
        return has_text

    def pages(self) -> list[ScanPage]:
        return [
            _scan_page(plumber, self._document[index])
            for index, plumber in enumerate(self._plumber_pages)
        ]


def _scan_page(plumber: Any, pdfium_page: Any) -> ScanPage:
    plain = pdfium_page.get_rotation() == 0 and tuple(pdfium_page.get_mediabox()[:2]) == (0, 0)
    # A turned or offset page keeps pdfminer's characters: its frame is pdfplumber's to map.
    chars = _layer_chars(pdfium_page, plumber) if plain else list(plumber.chars)
    scale = form_scale(plumber.width, plumber.height)
    if scale != 1.0:
        chars = [_scaled_char(char, scale) for char in chars]
    image = _widest_image(pdfium_page)
    return ScanPage(
        number=plumber.page_number,
        width=plumber.width * scale,
        height=plumber.height * scale,
        dpi=_scan_resolution(image, scale),
        chars=chars,
        tables_page=plumber,
        pdfium_page=pdfium_page,
        scale=scale,
        render_density=image[1] / image[0] if image is not None and scale != 1.0 else None,
    )


_SCALED_KEYS = ("x0", "x1", "top", "bottom", "doctop", "y0", "y1", "width", "height", "size")


def _scaled_char(char: dict[str, Any], scale: float) -> dict[str, Any]:
    return {k: v * scale if k in _SCALED_KEYS and isinstance(v, float | int) else v
            for k, v in char.items()}  # fmt: skip


def _widest_image(pdfium_page: Any) -> tuple[float, int] | None:
    """The page's widest image: its width in PDF points and in pixels; None without one."""
    import pypdfium2.raw as pdfium_c

    best: tuple[float, int] | None = None
    for image in pdfium_page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,)):
        left, _, right, _ = image.get_bounds()
        pixels = image.get_px_size()[0]
        if right > left and pixels and (best is None or right - left > best[0]):
            best = (right - left, pixels)
    return best


def _scan_resolution(image: tuple[float, int] | None, scale: float = 1.0) -> float:
    """The resolution the paper was scanned at: the image's pixels over the inches of the
    form it covers (the PDF's points over `scale`)."""
    if image is None:
        return DEFAULT_SCAN_DPI
    points, pixels = image
    return min(max(pixels * 72.0 / (points * scale), MIN_SCAN_DPI), MAX_SCAN_DPI)


def _layer_chars(pdfium_page: Any, plumber: Any) -> list[dict[str, Any]]:
    """The text layer's characters as pdfplumber would list them (its keys, its top-down
    frame), without the spaces and line breaks pdfium generates between words."""
    import pypdfium2.raw as pdfium_c

    textpage = pdfium_page.get_textpage()
    height, doctop = plumber.height, plumber.initial_doctop
    chars = []
    for index in range(textpage.count_chars()):
        if pdfium_c.FPDFText_IsGenerated(textpage, index):
            continue
        left, bottom, right, top = textpage.get_charbox(index, loose=True)
        turn = pdfium_c.FPDFText_GetCharAngle(textpage, index) % math.pi
        chars.append(
            {
                "text": chr(pdfium_c.FPDFText_GetUnicode(textpage, index)),
                "x0": left,
                "x1": right,
                "top": height - top,
                "bottom": height - bottom,
                "doctop": doctop + height - top,
                "y0": bottom,
                "y1": top,
                "upright": min(turn, math.pi - turn) < _UPRIGHT_RADIANS,
            }
        )
    return chars
