"""The exactly-once stream loop: consume a batch, parse it in the pool, produce records and dead
letters, add the consumed offsets to the transaction, commit; abort and rewind on error.

Shaped after librdkafka's examples/transactions.c and Kafka's ExactlyOnceMessageProcessor:
- each batch is consumed, processed and committed before the next consume(), so no transaction
  is ever open while rebalance callbacks run (they only fire inside consume()); a revoke needs
  no commit of its own and a lost partition no abort;
- errors: retriable -> retry the call; txn_requires_abort -> abort, seek every partition of the
  batch back to its first offset (the committed position), go on; anything else is fatal ->
  close and exit non-zero, and the restarted instance's init_transactions() fences this epoch;
- in-flight work is bounded by batch_size and by budgets of input bytes, output bytes and time
  (half of max.poll.interval.ms): documents a batch cannot start in time carry over to the
  next batch (their partitions are sought back), so no document can get the consumer evicted;
- every message fits by construction: the topics' real message limits are learnt at start and
  records, dead letters and their inline originals are sized to them;
- an error that is not Kafka's inside a transaction aborts it and rewinds; a Schema Registry
  outage puts the batch back and retries with back-off, never dead-lettering a valid filing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import random
import threading
import time
from collections import Counter
from http.server import ThreadingHTTPServer
from typing import Any, cast

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from consumers import PARSER_VERSION
from consumers import limits as bounds
from consumers.freshness import parse_instant, seconds_since
from consumers.issuers.source import local_directory
from consumers.kafka.batches import consume_ready, position, rewind
from consumers.kafka.http import ProbeState, serve
from consumers.kafka.publish import Headers
from consumers.kafka.serde import RegistryUnavailable, SchemaRefused, ValueCodec
from consumers.kafka.topics import message_limit, topic_message_limits
from consumers.kafka.txn import (
    TXN_CALL_TIMEOUT_SECONDS,
    abort_if_open,
    commit_with_offsets,
    exactly_once_consumer_config,
    produce_waiting,
    retrying,
    transactional_producer_config,
    usable,
)
from consumers.limits import Limits
from consumers.parsing import ParseError, Reason
from consumers.processor.metrics import ProcessorMetrics
from consumers.processor.pool import BatchBudget, ParserPool
from consumers.processor.settings import ProcessorSettings
from consumers.processor.work import Job, Outcome
from consumers.schemas import PARSE_FAILURE, TRANSACTION

log = logging.getLogger("form4.processor")

# Consecutive batches that failed inside their transaction for a reason of ours before the
# processor stops (exit 2) rather than retry the same batch for ever.
MAX_INTERNAL_TXN_FAILURES = 3
REGISTRY_BACKOFF_MAX_SECONDS = 30.0
CLIENT_ERROR_LOG_SECONDS = 10.0


# One message to produce: topic, key, value, headers.
Produced = tuple[str, bytes | None, bytes, Headers]


class FatalProcessorError(RuntimeError):
    """The processor cannot go on safely (fenced, fatal producer error); exit non-zero."""


class _TooLarge(ValueError):
    """A serialized record over the output topic's message limit."""


def _split_at_bytes(batch: list[Message], max_bytes: int) -> tuple[list[Message], list[Message]]:
    """The longest head of `batch` within `max_bytes` of values (never empty), and the rest."""
    total = 0
    for index, message in enumerate(batch):
        total += len(message.value() or b"")
        if total > max_bytes and index > 0:
            return batch[:index], batch[index:]
    return batch, []


def _header(message: Message, name: str) -> str | None:
    pairs = cast(list[tuple[str, bytes | None]], message.headers() or [])  # a list, consumed
    for key, value in pairs:
        if (
            key.lower() == name
            and value is not None
            and len(value) <= bounds.MAX_KEY_OR_HEADER_BYTES
        ):
            return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return None


def _bounded_key(message: Message) -> bytes | None:
    key = message.key()
    return key if key is not None and len(key) <= bounds.MAX_KEY_OR_HEADER_BYTES else None


def _filed_at(message: Message) -> dt.datetime | None:
    """EDGAR's acceptance time, from the raw event's filed-at header."""
    filed_at = _header(message, "filed-at")
    return parse_instant(filed_at) if filed_at else None


def job_of(message: Message) -> Job:
    key = _bounded_key(message)
    return Job(
        data=message.value() or b"",
        accession_number=key.decode("utf-8", "replace") if key else None,
        filed_at=_filed_at(message),
        content_type=_header(message, "content-type"),
    )


class FilingProcessor:
    def __init__(
        self,
        settings: ProcessorSettings,
        metrics: ProcessorMetrics | None = None,
        stop: threading.Event | None = None,
        registry_client: Any = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics or ProcessorMetrics()
        self.stop = stop or threading.Event()
        self.state = ProbeState()
        self.codec = ValueCodec(settings.schema_registry_url, registry_client)
        self.http_server: ThreadingHTTPServer | None = None
        self._assignment: set[tuple[str, int]] = set()
        # Learnt at start (learn_message_limits); the defaults hold until then.
        self.record_limit = bounds.PRODUCER_MESSAGE_MAX_BYTES - bounds.MESSAGE_OVERHEAD_BYTES
        self.dead_letter_limit = self.record_limit
        self._internal_failures = 0
        self._registry_failures = 0
        self._client_errors: dict[int, tuple[float, int]] = {}  # code: (last logged, suppressed)
        # The effective max.poll.interval.ms (a pass-through property wins): batches are budgeted
        # under it and liveness fails past it.
        self.poll_interval_seconds = int(self._consumer_config()["max.poll.interval.ms"]) / 1000
        self.state.stall_seconds = self.poll_interval_seconds

    # -- Kafka clients ------------------------------------------------------------------------
    def _consumer_config(self) -> dict[str, Any]:
        s = self.settings
        instance_id = s.transactional_id if s.static_membership else None
        return s.client_config(
            **exactly_once_consumer_config(s.group_id, instance_id, s.max_poll_interval_ms),
            **{
                "fetch.max.bytes": s.max_document_bytes * 2,
                "max.partition.fetch.bytes": s.max_document_bytes,
                "queued.max.messages.kbytes": 65536,
                "statistics.interval.ms": 5000,
                "stats_cb": self.metrics.lag.update_from_stats,
                "error_cb": self._on_client_error,
            },
        )

    def _producer_config(self) -> dict[str, Any]:
        s = self.settings
        return s.client_config(
            **transactional_producer_config(s.transactional_id, s.transaction_timeout_ms),
            **{
                "message.max.bytes": bounds.PRODUCER_MESSAGE_MAX_BYTES,
                "error_cb": self._on_client_error,
            },
        )

    @property
    def batch_seconds(self) -> float:
        """A batch's time budget: half of the consumer's effective max.poll.interval.ms."""
        return self.poll_interval_seconds * bounds.BATCH_TIME_SHARE_OF_POLL_INTERVAL

    def learn_message_limits(self) -> None:
        """Size records and dead letters to what the producer and each topic accept.

        A topic's max.message.bytes (or, when it cannot be read, the broker's 1 MB default)
        and the producer's message.max.bytes, less room for headers and record overhead."""
        s = self.settings
        producer_limit = int(self._producer_config()["message.max.bytes"])
        topic_limits = topic_message_limits(s.client_config(), (s.output_topic, s.dlq_topic))
        limits = {topic: message_limit(producer_limit, t) for topic, t in topic_limits.items()}
        self.record_limit = limits[s.output_topic] - bounds.MESSAGE_OVERHEAD_BYTES
        self.dead_letter_limit = limits[s.dlq_topic] - bounds.MESSAGE_OVERHEAD_BYTES
        for topic, limit in limits.items():
            self.metrics.message_limit_bytes.labels(topic).set(limit)
        log.info(
            "message limits",
            extra={
                "producer_message_max_bytes": producer_limit,
                "topic_max_message_bytes": topic_limits,
                "record_limit": self.record_limit,
                "dead_letter_inline_limit": self._inline_limit(),
            },
        )

    def _inline_limit(self) -> int:
        """How much of a failed original rides inline in its dead letter."""
        return max(0, min(self.settings.dlq_inline_max_bytes, self.dead_letter_limit))

    def _on_client_error(self, error: KafkaError) -> None:
        """Logged once per error code per CLIENT_ERROR_LOG_SECONDS: a broker restart makes
        librdkafka report a refused connection every 50 ms."""
        now = time.monotonic()
        last, suppressed = self._client_errors.get(error.code(), (-CLIENT_ERROR_LOG_SECONDS, 0))
        if now - last < CLIENT_ERROR_LOG_SECONDS and not error.fatal():
            self._client_errors[error.code()] = (last, suppressed + 1)
            return
        self._client_errors[error.code()] = (now, 0)
        log.warning(
            "kafka client error",
            extra={"error": str(error), "fatal": error.fatal(), "suppressed": suppressed},
        )

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._assignment.update((tp.topic, tp.partition) for tp in partitions)
        self.metrics.assigned_partitions.set(len(self._assignment))
        log.info("partitions assigned", extra={"partitions": [tp.partition for tp in partitions]})

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        gone = {(tp.topic, tp.partition) for tp in partitions}
        self._assignment -= gone
        self.metrics.lag.forget(gone)
        self.metrics.assigned_partitions.set(len(self._assignment))
        log.info("partitions revoked", extra={"partitions": [tp.partition for tp in partitions]})

    # -- the loop -----------------------------------------------------------------------------
    def run(self) -> int:
        s = self.settings
        self.http_server = serve(s.metrics_host, s.metrics_port, self.metrics.registry, self.state)
        self.learn_message_limits()
        pool = ParserPool(
            s.workers,
            Limits(
                max_bytes=s.max_document_bytes,
                max_record_bytes=self.record_limit,
                max_filing_output_bytes=min(
                    bounds.MAX_FILING_OUTPUT_BYTES, s.batch_max_output_bytes // 4
                ),
            ),
            document_timeout=s.document_timeout_seconds,
            memory_limit=s.worker_memory_limit_bytes,
            on_restart=lambda cause: self.metrics.worker_restarts.labels(cause).inc(),
            encode=not self.codec.uses_registry,
            issuer_directory=local_directory(
                s.issuer_directory, s.issuer_directory_cache, s.edgar_user_agent
            ),
        )
        producer = Producer(self._producer_config())
        consumer = Consumer(self._consumer_config())
        try:
            self._prepare_registry()
            retrying(lambda: producer.init_transactions(TXN_CALL_TIMEOUT_SECONDS))
            consumer.subscribe(
                [s.input_topic],
                on_assign=self._on_assign,
                on_revoke=self._on_revoke,
                on_lost=self._on_revoke,
            )
            self.state.ready = True
            log.info(
                "processor started",
                extra={
                    "transactional_id": s.transactional_id,
                    "input": s.input_topic,
                    "workers": s.workers,
                },
            )
            while not self.stop.is_set():
                self.state.beat()
                messages = consume_ready(
                    consumer, s.batch_size, s.batch_wait_ms / 1000, s.batch_linger_ms / 1000
                )
                batch = [m for m in messages if usable(m, FatalProcessorError)]
                if batch:
                    self._process(batch, consumer, producer, pool)
            return 0
        except FatalProcessorError as error:
            log.error("fatal: stopping", extra={"error": str(error)})
            return 2
        finally:
            self.state.ready = False
            self._close(consumer, producer, pool)

    def _prepare_registry(self) -> None:
        """Subjects ready before the first batch; a registry down at start is waited for
        (like one down mid-stream), a schema it refuses is fatal."""
        s = self.settings
        subjects = {TRANSACTION: s.output_topic, PARSE_FAILURE: s.dlq_topic}
        while not self.stop.is_set():
            try:
                self.codec.prepare_subjects(subjects)
            except SchemaRefused as error:
                raise FatalProcessorError(f"schema registry refused our schema: {error}") from error
            except RegistryUnavailable as error:
                self._wait_for_registry(error, "schema registry unavailable at start")
            else:
                self._registry_failures = 0  # ready is set once the consumer has subscribed
                return

    def _process(
        self, batch: list[Message], consumer: Consumer, producer: Producer, pool: ParserPool
    ) -> None:
        s = self.settings
        batch, carry = _split_at_bytes(batch, s.batch_max_input_bytes)
        if carry:
            self.metrics.carried_over.labels("bytes").inc(len(carry))
        self.metrics.in_flight.set(len(batch))
        # No document starts so late that it (and the one queued behind it) could run past
        # the batch's budget; the first one always starts.
        budget = BatchBudget(
            deadline=time.monotonic() + self.batch_seconds - 2 * s.document_timeout_seconds,
            max_output_bytes=s.batch_max_output_bytes,
            failure_bytes_cap=self._inline_limit(),
        )
        try:
            parsed = pool.parse([job_of(m) for m in batch], budget)
            done = next((i for i, o in enumerate(parsed) if o is None), len(parsed))
            if done < len(batch):
                cause = "bytes" if budget.spent_bytes >= budget.max_output_bytes else "time"
                self.metrics.carried_over.labels(cause).inc(len(batch) - done)
                log.info(
                    "batch budget spent; carrying documents over",
                    extra={"done": done, "carried": len(batch) - done, "budget": cause},
                )
                batch, carry = batch[:done], batch[done:] + carry
            outcomes: list[Outcome] = [o for o in parsed[:done] if o is not None]
            if not batch:
                rewind(consumer, carry)
                return
            try:
                values = [
                    self._values(message, outcome)
                    for message, outcome in zip(batch, outcomes, strict=True)
                ]
            except RegistryUnavailable as error:
                self._registry_down(error, consumer, batch + carry)
                return
            self._registry_up()
            self._commit_or_rewind(batch, outcomes, values, carry, consumer, producer)
        finally:
            self.metrics.in_flight.set(0)

    def _commit_or_rewind(
        self,
        batch: list[Message],
        outcomes: list[Outcome],
        values: list[list[Produced]],
        carry: list[Message],
        consumer: Consumer,
        producer: Producer,
    ) -> None:
        try:
            self._transact(batch, values, consumer, producer)
        except KafkaException as exc:
            error: KafkaError = exc.args[0]
            if error.fatal() or not error.txn_requires_abort():
                raise FatalProcessorError(str(error)) from exc
            self.metrics.transaction_errors.labels("kafka").inc()
            log.warning("transaction aborted; rewinding", extra={"error": str(error)})
            self._abort_and_rewind(batch + carry, consumer, producer)
            return
        except Exception as exc:  # ours, not Kafka's: never leave the transaction open
            self.metrics.transaction_errors.labels("internal").inc()
            self._internal_failures += 1
            log.exception(
                "error inside a transaction; aborting and rewinding",
                extra={"error": f"{type(exc).__name__}: {exc}"},
            )
            self._abort_and_rewind(batch + carry, consumer, producer)
            if self._internal_failures >= MAX_INTERNAL_TXN_FAILURES:
                raise FatalProcessorError(
                    f"{self._internal_failures} batches in a row failed inside their "
                    f"transaction: {type(exc).__name__}: {exc}"
                ) from exc
            return
        self._internal_failures = 0
        rewind(consumer, carry)
        self._account(batch, outcomes)

    def _registry_down(
        self, error: RegistryUnavailable, consumer: Consumer, messages: list[Message]
    ) -> None:
        """Put the batch back and wait before the next consume(); nothing was produced."""
        rewind(consumer, messages)
        self._wait_for_registry(error, "schema registry unavailable; batch put back")

    def _wait_for_registry(self, error: RegistryUnavailable, message: str) -> None:
        """Counted, not ready, and a jittered back-off growing to REGISTRY_BACKOFF_MAX_SECONDS."""
        self.metrics.registry_errors.inc()
        self._registry_failures += 1
        self.state.ready = False
        delay = min(REGISTRY_BACKOFF_MAX_SECONDS, 0.5 * 2 ** min(self._registry_failures, 10))
        delay = random.uniform(delay / 2, delay)
        log.warning(message, extra={"error": str(error), "retry_in_seconds": round(delay, 1)})
        self.stop.wait(delay)

    def _registry_up(self) -> None:
        if self._registry_failures:
            log.info("schema registry reachable again")
        self._registry_failures = 0
        self.state.ready = True

    def _values(self, message: Message, outcome: Outcome) -> list[Produced]:
        """(topic, key, value, headers) of what one filing produces, encoded before the
        transaction opens; a filing whose records cannot be encoded or do not fit becomes a
        dead letter. Raises RegistryUnavailable, which is no filing's fault."""
        s = self.settings
        if outcome.failure is None:
            try:
                produced: list[Produced] = []
                for output in outcome.records:
                    value = self.codec.record_value(output, s.output_topic)
                    if len(value) > self.record_limit:
                        raise _TooLarge(f"record {output.record_id} is {len(value)} bytes")
                    headers: Headers = [
                        ("accession_number", (output.accession_number or "").encode()),
                        ("source_format", outcome.source_format.encode()),
                        ("record_id", output.record_id.encode()),
                    ]
                    produced.append((s.output_topic, output.key.encode(), value, headers))
                return produced
            except RegistryUnavailable:
                raise
            except _TooLarge as exc:
                outcome.failure = self._encode_failure(outcome, Reason.RECORD_TOO_LARGE, exc)
            except Exception as exc:
                outcome.failure = self._encode_failure(outcome, Reason.INTERNAL_ERROR, exc)
        return [self._dead_letter(message, outcome)]

    def _encode_failure(self, outcome: Outcome, reason: Reason, exc: Exception) -> ParseError:
        return ParseError(
            reason,
            f"serializer: {type(exc).__name__}: {exc}",
            stage="encode",
            source_format=outcome.source_format,
            accession_number=outcome.records[0].accession_number if outcome.records else None,
        )

    def _dead_letter(self, message: Message, outcome: Outcome) -> Produced:
        """One dead letter that fits the DLQ topic: the original inline only when it does."""
        s = self.settings
        failure = outcome.failure
        assert failure is not None
        original = message.value() or b""
        reason_message = bounds.bounded_text(failure.message)
        entry = {
            "accession_number": failure.accession_number,
            "source_format": failure.source_format or "unknown",
            "stage": failure.stage,
            "reason": str(failure.reason),
            "message": reason_message,
            "field": failure.field,
            "parser_version": PARSER_VERSION,
            "failed_at": dt.datetime.now(dt.UTC),
            "original": original if len(original) <= self._inline_limit() else None,
            "original_size": len(original),
            "original_sha256": hashlib.sha256(original).hexdigest(),
            "source_topic": message.topic(),
            "source_partition": message.partition(),
            "source_offset": message.offset(),
        }
        value = self.codec.failure_value(entry, s.dlq_topic)
        if len(value) > self.dead_letter_limit and entry["original"] is not None:
            entry["original"] = None  # the offsets above locate it
            value = self.codec.failure_value(entry, s.dlq_topic)
        topic, partition, offset = position(message)
        headers: Headers = [
            ("__connect.errors.topic", topic.encode()),
            ("__connect.errors.partition", str(partition).encode()),
            ("__connect.errors.offset", str(offset).encode()),
            ("__connect.errors.exception.class.name", b"consumers.parsing.core.errors.ParseError"),
            ("__connect.errors.exception.message", reason_message.encode()[:4096]),
            ("form4.reason", failure.reason.encode()),
            ("form4.stage", failure.stage.encode()),
        ]
        key = _bounded_key(message) or (failure.accession_number or "").encode() or None
        return (s.dlq_topic, key, value, headers)

    def _transact(
        self,
        batch: list[Message],
        values: list[list[Produced]],
        consumer: Consumer,
        producer: Producer,
    ) -> None:
        producer.begin_transaction()
        for produced in values:
            for topic, key, value, headers in produced:
                produce_waiting(producer, topic, key, value, headers)
        offsets: dict[tuple[str, int], int] = {}
        for message in batch:
            topic, partition, offset = position(message)
            offsets[(topic, partition)] = offset + 1
        positions = [TopicPartition(t, p, o) for (t, p), o in offsets.items()]
        self.metrics.commit_seconds.observe(commit_with_offsets(producer, consumer, positions))

    def _abort_and_rewind(
        self, messages: list[Message], consumer: Consumer, producer: Producer
    ) -> None:
        self.metrics.transactions.labels("aborted").inc()
        failed = abort_if_open(producer)
        if failed is not None:
            raise FatalProcessorError(f"abort failed: {failed}")
        rewind(consumer, messages)

    def _account(self, batch: list[Message], outcomes: list[Outcome]) -> None:
        """Metrics of a committed batch; label lookups are counted first and applied once per
        label set (a lookup per record cost more than the rest of the bookkeeping)."""
        m = self.metrics
        now = time.time()
        committed_at = dt.datetime.fromtimestamp(now, dt.UTC)
        m.consumed.inc(len(batch))  # counted once committed: a batch put back is not yet
        m.transactions.labels("committed").inc()
        m.batch_size.observe(len(batch))
        m.committed(now)
        parsed: Counter[tuple[str, str]] = Counter()
        failed: Counter[tuple[str, str]] = Counter()
        produced: Counter[tuple[str, str]] = Counter()
        marks: Counter[tuple[str, str, str]] = Counter()
        ciks: Counter[tuple[str, str]] = Counter()
        parse_seconds: dict[str, list[float]] = {}
        for message, outcome in zip(batch, outcomes, strict=True):
            parse_seconds.setdefault(outcome.source_format, []).append(outcome.parse_seconds)
            kind, timestamp_ms = message.timestamp()
            if kind != 0 and timestamp_ms > 0:
                m.latency.observe(max(0.0, now - timestamp_ms / 1000))
            if outcome.failure is not None:
                failed[(outcome.source_format, outcome.failure.reason)] += 1
                continue
            age = seconds_since(_filed_at(message), committed_at)
            if age is not None:
                m.acceptance_to_commit.observe(age)
            parsed[(outcome.source_format, outcome.form_type or "unknown")] += 1
            ciks[(outcome.source_format, outcome.issuer_cik)] += 1
            for (mark, name), count in outcome.marks.items():
                marks[(mark, outcome.source_format, name)] += count
            for output in outcome.records:
                produced[(output.table or "none", output.transaction_code or "none")] += 1
        for source_format, seconds in parse_seconds.items():
            histogram = m.parse_seconds.labels(source_format)
            for value in seconds:
                histogram.observe(value)
        for labels, count in failed.items():
            m.failed.labels(*labels).inc(count)
        for labels, count in parsed.items():
            m.parsed.labels(*labels).inc(count)
        for labels, count in produced.items():
            m.records.labels(*labels).inc(count)
        for labels, count in ciks.items():
            m.issuer_ciks.labels(*labels).inc(count)
        for (mark, source_format, name), count in marks.items():
            counter = m.unread_values if mark == "unread" else m.unverified_values
            counter.labels(source_format, name).inc(count)

    def _close(self, consumer: Consumer, producer: Producer, pool: ParserPool) -> None:
        try:
            consumer.close()
        except Exception as exc:
            log.warning("consumer close failed", extra={"error": str(exc)})
        producer.flush(10)
        pool.close()
        if self.http_server is not None:
            self.http_server.shutdown()
            self.http_server.server_close()
        log.info("processor stopped")
