"""EDGAR submissions (SEC-DOCUMENT .txt and dissemination .nc) to their header and ownership XML.

The header supplies what the XML lacks (accession number, filing date, acceptance time) and
a second witness for the issuer and owner CIKs, which we cross-check.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from consumers.parsing.core.errors import ParseError, Reason
from consumers.parsing.core.model import OWNERSHIP_FORM_TYPES
from consumers.parsing.core.values import EDGAR_ZONE

_XML_OPEN = re.compile(rb"<XML>", re.I)
_XML_CLOSE = re.compile(rb"</XML>", re.I)
_ACCEPTANCE = re.compile(rb"<ACCEPTANCE-DATETIME>\s*(\d{14})")
# SEC-HEADER ("KEY:<tabs>value" lines) and .nc (<KEY>value) spellings of the same facts.
_SGML_FIELDS = {
    "accession": re.compile(rb"^ACCESSION NUMBER:\s*(\S+)", re.M),
    "form_type": re.compile(rb"^CONFORMED SUBMISSION TYPE:[ \t]*([^\r\n]+)", re.M),
    "filing_date": re.compile(rb"^FILED AS OF DATE:\s*(\d{8})", re.M),
}
_NC_FIELDS = {
    "accession": re.compile(rb"<ACCESSION-NUMBER>\s*([^<\s]+)"),
    "form_type": re.compile(rb"<TYPE>\s*([^<\r\n]+)"),
    "filing_date": re.compile(rb"<FILING-DATE>\s*(\d{8})"),
}
_SGML_SECTION = re.compile(rb"^(REPORTING-OWNER|ISSUER|SUBJECT COMPANY|FILER|FILED BY):", re.M)
_SGML_CIK = re.compile(rb"CENTRAL INDEX KEY:\s*(\d+)")
_NC_SECTION = re.compile(rb"<(REPORTING-OWNER|ISSUER|SUBJECT-COMPANY|FILER)>(.*?)</\1>", re.S)
_NC_CIK = re.compile(rb"<CIK>\s*(\d+)")


@dataclass(slots=True)
class SubmissionHeader:
    accession_number: str | None = None
    form_type: str | None = None
    filing_date: dt.date | None = None
    accepted_at: dt.datetime | None = None
    issuer_ciks: set[int] = field(default_factory=set)
    owner_ciks: set[int] = field(default_factory=set)


def _first(pattern: re.Pattern[bytes], data: bytes) -> str | None:
    match = pattern.search(data)
    return match[1].decode("latin-1").strip() if match else None


def _yyyymmdd(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise ParseError(
            Reason.MALFORMED_SUBMISSION, f"header date {text!r} is not a date"
        ) from None


def parse_header(data: bytes) -> SubmissionHeader:
    """Read the header facts from the part before the first <DOCUMENT> (either dialect)."""
    dissemination = data.lstrip()[:12] == b"<SUBMISSION>"
    cut = data.find(b"<DOCUMENT>")
    head = data if cut < 0 else data[:cut]
    patterns = _NC_FIELDS if dissemination else _SGML_FIELDS
    header = SubmissionHeader(
        accession_number=_first(patterns["accession"], head),
        form_type=_first(patterns["form_type"], head),
        filing_date=_yyyymmdd(_first(patterns["filing_date"], head)),
    )
    accepted = _first(_ACCEPTANCE, head)
    if accepted:
        try:
            local = dt.datetime.strptime(accepted, "%Y%m%d%H%M%S").replace(tzinfo=EDGAR_ZONE)
        except ValueError:
            raise ParseError(
                Reason.MALFORMED_SUBMISSION, f"acceptance datetime {accepted!r} is not a time"
            ) from None
        header.accepted_at = local.astimezone(dt.UTC)
    if dissemination:
        for match in _NC_SECTION.finditer(head):
            _add_ciks(header, match[1], _NC_CIK.findall(match[2]))
    else:
        sections = list(_SGML_SECTION.finditer(head))
        for index, match in enumerate(sections):
            end = sections[index + 1].start() if index + 1 < len(sections) else len(head)
            _add_ciks(header, match[1], _SGML_CIK.findall(head, match.end(), end))
    return header


def _add_ciks(header: SubmissionHeader, section: bytes, ciks: list[bytes]) -> None:
    target = header.owner_ciks if section == b"REPORTING-OWNER" else header.issuer_ciks
    target.update(int(cik) for cik in ciks)


def extract_ownership_xml(data: bytes, header: SubmissionHeader) -> bytes:
    """The ownership XML document of a Form 3/4/5 submission, or a ParseError saying why not."""
    if header.form_type is None:
        raise ParseError(Reason.MALFORMED_SUBMISSION, "submission header has no form type")
    if header.form_type not in OWNERSHIP_FORM_TYPES:
        raise ParseError(
            Reason.NOT_OWNERSHIP_FILING,
            f"submission is a {header.form_type}, not an ownership filing (Form 3, 4, 5)",
        )
    for block in _xml_blocks(data):
        if b"ownershipDocument" in block[:2048]:
            return block
    raise ParseError(
        Reason.UNSUPPORTED_TEXT_FILING,
        f"unsupported: pre-XML text filing (Form {header.form_type} without ownership XML)",
    )


def _xml_blocks(data: bytes) -> Iterator[bytes]:
    """Each <XML>...</XML> body, stripped, in one pass: an opening tag with no closing one
    ends the search (a lazy regex would rescan the rest from every later opening tag)."""
    position = 0
    while (opening := _XML_OPEN.search(data, position)) is not None:
        closing = _XML_CLOSE.search(data, opening.end())
        if closing is None:
            return
        yield data[opening.end() : closing.start()].strip()
        position = closing.end()


def cross_check(
    header: SubmissionHeader, issuer_cik: str | None, owner_ciks: list[str | None]
) -> None:
    """The XML's CIKs must be the ones EDGAR recorded for the submission."""
    if header.issuer_ciks and _cik(issuer_cik) not in header.issuer_ciks:
        raise ParseError(
            Reason.HEADER_MISMATCH,
            f"issuer CIK {issuer_cik} is not in the submission header {sorted(header.issuer_ciks)}",
            field="issuer.cik",
        )
    if header.owner_ciks:
        stray = [cik for cik in owner_ciks if _cik(cik) not in header.owner_ciks]
        if stray:
            raise ParseError(
                Reason.HEADER_MISMATCH,
                f"owner CIKs {stray} are not in the submission header {sorted(header.owner_ciks)}",
                field="reporting_owners.cik",
            )


def _cik(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None
