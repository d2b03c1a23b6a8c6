"""EDGAR's current-filings Atom feed and daily form index, read into filing references.

Pure parsing (no HTTP, no Kafka): the watcher fetches the bytes, these functions say which
filings they name. Each Form 4 appears in the feed once per filer (issuer and each reporting
owner), so references are keyed by accession number and de-duplicated by the caller.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from lxml import etree

from consumers.parsing.core.model import OWNERSHIP_FORM_TYPES

_ATOM = "{http://www.w3.org/2005/Atom}"
_ACCESSION = re.compile(r"(\d{10}-\d{2}-\d{6})")
_ARCHIVE_CIK = re.compile(r"/edgar/data/(\d+)/")
_TITLE_CIK = re.compile(r"\((\d{10})\)")
_SAFE_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
)


class FeedError(ValueError):
    """The bytes are not a feed or index we can read."""


@dataclass(frozen=True, slots=True)
class FilingRef:
    """One filing EDGAR lists: enough to fetch its complete submission text."""

    accession_number: str
    form_type: str
    cik: int
    listed_at: dt.datetime | None = None  # the feed's <updated>: acceptance time, with zone

    def submission_path(self) -> str:
        """Path of the complete submission text under the EDGAR host."""
        folder = self.accession_number.replace("-", "")
        return f"/Archives/edgar/data/{self.cik}/{folder}/{self.accession_number}.txt"


def current_feed_path(form_type: str, start: int = 0, count: int = 100) -> str:
    """The getcurrent query of one form type (EDGAR matches it as a prefix: "4" gives 424B2 too)."""
    query = {
        "action": "getcurrent",
        "type": form_type,
        "company": "",
        "dateb": "",
        "owner": "include",
        "start": start,
        "count": count,
        "output": "atom",
    }
    return "/cgi-bin/browse-edgar?" + urlencode(query)


def parse_current_feed(data: bytes) -> list[FilingRef | None]:
    """Every entry of a feed page in order; None for an entry that is not an ownership form.

    The Nones keep the page length visible to the caller, which pages on while a full page holds
    nothing it has seen.
    """
    if b"<!DOCTYPE" in data[:2048] or b"<!ENTITY" in data:
        raise FeedError("feed carries a DOCTYPE or entity declaration")
    try:
        root = etree.fromstring(data, _SAFE_PARSER)
    except etree.XMLSyntaxError as error:
        raise FeedError(f"feed is not XML: {error}") from error
    if root.tag != f"{_ATOM}feed":
        raise FeedError(f"not an Atom feed (root {root.tag!r})")
    refs: list[FilingRef | None] = []
    for entry in root.iterchildren(f"{_ATOM}entry"):
        refs.append(_entry_ref(entry))
    return refs


def _entry_ref(entry: etree._Element) -> FilingRef | None:
    category = entry.find(f"{_ATOM}category")
    form_type = (category.get("term") if category is not None else None) or ""
    title = entry.findtext(f"{_ATOM}title") or ""
    if not form_type:
        form_type = title.split(" - ", 1)[0]
    form_type = form_type.strip().upper()
    if form_type not in OWNERSHIP_FORM_TYPES:
        return None
    link = entry.find(f"{_ATOM}link")
    href = link.get("href", "") if link is not None else ""
    text = " ".join(
        [entry.findtext(f"{_ATOM}id") or "", entry.findtext(f"{_ATOM}summary") or "", href]
    )
    accession = _ACCESSION.search(text)
    cik = _ARCHIVE_CIK.search(href) or _TITLE_CIK.search(title)
    if accession is None or cik is None:
        return None
    return FilingRef(
        accession_number=accession[1],
        form_type=form_type,
        cik=int(cik[1]),
        listed_at=_timestamp(entry.findtext(f"{_ATOM}updated")),
    )


def _timestamp(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        stamp = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return stamp if stamp.tzinfo else None


def daily_index_path(day: dt.date) -> str:
    quarter = (day.month - 1) // 3 + 1
    return f"/Archives/edgar/daily-index/{day.year}/QTR{quarter}/form.{day:%Y%m%d}.idx"


def parse_form_index(data: bytes) -> list[FilingRef]:
    """Ownership filings of a `form.*.idx`: fixed columns under a dashed rule.

    Form types may contain spaces ("SC 13D") and company names always may, so the row is read
    from the right (file name, date, CIK) and the form type from the header's column start.
    """
    text = data.decode("latin-1")
    lines = text.splitlines()
    try:
        rule = next(i for i, line in enumerate(lines) if line.startswith("-----"))
    except StopIteration:
        raise FeedError("form index without its dashed header rule") from None
    header = lines[rule - 1] if rule else ""
    company_col = header.find("Company Name")
    if company_col <= 0:
        raise FeedError("form index header has no 'Company Name' column")
    refs: list[FilingRef] = []
    for line in lines[rule + 1 :]:
        if not line.strip():
            continue
        form_type = line[:company_col].strip().upper()
        if form_type not in OWNERSHIP_FORM_TYPES:
            continue
        tokens = line.split()
        if len(tokens) < 4:
            raise FeedError(f"form index row too short: {line!r}")
        accession = _ACCESSION.search(tokens[-1])
        if accession is None or not tokens[-3].isdigit():
            raise FeedError(f"form index row without CIK or accession: {line!r}")
        refs.append(FilingRef(accession[1], form_type, int(tokens[-3])))
    return refs
