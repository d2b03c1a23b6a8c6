"""Adversarial documents made in code, one per class of attack on the stream, each with the
reason it must end with (None: it is an honest filing and must end as records).

Used by the unit tests (each class refused quickly, with its reason) and by bench/chaos.py
(each class exactly once in the dead-letter topic while the processor is killed around it).
Nothing large is checked in: the documents are built from small fixtures on demand.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from consumers.parsing.core.errors import Reason

FIXTURES = Path(__file__).parent / "fixtures"
HOSTILE = FIXTURES / "hostile"
_XML = FIXTURES / "xml" / "form4-10b5one-dutchbros.xml"


@dataclass(frozen=True)
class Adversary:
    name: str
    build: Callable[[], bytes]
    reason: Reason | None  # None: records, not a dead letter
    key_bytes: int = 0  # >0: published under a key this long instead of an accession number


def _xml() -> str:
    return _XML.read_text()


def _one_transaction(text: str) -> str:
    """The fixture cut to its first non-derivative transaction (so sizes are predictable)."""
    first = re.search(r"<nonDerivativeTransaction>.*?</nonDerivativeTransaction>", text, re.S)
    assert first is not None
    body = re.sub(r"<nonDerivativeTable>.*</nonDerivativeTable>", "", text, flags=re.S)
    body = re.sub(r"<derivativeTable>.*?</derivativeTable>", "", body, flags=re.S)
    return body.replace(
        "</reportingOwner>",
        "</reportingOwner>\n<nonDerivativeTable>" + first[0] + "</nonDerivativeTable>",
        1,
    )


def _with_lines(text: str, count: int) -> str:
    line = re.search(r"<nonDerivativeTransaction>.*?</nonDerivativeTransaction>", text, re.S)
    assert line is not None
    return text.replace(line[0], line[0] * count, 1)


def huge_unprintable_issuer() -> bytes:
    """The issue's case: a 9.6 MB issuer name of C1 control characters (legal in XML 1.0) on a
    two-line filing: 19 MB of records, more than a filing may produce."""
    text = _with_lines(_one_transaction(_xml()), 2)
    junk = "\x85\x9f" * (2_400_000)  # 4.8 M characters, 9.6 MB in UTF-8
    return text.replace("Dutch Bros Inc.", junk).encode()


def huge_invalid_code() -> bytes:
    """A transaction code of 9.6 MB of junk: refused, and the message must not quote it whole."""
    text = _one_transaction(_xml())
    return re.sub(
        r"<transactionCode>S</transactionCode>",
        "<transactionCode>" + "\x9f" * 4_800_000 + "</transactionCode>",
        text,
        count=1,
    ).encode()


def remark_on_every_line() -> bytes:
    """A 1 MB remark on a 300-line filing: 300 MB of records if each line repeats it."""
    text = _with_lines(_one_transaction(_xml()), 300)
    remark = "<remarks>" + "R" * 1_000_000 + "</remarks>"
    if "<remarks>" in text:
        return re.sub(r"<remarks>.*?</remarks>", remark, text, flags=re.S).encode()
    return text.replace("</ownershipDocument>", remark + "</ownershipDocument>").encode()


_FORM_TEXT_HEAD = b"FORM 4\nSTATEMENT OF CHANGES IN BENEFICIAL OWNERSHIP\n"


def text_label_whitespace() -> bytes:
    """Form text whose issuer label is followed by long runs of blanks, line after line."""
    return _FORM_TEXT_HEAD + (b"Trading Symbol" + b" " * 3980 + b"x\n") * 500


def text_label_repeated() -> bytes:
    """One 2 MB line of repeated labels: each would start a scan to the end of the line."""
    return _FORM_TEXT_HEAD + b"Trading Symbol x " * 120_000


def text_footnote_headings() -> bytes:
    """Form text whose footnote heading repeats on every line without a closing section."""
    line = (b"Explanation of Responses: " * 150)[:3900] + b"\n"
    owner = b"1. Name and Address of Reporting Person\nJohn Doe\n"
    return _FORM_TEXT_HEAD + b"Trading Symbol ACME [ACM]\n" + owner + line * 500


def submission_open_xml_tags() -> bytes:
    """A Form 4 submission with 400,000 <XML> tags and no closing one."""
    return b"<SEC-DOCUMENT>\nCONFORMED SUBMISSION TYPE:\t4\n<DOCUMENT>\n" + b"<XML>" * 400_000


def html_spans() -> bytes:
    """A 20 kB HTML table whose spans ask for 65 million cells."""
    rows = b"<tr><td>y</td></tr>" * 1000
    return (
        b"<html><body><table><tr><td colspan=1000 rowspan=65534>x</td></tr>"
        + rows
        + b"</table></body></html>"
    )


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF of `objects` (object 1 is the catalog), with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    packed = zlib.compress(data, 9)
    return (
        b"<< /Length %d /Filter /FlateDecode %s>>\nstream\n" % (len(packed), extra)
        + packed
        + b"\nendstream"
    )


def _one_page(contents: bytes, resources: bytes = b"", media: bytes = b"0 0 612 792") -> list:
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [%s] /Contents %s /Resources << %s >> >>"
        % (media, contents, resources),
    ]


def pdf_form_drawn_many_times() -> bytes:
    """A 1 kB page drawing a 70 kB Form XObject 20,000 times: 1.4 GB to interpret."""
    objects = _one_page(b"4 0 R", b"/XObject << /Fm0 5 0 R >>")
    objects.append(_stream(b"q /Fm0 Do Q\n" * 20_000))
    objects.append(_stream(b"0 0 m 1 1 l S\n" * 5_000, b"/Type /XObject /Subtype /Form "))
    return _pdf(objects)


def pdf_form_bomb() -> bytes:
    """A Form XObject (not a page content stream) that inflates to 32 MiB."""
    objects = _one_page(b"4 0 R", b"/XObject << /Fm0 5 0 R >>")
    objects.append(_stream(b"/Fm0 Do\n"))
    objects.append(_stream(b" " * (32 << 20), b"/Type /XObject /Subtype /Form "))
    return _pdf(objects)


def pdf_stream_reused() -> bytes:
    """One 1 MiB content stream listed 100 times in a page's /Contents."""
    objects = _one_page(b"[" + b"4 0 R " * 100 + b"]")
    objects.append(_stream(b"0 0 m 1 1 l S\n" * 75_000))
    return _pdf(objects)


def pdf_page_count_lies() -> bytes:
    """/Count says 1; the page tree holds 400 pages."""
    pages = 400
    kids = b" ".join(b"%d 0 R" % (4 + i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count 1 >>",
        _stream(b"0 0 m 1 1 l S\n"),
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R >>"] * pages
    return _pdf(objects)


def pdf_huge_page() -> bytes:
    """A page of a million points square (the largest PDF 1.7 allows is 14,400)."""
    objects = _one_page(b"4 0 R", media=b"0 0 1000000 1000000")
    objects.append(_stream(b"BT /F1 12 Tf 10 10 Td (FORM 4) Tj ET\n"))
    return _pdf(objects)


def honest_xml_under_a_huge_key() -> bytes:
    """An honest filing whose Kafka key is 2 MB: the key must not ride into every record."""
    return _XML.read_bytes()


def _fixture(name: str) -> Callable[[], bytes]:
    return lambda: (HOSTILE / name).read_bytes()


ADVERSARIES: tuple[Adversary, ...] = (
    Adversary("huge-unprintable-issuer", huge_unprintable_issuer, Reason.RECORD_TOO_LARGE),
    Adversary("huge-invalid-code", huge_invalid_code, Reason.INVALID_CODE),
    Adversary("remark-on-every-line", remark_on_every_line, Reason.RECORD_TOO_LARGE),
    Adversary("text-label-whitespace", text_label_whitespace, Reason.OCR_LOW_CONFIDENCE),
    Adversary("text-label-repeated", text_label_repeated, Reason.OCR_LOW_CONFIDENCE),
    Adversary("text-footnote-headings", text_footnote_headings, None),
    Adversary("submission-open-xml-tags", submission_open_xml_tags, Reason.UNSUPPORTED_TEXT_FILING),
    Adversary("html-spans", html_spans, Reason.DOCUMENT_TOO_LARGE),
    Adversary("pdf-form-drawn-many-times", pdf_form_drawn_many_times, Reason.DOCUMENT_TOO_LARGE),
    Adversary("pdf-form-bomb", pdf_form_bomb, Reason.DOCUMENT_TOO_LARGE),
    Adversary("pdf-stream-reused", pdf_stream_reused, Reason.DOCUMENT_TOO_LARGE),
    Adversary("pdf-page-count-lies", pdf_page_count_lies, Reason.PDF_TOO_MANY_PAGES),
    Adversary("pdf-huge-page", pdf_huge_page, Reason.DOCUMENT_TOO_LARGE),
    Adversary("honest-xml-huge-key", honest_xml_under_a_huge_key, None, key_bytes=2_000_000),
    Adversary("billion-laughs", _fixture("billion-laughs.xml"), Reason.FORBIDDEN_XML_CONSTRUCT),
    Adversary("quadratic-blowup", _fixture("quadratic-blowup.xml"), Reason.FORBIDDEN_XML_CONSTRUCT),
    Adversary("external-entity", _fixture("external-entity.xml"), Reason.FORBIDDEN_XML_CONSTRUCT),
    Adversary("deflate-bomb", _fixture("deflate-bomb.pdf"), Reason.DOCUMENT_TOO_LARGE),
    Adversary("3000-pages", _fixture("3000-pages.pdf"), Reason.PDF_TOO_MANY_PAGES),
    Adversary("encrypted", _fixture("encrypted.pdf"), Reason.PDF_ENCRYPTED),
    Adversary("truncated", _fixture("truncated.pdf"), Reason.PDF_BROKEN),
    Adversary("image-only", _fixture("image-only.pdf"), Reason.PDF_NO_TEXT),
    Adversary("empty", _fixture("empty.xml"), Reason.EMPTY_DOCUMENT),
    Adversary("not-xml", _fixture("not-xml.xml"), Reason.UNRECOGNIZED_FORMAT),
)
