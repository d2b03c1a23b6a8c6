"""The one failure type of parsing, with a reason code that dashboards and the DLQ group by."""

from __future__ import annotations

from enum import StrEnum

from consumers.limits import bounded_text


class Reason(StrEnum):
    """Reason codes: a small, closed set so they can be Prometheus label values."""

    EMPTY_DOCUMENT = "empty_document"
    DOCUMENT_TOO_LARGE = "document_too_large"
    UNRECOGNIZED_FORMAT = "unrecognized_format"
    UNSUPPORTED_FORMAT = "unsupported_format"
    NOT_OWNERSHIP_FILING = "not_ownership_filing"
    UNSUPPORTED_TEXT_FILING = "unsupported_text_filing"
    MALFORMED_XML = "malformed_xml"
    FORBIDDEN_XML_CONSTRUCT = "forbidden_xml_construct"
    MALFORMED_SUBMISSION = "malformed_submission"
    HEADER_MISMATCH = "header_mismatch"
    MISSING_FIELD = "missing_field"
    INVALID_DECIMAL = "invalid_decimal"
    DECIMAL_OUT_OF_RANGE = "decimal_out_of_range"
    INVALID_DATE = "invalid_date"
    INVALID_BOOLEAN = "invalid_boolean"
    INVALID_CODE = "invalid_code"
    INVALID_FORM_TYPE = "invalid_form_type"
    PDF_ENCRYPTED = "pdf_encrypted"
    PDF_BROKEN = "pdf_broken"
    PDF_NO_TEXT = "pdf_no_text_layer"
    PDF_TOO_MANY_PAGES = "pdf_too_many_pages"
    PDF_TABLE_UNREADABLE = "pdf_table_unreadable"
    OCR_LOW_CONFIDENCE = "ocr_low_confidence"
    RECORD_TOO_LARGE = "record_too_large"
    PARSE_TIMEOUT = "parse_timeout"
    WORKER_CRASHED = "worker_crashed"
    INTERNAL_ERROR = "internal_error"


class ParseError(Exception):
    """A document that cannot become records; carries what the DLQ entry needs."""

    def __init__(
        self,
        reason: Reason,
        message: str,
        *,
        stage: str = "parse",
        field: str | None = None,
        source_format: str | None = None,
        accession_number: str | None = None,
    ) -> None:
        message = bounded_text(message)  # never a document's text in full (it goes to the DLQ)
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message
        self.stage = stage
        self.field = field
        self.source_format = source_format
        self.accession_number = accession_number

    def __reduce__(self) -> tuple:
        """Picklable across worker processes (keyword-only fields ride in the state)."""
        return (self.__class__, (self.reason, self.message), self.__dict__)


class DeadlineExceeded(BaseException):
    """A document's wall-clock budget ran out (raised from a SIGALRM handler in a worker).

    A BaseException, so that no reader's `except Exception` can take it for a broken document:
    it surfaces as `parse_timeout` wherever in a long page or loop it lands.
    """
