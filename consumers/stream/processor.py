"""The exactly-once stream loop: consume a batch, parse it in the pool, produce records and dead
letters, add the consumed offsets to the transaction, commit; abort and rewind on error.

Shaped after librdkafka's examples/transactions.c and Kafka's ExactlyOnceMessageProcessor:
- each batch is consumed, processed and committed before the next consume(), so no transaction
  is ever open while rebalance callbacks run (they only fire inside consume()); a revoke needs
  no commit of its own and a lost partition no abort;
- errors: retriable -> retry the call; txn_requires_abort -> abort, seek every partition of the
  batch back to its first offset (the committed position), go on; anything else is fatal ->
  close and exit non-zero, and the restarted instance's init_transactions() fences this epoch;
- in-flight work is bounded by batch_size: nothing is consumed until the batch is committed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from collections import Counter
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from consumers import PARSER_VERSION
from consumers.parsing.document import Limits
from consumers.stream.config import ProcessorSettings
from consumers.stream.http import ProbeState, serve
from consumers.stream.metrics import ProcessorMetrics
from consumers.stream.pool import ParserPool
from consumers.stream.serde import ValueCodec
from consumers.stream.txn import TXN_CALL_TIMEOUT_SECONDS, retrying
from consumers.stream.work import Failure, Job, Outcome

log = logging.getLogger("form4.processor")

MAX_MESSAGE_BYTES = 20 * 1024 * 1024


class FatalProcessorError(RuntimeError):
    """The processor cannot go on safely (fenced, fatal producer error); exit non-zero."""


def _header(message: Message, name: str) -> str | None:
    for key, value in message.headers() or ():
        if key.lower() == name and value is not None:
            return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return None


def job_of(message: Message) -> Job:
    key = message.key()
    filed_at = _header(message, "filed-at")
    try:
        filed = dt.datetime.fromisoformat(filed_at.replace("Z", "+00:00")) if filed_at else None
    except ValueError:
        filed = None
    return Job(
        data=message.value() or b"",
        accession_number=key.decode("utf-8", "replace") if key else None,
        filed_at=filed,
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
        self.http_server = None
        self._assignment: set[tuple[str, int]] = set()

    # -- Kafka clients ------------------------------------------------------------------------
    def _consumer_config(self) -> dict[str, Any]:
        s = self.settings
        return {
            "bootstrap.servers": s.bootstrap_servers,
            "group.id": s.group_id,
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
            "fetch.max.bytes": MAX_MESSAGE_BYTES * 2,
            "max.partition.fetch.bytes": MAX_MESSAGE_BYTES,
            "queued.max.messages.kbytes": 65536,
            # A filing must reach trading alerts in well under a second: do not let the broker
            # hold an empty fetch for librdkafka's default 500 ms.
            "fetch.wait.max.ms": 50,
            "statistics.interval.ms": 5000,
            "stats_cb": self.metrics.lag.update_from_stats,
            "error_cb": self._on_client_error,
            **s.kafka,
        }

    def _producer_config(self) -> dict[str, Any]:
        s = self.settings
        return {
            "bootstrap.servers": s.bootstrap_servers,
            "transactional.id": s.transactional_id,
            "transaction.timeout.ms": s.transaction_timeout_ms,
            "enable.idempotence": True,
            "linger.ms": 5,
            "compression.type": "lz4",
            "message.max.bytes": MAX_MESSAGE_BYTES,
            "error_cb": self._on_client_error,
            **s.kafka,
        }

    def _on_client_error(self, error: KafkaError) -> None:
        log.warning("kafka client error", extra={"error": str(error), "fatal": error.fatal()})

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
        pool = ParserPool(
            s.workers,
            Limits(max_bytes=s.max_document_bytes),
            document_timeout=s.document_timeout_seconds,
            memory_limit=s.worker_memory_limit_bytes,
            on_restart=lambda cause: self.metrics.worker_restarts.labels(cause).inc(),
            encode=not self.codec.uses_registry,
        )
        producer = Producer(self._producer_config())
        consumer = Consumer(self._consumer_config())
        try:
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
                messages = consumer.consume(s.batch_size, s.batch_wait_ms / 1000)
                batch = [m for m in messages if self._usable(m)]
                if batch:
                    self._process(batch, consumer, producer, pool)
            return 0
        except FatalProcessorError as error:
            log.error("fatal: stopping", extra={"error": str(error)})
            return 2
        finally:
            self.state.ready = False
            self._close(consumer, producer, pool)

    def _usable(self, message: Message) -> bool:
        error = message.error()
        if error is None:
            return True
        if error.fatal():
            raise FatalProcessorError(f"consumer: {error}")
        log.warning("consume error", extra={"error": str(error)})
        return False

    def _process(
        self, batch: list[Message], consumer: Consumer, producer: Producer, pool: ParserPool
    ) -> None:
        self.metrics.consumed.inc(len(batch))
        self.metrics.in_flight.set(len(batch))
        outcomes = pool.parse([job_of(m) for m in batch])
        try:
            self._transact(batch, outcomes, consumer, producer)
        except KafkaException as exc:
            error: KafkaError = exc.args[0]
            if error.fatal() or not error.txn_requires_abort():
                raise FatalProcessorError(str(error)) from exc
            log.warning("transaction aborted; rewinding", extra={"error": str(error)})
            self._abort_and_rewind(batch, consumer, producer)
            return
        finally:
            self.metrics.in_flight.set(0)
        self._account(batch, outcomes)

    def _transact(
        self, batch: list[Message], outcomes: list[Outcome], consumer: Consumer, producer: Producer
    ) -> None:
        s = self.settings
        producer.begin_transaction()
        for message, outcome in zip(batch, outcomes, strict=True):
            values = self._encode_records(outcome) if outcome.failure is None else []
            if outcome.failure is None:
                for output, value in zip(outcome.records, values, strict=True):
                    headers = [
                        ("accession_number", (output.accession_number or "").encode()),
                        ("source_format", outcome.source_format.encode()),
                        ("record_id", output.record_id.encode()),
                    ]
                    self._produce(producer, s.output_topic, output.key.encode(), value, headers)
            else:
                self._produce_dead_letter(producer, message, outcome)
        offsets: dict[tuple[str, int], int] = {}
        for message in batch:
            offsets[(message.topic(), message.partition())] = message.offset() + 1
        positions = [TopicPartition(t, p, o) for (t, p), o in offsets.items()]
        # Group metadata fetched now, not cached: a stale generation is KAFKA-9741.
        retrying(
            lambda: producer.send_offsets_to_transaction(
                positions, consumer.consumer_group_metadata(), TXN_CALL_TIMEOUT_SECONDS
            )
        )
        started = time.perf_counter()
        retrying(lambda: producer.commit_transaction(TXN_CALL_TIMEOUT_SECONDS))
        self.metrics.commit_seconds.observe(time.perf_counter() - started)

    def _encode_records(self, outcome: Outcome) -> list[bytes]:
        """Values of a filing's records; a record the serializer refuses fails the whole filing."""
        try:
            return [self.codec.record_value(o, self.settings.output_topic) for o in outcome.records]
        except Exception as exc:
            outcome.failure = Failure(
                "internal_error",
                f"serializer: {type(exc).__name__}: {exc}",
                "encode",
                outcome.source_format,
                None,
                outcome.records[0].accession_number if outcome.records else None,
            )
            return []

    def _produce_dead_letter(self, producer: Producer, message: Message, outcome: Outcome) -> None:
        s = self.settings
        failure = outcome.failure
        assert failure is not None
        original = message.value() or b""
        entry = {
            "accession_number": failure.accession_number,
            "source_format": failure.source_format,
            "stage": failure.stage,
            "reason": failure.reason,
            "message": failure.message,
            "field": failure.field,
            "parser_version": PARSER_VERSION,
            "failed_at": dt.datetime.now(dt.UTC),
            "original": original if len(original) <= s.dlq_inline_max_bytes else None,
            "original_size": len(original),
            "original_sha256": hashlib.sha256(original).hexdigest(),
            "source_topic": message.topic(),
            "source_partition": message.partition(),
            "source_offset": message.offset(),
        }
        headers = [
            ("__connect.errors.topic", message.topic().encode()),
            ("__connect.errors.partition", str(message.partition()).encode()),
            ("__connect.errors.offset", str(message.offset()).encode()),
            ("__connect.errors.exception.class.name", b"consumers.parsing.errors.ParseError"),
            ("__connect.errors.exception.message", failure.message.encode()[:4096]),
            ("form4.reason", failure.reason.encode()),
            ("form4.stage", failure.stage.encode()),
        ]
        key = message.key() or (failure.accession_number or "").encode() or None
        value = self.codec.failure_value(entry, s.dlq_topic)
        self._produce(producer, s.dlq_topic, key, value, headers)

    @staticmethod
    def _produce(
        producer: Producer,
        topic: str,
        key: bytes | None,
        value: bytes,
        headers: list[tuple[str, bytes]],
    ) -> None:
        while True:
            try:
                producer.produce(topic, value=value, key=key, headers=headers)
                return
            except BufferError:  # local queue full: let deliveries drain, then go on
                producer.poll(0.1)

    def _abort_and_rewind(
        self, batch: list[Message], consumer: Consumer, producer: Producer
    ) -> None:
        self.metrics.transactions.labels("aborted").inc()
        retrying(lambda: producer.abort_transaction(TXN_CALL_TIMEOUT_SECONDS))
        first: dict[tuple[str, int], int] = {}
        for message in batch:
            first.setdefault((message.topic(), message.partition()), message.offset())
        for (topic, partition), offset in first.items():
            try:
                consumer.seek(TopicPartition(topic, partition, offset))
            except KafkaException as exc:  # revoked meanwhile: its new owner resumes there
                log.info("seek skipped", extra={"partition": partition, "error": str(exc)})

    def _account(self, batch: list[Message], outcomes: list[Outcome]) -> None:
        """Metrics of a committed batch; label lookups are counted first and applied once per
        label set (a lookup per record cost more than the rest of the bookkeeping)."""
        m = self.metrics
        now = time.time()
        m.transactions.labels("committed").inc()
        m.batch_size.observe(len(batch))
        m.committed(now)
        parsed: Counter[tuple[str, str]] = Counter()
        failed: Counter[tuple[str, str]] = Counter()
        produced: Counter[tuple[str, str]] = Counter()
        parse_seconds: dict[str, list[float]] = {}
        for message, outcome in zip(batch, outcomes, strict=True):
            parse_seconds.setdefault(outcome.source_format, []).append(outcome.parse_seconds)
            kind, timestamp_ms = message.timestamp()
            if kind != 0 and timestamp_ms > 0:
                m.latency.observe(max(0.0, now - timestamp_ms / 1000))
            if outcome.failure is not None:
                failed[(outcome.source_format, outcome.failure.reason)] += 1
                continue
            parsed[(outcome.source_format, outcome.form_type or "unknown")] += 1
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
