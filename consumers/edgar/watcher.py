"""`form4 watch-edgar`: poll EDGAR, fetch each new ownership filing, publish it exactly once.

Each filing is published in its own Kafka transaction together with its accession number on the
compacted "seen" topic; a restart reads that topic back, so it neither skips nor repeats a
filing, and the transactional id fences a second watcher left running by mistake.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from confluent_kafka import KafkaException, Producer

from consumers import limits as bounds
from consumers.edgar.client import EdgarClient, FetchError
from consumers.edgar.feed import (
    FeedError,
    FilingRef,
    current_feed_path,
    daily_index_path,
    parse_current_feed,
    parse_form_index,
)
from consumers.edgar.metrics import WatcherMetrics
from consumers.edgar.seen import ensure_compacted_topic, load_seen
from consumers.edgar.settings import WatcherSettings
from consumers.issuers.source import DirectoryRefresher
from consumers.kafka.publish import CONTENT_TYPES
from consumers.kafka.txn import TXN_CALL_TIMEOUT_SECONDS, retrying
from consumers.parsing.core.errors import ParseError
from consumers.parsing.sniff import sniff
from consumers.parsing.xml.submission import parse_header

log = logging.getLogger("form4.watch")

FEED_PAGE_SIZE = 100
MAX_FEED_PAGES = 5
# A submission that 404s after its retries is reported, then tried again on a later poll once
# this has passed (the archive can trail the feed), so a slow archive never loses a filing.
NOT_FOUND_COOLDOWN_SECONDS = 300.0


class WatcherFenced(RuntimeError):
    """Another watcher with the same transactional id took over; this one must stop."""


class EdgarWatcher:
    def __init__(
        self, config: WatcherSettings, client: EdgarClient, metrics: WatcherMetrics | None = None
    ) -> None:
        self.config = config
        self.client = client
        self.metrics = metrics or WatcherMetrics()
        self.seen: set[str] = set()
        self._given_up: dict[str, float] = {}
        self._polled_before = False
        self._producer: Producer | None = None
        self.directory = (
            DirectoryRefresher(
                client, Path(config.issuer_directory), config.issuer_directory_refresh_hours * 3600
            )
            if config.issuer_directory
            else None
        )

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Create the seen topic if needed, fence older instances, then load what they did."""
        c = self.config
        ensure_compacted_topic(c, c.seen_topic)
        self._producer = Producer(
            c.client_config(
                **{
                    "transactional.id": c.transactional_id,
                    "enable.idempotence": True,
                    "message.max.bytes": bounds.PRODUCER_MESSAGE_MAX_BYTES,
                    "linger.ms": 0,
                }
            )
        )
        # Aborts whatever a crashed predecessor left open, so the seen topic read next is final.
        self._producer.init_transactions(60)
        self.seen = load_seen(c, c.seen_topic)
        self.metrics.seen_filings.set(len(self.seen))
        log.info("watcher started", extra={"seen": len(self.seen), "topic": c.topic})

    def close(self) -> None:
        if self._producer is not None:
            self._producer.flush(30)
            self._producer = None
        self.client.close()

    def run(
        self,
        stop: threading.Event,
        interval: float,
        since: dt.date | None = None,
        until: dt.date | None = None,
        on_turn: Callable[[], None] = lambda: None,
    ) -> None:
        if since is not None:
            self.backfill(since, until or dt.date.today(), stop)
        while not stop.is_set():
            started = time.monotonic()
            self.refresh_directory()
            self.poll_feed()
            on_turn()
            stop.wait(max(0.0, interval - (time.monotonic() - started)))

    def refresh_directory(self) -> None:
        """The company tickers file for `form4 run --issuer-directory`, when it is due."""
        if self.directory is None or not self.directory.due():
            return
        written = self.directory.refresh()
        self.metrics.issuer_directory_refreshes.labels("written" if written else "failed").inc()

    # -- sources -----------------------------------------------------------------------------

    def poll_feed(self) -> int:
        """One pass over the current feed of every form type; returns filings published."""
        refs: dict[str, FilingRef] = {}
        for form_type in self.config.form_types:
            for ref in self._feed_refs(form_type):
                refs.setdefault(ref.accession_number, ref)
        self._polled_before = True
        fresh = [ref for ref in refs.values() if self._wanted(ref)]
        epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
        fresh.sort(key=lambda ref: ref.listed_at or epoch)  # oldest first, as EDGAR accepted
        return self._publish_all(fresh, "feed")

    def _feed_refs(self, form_type: str) -> list[FilingRef]:
        refs: list[FilingRef] = []
        for page in range(MAX_FEED_PAGES):
            path = current_feed_path(form_type, start=page * FEED_PAGE_SIZE, count=FEED_PAGE_SIZE)
            try:
                entries = parse_current_feed(self.client.get(path, kind="feed"))
            except (FetchError, FeedError) as error:
                self.metrics.feed_polls.labels(form_type, "error").inc()
                log.warning("feed poll failed", extra={"form_type": form_type, "error": str(error)})
                break
            self.metrics.feed_polls.labels(form_type, "ok").inc()
            page_refs = [ref for ref in entries if ref is not None]
            refs.extend(page_refs)
            # Page on only while a full page is all new and an earlier poll exists to connect to
            # (a first start publishes the first page, it does not crawl history: that is --since).
            all_new = all(ref.accession_number not in self.seen for ref in page_refs)
            if len(entries) < FEED_PAGE_SIZE or not all_new or not self._polled_before:
                break
        return refs

    def backfill(self, since: dt.date, until: dt.date, stop: threading.Event | None = None) -> int:
        """Ownership filings of EDGAR's daily form indexes from `since` through `until`."""
        published = 0
        day = since
        while day <= until and not (stop and stop.is_set()):
            try:
                refs = parse_form_index(self.client.get(daily_index_path(day), kind="index"))
            except FetchError as error:
                if error.status == 404:  # weekends, holidays, and today before the index exists
                    log.info("no daily index", extra={"day": day.isoformat()})
                else:
                    log.error(
                        "daily index unreadable", extra={"day": str(day), "error": str(error)}
                    )
                refs = []
            except FeedError as error:
                log.error("daily index unreadable", extra={"day": str(day), "error": str(error)})
                refs = []
            unique = {ref.accession_number: ref for ref in refs}
            published += self._publish_all(
                [ref for ref in unique.values() if self._wanted(ref)], "backfill"
            )
            day += dt.timedelta(days=1)
        return published

    # -- publishing --------------------------------------------------------------------------

    def _wanted(self, ref: FilingRef) -> bool:
        if ref.form_type.split("/")[0] not in self.config.form_types:
            return False
        if ref.accession_number in self.seen:
            return False
        given_up = self._given_up.get(ref.accession_number)
        return given_up is None or time.monotonic() - given_up > NOT_FOUND_COOLDOWN_SECONDS

    def _publish_all(self, refs: Iterable[FilingRef], source: str) -> int:
        published = 0
        for ref in refs:
            if ref.accession_number not in self._given_up:
                self.metrics.new_filings.labels(ref.form_type, source).inc()
            published += self.publish(ref)
        return published

    def publish(self, ref: FilingRef) -> bool:
        """Fetch one submission and publish it with its seen marker in one transaction."""
        path = ref.submission_path()
        url = self.client.base_url + path
        try:
            data = self.client.get(path, kind="submission")
        except FetchError as error:
            self._given_up[ref.accession_number] = time.monotonic()
            self.metrics.fetch_failures.labels(error.reason).inc()
            log.error(
                "submission not fetched; will retry on a later poll",
                extra={
                    "accession": ref.accession_number,
                    "url": url,
                    "reason": error.reason,
                    "status": error.status,
                    "attempts": error.attempts,
                },
            )
            return False
        self._given_up.pop(ref.accession_number, None)
        accepted_at = _accepted_at(data) or ref.listed_at
        headers = [
            ("content-type", CONTENT_TYPES[sniff(data)].encode()),
            ("source-url", url.encode()),
            ("form-type", ref.form_type.encode()),
        ]
        if accepted_at is not None:
            stamp = accepted_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
            headers.append(("filed-at", stamp.encode()))
        marker = json.dumps(
            {
                "form_type": ref.form_type,
                "cik": ref.cik,
                "source_url": url,
                "published_at": dt.datetime.now(dt.UTC).isoformat(),
            }
        ).encode()
        if not self._transact(ref.accession_number, data, headers, marker):
            return False
        self.seen.add(ref.accession_number)
        self.metrics.seen_filings.set(len(self.seen))
        self.metrics.published.labels(ref.form_type).inc()
        if accepted_at is not None:
            age = (dt.datetime.now(dt.UTC) - accepted_at).total_seconds()
            self.metrics.acceptance_to_publish.observe(max(0.0, age))
        log.info("published", extra={"accession": ref.accession_number, "form_type": ref.form_type})
        return True

    def _transact(
        self, accession: str, data: bytes, headers: list[tuple[str, bytes]], marker: bytes
    ) -> bool:
        producer = self._producer
        if producer is None:
            raise RuntimeError("start() the watcher before publishing")
        key = accession.encode()
        try:
            producer.begin_transaction()
            producer.produce(self.config.topic, key=key, value=data, headers=headers)
            producer.produce(self.config.seen_topic, key=key, value=marker)
            retrying(lambda: producer.commit_transaction(TXN_CALL_TIMEOUT_SECONDS))
            return True
        except KafkaException as exc:
            error = exc.args[0]
            self.metrics.publish_failures.inc()
            if error.fatal():
                raise WatcherFenced(f"producer fenced or fatal: {error}") from exc
            log.error(
                "publish aborted; retried on the next poll",
                extra={"accession": accession, "error": str(error)},
            )
            try:
                producer.abort_transaction(30)
            except KafkaException as abort_exc:
                if abort_exc.args[0].fatal():
                    raise WatcherFenced(str(abort_exc)) from abort_exc
            return False


def _accepted_at(data: bytes) -> dt.datetime | None:
    try:
        return parse_header(data).accepted_at
    except (ParseError, ValueError):
        return None
