"""`form4 alerts` on the real broker: corpus records in, exactly the expected alerts out."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from confluent_kafka import Producer

from consumers.alerts.engine import AlertEngine
from consumers.alerts.rules import AlertRules
from consumers.alerts.settings import AlertsSettings
from consumers.alerts.sinks import AlertDeadLetters, TopicSink, WebhookDelivery, WebhookSink
from consumers.alerts.subscriber import AlertMetrics, AlertSubscriber
from consumers.avro_codec import encode_single_object
from consumers.kafka.topics import ensure_topics
from consumers.schemas import TRANSACTION
from tests.integration.helpers import raw_events
from tests.unit.test_alerts import (
    DUTCH_BROS,
    ISBA_PURCHASE,
    TESLA_SALES,
    insider_purchase,
    records_of,
)

pytestmark = pytest.mark.kafka  # every test here talks to the real broker


class ListSink:
    def __init__(self) -> None:
        self.alerts: list[dict] = []

    def send(self, alert: dict) -> None:
        self.alerts.append(alert)

    def flush(self) -> None:
        return


class WebhookReceiver:
    """A local webhook: by default answers 500 to the first POST of each alert and 200 after;
    `down_until` (monotonic time) answers 500 to everything until then; `delay` seconds per
    answer. Records what it accepted and how often each alert was posted."""

    def __init__(self, down_until: float = 0.0, delay: float = 0.0, fail_first: bool = True):
        self.accepted: list[dict] = []
        self.posts: Counter[str] = Counter()
        self.down_until = down_until
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.posts[body["alert_id"]] += 1
                assert self.headers["Idempotency-Key"] == body["alert_id"]
                time.sleep(delay)
                ok = time.monotonic() >= receiver.down_until and (
                    receiver.posts[body["alert_id"]] > 1 or not fail_first
                )
                if ok:
                    receiver.accepted.append(body)
                self.send_response(200 if ok else 500)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts?token=secret"


def webhook_delivery(
    bootstrap: str,
    receiver: WebhookReceiver,
    attempts: int = 3,
    timeout: float = 10.0,
    metrics: AlertMetrics | None = None,
) -> tuple[WebhookDelivery, str]:
    dlq = f"it.alerts.dlq.{uuid.uuid4().hex[:8]}"
    ensure_topics(bootstrap, [dlq], partitions=1)
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    sink = WebhookSink(receiver.url, attempts=attempts, base_seconds=0.01, timeout=timeout)
    on_result = metrics.delivered if metrics is not None else None
    return WebhookDelivery(sink, AlertDeadLetters(producer, dlq), on_result), dlq


@pytest.fixture
def record_topic(bootstrap: str) -> str:
    name = f"it.alerts.records.{uuid.uuid4().hex[:10]}"
    ensure_topics(bootstrap, [name], partitions=3)
    return name


def produce(bootstrap: str, topic: str, records: list[dict], partitions: list[int]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    for record, partition in zip(records, partitions, strict=True):
        producer.produce(
            topic,
            key=record["issuer"]["cik"].encode(),
            value=encode_single_object(TRANSACTION, record),
            partition=partition,
        )
    assert producer.flush(30) == 0


def subscribe(
    bootstrap: str,
    topic: str,
    group: str,
    sinks: list,
    webhook: WebhookDelivery | None = None,
    kafka: dict[str, str] | None = None,
    metrics: AlertMetrics | None = None,
) -> int:
    config = AlertsSettings(
        bootstrap_servers=bootstrap,
        topic=topic,
        group_id=group,
        from_beginning=True,
        idle_timeout=6,
        kafka=kafka or {},
    )
    try:
        engine = AlertEngine(AlertRules())
        return AlertSubscriber(config, engine, sinks, metrics, webhook=webhook).run()
    finally:
        if webhook is not None:
            webhook.close()


def cluster(start: dt.date, insiders: range) -> list[dict]:
    return [insider_purchase(n, start + dt.timedelta(days=2 * n)) for n in insiders]


def test_corpus_records_trigger_exactly_the_expected_alerts_once(
    bootstrap: str, record_topic: str
) -> None:
    corpus = records_of(TESLA_SALES) + records_of(DUTCH_BROS) + records_of(ISBA_PURCHASE)
    buyers = cluster(dt.date(2024, 7, 1), range(1, 4))  # weeks after the ISBA purchase
    # One issuer's purchases on three partitions, newest first: the window still closes.
    produce(bootstrap, record_topic, corpus, [n % 3 for n in range(len(corpus))])
    produce(bootstrap, record_topic, buyers[::-1], [2, 1, 0])
    produce(bootstrap, record_topic, corpus[:5], [0] * 5)  # re-delivered records
    expected = Counter()
    offline = AlertEngine(AlertRules())
    for record in corpus + buyers:
        expected.update(a["alert_id"] for a in offline.evaluate(record))
    webhook = WebhookReceiver()
    got = ListSink()
    delivery, _ = webhook_delivery(bootstrap, webhook)
    group = f"it-alerts-{uuid.uuid4().hex[:8]}"
    emitted = subscribe(bootstrap, record_topic, group, [got], delivery)
    webhook.server.shutdown()
    assert emitted == len(got.alerts) == sum(expected.values())
    assert Counter(a["alert_id"] for a in got.alerts) == expected
    rules = Counter(a["rule"] for a in got.alerts)
    assert rules["cluster_buying"] == 1 and rules["large_trade"] >= 29
    (clustered,) = [a for a in got.alerts if a["rule"] == "cluster_buying"]
    assert clustered["insiders"] == 3 and clustered["ticker"] == "ISBA"
    assert sorted(a["alert_id"] for a in webhook.accepted) == sorted(expected)
    assert all(count == 2 for count in webhook.posts.values())  # one failure, one retry each


def test_a_restarted_subscriber_keeps_its_windows_and_repeats_nothing(
    bootstrap: str, record_topic: str
) -> None:
    group = f"it-alerts-{uuid.uuid4().hex[:8]}"
    buyers = cluster(dt.date(2024, 6, 3), range(1, 4))
    sales = records_of(TESLA_SALES)[:10]
    produce(bootstrap, record_topic, sales + buyers[:2], [0] * 10 + [1, 2])
    first = ListSink()
    subscribe(bootstrap, record_topic, group, [first])
    assert {a["rule"] for a in first.alerts} == {"large_trade"}
    produce(bootstrap, record_topic, [buyers[2], *sales[:3]], [0, 1, 1, 1])  # 3 re-deliveries
    second = ListSink()
    subscribe(bootstrap, record_topic, group, [second])
    assert [a["rule"] for a in second.alerts] == ["cluster_buying"]
    assert second.alerts[0]["insiders"] == 3


def test_the_cli_prints_alerts_and_publishes_them_to_a_topic(
    bootstrap: str, record_topic: str, tmp_path
) -> None:
    purchase = records_of(ISBA_PURCHASE)
    produce(bootstrap, record_topic, purchase, [0] * len(purchase))
    rules = tmp_path / "rules.yaml"
    rules.write_text("large_trade:\n  min_value: 1000\n")
    alerts_topic = f"it.alerts.out.{uuid.uuid4().hex[:8]}"
    ensure_topics(bootstrap, [alerts_topic], partitions=1)
    command = [
        sys.executable, "-m", "consumers", "alerts", "--bootstrap-servers", bootstrap,
        "--topic", record_topic, "--rules", str(rules), "--from-beginning",
        "--idle-timeout", "5", "--alerts-topic", alerts_topic,
        "--group-id", f"it-alerts-cli-{uuid.uuid4().hex[:6]}",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    alert = json.loads(line)
    # 275.634 shares at $18.14 = $5,000.00076 (over the file's $1,000 threshold).
    assert alert["rule"] == "large_trade" and alert["value"] == "5000.00076"
    (published,) = raw_events(bootstrap, alerts_topic)
    assert json.loads(published[1]) == alert and published[0] == "0000842517"


def _expected_alerts(records: list[dict]) -> Counter:
    offline = AlertEngine(AlertRules())
    return Counter(a["alert_id"] for r in records for a in offline.evaluate(r))


def test_a_webhook_down_past_its_retry_budget_loses_no_alert(
    bootstrap: str, record_topic: str
) -> None:
    """500 for longer than every alert's attempts: each alert is delivered (once the webhook is
    back) or sits in the alerts dead-letter topic with its reason and attempts; none missing,
    none twice on the alerts topic; the records are committed only past settled alerts."""
    records = records_of(TESLA_SALES) + records_of(DUTCH_BROS)
    expected = _expected_alerts(records)
    assert len(expected) >= 20
    produce(bootstrap, record_topic, records, [n % 3 for n in range(len(records))])
    receiver = WebhookReceiver(down_until=time.monotonic() + 4.0, fail_first=False)
    delivery, dlq = webhook_delivery(bootstrap, receiver, attempts=2)
    alerts_topic = f"it.alerts.out.{uuid.uuid4().hex[:8]}"
    ensure_topics(bootstrap, [alerts_topic], partitions=1)
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    group = f"it-alerts-down-{uuid.uuid4().hex[:8]}"
    subscribe(bootstrap, record_topic, group, [TopicSink(producer, alerts_topic)], delivery)
    receiver.server.shutdown()
    delivered = Counter(a["alert_id"] for a in receiver.accepted)
    dead = {key: json.loads(value) for key, value, _ in raw_events(bootstrap, dlq)}
    assert dead, "the webhook was down longer than the retry budget of the first alerts"
    assert all(d["reason"] == "HTTP 500" and d["attempts"] == 2 for d in dead.values())
    assert all(d["target"].endswith("/…") and "secret" not in d["target"] for d in dead.values())
    assert set(delivered) | set(dead) == set(expected)  # none missing
    assert not set(delivered) & set(dead) and all(n == 1 for n in delivered.values())
    on_topic = Counter(
        json.loads(value)["alert_id"] for _, value, _ in raw_events(bootstrap, alerts_topic)
    )
    assert on_topic == expected  # each once on the alerts topic
    # Everything settled, so the group committed to the end: a restart alerts nothing again.
    again = ListSink()
    assert subscribe(bootstrap, record_topic, group, [again]) == 0


def test_a_slow_webhook_does_not_stall_the_consumer_or_repeat_alerts(
    bootstrap: str, record_topic: str
) -> None:
    """Each POST takes 0.5 s and the group evicts a consumer that does not poll for 6 s: the
    consume loop keeps polling while the webhook works through the alerts, so no rebalance
    re-reads them and each is posted exactly once."""
    records = records_of(TESLA_SALES)
    accepted = dt.datetime.now(dt.UTC)
    for record in records:  # as if EDGAR had accepted the filing just now
        record["filed_at"] = accepted
    expected = _expected_alerts(records)
    assert sum(expected.values()) * 0.5 > 6  # a blocking loop would be evicted
    produce(bootstrap, record_topic, records, [0] * len(records))
    receiver = WebhookReceiver(delay=0.5, fail_first=False)
    metrics = AlertMetrics()
    delivery, dlq = webhook_delivery(bootstrap, receiver, attempts=2, timeout=5.0, metrics=metrics)
    got = ListSink()
    group = f"it-alerts-slow-{uuid.uuid4().hex[:8]}"
    kafka = {"max.poll.interval.ms": "6000", "session.timeout.ms": "6000"}
    subscribe(bootstrap, record_topic, group, [got], delivery, kafka, metrics)
    receiver.server.shutdown()
    assert Counter(a["alert_id"] for a in got.alerts) == expected
    assert receiver.posts == Counter(dict.fromkeys(expected, 1))
    assert raw_events(bootstrap, dlq) == []
    # Freshness: every alert's age from acceptance, when it left for the stream and when the
    # webhook took it; the slow webhook's last alert is older than any written to the stream.
    stream, webhook = (_ages(metrics, sink) for sink in ("stream", "webhook"))
    assert stream[0] == webhook[0] == sum(expected.values())
    assert webhook[1] > stream[1]


def _ages(metrics: AlertMetrics, sink: str) -> tuple[float, float]:
    """(count, sum) of form4_alerts_acceptance_to_alert_seconds for one sink."""
    samples = {
        sample.name: sample.value
        for family in metrics.acceptance_to_alert.collect()
        for sample in family.samples
        if sample.labels.get("sink") == sink
    }
    prefix = "form4_alerts_acceptance_to_alert_seconds"
    return samples[f"{prefix}_count"], samples[f"{prefix}_sum"]
