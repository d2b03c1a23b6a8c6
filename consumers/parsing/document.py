"""The one entry point of parsing: bytes (plus what the event knows) to a Filing or a ParseError."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from consumers.limits import DEFAULT_LIMITS, Limits
from consumers.parsing.core.errors import DeadlineExceeded, ParseError, Reason
from consumers.parsing.core.model import Filing, SourceFormat
from consumers.parsing.core.validation import validate_filing
from consumers.parsing.sniff import sniff
from consumers.parsing.xml.ownership import parse_ownership_xml
from consumers.parsing.xml.submission import cross_check, extract_ownership_xml, parse_header

_ACCESSION_NAME = re.compile(r"(?<!\d)(\d{10})-?(\d{2})-?(\d{6})(?!\d)")


@dataclass(frozen=True, slots=True)
class DocumentHints:
    """What the carrier (file name, Kafka key and headers) knows about a document."""

    accession_number: str | None = None
    filed_at: dt.datetime | None = None
    content_type: str | None = None


def accession_from_name(name: str | None) -> str | None:
    """`000106299324008173.xml` or `0001062993-24-008173.xml` -> `0001062993-24-008173`."""
    if not name:
        return None
    base = name.rsplit("/", 1)[-1]
    match = _ACCESSION_NAME.search(base)
    return f"{match[1]}-{match[2]}-{match[3]}" if match else None


def parse_document(
    data: bytes, hints: DocumentHints | None = None, limits: Limits = DEFAULT_LIMITS
) -> Filing:
    """Parse any supported form of an ownership filing. Raises only ParseError."""
    hints = hints or DocumentHints()
    source_format: str = SourceFormat.UNKNOWN
    try:
        if not data or not data.strip():
            raise ParseError(Reason.EMPTY_DOCUMENT, "the document is empty", stage="sniff")
        if len(data) > limits.max_bytes:
            raise ParseError(
                Reason.DOCUMENT_TOO_LARGE,
                f"{len(data)} bytes exceeds the {limits.max_bytes}-byte limit",
                stage="limit",
            )
        source_format = sniff(data)
        filing = _parse_by_format(data, source_format, limits)
        if filing.accession_number is None:
            filing.accession_number = hints.accession_number
        if filing.filed_at is None:
            filing.filed_at = hints.filed_at
        validate_filing(filing)
        return filing
    except ParseError as error:
        error.source_format = error.source_format or str(source_format)
        error.accession_number = error.accession_number or hints.accession_number
        raise
    except DeadlineExceeded:
        raise ParseError(
            Reason.PARSE_TIMEOUT,
            "parsing ran past the document's time budget",
            stage="limit",
            source_format=str(source_format),
            accession_number=hints.accession_number,
        ) from None
    except MemoryError:
        raise ParseError(
            Reason.DOCUMENT_TOO_LARGE,
            "the document exceeded the parser's memory limit",
            stage="limit",
            source_format=str(source_format),
        ) from None
    except RecursionError:
        raise ParseError(
            Reason.MALFORMED_XML, "document nests too deeply", source_format=str(source_format)
        ) from None
    except Exception as exc:  # a bug of ours must still end as a DLQ entry, not a crash
        raise ParseError(
            Reason.INTERNAL_ERROR,
            f"{type(exc).__name__}: {exc}",
            source_format=str(source_format),
            accession_number=hints.accession_number,
        ) from exc


def _parse_by_format(data: bytes, source_format: SourceFormat, limits: Limits) -> Filing:
    if source_format is SourceFormat.XML:
        _check_xml_size(len(data), limits)
        return parse_ownership_xml(data, source_format="xml")
    if source_format is SourceFormat.SUBMISSION:
        return _parse_submission(data, limits)
    if source_format in (SourceFormat.PDF, SourceFormat.TEXT, SourceFormat.HTML):
        # heavy imports (pdfplumber, pdfium, tesseract) only when needed
        from consumers.parsing.rendered.dispatch import parse_rendered

        return parse_rendered(data, source_format, limits)
    raise ParseError(
        Reason.UNRECOGNIZED_FORMAT,
        "not an ownership XML, EDGAR submission, PDF, HTML or Form text",
        stage="sniff",
    )


def _parse_submission(data: bytes, limits: Limits) -> Filing:
    header = parse_header(data)
    xml = extract_ownership_xml(data, header)
    _check_xml_size(len(xml), limits)
    filing = parse_ownership_xml(xml, source_format="submission")
    cross_check(header, filing.issuer.cik, [owner.cik for owner in filing.reporting_owners])
    filing.accession_number = header.accession_number
    filing.filing_date = header.filing_date
    filing.filed_at = header.accepted_at
    if header.form_type and filing.form_type and header.form_type != filing.form_type:
        raise ParseError(
            Reason.HEADER_MISMATCH,
            f"header says Form {header.form_type}, the XML says {filing.form_type}",
            field="form_type",
        )
    return filing


def _check_xml_size(size: int, limits: Limits) -> None:
    if size > limits.max_xml_bytes:
        raise ParseError(
            Reason.DOCUMENT_TOO_LARGE,
            f"ownership XML of {size} bytes exceeds the {limits.max_xml_bytes}-byte limit",
            stage="limit",
        )
