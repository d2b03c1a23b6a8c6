"""The issuer directory: a rendered filing's ticker and name to its CIK, only when they agree;
the file re-read when it changes, never replaced by a broken one; fetched under EDGAR's
fair-access client (a local fake EDGAR here), and kept on disk for a restart without EDGAR."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from consumers.edgar_access.client import EdgarClient, RetryPolicy
from consumers.issuers.directory import (
    RESOLVED_ISSUER_CIK,
    DirectoryError,
    DirectoryFile,
    IssuerDirectory,
    name_key,
    resolve_issuer,
    write_atomically,
)
from consumers.issuers.source import COMPANY_TICKERS_PATH, DirectoryRefresher, local_directory
from consumers.parsing import parse_document
from tests.conftest import FIXTURES
from tests.edgar_fake import Answer, FakeEdgar

TICKERS = FIXTURES / "issuers" / "company_tickers.json"
AGENT = "form4-stream tests ops@example.com"


def _directory(*entries: tuple[int, str, str]) -> IssuerDirectory:
    data = {str(i): {"cik_str": c, "ticker": t, "title": n} for i, (c, t, n) in enumerate(entries)}
    return IssuerDirectory.from_json(json.dumps(data).encode())


def test_ticker_and_name_must_agree_on_one_issuer() -> None:
    directory = _directory(
        (1318605, "TSLA", "Tesla, Inc."),
        (1652044, "GOOGL", "Alphabet Inc."),
        (1067983, "BRK-B", "BERKSHIRE HATHAWAY INC"),
        (1, "ABC", "Alpha Beta Co"),
        (2, "ABD", "Alpha Beta Corp"),
    )
    assert directory.resolve("TSLA", "TESLA, INC.") == "0001318605"
    assert directory.resolve("TSLA", "Tesla Motors Inc") == "0001318605"  # its former name
    assert directory.resolve("BRK.B", "Berkshire Hathaway Inc.") == "0001067983"
    assert directory.resolve("GOOGL", None) == "0001652044"  # no name printed: the ticker
    # a ticker reused by another company after a delisting: the name disagrees, no CIK
    assert directory.resolve("TSLA", "Tandy Leather Factory Inc") is None
    # no ticker in the file: the name alone, only when it names exactly one issuer
    assert directory.resolve("ZZZZ", "Alphabet Inc") == "0001652044"
    assert directory.resolve(None, "Alpha Beta Inc") is None  # two issuers of that name
    assert directory.resolve(None, None) is None
    assert name_key("The Walt Disney Co.") == "WALT DISNEY"


def test_a_resolved_cik_is_marked_resolved_and_a_printed_one_is_kept() -> None:
    directory = IssuerDirectory.from_json(TICKERS.read_bytes())
    pdf = parse_document((FIXTURES / "pdf" / "000106299324008173.pdf").read_bytes())
    xml = parse_document((FIXTURES / "pdf" / "000106299324008173.xml").read_bytes())
    assert pdf.issuer.cik is None
    resolve_issuer(pdf, directory)
    assert pdf.issuer.cik == xml.issuer.cik
    assert pdf.provenance.resolved == {RESOLVED_ISSUER_CIK}
    resolve_issuer(xml, directory)
    assert xml.provenance.resolved == set()  # printed in the XML: nothing to resolve


@pytest.mark.parametrize(
    "data", [b"", b"not json", b"[]", b'{"0": {"ticker": "X"}}', b'"a string"']
)
def test_a_file_that_is_no_directory_is_refused(data: bytes, tmp_path: Path) -> None:
    with pytest.raises(DirectoryError):
        IssuerDirectory.from_json(data)
    with pytest.raises(DirectoryError):
        write_atomically(tmp_path / "company_tickers.json", data)
    assert not (tmp_path / "company_tickers.json").exists()


def test_the_file_is_reread_when_it_changes_and_a_broken_one_keeps_the_last(
    tmp_path: Path,
) -> None:
    path = tmp_path / "company_tickers.json"
    write_atomically(path, json.dumps({"0": {"cik_str": 5, "ticker": "A", "title": "A"}}).encode())
    watched = DirectoryFile(path, recheck_seconds=0)
    first = watched.current()
    assert first is not None and first.resolve("A", None) == "0000000005"
    write_atomically(path, TICKERS.read_bytes())
    os.utime(path, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    second = watched.current()
    assert second is not None and len(second) > len(first)
    path.write_bytes(b"{truncated")  # a damaged copy (not ours: ours rename whole files)
    assert watched.current() is second
    assert DirectoryFile(tmp_path / "absent.json", recheck_seconds=0).current() is None


def test_fetched_through_the_fair_access_client_and_kept_for_a_restart(tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "company_tickers.json"
    with FakeEdgar() as edgar:
        edgar.documents[COMPANY_TICKERS_PATH] = TICKERS.read_bytes()
        url = edgar.url + COMPANY_TICKERS_PATH
        assert local_directory(url, cache, AGENT) == cache
        assert cache.read_bytes() == TICKERS.read_bytes()
        (request,) = edgar.requests_to(COMPANY_TICKERS_PATH)
        assert request[3] == AGENT  # the declared User-Agent the SEC requires
        # EDGAR down at the next start: the copy on disk serves
        edgar.script[COMPANY_TICKERS_PATH] = [Answer(404)] * 10
        assert local_directory(url, cache, AGENT) == cache
    assert local_directory(url, tmp_path / "never-fetched.json", AGENT) is None
    assert local_directory(None, cache, AGENT) is None
    assert local_directory(str(TICKERS), cache, None) == TICKERS


def test_the_watcher_side_refreshes_on_schedule(tmp_path: Path) -> None:
    target = tmp_path / "company_tickers.json"
    with FakeEdgar() as edgar:
        edgar.documents[COMPANY_TICKERS_PATH] = TICKERS.read_bytes()
        client = EdgarClient(edgar.url, AGENT, retry=RetryPolicy(attempts=1, not_found_attempts=1))
        refresher = DirectoryRefresher(client, target, interval_seconds=3600)
        assert refresher.due()  # no file yet
        assert refresher.refresh() and target.read_bytes() == TICKERS.read_bytes()
        assert not refresher.due()
        # a file younger than the interval is not fetched again at start
        assert not DirectoryRefresher(client, target, interval_seconds=3600).due()
        edgar.documents[COMPANY_TICKERS_PATH] = b"<html>maintenance</html>"
        assert not refresher.refresh()  # refused: the good copy stays
        assert target.read_bytes() == TICKERS.read_bytes()
        client.close()
