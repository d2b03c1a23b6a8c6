"""The consumer half of `form4 alerts`: read_committed, own group, alerts before commits.

On assignment each partition is rewound `warmup_days` of message time before its committed
offset; records before the committed offset only rebuild the windows and the seen record ids
(no alerts), so a restart keeps its clusters and never re-alerts what it already handled.
Offsets are committed after the batch's alerts are flushed to every sink: a crash between the
two can repeat an alert, which is why each carries a deterministic `alert_id`.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition
from prometheus_client import CollectorRegistry, Counter

from consumers.alerts.engine import AlertEngine
from consumers.alerts.settings import AlertsSettings
from consumers.alerts.sinks import AlertSink
from consumers.kafka.serde import ValueDecoder

log = logging.getLogger("form4.alerts")


class AlertMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.records = Counter(
            "form4_alerts_records",
            "Records read, by phase (warmup or live).",
            ["phase"],
            registry=self.registry,
        )
        self.alerts = Counter(
            "form4_alerts_emitted", "Alerts emitted, by rule.", ["rule"], registry=self.registry
        )
        self.undecodable = Counter(
            "form4_alerts_undecodable_records",
            "Records that could not be decoded.",
            registry=self.registry,
        )
        self.webhook = Counter(
            "form4_alerts_webhook_deliveries",
            "Webhook deliveries by outcome.",
            ["outcome"],
            registry=self.registry,
        )


class AlertSubscriber:
    def __init__(
        self,
        config: AlertsSettings,
        engine: AlertEngine,
        sinks: list[AlertSink],
        metrics: AlertMetrics | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.config = config
        self.engine = engine
        self.sinks = sinks
        self.metrics = metrics or AlertMetrics()
        self.stop = stop or threading.Event()
        self._decoder = ValueDecoder(config.schema_registry_url)
        self._alert_from: dict[tuple[str, int], int] = {}
        self._warming: set[tuple[str, int]] = set()
        self._paused: set[tuple[str, int]] = set()
        self._held: list[Message] = []

    def run(self) -> int:
        """Consume until stopped (or idle for `idle_timeout`); returns alerts emitted."""
        c = self.config
        consumer = Consumer(
            c.client_config(
                **{
                    "group.id": c.group_id,
                    "client.id": f"form4-alerts-{uuid.uuid4().hex[:6]}",
                    "enable.auto.commit": False,
                    "isolation.level": "read_committed",
                    "auto.offset.reset": "earliest" if c.from_beginning else "latest",
                }
            )
        )
        consumer.subscribe([c.topic], on_assign=self._on_assign, on_revoke=self._on_revoke)
        emitted = 0
        last_message = time.monotonic()
        try:
            while not self.stop.is_set():
                messages = consumer.consume(500, timeout=0.5)
                if not messages and self._warming:
                    emitted += self._handle(consumer, [])
                if not messages:
                    if (
                        c.idle_timeout is not None
                        and time.monotonic() - last_message > c.idle_timeout
                    ):
                        break
                    continue
                last_message = time.monotonic()
                emitted += self._handle(consumer, messages)
        finally:
            consumer.close()
        return emitted

    def _handle(self, consumer: Consumer, messages: list[Message]) -> int:
        """Warm-up records teach the engine; live ones wait until every partition is warm, so a
        window spanning partitions sees all of its history before anything alerts."""
        for message in messages:
            if message.error() is not None:
                log.warning("consumer error", extra={"error": str(message.error())})
                continue
            where = (message.topic(), message.partition())
            if message.offset() < self._alert_from.get(where, 0):
                record = self._decode(message)
                if record is not None:
                    self.engine.observe(record)
                    self.metrics.records.labels("warmup").inc()
                continue
            self._held.append(message)
        if self._still_warming(consumer):
            held = {(m.topic(), m.partition()) for m in self._held} - self._warming
            if held:  # no unbounded buffer: stop fetching where we wait
                consumer.pause([TopicPartition(t, p) for t, p in held])
                self._paused |= held
            return 0
        if self._paused:
            consumer.resume([TopicPartition(t, p) for t, p in self._paused])
            self._paused.clear()
        live, self._held = self._held, []
        return self._alert(consumer, live)

    def _still_warming(self, consumer: Consumer) -> bool:
        """Positions (not message offsets: transaction markers take offsets too) reach the
        first offset to alert on."""
        if self._warming:
            positions = consumer.position([TopicPartition(t, p) for t, p in self._warming])
            for tp in positions:
                if tp.offset >= self._alert_from.get((tp.topic, tp.partition), 0):
                    self._warming.discard((tp.topic, tp.partition))
        return bool(self._warming)

    def _decode(self, message: Message) -> dict | None:
        try:
            return self._decoder.decode(message.value(), message.topic())
        except Exception as error:  # a subscriber skips what it cannot read, loudly
            self.metrics.undecodable.inc()
            log.error(
                "undecodable record",
                extra={
                    "partition": message.partition(),
                    "offset": message.offset(),
                    "error": str(error),
                },
            )
            return None

    def _alert(self, consumer: Consumer, messages: list[Message]) -> int:
        emitted = 0
        to_commit: dict[tuple[str, int], int] = {}
        for message in messages:
            record = self._decode(message)
            if record is not None:
                self.metrics.records.labels("live").inc()
                for alert in self.engine.evaluate(record):
                    for sink in self.sinks:
                        sink.send(alert)
                    self.metrics.alerts.labels(alert["rule"]).inc()
                    emitted += 1
            to_commit[(message.topic(), message.partition())] = message.offset() + 1
        if to_commit:
            for sink in self.sinks:
                sink.flush()
            offsets = [TopicPartition(t, p, o) for (t, p), o in to_commit.items()]
            try:
                consumer.commit(offsets=offsets, asynchronous=False)
            except KafkaException as error:  # e.g. a rebalance took the partition: re-read later
                log.warning("offset commit failed", extra={"error": str(error)})
        return emitted

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        committed = consumer.committed(partitions, timeout=30)
        since_ms = int((time.time() - self.config.warmup_days * 86400) * 1000)
        by_time = consumer.offsets_for_times(
            [TopicPartition(p.topic, p.partition, since_ms) for p in partitions], timeout=30
        )
        starts = []
        for done, dated in zip(committed, by_time, strict=True):
            low, high = consumer.get_watermark_offsets(
                TopicPartition(done.topic, done.partition), timeout=30
            )
            if done.offset >= 0:
                alert_from = done.offset
            elif self.config.from_beginning:
                alert_from = low
            else:
                alert_from = high
            warm_start = dated.offset if dated.offset >= 0 else high
            start = min(warm_start, alert_from)
            self._alert_from[(done.topic, done.partition)] = alert_from
            if start < alert_from:
                self._warming.add((done.topic, done.partition))
            starts.append(TopicPartition(done.topic, done.partition, max(start, low)))
            log.info(
                "partition assigned",
                extra={"partition": done.partition, "warmup_from": start, "alert_from": alert_from},
            )
        consumer.assign(starts)

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        gone = {(p.topic, p.partition) for p in partitions}
        for where in gone:
            self._alert_from.pop(where, None)
        self._warming -= gone
        self._paused -= gone
        # Held records of a revoked partition are not committed; its next owner reads them.
        self._held = [m for m in self._held if (m.topic(), m.partition()) not in gone]
