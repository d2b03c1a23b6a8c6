"""`form4 watch-edgar` against a local fake EDGAR and the real broker."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
import uuid

import pytest
from confluent_kafka import KafkaError, KafkaException

from consumers.edgar.feed import daily_index_path
from consumers.edgar.metrics import WatcherMetrics
from consumers.edgar.settings import WatcherSettings
from consumers.edgar.watcher import (
    NOT_FOUND_FIRST_RETRY_SECONDS,
    SUBMISSION_NOT_FOUND_ATTEMPTS,
    EdgarWatcher,
)
from consumers.edgar_access.client import EdgarClient, RetryPolicy
from consumers.kafka.topics import ensure_topics
from tests.edgar_fake import Answer, FakeEdgar, fixture_filings, form_index, synthetic_filings
from tests.integration.helpers import raw_events

pytestmark = pytest.mark.kafka  # every test here talks to the real broker

AGENT = "form4-stream tests ops@example.com"
FAST = RetryPolicy(attempts=4, not_found_attempts=3, base_seconds=0.05, cap_seconds=2.0)


@pytest.fixture
def raw_topics(bootstrap: str) -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:10]
    raw, seen = f"it.watch.raw.{suffix}", f"it.watch.seen.{suffix}"
    ensure_topics(bootstrap, [raw], partitions=3)
    return raw, seen


def make_watcher(
    edgar: FakeEdgar,
    bootstrap: str,
    topics: tuple[str, str],
    metrics: WatcherMetrics | None = None,
    watcher_class: type[EdgarWatcher] = EdgarWatcher,
) -> EdgarWatcher:
    raw, seen = topics
    metrics = metrics or WatcherMetrics()
    client = EdgarClient(
        edgar.url,
        AGENT,
        retry=FAST,
        on_status=metrics.count_status,
        on_latency=metrics.observe_fetch,
    )
    config = WatcherSettings(
        bootstrap_servers=bootstrap,
        topic=raw,
        seen_topic=seen,
        failures_topic=f"{seen}.failures",
        transactional_id=f"it-watch-{seen}",
    )
    watcher = watcher_class(config, client, metrics)
    watcher.start()
    return watcher


def test_new_filings_are_published_once_with_their_headers(
    bootstrap: str, raw_topics: tuple[str, str]
) -> None:
    filings = fixture_filings()
    with FakeEdgar() as edgar:
        edgar.list_filings(filings)
        watcher = make_watcher(edgar, bootstrap, raw_topics)
        try:
            assert watcher.poll_feed() == len(filings)
            polled = len(edgar.requests_to("browse-edgar"))
            assert watcher.poll_feed() == 0  # the same feed again: nothing new
            again = [status for _, _, status, _ in edgar.requests_to("browse-edgar")[polled:]]
            assert again and set(again) == {304}  # asked if changed: no page sent twice
        finally:
            watcher.close()
    events = raw_events(bootstrap, raw_topics[0])
    by_key = {key: (value, headers) for key, value, headers in events}
    assert len(events) == len(filings) == len(by_key)
    for f in filings:
        value, headers = by_key[f.accession]
        assert value == f.body
        assert headers["content-type"] == "application/edgar-submission"
        assert headers["source-url"] == edgar.url + f.path_under(f.cik)
        assert headers["form-type"] == "4"
        filed = dt.datetime.fromisoformat(headers["filed-at"].replace("Z", "+00:00"))
        assert filed == f.accepted_at


def test_a_restart_resumes_without_duplicates_or_gaps(
    bootstrap: str, raw_topics: tuple[str, str]
) -> None:
    filings = fixture_filings()
    with FakeEdgar() as edgar:
        edgar.list_filings(filings[:2])
        first = make_watcher(edgar, bootstrap, raw_topics)
        try:
            assert first.poll_feed() == 2
        finally:
            first.close()
        edgar.list_filings(filings)  # two more arrive while the watcher is down
        second = make_watcher(edgar, bootstrap, raw_topics)
        try:
            assert second.seen == {f.accession for f in filings[:2]}
            assert second.poll_feed() == 2
        finally:
            second.close()
    keys = [key for key, _, _ in raw_events(bootstrap, raw_topics[0])]
    assert sorted(keys) == sorted(f.accession for f in filings)


def test_a_submission_that_404s_is_retried_reported_and_the_rest_flow(
    bootstrap: str, raw_topics: tuple[str, str]
) -> None:
    filings = fixture_filings()
    missing = filings[0]
    metrics = WatcherMetrics()
    with FakeEdgar() as edgar:
        edgar.list_filings(filings)
        for path in missing.paths:
            del edgar.documents[path]
        watcher = make_watcher(edgar, bootstrap, raw_topics, metrics)
        try:
            assert watcher.poll_feed() == len(filings) - 1
            tried = [e for e in edgar.log if missing.accession in e[1]]
            # one request a try: the filings behind it do not wait out a 404's back-off
            assert len(tried) == SUBMISSION_NOT_FOUND_ATTEMPTS
            assert all(status == 404 for _, _, status, _ in tried)
            assert metrics.fetch_failures.labels("not_found")._value.get() == 1
            assert metrics.http_errors.labels("404")._value.get() == SUBMISSION_NOT_FOUND_ATTEMPTS
            assert missing.accession not in watcher.seen  # not marked: a later poll retries
            assert watcher.poll_feed() == 0  # within the cool-down it is not hammered
            assert len([e for e in edgar.log if missing.accession in e[1]]) == len(tried)
        finally:
            watcher.close()
    keys = {key for key, _, _ in raw_events(bootstrap, raw_topics[0])}
    assert keys == {f.accession for f in filings[1:]}


def test_a_submission_the_archive_serves_late_is_published_seconds_later(
    bootstrap: str, raw_topics: tuple[str, str]
) -> None:
    """The complete text can trail the feed: a 404 costs one request, the filings behind it
    go on, and the filing is asked for again after a short pause, not minutes later."""
    filings = fixture_filings()
    late = filings[0]
    with FakeEdgar() as edgar:
        edgar.list_filings(filings)
        for path in late.paths:
            del edgar.documents[path]
        watcher = make_watcher(edgar, bootstrap, raw_topics)
        try:
            assert watcher.poll_feed() == len(filings) - 1
            for path in late.paths:  # the archive catches up
                edgar.documents[path] = late.body
            assert watcher.poll_feed() == 0  # within its first pause: not asked again
            assert len([e for e in edgar.log if late.accession in e[1]]) == 1
            time.sleep(NOT_FOUND_FIRST_RETRY_SECONDS)
            assert watcher.poll_feed() == 1
        finally:
            watcher.close()
    keys = sorted(key for key, _, _ in raw_events(bootstrap, raw_topics[0]))
    assert keys == sorted(f.accession for f in filings)


def test_feed_throttling_backs_off_and_the_poll_still_completes(
    bootstrap: str, raw_topics: tuple[str, str]
) -> None:
    filings = fixture_filings()
    metrics = WatcherMetrics()
    with FakeEdgar() as edgar:
        edgar.list_filings(filings)
        edgar.script["/cgi-bin/browse-edgar"] = [
            Answer(429, headers={"Retry-After": "1"}),
            Answer(503),
        ]
        watcher = make_watcher(edgar, bootstrap, raw_topics, metrics)
        try:
            watcher.config.forms = "4"
            assert watcher.poll_feed() == len(filings)
        finally:
            watcher.close()
        feed_times = [t for t, *_ in edgar.requests_to("browse-edgar")]
    assert feed_times[1] - feed_times[0] >= 0.95
    assert metrics.http_errors.labels("429")._value.get() == 1
    assert metrics.http_errors.labels("503")._value.get() == 1
    assert len(raw_events(bootstrap, raw_topics[0])) == len(filings)


def test_feed_pages_on_when_a_whole_page_is_new(
    bootstrap: str, raw_topics: tuple[str, str]
) -> None:
    template = fixture_filings()[0]
    burst = synthetic_filings(130, template)
    with FakeEdgar() as edgar:
        edgar.list_filings(burst[:10])
        watcher = make_watcher(edgar, bootstrap, raw_topics)
        try:
            watcher.config.forms = "4"
            assert watcher.poll_feed() == 10
            edgar.list_filings(burst)  # 120 new ones: more than one page of 100 entries
            assert watcher.poll_feed() == 120
        finally:
            watcher.close()
        pages = [path for _, path, _, _ in edgar.requests_to("browse-edgar")]
    assert any("start=100" in p for p in pages) and any("start=200" in p for p in pages)
    assert len({key for key, _, _ in raw_events(bootstrap, raw_topics[0])}) == 130


def test_cli_backfills_from_the_daily_index_then_polls_once(
    bootstrap: str, raw_topics: tuple[str, str]
) -> None:
    filings = fixture_filings()
    day = dt.date(2025, 1, 10)
    with FakeEdgar() as edgar:
        edgar.list_filings(filings[:1])  # the feed shows one; the index two others
        for f in filings[1:3]:
            for path in f.paths:
                edgar.documents[path] = f.body
        from consumers.edgar.feed import daily_index_path

        edgar.documents[daily_index_path(day)] = form_index(filings[1:3], day)
        raw, seen = raw_topics
        command = [
            sys.executable, "-m", "consumers", "watch-edgar",
            "--bootstrap-servers", bootstrap, "--topic", raw, "--seen-topic", seen,
            "--transactional-id", f"it-watch-cli-{seen}", "--user-agent", AGENT,
            "--edgar-base-url", edgar.url, "--since", "2025-01-09", "--until", "2025-01-10",
            "--once", "--metrics-port", "0",
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert edgar.requests_to("form.20250109.idx")[0][2] == 404  # no index: a quiet skip
    keys = sorted(key for key, _, _ in raw_events(bootstrap, raw_topics[0]))
    assert keys == sorted(f.accession for f in filings[:3])


def test_cli_refuses_to_start_without_a_contact_user_agent(bootstrap: str) -> None:
    command = [sys.executable, "-m", "consumers", "watch-edgar",
               "--bootstrap-servers", bootstrap, "--user-agent", "curl/8.0"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "User-Agent" in done.stderr


def test_watch_edgar_and_run_make_a_complete_pipeline(
    bootstrap: str, topics: dict[str, str]
) -> None:
    """EDGAR (fake) -> watch-edgar -> raw topic -> form4 run -> records with EDGAR's filed-at."""
    from tests.integration.helpers import expected_records, read_all, start_processor, wait_for

    filings = fixture_filings()
    raw = (topics["input"], f"it.watch.seen.{uuid.uuid4().hex[:8]}")
    with FakeEdgar() as edgar:
        edgar.list_filings(filings)
        watcher = make_watcher(edgar, bootstrap, raw)
        try:
            assert watcher.poll_feed() == len(filings)
        finally:
            watcher.close()
    processor, stop, thread = start_processor(bootstrap, topics)
    try:
        expected = expected_records([(f.accession, f.body) for f in filings])
        wait_for(lambda: processor.metrics.consumed._value.get() >= len(filings))
        records = read_all(bootstrap, topics["output"], idle=5)
    finally:
        stop.set()
        thread.join(60)
    assert sorted(r["record_id"] for r in records) == sorted(r["record_id"] for r in expected)
    accepted = {f.accession: f.accepted_at for f in filings}
    for record in records:
        assert record["filed_at"] == accepted[record["accession_number"]]
    # freshness: each filing's age at commit, from EDGAR's acceptance (its filed-at header)
    samples = {
        sample.name: sample.value
        for family in processor.metrics.acceptance_to_commit.collect()
        for sample in family.samples
    }
    assert samples["form4_acceptance_to_commit_seconds_count"] == len(filings)
    oldest = max(dt.datetime.now(dt.UTC) - f.accepted_at for f in filings).total_seconds()
    assert 0 < samples["form4_acceptance_to_commit_seconds_sum"] <= len(filings) * oldest


def test_a_restart_after_a_gap_of_350_filings_publishes_each_once(
    bootstrap: str, raw_topics: tuple[str, str]
) -> None:
    """350 filings listed while the watcher is down: 700 feed entries, more than the feed's
    pages reach (5 x 100); the daily index of their day closes the gap."""
    template = fixture_filings()[0]
    burst = synthetic_filings(360, template)
    metrics = WatcherMetrics()
    with FakeEdgar() as edgar:
        edgar.list_filings(burst[:10])
        first = make_watcher(edgar, bootstrap, raw_topics)
        try:
            first.config.forms = "4"
            assert first.poll_feed() == 10
        finally:
            first.close()
        edgar.list_filings(burst)
        day = template.accepted_at.astimezone(dt.timezone(dt.timedelta(hours=-5))).date()
        edgar.documents[daily_index_path(day)] = form_index(burst, day)
        second = make_watcher(edgar, bootstrap, raw_topics, metrics)
        try:
            second.config.forms = "4"
            assert second.poll_feed() == 350
            assert second.poll_feed() == 0
        finally:
            second.close()
    keys = [key for key, _, _ in raw_events(bootstrap, raw_topics[0])]
    assert len(keys) == len(set(keys)) == 360
    assert set(keys) == {f.accession for f in burst}
    assert metrics.gap_fills._value.get() == 1


class _CommitOutcomeLost:
    """A producer whose commit's answer is lost: it commits (or not), then reports a timeout,
    and refuses to abort, as librdkafka does for a commit still in doubt."""

    def __init__(self, producer, lands: bool) -> None:
        self._producer = producer
        self._lands = lands

    def __getattr__(self, name: str):
        return getattr(self._producer, name)

    def commit_transaction(self, *args) -> None:
        if self._lands:
            self._producer.commit_transaction(*args)
        raise KafkaException(KafkaError(KafkaError._TIMED_OUT, "commit outcome lost (test)"))

    def abort_transaction(self, *args) -> None:
        raise KafkaException(KafkaError(KafkaError._STATE, "commit in doubt (test)"))


@pytest.mark.parametrize("lands", [True, False], ids=["commit-landed", "commit-lost"])
def test_an_unresolved_commit_is_resolved_and_the_filing_published_once(
    bootstrap: str, raw_topics: tuple[str, str], lands: bool
) -> None:
    filing = fixture_filings()[0]
    metrics = WatcherMetrics()

    class InDoubtOnce(EdgarWatcher):
        producers = 0

        def new_producer(self):
            producer = super().new_producer()
            InDoubtOnce.producers += 1
            return _CommitOutcomeLost(producer, lands) if self.producers == 1 else producer

    with FakeEdgar() as edgar:
        edgar.list_filings([filing])
        watcher = make_watcher(edgar, bootstrap, raw_topics, metrics, InDoubtOnce)
        try:
            assert watcher.poll_feed() == (1 if lands else 0)
            outcome = "landed" if lands else "not_landed"
            assert metrics.unresolved_commits.labels(outcome)._value.get() == 1
            assert (filing.accession in watcher.seen) is lands
        finally:
            watcher.close()  # killed, as far as this watcher knows
        restarted = make_watcher(edgar, bootstrap, raw_topics)
        try:
            assert restarted.poll_feed() == (0 if lands else 1)
        finally:
            restarted.close()
    keys = [key for key, _, _ in raw_events(bootstrap, raw_topics[0])]
    assert keys == [filing.accession]


def test_an_oversized_filing_is_reported_once_and_never_fetched_again(bootstrap: str) -> None:
    suffix = uuid.uuid4().hex[:10]
    raw, seen = f"it.watch.raw.{suffix}", f"it.watch.seen.{suffix}"
    ensure_topics(bootstrap, [raw], partitions=3, config={"max.message.bytes": "120000"})
    big, small = synthetic_filings(2, fixture_filings()[0])
    big.body = big.body + b"\n" + b"x" * 300_000  # a 300 kB exhibit, over the topic's limit
    metrics = WatcherMetrics()
    with FakeEdgar() as edgar:
        edgar.list_filings([big, small])
        watcher = make_watcher(edgar, bootstrap, (raw, seen), metrics)
        try:
            watcher.config.forms = "4"
            assert watcher.poll_feed() == 1  # the small one; the big one refused
            assert metrics.refused_filings.labels("too_large")._value.get() == 1
            fetched = len(edgar.requests_to(big.accession))
            assert watcher.poll_feed() == 0
            assert len(edgar.requests_to(big.accession)) == fetched  # not downloaded again
        finally:
            watcher.close()
        restarted = make_watcher(edgar, bootstrap, (raw, seen))
        try:
            restarted.config.forms = "4"
            assert restarted.poll_feed() == 0
            assert len(edgar.requests_to(big.accession)) == fetched
        finally:
            restarted.close()
    assert [key for key, _, _ in raw_events(bootstrap, raw)] == [small.accession]
    (report,) = raw_events(bootstrap, f"{seen}.failures")
    key, value, _ = report
    detail = json.loads(value)
    assert key == big.accession and detail["reason"] == "too_large"
    assert detail["source_url"].endswith(f"{big.accession}.txt")
