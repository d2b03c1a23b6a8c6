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

from confluent_kafka import KafkaError, KafkaException, Producer

from consumers import limits as bounds
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
from consumers.edgar_access.client import EdgarClient, FetchError
from consumers.freshness import seconds_since
from consumers.issuers.source import DirectoryRefresher
from consumers.kafka.publish import CONTENT_TYPES, Headers
from consumers.kafka.topics import ensure_topics, message_limit, topic_message_limits
from consumers.kafka.txn import TXN_CALL_TIMEOUT_SECONDS, retrying
from consumers.limits import MAX_FEED_PAGES, MAX_GAP_DAYS
from consumers.parsing.core.errors import ParseError
from consumers.parsing.core.values import EDGAR_ZONE
from consumers.parsing.sniff import sniff
from consumers.parsing.xml.submission import parse_header

log = logging.getLogger("form4.watch")

FEED_PAGE_SIZE = 100
# A submission that 404s (the archive can trail the feed) is reported, then tried again on a
# later poll after a pause that doubles from the first to the last figure, so a slow archive
# never loses a filing, a filing that is seconds late costs seconds, and one that never comes
# costs a request every few minutes. One request per try: the other filings do not wait.
NOT_FOUND_FIRST_RETRY_SECONDS = 2.0
NOT_FOUND_MAX_RETRY_SECONDS = 300.0
SUBMISSION_NOT_FOUND_ATTEMPTS = 1


# One message of a publishing transaction: topic, value, headers (keyed by the accession).
Message = tuple[str, bytes, Headers]


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
        # accession -> (when to try again, failed tries) of submissions the archive lacked
        self._given_up: dict[str, tuple[float, int]] = {}
        # form type -> the feed's first page as last read, for a poll answered 304
        self._first_pages: dict[str, list[FilingRef | None]] = {}
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
        """Create the raw, seen and failures topics if needed, fence older instances, then load
        what they did; learn the largest submission the raw topic takes."""
        c = self.config
        ensure_compacted_topic(c, c.seen_topic)
        # The raw topic too: its max.message.bytes must be readable, since a filing over it is
        # refused for good (created with ours when missing, never guessed at 1 MB).
        ensure_topics(c.bootstrap_servers, [c.topic, c.failures_topic], extra=c.kafka)
        self._producer = self.new_producer()
        # Unreadable limit: the producer's own, and the broker's answer decides (MessageRefused);
        # never a guessed 1 MB, since what is refused here is refused for good.
        limit = topic_message_limits(c.client_config(), [c.topic])[c.topic]
        producer_limit = bounds.PRODUCER_MESSAGE_MAX_BYTES
        self.max_submission_bytes = (
            message_limit(producer_limit, limit) if limit is not None else producer_limit
        ) - bounds.MESSAGE_OVERHEAD_BYTES
        self.seen = load_seen(c, c.seen_topic)
        self.metrics.seen_filings.set(len(self.seen))
        log.info("watcher started", extra={"seen": len(self.seen), "topic": c.topic})

    def new_producer(self) -> Producer:
        """The transactional producer; its init_transactions completes or aborts whatever a
        predecessor with the same transactional.id left open, so the seen topic read next is
        final."""
        c = self.config
        producer = Producer(
            c.client_config(
                **{
                    "transactional.id": c.transactional_id,
                    "enable.idempotence": True,
                    "message.max.bytes": bounds.PRODUCER_MESSAGE_MAX_BYTES,
                    "linger.ms": 0,
                }
            )
        )
        producer.init_transactions(60)
        return producer

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
        """One pass over the current feed of every form type; returns filings published.

        After any gap (a restart, an outage, a burst) it catches up completely: it pages back
        until it meets a filing it has published, and where the feed does not reach that far,
        reads EDGAR's daily form index back from the feed's oldest day (`_fill_gap`)."""
        refs: dict[str, FilingRef] = {}
        for form_type in self.config.form_types:
            listed, connected = self._feed_refs(form_type)
            for ref in listed:
                refs.setdefault(ref.accession_number, ref)
            if not connected:  # (never on a first start: nothing published to reach)
                for ref in self._fill_gap(listed):
                    refs.setdefault(ref.accession_number, ref)
        fresh = [ref for ref in refs.values() if self._wanted(ref)]
        epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
        fresh.sort(key=lambda ref: ref.listed_at or epoch)  # oldest first, as EDGAR accepted
        return self._publish_all(fresh, "feed")

    def _feed_refs(self, form_type: str) -> tuple[list[FilingRef], bool]:
        """The feed's entries, paging back while a whole page is unpublished (up to
        MAX_FEED_PAGES); and whether they reach a filing already published (or the feed's end).
        A first start ever (nothing published yet) takes the first page: history is --since."""
        refs: list[FilingRef] = []
        for page in range(MAX_FEED_PAGES):
            path = current_feed_path(form_type, start=page * FEED_PAGE_SIZE, count=FEED_PAGE_SIZE)
            try:
                entries = self._feed_page(form_type, page, path)
            except (FetchError, FeedError) as error:
                self.metrics.feed_polls.labels(form_type, "error").inc()
                log.warning("feed poll failed", extra={"form_type": form_type, "error": str(error)})
                return refs, True  # nothing to go on: the next poll tries again
            self.metrics.feed_polls.labels(form_type, "ok").inc()
            page_refs = [ref for ref in entries if ref is not None]
            refs.extend(page_refs)
            all_new = all(ref.accession_number not in self.seen for ref in page_refs)
            if len(entries) < FEED_PAGE_SIZE or not all_new or not self.seen:
                return refs, True
        return refs, False

    def _feed_page(self, form_type: str, page: int, path: str) -> list[FilingRef | None]:
        """One feed page's entries. The first page, polled every turn, is asked for only if
        changed (a 304 costs a request but no body); unchanged, it is what was read last."""
        if page > 0:
            return parse_current_feed(self.client.get(path, kind="feed"))
        body = self.client.get_if_changed(path, kind="feed")
        if body is None and form_type in self._first_pages:
            return self._first_pages[form_type]
        if body is None:  # a 304 for a page we never parsed (a restarted server): ask again
            body = self.client.get(path, kind="feed")
        entries = parse_current_feed(body)
        self._first_pages[form_type] = entries
        return entries

    def _fill_gap(self, listed: list[FilingRef]) -> list[FilingRef]:
        """Filings of the daily form indexes from the feed's oldest day back, until a day that
        lists a filing already published (the gap is closed) or MAX_GAP_DAYS."""
        stamps = [ref.listed_at for ref in listed if ref.listed_at is not None]
        day = min(stamps).astimezone(EDGAR_ZONE).date() if stamps else dt.date.today()
        found: list[FilingRef] = []
        for _ in range(MAX_GAP_DAYS):
            refs = self._index_refs(day)
            found.extend(refs)
            if any(ref.accession_number in self.seen for ref in refs):
                break
            day -= dt.timedelta(days=1)
        self.metrics.gap_fills.inc()
        log.warning(
            "feed gap filled from the daily index",
            extra={"back_to": day.isoformat(), "filings": len(found)},
        )
        return found

    def _index_refs(self, day: dt.date) -> list[FilingRef]:
        """Ownership filings of one day's form index (none on weekends and holidays)."""
        try:
            return parse_form_index(self.client.get(daily_index_path(day), kind="index"))
        except FetchError as error:
            if error.status == 404:  # weekends, holidays, and today before the index exists
                log.info("no daily index", extra={"day": day.isoformat()})
            else:
                log.error("daily index unreadable", extra={"day": str(day), "error": str(error)})
        except FeedError as error:
            log.error("daily index unreadable", extra={"day": str(day), "error": str(error)})
        return []

    def backfill(self, since: dt.date, until: dt.date, stop: threading.Event | None = None) -> int:
        """Ownership filings of EDGAR's daily form indexes from `since` through `until`."""
        published = 0
        day = since
        while day <= until and not (stop and stop.is_set()):
            unique = {ref.accession_number: ref for ref in self._index_refs(day)}
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
        return given_up is None or time.monotonic() >= given_up[0]

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
            data = self.client.get(
                path,
                kind="submission",
                max_bytes=self.max_submission_bytes,
                not_found_attempts=SUBMISSION_NOT_FOUND_ATTEMPTS,
            )
        except FetchError as error:
            if error.reason == "too_large":
                detail = (
                    f"submission over {self.max_submission_bytes} bytes (the raw topic's limit)"
                )
                return self._refuse(ref, url, "too_large", detail)
            self._retry_later(ref.accession_number)
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
        headers: Headers = [
            ("content-type", CONTENT_TYPES[sniff(data)].encode()),
            ("source-url", url.encode()),
            ("form-type", ref.form_type.encode()),
        ]
        if accepted_at is not None:
            stamp = accepted_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
            headers.append(("filed-at", stamp.encode()))
        marker = _marker(ref, url, "published")
        messages: list[Message] = [
            (self.config.topic, data, headers),
            (self.config.seen_topic, marker, []),
        ]
        try:
            if not self._transact(ref.accession_number, messages):
                return False
        except MessageRefused as refused:
            return self._refuse(ref, url, "refused_by_kafka", str(refused))
        self.seen.add(ref.accession_number)
        self.metrics.seen_filings.set(len(self.seen))
        self.metrics.published.labels(ref.form_type).inc()
        age = seconds_since(accepted_at)
        if age is not None:
            self.metrics.acceptance_to_publish.observe(age)
        log.info("published", extra={"accession": ref.accession_number, "form_type": ref.form_type})
        return True

    def _retry_later(self, accession: str) -> None:
        """The next try after a pause doubling from NOT_FOUND_FIRST_RETRY_SECONDS."""
        tries = self._given_up.get(accession, (0.0, 0))[1] + 1
        pause = min(NOT_FOUND_MAX_RETRY_SECONDS, NOT_FOUND_FIRST_RETRY_SECONDS * 2 ** (tries - 1))
        self._given_up[accession] = (time.monotonic() + pause, tries)

    def _refuse(self, ref: FilingRef, url: str, reason: str, detail: str) -> bool:
        """A filing that can never be published (too large, refused by the broker): reported
        once, on the failures topic with its reason, and marked done on the seen topic in the
        same transaction, so no later poll or restart downloads it again. Returns False."""
        report = json.dumps(
            {
                "accession_number": ref.accession_number,
                "form_type": ref.form_type,
                "cik": ref.cik,
                "source_url": url,
                "reason": reason,
                "detail": detail,
                "refused_at": dt.datetime.now(dt.UTC).isoformat(),
            }
        ).encode()
        messages: list[Message] = [
            (self.config.failures_topic, report, []),
            (self.config.seen_topic, _marker(ref, url, "refused"), []),
        ]
        try:
            done = self._transact(ref.accession_number, messages)
        except MessageRefused:
            done = False
        if done:
            self.seen.add(ref.accession_number)
            self.metrics.refused_filings.labels(reason).inc()
            log.error(
                "filing cannot be published; reported on the failures topic, not fetched again",
                extra={"accession": ref.accession_number, "reason": reason, "detail": detail},
            )
        return False

    def _transact(self, accession: str, messages: list[Message]) -> bool:
        """`messages` (topic, value, headers), keyed by the accession, in one transaction. True
        when it committed; False when it did not (retried on a later poll). A commit whose
        outcome is unknown is resolved, not guessed (`_resolve`). MessageRefused when the broker
        or the producer refuses a message for its size: retrying would never succeed."""
        producer = self._producer
        if producer is None:
            raise RuntimeError("start() the watcher before publishing")
        key = accession.encode()
        try:
            producer.begin_transaction()
            for topic, value, headers in messages:
                producer.produce(topic, key=key, value=value, headers=headers)
            retrying(lambda: producer.commit_transaction(TXN_CALL_TIMEOUT_SECONDS))
            return True
        except KafkaException as exc:
            error = exc.args[0]
            self.metrics.publish_failures.inc()
            if error.fatal():
                raise WatcherFenced(f"producer fenced or fatal: {error}") from exc
            try:
                producer.abort_transaction(30)
            except KafkaException as abort_exc:
                if abort_exc.args[0].fatal():
                    raise WatcherFenced(str(abort_exc)) from abort_exc
                return self._resolve(accession, error)
            if error.code() == KafkaError.MSG_SIZE_TOO_LARGE:
                raise MessageRefused(str(error)) from exc
            log.error(
                "publish aborted; retried on the next poll",
                extra={"accession": accession, "error": str(error)},
            )
            return False

    def _resolve(self, accession: str, error: KafkaError) -> bool:
        """A transaction that neither committed nor could be aborted (its commit timed out with
        the outcome unknown): a new producer with the same transactional.id completes or aborts
        it on the broker, then the seen topic, read_committed, says whether it landed."""
        log.warning(
            "publish outcome unknown; resolving from the seen topic",
            extra={"accession": accession, "error": str(error)},
        )
        self._producer = self.new_producer()
        self.seen = load_seen(self.config, self.config.seen_topic)
        landed = accession in self.seen
        self.metrics.unresolved_commits.labels("landed" if landed else "not_landed").inc()
        return landed


class MessageRefused(RuntimeError):
    """Kafka refused a message for its size: publishing it again would fail the same way."""


def _marker(ref: FilingRef, url: str, outcome: str) -> bytes:
    """The seen topic's value: a filing done with (published, or refused for good)."""
    return json.dumps(
        {
            "outcome": outcome,
            "form_type": ref.form_type,
            "cik": ref.cik,
            "source_url": url,
            "published_at": dt.datetime.now(dt.UTC).isoformat(),
        }
    ).encode()


def _accepted_at(data: bytes) -> dt.datetime | None:
    try:
        return parse_header(data).accepted_at
    except (ParseError, ValueError):
        return None
