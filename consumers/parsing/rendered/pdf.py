"""PDF renderings through pdfplumber: bounded, then read as grids of cells in page order.

Before pdfplumber lays out a page, the page is measured: its area, and every byte its content
would make the interpreter read, inflating each stream under a hard cap and counting a Form
XObject once for every time it is drawn. A deflate bomb, a small stream drawn ten thousand
times or a page tree that lies about its size is refused in milliseconds instead of eating a
minute and a gigabyte; encrypted, broken, image-only and oversized PDFs get their own reasons.
"""

from __future__ import annotations

import io
import itertools
import re
import time
import zlib
from collections import Counter
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any, TypeVar

from pdfminer.psparser import LIT

from consumers import limits as bounds
from consumers.parsing.core.errors import ParseError, Reason
from consumers.parsing.core.model import Filing
from consumers.parsing.core.page import form_scale
from consumers.parsing.grid.reader import GridReader
from consumers.parsing.grid.text import parse_form_text
from consumers.parsing.scan import tesseract
from consumers.parsing.scan.layer import ScanDocument
from consumers.parsing.scan.reader import parse_scanned_pdf

_DRAW_XOBJECT = re.compile(rb"/([^\s/\[\]()<>{}%]+)\s+Do\b")
_FORM = LIT("Form")
T = TypeVar("T")


def _too_large(message: str) -> ParseError:
    return ParseError(Reason.DOCUMENT_TOO_LARGE, message, stage="limit")


def _resolved(value: Any) -> Any:
    return value.resolve() if hasattr(value, "resolve") else value


def _stream_bytes(stream: Any) -> bytes:
    """A stream's decoded bytes; Flate is inflated here under the cap, before pdfminer would."""
    filters = stream.attrs.get("Filter")
    names = [str(_resolved(f)) for f in (filters if isinstance(filters, list) else [filters])]
    if names and "FlateDecode" in names[0] and len(names) == 1:
        inflater = zlib.decompressobj()
        try:
            data = inflater.decompress(stream.rawdata, bounds.MAX_INFLATED_STREAM_BYTES)
        except zlib.error:
            return stream.rawdata  # broken: pdfminer reports it its own way, on the raw size
        if inflater.unconsumed_tail:
            raise _too_large(
                f"a content stream inflates past {bounds.MAX_INFLATED_STREAM_BYTES} bytes "
                "(decompression bomb)"
            )
        return data
    if not names or names == ["None"]:
        return stream.rawdata
    data = stream.get_data()  # other filters: decoded by pdfminer under the worker's limits
    if len(data) > bounds.MAX_INFLATED_STREAM_BYTES:
        raise _too_large(f"a content stream decodes past {bounds.MAX_INFLATED_STREAM_BYTES} bytes")
    return data


def _interpreted_bytes(data: bytes, resources: Any, depth: int, seen: dict[int, int]) -> int:
    """Bytes the interpreter reads for `data`, each Form XObject counted per `Do` that draws it."""
    total = len(data)
    xobjects = _resolved((_resolved(resources) or {}).get("XObject")) or {}
    for name, draws in Counter(_DRAW_XOBJECT.findall(data)).items():
        reference = xobjects.get(name.decode("latin-1"))
        xobject = _resolved(reference)
        if xobject is None or not hasattr(xobject, "attrs"):
            continue
        if _resolved(xobject.attrs.get("Subtype")) is not _FORM:
            continue  # images are decoded once, by pdfium, only on the scan path
        if depth >= bounds.MAX_PDF_FORM_NESTING:
            raise _too_large(f"Form XObjects nest deeper than {bounds.MAX_PDF_FORM_NESTING}")
        key = getattr(reference, "objid", id(xobject))
        if key not in seen:
            seen[key] = -1  # a form that draws itself is caught by the nesting bound
            inner = xobject.attrs.get("Resources") or resources
            seen[key] = _interpreted_bytes(_stream_bytes(xobject), inner, depth + 1, seen)
        total += draws * max(seen[key], 0)
        if total > bounds.MAX_PAGE_CONTENT_BYTES:
            raise _too_large(
                f"a page's content, with its forms drawn {draws} times, passes "
                f"{bounds.MAX_PAGE_CONTENT_BYTES} bytes"
            )
    return total


def check_page(page: Any) -> None:
    """Refuse a page whose size or content would make layout unbounded, before any layout."""
    if page.width * page.height > bounds.MAX_PAGE_AREA_POINTS:
        raise _too_large(f"page of {page.width:g}x{page.height:g} pt is not a form page")
    seen: dict[int, int] = {}
    total = 0
    for stream in page.page_obj.contents or []:
        stream = _resolved(stream)
        if not hasattr(stream, "rawdata"):
            continue
        total += _interpreted_bytes(_stream_bytes(stream), page.page_obj.resources, 0, seen)
        if total > bounds.MAX_PAGE_CONTENT_BYTES:
            raise _too_large(f"a page's content passes {bounds.MAX_PAGE_CONTENT_BYTES} bytes")


# pdfplumber's tolerances, in points of the form (its defaults); a page printed at another
# scale has them scaled with it, so words and rulings join as they do on the form.
POINT_TOLERANCES = ("snap_tolerance", "join_tolerance", "edge_min_length", "intersection_tolerance")
TOLERANCE_POINTS = 3.0
WALL_MAX_WIDTH_POINTS, WALL_MIN_HEIGHT_POINTS = 2.0, 4.0


def _text_tolerances(scale: float) -> dict[str, float]:
    """extract_text's and extract_words' tolerances on a page `scale` form points per point."""
    if scale == 1.0:
        return {}
    return {"x_tolerance": TOLERANCE_POINTS / scale, "y_tolerance": TOLERANCE_POINTS / scale}


def _table_settings(page: Any, scale: float = 1.0) -> dict[str, Any]:
    """Close rows cut by a page break: a row's cell walls without a floor (or roof) otherwise
    make pdfplumber drop the row; a ruling at each wall's end supplies the missing edge."""
    walls = [
        r
        for r in page.rects
        if r["width"] < WALL_MAX_WIDTH_POINTS / scale
        and r["height"] > WALL_MIN_HEIGHT_POINTS / scale
    ]
    ends = sorted({round(r["bottom"], 1) for r in walls} | {round(r["top"], 1) for r in walls})
    settings: dict[str, Any] = {"explicit_horizontal_lines": ends} if ends else {}
    if scale != 1.0:
        settings.update(dict.fromkeys(POINT_TOLERANCES, TOLERANCE_POINTS / scale))
        settings.update({"text_" + k: v for k, v in _text_tolerances(scale).items()})
    return settings


def open_pdf(data: bytes, max_pages: int) -> tuple[Any, list[Any]]:
    """The PDF and its pages, walked from the page tree and refused past `max_pages` (the
    catalog's /Count is the file's word, not a bound)."""
    import pdfplumber
    from pdfminer.pdfpage import PDFPage
    from pdfplumber.utils.exceptions import PdfminerException

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        page_objects = list(itertools.islice(PDFPage.create_pages(pdf.doc), max_pages + 1))
    except MemoryError:
        raise
    except PdfminerException as exc:
        cause = exc.args[0] if exc.args else exc
        if "Password" in type(cause).__name__ or "Encrypt" in type(cause).__name__:
            raise ParseError(Reason.PDF_ENCRYPTED, "the PDF is encrypted") from None
        raise ParseError(Reason.PDF_BROKEN, f"unreadable PDF: {type(cause).__name__}") from None
    except Exception as exc:  # pdfminer raises many types on damaged files
        if "Password" in type(exc).__name__ or "Encrypt" in type(exc).__name__:
            raise ParseError(Reason.PDF_ENCRYPTED, "the PDF is encrypted") from None
        raise ParseError(Reason.PDF_BROKEN, f"unreadable PDF: {type(exc).__name__}") from None
    if len(page_objects) > max_pages:
        pdf.close()
        raise ParseError(
            Reason.PDF_TOO_MANY_PAGES,
            f"more than {max_pages} pages (the page limit)",
            stage="limit",
        )
    pages = []
    doctop = 0.0
    for number, page_object in enumerate(page_objects, start=1):
        page = pdfplumber.page.Page(pdf, page_object, page_number=number, initial_doctop=doctop)
        pages.append(page)
        doctop += page.height
    return pdf, pages


def _guarded(read: Callable[..., T], *args: Any) -> T:
    """`read(*args)`; pdfminer raises many types on a damaged page: each is a broken PDF."""
    try:
        return read(*args)
    except (ParseError, MemoryError):
        raise
    except Exception as exc:
        raise ParseError(Reason.PDF_BROKEN, f"unreadable page: {type(exc).__name__}") from None


def _read_grids(page: Any, reader: GridReader, texts: list[str]) -> int | None:
    """Feed the page's ruled tables to `reader` and its text to `texts`: how many tables, or
    None when the page has no text at all."""
    if not page.chars:
        return None
    scale = form_scale(page.width, page.height)
    settings = _table_settings(page, scale)
    tables = sorted(page.find_tables(settings), key=lambda t: (t.bbox[1], t.bbox[0]))
    tolerances = _text_tolerances(scale)
    for table in tables:
        reader.feed(table.extract(**tolerances))
    texts.append(page.extract_text(**tolerances) or "")
    return len(tables)


def parse_pdf(
    data: bytes,
    max_pages: int,
    budget: float = bounds.PDF_TIME_BUDGET_SECONDS,
    scan_budget: float = bounds.SCAN_TIME_BUDGET_SECONDS,
) -> Filing:
    started = time.monotonic()
    pdf, pages = open_pdf(data, max_pages)
    try:
        for page in pages:
            _guarded(check_page, page)
        # A scan (no vector paths, so no ruled grid) goes straight to its pixels, its text
        # layer listed by pdfium rather than laid out by pdfminer.
        with ScanDocument(data, pages) if tesseract.available() else nullcontext() as scan:
            if scan is not None and scan.draws_no_paths():
                return parse_scanned_pdf(scan.pages(), started, scan_budget)
            reader = GridReader("pdf")
            texts: list[str] = []
            grids = 0
            has_text = False
            for page in pages:
                if time.monotonic() - started > budget:
                    raise ParseError(
                        Reason.PARSE_TIMEOUT, f"PDF parse exceeded {budget:g}s", stage="limit"
                    )
                tables = _guarded(_read_grids, page, reader, texts)
                if tables is not None:
                    has_text, grids = True, grids + tables
            if not has_text:
                raise ParseError(Reason.PDF_NO_TEXT, "image-only PDF: no text layer to read")
            if grids == 0:
                # No ruled grid: read as a scan too, or without tesseract from its text layer as
                # OCR text, strictly.
                if scan is not None:
                    return parse_scanned_pdf(scan.pages(), started, scan_budget)
                layout_texts = [
                    page.extract_text(
                        layout=True, **_text_tolerances(form_scale(page.width, page.height))
                    )
                    or ""
                    for page in pages
                    if page.chars
                ]
                return parse_form_text("\n".join(layout_texts), source_format="pdf")
            return reader.finish("\n".join(texts))
    finally:
        pdf.close()
