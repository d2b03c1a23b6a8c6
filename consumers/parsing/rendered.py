"""Rendered forms (PDF, OCR text, HTML): not parsed yet; a clear failure instead of a guess."""

from __future__ import annotations

from consumers.parsing.errors import ParseError, Reason
from consumers.parsing.model import Filing


def parse_rendered(data: bytes, source_format: str, limits: object) -> Filing:
    raise ParseError(
        Reason.UNSUPPORTED_FORMAT,
        f"{source_format} renderings are not parsed by this version",
        stage="sniff",
    )
