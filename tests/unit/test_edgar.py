"""EDGAR feed/index parsing and the fair-access HTTP client, against a local fake EDGAR."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from consumers.edgar.feed import (
    FeedError,
    current_feed_path,
    daily_index_path,
    parse_current_feed,
    parse_form_index,
)
from consumers.edgar_access.client import (
    EdgarClient,
    FetchError,
    RetryPolicy,
    SlidingWindowLimiter,
    UserAgentError,
    check_user_agent,
    retry_after_seconds,
)
from tests.edgar_fake import Answer, FakeEdgar, atom_feed, fixture_filings, form_index

AGENT = "form4-stream tests ops@example.com"
FAST = RetryPolicy(attempts=4, not_found_attempts=3, base_seconds=0.05, cap_seconds=2.0)


def test_feed_lists_ownership_filings_with_filer_folder_and_acceptance_time() -> None:
    filings = fixture_filings()
    refs = parse_current_feed(atom_feed(filings))
    assert refs[-1] is None  # the 424B2 entry
    found = [r for r in refs if r is not None]
    assert {r.accession_number for r in found} == {f.accession for f in filings}
    assert len(found) == 2 * len(filings)  # once per filer, as EDGAR lists them
    first = next(f for f in filings if f.accession == found[0].accession_number)
    assert found[0].cik == first.cik
    assert found[0].listed_at == first.accepted_at
    assert found[0].submission_path() == first.path_under(first.cik)


def test_feed_refuses_entities_and_non_feeds() -> None:
    with pytest.raises(FeedError):
        parse_current_feed(b'<!DOCTYPE x [<!ENTITY a "b">]><feed/>')
    with pytest.raises(FeedError):
        parse_current_feed(b"<html><body>Rate limited</body></html>")
    with pytest.raises(FeedError):
        parse_current_feed(b"not xml at all")


def test_feed_query_and_index_paths() -> None:
    assert "type=4" in current_feed_path("4") and "output=atom" in current_feed_path("4")
    assert "start=100" in current_feed_path("4", start=100)
    assert daily_index_path(dt.date(2025, 5, 1)) == (
        "/Archives/edgar/daily-index/2025/QTR2/form.20250501.idx"
    )


def test_form_index_keeps_ownership_rows_and_reads_from_the_right() -> None:
    filings = fixture_filings()
    refs = parse_form_index(form_index(filings, dt.date(2025, 1, 10)))
    assert {r.accession_number for r in refs} == {f.accession for f in filings}
    assert all(r.form_type == "4" for r in refs)
    row = "SC 13D/A    BIG HOLDER LLC                                                1234567     20250110    edgar/data/1234567/0001234567-25-000001.txt"  # noqa: E501
    text = form_index([], dt.date(2025, 1, 10)) + row.encode() + b"\n"
    assert parse_form_index(text) == []  # a form type with a space, not an ownership form
    with pytest.raises(FeedError):
        parse_form_index(b"no rule here\n")


def test_user_agent_must_name_a_contact() -> None:
    assert check_user_agent(AGENT) == AGENT
    for bad in (None, "", "python-requests/2.31", "ops@example.com"):
        with pytest.raises(UserAgentError):
            check_user_agent(bad)


def test_retry_after_seconds_and_http_date() -> None:
    now = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Thu, 01 Jan 2026 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds("garbage") is None and retry_after_seconds(None) is None


def test_backoff_is_jittered_under_an_exponential_ceiling_and_honours_retry_after() -> None:
    policy = RetryPolicy(base_seconds=1.0, cap_seconds=60.0)
    rng = random.Random(7)
    delays = [policy.backoff(attempt, None, rng) for attempt in range(8) for _ in range(50)]
    assert all(0 <= d <= 60 for d in delays)
    assert max(policy.backoff(0, None, rng) for _ in range(50)) <= 1.0
    assert len({round(d, 6) for d in delays}) > 300  # jittered, not a fixed schedule
    assert policy.backoff(0, 12.0, rng) >= 12.0
    assert policy.backoff(0, 3600.0, rng) == 60.0  # a huge Retry-After is capped


def test_sliding_window_limiter_never_admits_more_than_the_limit_per_window() -> None:
    now = [0.0]
    limiter = SlidingWindowLimiter(
        10, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s)
    )
    stamps = []
    for _ in range(35):
        limiter.acquire()
        stamps.append(now[0])
    for i, start in enumerate(stamps):
        assert sum(1 for t in stamps[i:] if t - start < 1.0) <= 10
    assert stamps[-1] >= 3.0  # 35 requests at 10/s need at least three full seconds


def test_client_holds_the_rate_limit_as_seen_by_the_server() -> None:
    with FakeEdgar() as edgar:
        edgar.documents["/x"] = b"ok"
        client = EdgarClient(edgar.url, AGENT, max_requests_per_second=10, retry=FAST)
        for _ in range(25):
            assert client.get("/x") == b"ok"
        times = [t for t, *_ in edgar.requests_to("/x")]
    assert len(times) == 25
    # any one-second window EDGAR could count, with room for network jitter up to the margin
    for i, start in enumerate(times):
        assert sum(1 for t in times[i:] if t - start <= 1.0) <= 10
    assert all(agent == AGENT for *_, agent in edgar.log)


def test_client_backs_off_on_429_for_retry_after_and_on_503() -> None:
    statuses: list[str] = []
    with FakeEdgar() as edgar:
        edgar.documents["/doc"] = b"body"
        edgar.script["/doc"] = [
            Answer(429, headers={"Retry-After": "1"}),
            Answer(503),
            Answer(503),
        ]
        client = EdgarClient(edgar.url, AGENT, retry=FAST, on_status=statuses.append)
        assert client.get("/doc") == b"body"
        times = [t for t, *_ in edgar.requests_to("/doc")]
    assert [s for *_, s, _ in edgar.log] == [429, 503, 503, 200]
    assert statuses == ["429", "503", "503"]
    assert times[1] - times[0] >= 0.95  # Retry-After: 1 honoured


def test_client_gives_up_after_its_budget_with_the_reason() -> None:
    with FakeEdgar() as edgar:
        client = EdgarClient(edgar.url, AGENT, retry=FAST)
        with pytest.raises(FetchError) as caught:
            client.get("/missing")
        assert caught.value.reason == "not_found" and caught.value.attempts == 3
        assert len(edgar.requests_to("/missing")) == 3
        edgar.script["/forbidden"] = [Answer(403)] * 10
        with pytest.raises(FetchError) as caught:
            client.get("/forbidden")
        assert caught.value.reason == "http_403" and caught.value.attempts == FAST.attempts


def test_client_refuses_an_oversized_body_without_retrying() -> None:
    with FakeEdgar() as edgar:
        edgar.documents["/big"] = b"x" * 5000
        client = EdgarClient(edgar.url, AGENT, retry=FAST, max_bytes=1000)
        with pytest.raises(FetchError) as caught:
            client.get("/big")
        assert caught.value.reason == "too_large"
        assert len(edgar.requests_to("/big")) == 1


def test_client_refuses_more_than_the_sec_limit() -> None:
    with pytest.raises(ValueError):
        EdgarClient("http://127.0.0.1:1", AGENT, max_requests_per_second=11)


def test_redirects_are_followed_on_the_same_host_only_and_each_hop_is_counted() -> None:
    with FakeEdgar() as edgar:
        edgar.documents["/moved-here"] = b"body"
        edgar.script["/old"] = [Answer(301, headers={"Location": "/moved-here"})]
        edgar.script["/elsewhere"] = [
            Answer(302, headers={"Location": "http://198.51.100.7/steal?token=1"})
        ]
        client = EdgarClient(edgar.url, AGENT, retry=FAST)
        assert client.get("/old") == b"body"
        assert [p for _, p, _, _ in edgar.log] == ["/old", "/moved-here"]  # both rate-limited
        with pytest.raises(FetchError) as caught:
            client.get("/elsewhere")
        assert caught.value.reason == "redirect_refused" and caught.value.attempts == 1
        edgar.script["/loop"] = [Answer(302, headers={"Location": "/loop"})] * 10
        with pytest.raises(FetchError):
            client.get("/loop")
        assert len(edgar.requests_to("/loop")) == 6  # the request and five redirects


def test_a_per_call_size_cap_is_tighter_than_the_clients() -> None:
    with FakeEdgar() as edgar:
        edgar.documents["/doc"] = b"x" * 3000
        client = EdgarClient(edgar.url, AGENT, retry=FAST)
        assert len(client.get("/doc")) == 3000
        with pytest.raises(FetchError) as caught:
            client.get("/doc", max_bytes=2000)
        assert caught.value.reason == "too_large"


def test_an_unchanged_feed_page_comes_back_304_with_no_body_and_a_new_one_in_full() -> None:
    filings = fixture_filings()
    path = current_feed_path("4")
    with FakeEdgar() as edgar:
        edgar.list_filings(filings[:1])
        client = EdgarClient(edgar.url, AGENT, retry=FAST)
        first = client.get_if_changed(path)
        assert first is not None and filings[0].accession.encode() in first
        assert client.get_if_changed(path) is None  # nothing new: a 304, no body
        edgar.list_filings(filings[:2])
        changed = client.get_if_changed(path)
        assert changed is not None and filings[1].accession.encode() in changed
        assert client.get(path) == changed  # a plain get never sends validators
        statuses = [status for _, _, status, _ in edgar.requests_to("browse-edgar")]
    assert statuses == [200, 304, 200, 200]


def test_a_server_that_ignores_validators_is_read_as_before() -> None:
    with FakeEdgar() as edgar:
        edgar.documents["/static"] = b"same"  # no ETag: nothing to send back
        client = EdgarClient(edgar.url, AGENT, retry=FAST)
        assert client.get_if_changed("/static") == b"same"
        assert client.get_if_changed("/static") == b"same"


def test_a_per_call_404_budget_lets_a_caller_retry_on_its_own_schedule() -> None:
    with FakeEdgar() as edgar:
        client = EdgarClient(edgar.url, AGENT, retry=FAST)
        with pytest.raises(FetchError) as caught:
            client.get("/trailing", not_found_attempts=1)
        assert caught.value.reason == "not_found" and caught.value.attempts == 1
        assert len(edgar.requests_to("/trailing")) == 1
