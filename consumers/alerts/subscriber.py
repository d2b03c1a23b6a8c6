"""The consumer half of `form4 alerts`: read_committed, own group, alerts before commits.

On assignment each partition is rewound `warmup_days` of message time before its committed
offset; records before the committed offset only rebuild the windows and the seen record ids
(no alerts), so a restart keeps its clusters and never re-alerts what it already handled.
Offsets are committed after the batch's alerts are flushed to every sink and each of its
webhook alerts is settled (delivered, or on the alerts dead-letter topic): a crash between
the two can repeat an alert, which is why each carries a deterministic `alert_id`, but none is
ever lost. The webhook is served off the consume loop (sinks.WebhookDelivery): a slow or
failing webhook pauses the partitions once MAX_UNSETTLED_ALERTS wait, never the loop itself.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from consumers.alerts.engine import AlertEngine
from consumers.alerts.settings import AlertsSettings
from consumers.alerts.sinks import AlertSink, WebhookDelivery
from consumers.freshness import FRESHNESS_BUCKETS, seconds_since
from consumers.kafka.batches import FETCH_WAIT_MAX_MS, consume_ready, position
from consumers.kafka.serde import ValueDecoder
from consumers.limits import MAX_UNSETTLED_ALERTS

log = logging.getLogger("form4.alerts")

# A batch is what has arrived (consume_ready): records alert at their transaction's commit.
MAX_BATCH = 500
IDLE_WAIT_SECONDS = 0.5  # a loop turn with nothing to read (commits and back-pressure run)


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
            "Webhook deliveries by outcome (delivered; failed, then dead_lettered).",
            ["outcome"],
            registry=self.registry,
        )
        for outcome in ("delivered", "failed", "dead_lettered"):
            self.webhook.labels(outcome)
        self.acceptance_to_alert = Histogram(
            "form4_alerts_acceptance_to_alert_seconds",
            "Seconds from EDGAR's acceptance of a filing (the record's filed_at) to its alert "
            "leaving the subscriber, by sink: webhook (when the webhook took it), stream "
            "(written to stdout and the alerts topic).",
            ["sink"],
            buckets=FRESHNESS_BUCKETS,
            registry=self.registry,
        )
        for sink in ("webhook", "stream"):
            self.acceptance_to_alert.labels(sink)
        self.unsettled = Gauge(
            "form4_alerts_unsettled",
            "Webhook alerts neither delivered nor dead-lettered yet (their records uncommitted).",
            registry=self.registry,
        )

    def delivered(self, outcome: str, alert: dict[str, Any]) -> None:
        """A webhook delivery's outcome; a delivered alert's age."""
        self.webhook.labels(outcome).inc()
        if outcome == "delivered":
            self.alert_left("webhook", alert)

    def alert_left(self, sink: str, alert: dict[str, Any]) -> None:
        age = seconds_since((alert.get("context") or {}).get("filed_at"))
        if age is not None:
            self.acceptance_to_alert.labels(sink).observe(age)


class AlertSubscriber:
    def __init__(
        self,
        config: AlertsSettings,
        engine: AlertEngine,
        sinks: list[AlertSink],
        metrics: AlertMetrics | None = None,
        stop: threading.Event | None = None,
        webhook: WebhookDelivery | None = None,
    ) -> None:
        self.config = config
        self.engine = engine
        self.sinks = sinks
        self.webhook = webhook
        # Per partition: offset -> webhook alerts of that record not settled yet, in offset
        # order; the committed offset never passes the first record with one outstanding.
        self._outstanding: dict[tuple[str, int], dict[int, int]] = {}
        self._lock = threading.Lock()
        self._unsettled = 0  # webhook alerts outstanding, as of the last _commit_settled
        self._held_back = False
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
                    "fetch.wait.max.ms": FETCH_WAIT_MAX_MS,
                }
            )
        )
        consumer.subscribe([c.topic], on_assign=self._on_assign, on_revoke=self._on_revoke)
        emitted = 0
        last_message = time.monotonic()
        try:
            while not self.stop.is_set():
                messages = consume_ready(consumer, MAX_BATCH, IDLE_WAIT_SECONDS)
                self._commit_settled(consumer)
                self._apply_backpressure(consumer)
                if not messages and self._warming:
                    emitted += self._handle(consumer, [])
                if not messages:
                    idle = time.monotonic() - last_message
                    # idle (scripts, tests): exit once every alert is settled and committed,
                    # polling meanwhile so the group keeps this consumer
                    if c.idle_timeout is not None and idle > c.idle_timeout and not self._waiting():
                        break
                    continue
                last_message = time.monotonic()
                emitted += self._handle(consumer, messages)
        finally:
            consumer.close()
        return emitted

    def _waiting(self) -> bool:
        """Records whose webhook alerts are not settled yet (so not committed)."""
        with self._lock:
            return any(self._outstanding.values())

    def _handle(self, consumer: Consumer, messages: list[Message]) -> int:
        """Warm-up records teach the engine; live ones wait until every partition is warm, so a
        window spanning partitions sees all of its history before anything alerts."""
        for message in messages:
            if message.error() is not None:
                log.warning("consumer error", extra={"error": str(message.error())})
                continue
            topic, partition, offset = position(message)
            if offset < self._alert_from.get((topic, partition), 0):
                if message.value() is None:  # a line gone from the current view
                    self.engine.withdraw(_line_key(message), emit=False)
                    continue
                record = self._decode(message)
                if record is not None:
                    self.engine.observe(record)
                    self.metrics.records.labels("warmup").inc()
                continue
            self._held.append(message)
        if self._still_warming(consumer):
            held = {position(m)[:2] for m in self._held} - self._warming
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
            return self._decoder.decode(message.value() or b"", position(message)[0])
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
        emitted: list[dict[str, Any]] = []
        for message in messages:
            topic, partition, offset = position(message)
            where = (topic, partition)
            with self._lock:
                self._outstanding.setdefault(where, {})[offset] = 0
            if message.value() is None:  # a line gone from the current view
                alerts = self.engine.withdraw(_line_key(message))
            else:
                record = self._decode(message)
                if record is None:
                    continue
                self.metrics.records.labels("live").inc()
                alerts = self.engine.evaluate(record)
            for alert in alerts:
                for sink in self.sinks:
                    sink.send(alert)
                if self.webhook is not None:
                    with self._lock:
                        self._outstanding[where][offset] += 1
                    self.webhook.submit(alert, self._settler(where, offset))
                self.metrics.alerts.labels(alert["rule"]).inc()
                emitted.append(alert)
        if messages:
            for sink in self.sinks:
                sink.flush()
            for alert in emitted:
                self.metrics.alert_left("stream", alert)
            self._commit_settled(consumer)
        return len(emitted)

    def _settler(self, where: tuple[str, int], offset: int) -> Callable[[], None]:
        def settled() -> None:
            with self._lock:
                waiting = self._outstanding.get(where)
                if waiting is not None and offset in waiting:
                    waiting[offset] -= 1

        return settled

    def _commit_settled(self, consumer: Consumer) -> None:
        """Commit, per partition, past the records whose alerts are all settled, up to the
        first that still waits for the webhook."""
        offsets = []
        with self._lock:
            for (topic, partition), waiting in self._outstanding.items():
                done = None
                for offset, count in list(waiting.items()):
                    if count > 0:
                        break
                    done = offset
                    del waiting[offset]
                if done is not None:
                    offsets.append(TopicPartition(topic, partition, done + 1))
            self._unsettled = sum(c for w in self._outstanding.values() for c in w.values())
        self.metrics.unsettled.set(self._unsettled)
        if not offsets:
            return
        try:
            consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as error:  # e.g. a rebalance took the partition: re-read later
            log.warning("offset commit failed", extra={"error": str(error)})

    def _apply_backpressure(self, consumer: Consumer) -> None:
        """Stop fetching while too many alerts wait for the webhook; the loop goes on polling,
        so the group keeps the consumer and its partitions."""
        if self.webhook is None:
            return
        waiting = self._unsettled
        if not self._held_back and waiting >= MAX_UNSETTLED_ALERTS:
            self._held_back = True
            consumer.pause(consumer.assignment())
            log.warning("webhook behind; fetching paused", extra={"unsettled": waiting})
        elif self._held_back and waiting <= MAX_UNSETTLED_ALERTS // 2:
            self._held_back = False
            resumed = [
                tp for tp in consumer.assignment() if (tp.topic, tp.partition) not in self._paused
            ]
            consumer.resume(resumed)
            log.info("webhook caught up; fetching resumed", extra={"unsettled": waiting})

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
        self._commit_settled(consumer)
        gone = {(p.topic, p.partition) for p in partitions}
        with self._lock:  # the next owner re-reads what is not settled (alert_id dedupes)
            for where in gone:
                self._outstanding.pop(where, None)
        for where in gone:
            self._alert_from.pop(where, None)
        self._warming -= gone
        self._paused -= gone
        # Held records of a revoked partition are not committed; its next owner reads them.
        self._held = [m for m in self._held if (m.topic(), m.partition()) not in gone]


def _line_key(message: Message) -> str:
    """A current-view message's key: the line's standing key (records.standing_key)."""
    return (message.key() or b"").decode("utf-8", "replace")
