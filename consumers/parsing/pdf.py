"""PDF renderings through pdfplumber: bounded, then read as grids of cells in page order.

Before pdfplumber touches a page, every content stream is inflated with a hard output cap, so
a deflate bomb (0.5 MB that inflates to 512 MiB) is refused in milliseconds instead of eating
a minute and a gigabyte; encrypted, broken, image-only and oversized PDFs get their own reasons.
"""

from __future__ import annotations

import io
import time
import zlib
from typing import Any

from consumers.parsing import tesseract
from consumers.parsing.errors import ParseError, Reason
from consumers.parsing.form_grid import GridReader
from consumers.parsing.model import Filing
from consumers.parsing.pdf_scan import parse_scanned_pdf
from consumers.parsing.text_form import parse_form_text

MAX_INFLATED_STREAM_BYTES = 16 * 1024 * 1024
PDF_TIME_BUDGET_SECONDS = 15.0
# A scan is re-read cell by cell with tesseract: 4-13 s for the corpus's 1-3 page scans on two
# busy cores. Its budget stays under the stream's 20 s per-document kill, so a slow scan ends
# as a parse_timeout with its own message rather than a killed worker.
SCAN_TIME_BUDGET_SECONDS = 18.0


def _inflated_size_ok(raw: bytes) -> bool:
    inflater = zlib.decompressobj()
    try:
        inflater.decompress(raw, MAX_INFLATED_STREAM_BYTES)
    except zlib.error:
        return True  # not our concern here: pdfminer reports a broken stream its own way
    return not inflater.unconsumed_tail


def _check_streams(page: Any) -> None:
    contents = page.page_obj.contents or []
    for stream in contents:
        stream = stream.resolve() if hasattr(stream, "resolve") else stream
        filters = stream.attrs.get("Filter") if hasattr(stream, "attrs") else None
        names = [str(f) for f in (filters if isinstance(filters, list) else [filters])]
        if any("FlateDecode" in name for name in names) and not _inflated_size_ok(stream.rawdata):
            raise ParseError(
                Reason.DOCUMENT_TOO_LARGE,
                f"a page content stream inflates past {MAX_INFLATED_STREAM_BYTES} bytes "
                "(decompression bomb)",
                stage="limit",
            )


def _table_settings(page: Any) -> dict[str, Any]:
    """Close rows cut by a page break: a row's cell walls without a floor (or roof) otherwise
    make pdfplumber drop the row; a ruling at each wall's end supplies the missing edge."""
    walls = [r for r in page.rects if r["width"] < 2 and r["height"] > 4]
    ends = sorted({round(r["bottom"], 1) for r in walls} | {round(r["top"], 1) for r in walls})
    return {"explicit_horizontal_lines": ends} if ends else {}


def open_pdf(data: bytes, max_pages: int) -> Any:
    import pdfplumber
    from pdfplumber.utils.exceptions import PdfminerException

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        pages = pdf.doc.catalog["Pages"]
        count = (pages.resolve() if hasattr(pages, "resolve") else pages).get("Count", 0)
    except PdfminerException as exc:
        cause = exc.args[0] if exc.args else exc
        if "Password" in type(cause).__name__ or "Encrypt" in type(cause).__name__:
            raise ParseError(Reason.PDF_ENCRYPTED, "the PDF is encrypted") from None
        raise ParseError(Reason.PDF_BROKEN, f"unreadable PDF: {type(cause).__name__}") from None
    except Exception as exc:  # pdfminer raises many types on damaged files
        raise ParseError(Reason.PDF_BROKEN, f"unreadable PDF: {type(exc).__name__}") from None
    count = count.resolve() if hasattr(count, "resolve") else count
    if not isinstance(count, int) or count > max_pages:
        pdf.close()
        raise ParseError(
            Reason.PDF_TOO_MANY_PAGES,
            f"{count} pages exceeds the {max_pages}-page limit",
            stage="limit",
        )
    return pdf


def parse_pdf(
    data: bytes,
    max_pages: int,
    budget: float = PDF_TIME_BUDGET_SECONDS,
    scan_budget: float = SCAN_TIME_BUDGET_SECONDS,
) -> Filing:
    started = time.monotonic()
    pdf = open_pdf(data, max_pages)
    try:
        reader = GridReader("pdf")
        texts: list[str] = []
        layout_texts: list[str] = []
        grids = 0
        chars = 0
        for page in pdf.pages:
            if time.monotonic() - started > budget:
                raise ParseError(
                    Reason.PARSE_TIMEOUT, f"PDF parse exceeded {budget:g}s", stage="limit"
                )
            _check_streams(page)
            try:
                chars += len(page.chars)
                if not page.chars:
                    continue
                tables = sorted(
                    page.find_tables(_table_settings(page)), key=lambda t: (t.bbox[1], t.bbox[0])
                )
                for table in tables:
                    reader.feed(table.extract())
                grids += len(tables)
                texts.append(page.extract_text() or "")
                if not tables:
                    layout_texts.append(page.extract_text(layout=True) or "")
            except ParseError:
                raise
            except Exception as exc:
                raise ParseError(
                    Reason.PDF_BROKEN, f"unreadable page: {type(exc).__name__}"
                ) from None
        if chars == 0:
            raise ParseError(Reason.PDF_NO_TEXT, "image-only PDF: no text layer to read")
        if grids == 0:
            # No vector rulings: a scan with an OCR text layer. Read its pixels when tesseract
            # is here; otherwise its text layer as OCR text, strictly.
            if tesseract.available():
                return parse_scanned_pdf(pdf, started, scan_budget)
            return parse_form_text("\n".join(layout_texts), source_format="pdf")
        return reader.finish("\n".join(texts))
    finally:
        pdf.close()
