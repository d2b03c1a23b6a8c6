"""A local stand-in for EDGAR: recorded feed pages, submissions and daily indexes over HTTP.

Feed entries are built from the real submissions in tests/fixtures/submissions (their own
headers give accession, form type, CIKs and acceptance time); each filing is listed twice, as
EDGAR does (once per filer), beside an entry of another form the watcher must ignore.
Scripted answers (`script`) are served before the normal ones, and every request is logged
with its arrival time, so tests can check back-off and the rate limit from the server's side.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from consumers.parsing.xml.submission import parse_header
from tests.conftest import FIXTURES

_EASTERN = dt.timezone(dt.timedelta(hours=-5))
_EASTERN_NAMED = ZoneInfo("America/New_York")


@dataclass
class Listed:
    accession: str
    form_type: str
    cik: int
    other_cik: int
    accepted_at: dt.datetime
    body: bytes
    # time.monotonic() from which the feed lists it and the archive serves it (None: always)
    visible_at: float | None = None

    def visible(self, now: float) -> bool:
        return self.visible_at is None or self.visible_at <= now

    def path_under(self, cik: int) -> str:
        folder = self.accession.replace("-", "")
        return f"/Archives/edgar/data/{cik}/{folder}/{self.accession}.txt"

    @property
    def paths(self) -> tuple[str, str]:
        """EDGAR serves a submission under the folder of each of its filers."""
        return self.path_under(self.cik), self.path_under(self.other_cik)


def fixture_filings() -> list[Listed]:
    """The XML-era fixture submissions (the pre-2003 text one is not in any current feed)."""
    listed: list[Listed] = []
    for n, path in enumerate(sorted((FIXTURES / "submissions").iterdir())):
        body = path.read_bytes()
        header = parse_header(body)
        if header.filing_date is None or header.filing_date.year < 2003:
            continue
        accepted = header.accepted_at or dt.datetime(2025, 1, 2, 16, 0, n, tzinfo=dt.UTC)
        listed.append(
            Listed(
                accession=header.accession_number or "",
                form_type=header.form_type or "4",
                cik=min(header.owner_ciks),
                other_cik=min(header.issuer_ciks),
                accepted_at=accepted,
                body=body,
            )
        )
    return listed


def synthetic_filings(count: int, template: Listed) -> list[Listed]:
    """`count` distinct filings cut from one real submission (new accession, same content)."""
    out = []
    for n in range(count):
        accession = f"0009999999-26-{n:06d}"
        body = template.body.replace(template.accession.encode(), accession.encode())
        accepted = template.accepted_at + dt.timedelta(seconds=n)
        out.append(
            Listed(accession, template.form_type, template.cik, template.other_cik, accepted, body)
        )
    return out


def atom_feed(filings: list[Listed]) -> bytes:
    """A getcurrent Atom page, newest first, each filing once per filer plus one 8-K."""
    entries = []
    for f in sorted(filings, key=lambda f: f.accepted_at, reverse=True):
        updated = f.accepted_at.astimezone(_EASTERN).isoformat()
        for cik, role in ((f.cik, "Reporting"), (f.other_cik, "Issuer")):
            folder = f.accession.replace("-", "")
            summary = escape(
                f"<b>Filed:</b> {f.accepted_at:%Y-%m-%d} <b>AccNo:</b> {f.accession} "
                "<b>Size:</b> 5 KB"
            )
            href = f"https://www.sec.gov/Archives/edgar/data/{cik}/{folder}/{f.accession}-index.htm"
            entries.append(
                f"""<entry>
<title>{escape(f.form_type)} - Someone ({cik:010d}) ({role})</title>
<link rel="alternate" type="text/html" href="{href}"/>
<summary type="html"> {summary}</summary>
<updated>{updated}</updated>
<category scheme="https://www.sec.gov/" label="form type" term="{escape(f.form_type)}"/>
<id>urn:tag:sec.gov,2008:accession-number={f.accession}</id>
</entry>"""
            )
    entries.append(
        """<entry>
<title>424B2 - Some Bank (0000000001) (Filer)</title>
<link rel="alternate" type="text/html" href="https://www.sec.gov/Archives/edgar/data/1/000000000126000001/0000000001-26-000001-index.htm"/>
<summary type="html">AccNo: 0000000001-26-000001</summary>
<updated>2026-01-02T10:00:00-05:00</updated>
<category scheme="https://www.sec.gov/" label="form type" term="424B2"/>
<id>urn:tag:sec.gov,2008:accession-number=0000000001-26-000001</id>
</entry>"""
    )
    return (
        '<?xml version="1.0" encoding="ISO-8859-1" ?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">\n'
        "<title>Latest Filings</title>\n" + "\n".join(entries) + "\n</feed>\n"
    ).encode("latin-1")


def form_index(filings: list[Listed], day: dt.date) -> bytes:
    lines = [
        "Description:           Daily Index of EDGAR Dissemination Feed by Form Type",
        f"Last Data Received:    {day:%B %d, %Y}",
        "Comments:              webmaster@sec.gov",
        "",
        "Form Type   Company Name                                                  CIK"
        "         Date Filed  File Name",
        "-" * 140,
        f"{'8-K':<12}{'SOME BANK CORP':<62}{1:<12}{day:%Y%m%d}    "
        "edgar/data/1/0000000001-26-000002.txt",
    ]
    for f in filings:
        for cik in (f.cik, f.other_cik):
            lines.append(
                f"{f.form_type:<12}{'SOMEONE':<62}{cik:<12}{day:%Y%m%d}    "
                f"edgar/data/{cik}/{f.accession}.txt"
            )
    return ("\n".join(lines) + "\n").encode()


@dataclass
class Answer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class FakeEdgar:
    """Serves `feed` for every getcurrent query, `documents` by path, `script` answers first.

    A filing with `visible_at` is neither listed nor served before that instant, as EDGAR
    reveals a filing at acceptance; a feed page carries an ETag and answers 304 to a request
    that names it (If-None-Match) while it is unchanged."""

    def __init__(self) -> None:
        self.feed: dict[str, list[Listed]] = {}  # form type queried -> filings listed
        self.documents: dict[str, bytes] = {}
        self.reveals: dict[str, Listed] = {}  # path -> the filing it serves, when timed
        self.script: dict[str, list[Answer]] = {}
        self.log: list[tuple[float, str, int, str]] = []  # (time, path, status, user agent)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def list_filings(self, filings: list[Listed], form_type: str = "4") -> None:
        self.feed[form_type] = list(filings)
        for f in filings:
            for path in f.paths:
                self.documents[path] = f.body
                if f.visible_at is not None:
                    self.reveals[path] = f

    def requests_to(self, fragment: str) -> list[tuple[float, str, int, str]]:
        with self._lock:
            return [entry for entry in self.log if fragment in entry[1]]

    def answer(
        self, path: str, query: dict[str, list[str]], if_none_match: str | None = None
    ) -> Answer:
        with self._lock:
            scripted = self.script.get(path)
            if scripted:
                return scripted.pop(0)
        now = time.monotonic()
        if path == "/cgi-bin/browse-edgar":
            form_type = query.get("type", [""])[0]
            start = int(query.get("start", ["0"])[0])
            count = int(query.get("count", ["100"])[0])
            listed = sorted(
                (f for f in self.feed.get(form_type, []) if f.visible(now)),
                key=lambda f: f.accepted_at,
                reverse=True,
            )
            page = atom_feed(listed[start // 2 : (start + count) // 2])
            etag = '"' + hashlib.sha1(page).hexdigest() + '"'
            if if_none_match == etag:
                return Answer(304, b"", {"ETag": etag})
            return Answer(200, page, {"ETag": etag})
        timed = self.reveals.get(path)
        body = self.documents.get(path) if timed is None or timed.visible(now) else None
        return Answer(200, body) if body is not None else Answer(404, b"Not Found")

    def __enter__(self) -> FakeEdgar:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                reply = fake.answer(
                    parts.path,
                    parse_qs(parts.query, keep_blank_values=True),
                    self.headers.get("If-None-Match"),
                )
                with fake._lock:
                    fake.log.append(
                        (
                            time.monotonic(),
                            self.path,
                            reply.status,
                            self.headers.get("User-Agent", ""),
                        )
                    )
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"


def submission_text(xml: bytes, header: dict, accession: str, accepted_at: dt.datetime) -> bytes:
    """A complete submission (SEC-DOCUMENT text, as EDGAR serves it) of one ownership XML
    and its parsed EDGAR header (the corpus's headers/*.json), under `accession`."""
    sub = header["submission"]
    eastern = accepted_at.astimezone(_EASTERN_NAMED)
    filed = f"{eastern:%Y%m%d}"
    lines = [
        f"<SEC-DOCUMENT>{accession}.txt : {filed}",
        f"<SEC-HEADER>{accession}.hdr.sgml : {filed}",
        f"<ACCEPTANCE-DATETIME>{eastern:%Y%m%d%H%M%S}",
        f"ACCESSION NUMBER:\t\t{accession}",
        f"CONFORMED SUBMISSION TYPE:\t{sub['TYPE']}",
        "PUBLIC DOCUMENT COUNT:\t\t1",
        f"CONFORMED PERIOD OF REPORT:\t{sub.get('PERIOD', filed)}",
        f"FILED AS OF DATE:\t\t{filed}",
        "",
    ]
    # Each filer's block, as SEC-HEADER prints it: (section, the JSON's data key, its label).
    for section, key, label in (
        ("REPORTING-OWNER:\t", "OWNER-DATA", "OWNER DATA"),
        ("ISSUER:\t\t", "COMPANY-DATA", "COMPANY DATA"),
    ):
        for filer in sub.get(section.rstrip(":\t"), []):
            data = filer.get(key, {})
            lines += [
                section,
                "",
                f"\t{label}:\t",
                f"\t\tCOMPANY CONFORMED NAME:\t\t\t{data.get('CONFORMED-NAME', '')}",
                f"\t\tCENTRAL INDEX KEY:\t\t\t{data.get('CIK', '')}",
                "",
            ]
    lines += ["</SEC-HEADER>", "<DOCUMENT>", f"<TYPE>{sub['TYPE']}", "<SEQUENCE>1", "<TEXT>"]
    head = "\n".join(lines).encode("latin-1", "replace")
    return head + b"\n<XML>\n" + xml.strip() + b"\n</XML>\n</TEXT>\n</DOCUMENT>\n</SEC-DOCUMENT>\n"
