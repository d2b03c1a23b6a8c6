"""Which parser a document needs, from its first bytes (a content-type header only confirms)."""

from __future__ import annotations

import re

from consumers.parsing.core.model import SourceFormat

_HEAD = 8192
_OWNERSHIP_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?ownershipDocument[\s>/]")
_XML_START = re.compile(rb"\s*(?:<\?xml|<!--|<[A-Za-z_])")
_HTML = re.compile(rb"<(?:!doctype\s+html|html[\s>])", re.I)
_FORM_TEXT = re.compile(rb"(?:FORM\s*[345]\b|STATEMENT\s+OF\s+CHANGES\s+IN\s+BENEFICIAL)", re.I)
_BINARY_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"PK\x03\x04", b"\x1f\x8b", b"II*\x00")


def sniff(data: bytes) -> SourceFormat:
    """Classify by content; the order matters (a submission embeds XML, HTML can embed text)."""
    head = data[:_HEAD].lstrip(b"\xef\xbb\xbf")
    if head.startswith(b"%PDF") or b"%PDF-" in head[:1024]:
        return SourceFormat.PDF
    if head.startswith(_BINARY_MAGIC):
        return SourceFormat.UNKNOWN
    stripped = head.lstrip()
    if stripped.startswith((b"<SEC-DOCUMENT>", b"<SUBMISSION>", b"-----BEGIN PRIVACY-ENHANCED")):
        return SourceFormat.SUBMISSION
    if b"<SEC-HEADER>" in head or b"<SEC-DOCUMENT>" in head:
        return SourceFormat.SUBMISSION
    if _OWNERSHIP_ROOT.search(head) and _XML_START.match(head):
        return SourceFormat.XML
    if _HTML.search(head):
        return SourceFormat.HTML
    if _XML_START.match(head):
        return SourceFormat.XML  # some other XML: the XML parser names what it is instead
    if _looks_like_text(head) and _FORM_TEXT.search(data[:65536]):
        return SourceFormat.TEXT
    return SourceFormat.UNKNOWN


def _looks_like_text(head: bytes) -> bool:
    if not head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return printable / len(text) > 0.95
