"""Rendered forms: PDF (pdfplumber), EDGAR's HTML, and OCR'd text, each to the same Filing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from consumers.parsing.core.errors import ParseError, Reason
from consumers.parsing.core.model import Filing

if TYPE_CHECKING:
    from consumers.limits import Limits


def parse_rendered(data: bytes, source_format: str, limits: Limits) -> Filing:
    if source_format == "pdf":
        from consumers.parsing.rendered.pdf import parse_pdf

        return parse_pdf(data, limits.max_pdf_pages)
    if source_format == "html":
        from consumers.parsing.grid.html import parse_html

        return parse_html(data)
    if source_format == "text":
        from consumers.parsing.grid.text import parse_form_text

        return parse_form_text(data.decode("utf-8", "replace"))
    raise ParseError(
        Reason.UNSUPPORTED_FORMAT,
        f"{source_format} renderings are not parsed by this version",
        stage="sniff",
    )
