"""`form4 current` on a real broker: amendment chains built from a real filing go through
`form4 run` and the current stage; the current view must equal each filing's latest version,
line for line, after an in-order run, a replay into a fresh instance, and a kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from decimal import Decimal
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from consumers.alerts.engine import AlertEngine
from consumers.alerts.rules import AlertRules, LargeTradeRule
from consumers.alerts.settings import AlertsSettings
from consumers.alerts.subscriber import AlertSubscriber
from consumers.current.metrics import CurrentMetrics
from consumers.current.settings import CurrentSettings
from consumers.current.stage import CurrentStage
from consumers.kafka.local_process import free_port
from consumers.kafka.serde import ValueDecoder
from consumers.kafka.topics import ensure_topics
from tests.amendments import Chain, chains
from tests.integration.helpers import fresh_topics, metric_sum, run_until_consumed, scrape, wait_for
from tests.integration.test_alerts import ListSink

pytestmark = pytest.mark.kafka

LINE_VALUES = ("record_id", "price_per_share", "shares", "transaction_date", "security_title")


def publish_chains(bootstrap: str, topic: str, built: list[Chain]) -> int:
    """Every version as a raw event (accession key, filed-at header), chain by chain, in the
    order each chain lists them; returns how many."""
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    count = 0
    for chain in built:
        for version in chain.versions:
            filed_at = version.filed_at.isoformat().replace("+00:00", "Z")
            producer.produce(
                topic,
                key=version.accession.encode(),
                value=version.document,
                headers=[("filed-at", filed_at.encode())],
            )
            count += 1
    assert producer.flush(60) == 0
    return count


def read_view(bootstrap: str, topic: str, idle: float = 4.0) -> dict[str, dict[str, Any]]:
    """A compacted topic as it stands: the last value per key, tombstones removing the key."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"it-view-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    consumer.subscribe([topic])
    decoder = ValueDecoder()
    view: dict[str, dict[str, Any]] = {}
    last = time.monotonic()
    try:
        while time.monotonic() - last < idle:
            for message in consumer.consume(500, 0.5):
                assert message.error() is None, message.error()
                last = time.monotonic()
                key = message.key().decode()
                if message.value() is None:
                    view.pop(key, None)
                else:
                    view[key] = decoder.decode(message.value(), topic)
    finally:
        consumer.close()
    return view


def assert_view_is_latest(view: dict[str, dict[str, Any]], built: list[Chain]) -> None:
    expected = {key: want for chain in built for key, want in chain.expected.items()}
    assert sorted(view) == sorted(expected)
    by_accession = {v.accession: v for chain in built for v in chain.versions}
    for key, (accession, amends, match) in expected.items():
        record = view[key]
        tag = key.rsplit(":", 2)[1] + ":" + key.rsplit(":", 2)[2]
        source = by_accession[accession].tags[tag]
        assert record["accession_number"] == accession, key
        assert (record["amends_accession"], record["amendment_match"]) == (amends, match), key
        for name in LINE_VALUES:
            assert record[name] == source[name], (key, name)


def stage_settings(bootstrap: str, topics: dict[str, str], suffix: str) -> CurrentSettings:
    return CurrentSettings(
        bootstrap_servers=bootstrap,
        input_topic=topics["output"],
        current_topic=f"it.current.{suffix}",
        changelog_topic=f"it.current-changelog.{suffix}",
        group_id=f"it-current-{suffix}",
        instance_id="it",
        metrics_port=free_port(),
        replication=1,
    )


def run_stage(settings: CurrentSettings, filings: int) -> str:
    """A stage on its own thread until it has applied `filings` filings; its metrics text."""
    stop = threading.Event()
    stage = CurrentStage(settings, metrics=CurrentMetrics(), stop=stop)
    thread = threading.Thread(target=stage.run)
    thread.start()
    try:
        port = settings.metrics_port
        assert port is not None
        wait_for(lambda: _applied_or_zero(port) >= filings or not thread.is_alive(), 120)
        assert thread.is_alive(), "the stage stopped"
        return scrape(port)
    finally:
        stop.set()
        thread.join(60)
        assert not thread.is_alive()


def applied(metrics: str) -> float:
    return metric_sum(metrics, "form4_current_filings_total")


@pytest.fixture(scope="module")
def records(bootstrap: str) -> tuple[dict[str, str], list[Chain], int]:
    """Two rounds of the six chains parsed by `form4 run` onto a records topic."""
    built = chains(2)
    topics = fresh_topics(bootstrap)
    count = publish_chains(bootstrap, topics["input"], built)
    run_until_consumed(bootstrap, topics, count)
    return topics, built, count


def test_the_current_view_is_each_filings_latest_version_line_for_line(
    bootstrap: str, records: tuple[dict[str, str], list[Chain], int]
) -> None:
    topics, built, count = records
    settings = stage_settings(bootstrap, topics, uuid.uuid4().hex[:8])
    metrics = run_stage(settings, count)
    assert_view_is_latest(read_view(bootstrap, settings.current_topic), built)
    amendments = sum(1 for c in built for v in c.versions if v.amends_day is not None)
    assert metric_sum(metrics, "form4_current_filings_total", kind="amendment") == amendments
    assert metric_sum(metrics, "form4_current_view_writes_total", change="tombstone") > 0
    assert metric_sum(metrics, "form4_current_incomplete_filings_total") == 0


def test_a_restarted_stage_restores_its_state_and_a_replay_builds_the_same_view(
    bootstrap: str, records: tuple[dict[str, str], list[Chain], int]
) -> None:
    topics, built, count = records
    suffix = uuid.uuid4().hex[:8]
    settings = stage_settings(bootstrap, topics, suffix)
    run_stage(settings, count)
    # Three more chains after a restart, originals first, then their amendments: they link
    # against originals held only in the restored state, so the state came back.
    tail = [c for c in chains(1, start=5) if c.name in ("price", "drop", "table-two")]
    publish_chains(bootstrap, topics["input"], [Chain(c.name, c.versions[:1], {}) for c in tail])
    run_until_consumed(bootstrap, topics, 3)  # the processor's group resumes: 3 new events
    publish_chains(bootstrap, topics["input"], [Chain(c.name, c.versions[1:], {}) for c in tail])
    run_until_consumed(bootstrap, topics, 3)
    built.extend(tail)  # on the module's records topic from now on
    settings.metrics_port = free_port()
    metrics = run_stage(settings, 6)
    assert metric_sum(metrics, "form4_current_restored_filings_total") == count
    assert metric_sum(metrics, "form4_current_amendment_links_total", match="exact") == 3
    view = read_view(bootstrap, settings.current_topic)
    assert_view_is_latest(view, built)
    replay = stage_settings(bootstrap, topics, uuid.uuid4().hex[:8])
    run_stage(replay, count + 6)
    assert read_view(bootstrap, replay.current_topic) == view

    # Alerts on what stands: the price chain's sale alerts, then a follow-up naming it.
    alerts = alerts_on(bootstrap, settings.current_topic)
    price = tail[0].versions
    versions = {f"{price[0].accession}:T1:2", f"{price[1].accession}:T1:2"}
    on_line = [a for a in alerts if a["record_id"] in versions and a["rule"] == "large_trade"]
    assert [a["status"] for a in on_line] == ["new", "amended"]
    assert on_line[1]["amends_alert_id"] == on_line[0]["alert_id"]
    assert on_line[1]["changes"]["price_per_share"]["now"] == "12.34"


def alerts_on(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    """Every alert `form4 alerts` raises on `topic` from its beginning (a sale or purchase of
    any value alerts), none twice."""
    rules = AlertRules(large_trade=LargeTradeRule(min_value=Decimal("0.01")))
    sink = ListSink()
    config = AlertsSettings(
        bootstrap_servers=bootstrap,
        topic=topic,
        group_id=f"it-alerts-{uuid.uuid4().hex[:8]}",
        from_beginning=True,
        idle_timeout=6,
    )
    AlertSubscriber(config, AlertEngine(rules), [sink]).run()
    ids = [a["alert_id"] for a in sink.alerts]
    assert len(ids) == len(set(ids))
    return sink.alerts


def test_after_kill_9_mid_run_the_view_and_links_are_the_same(
    bootstrap: str, records: tuple[dict[str, str], list[Chain], int]
) -> None:
    topics, built, _ = records
    settings = stage_settings(bootstrap, topics, uuid.uuid4().hex[:8])
    ensure_topics(bootstrap, [settings.current_topic, settings.changelog_topic], partitions=3)
    argv = [
        sys.executable,
        "-m",
        "consumers",
        "current",
        "--bootstrap-servers",
        bootstrap,
        "--input-topic",
        settings.input_topic,
        "--current-topic",
        settings.current_topic,
        "--changelog-topic",
        settings.changelog_topic,
        "--group-id",
        settings.group_id,
        "--instance-id",
        "it-kill",
        "--batch-size",
        "7",
    ]
    port = free_port()
    first = subprocess.Popen([*argv, "--metrics-port", str(port)], start_new_session=True)
    try:
        wait_for(lambda: _applied_or_zero(port) >= 3, timeout=120)
        os.killpg(first.pid, signal.SIGKILL)  # a few filings in: mid-run
        first.wait(30)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    port = free_port()
    second = subprocess.Popen([*argv, "--metrics-port", str(port)], start_new_session=True)
    try:
        wait_for(lambda: _caught_up(bootstrap, settings), timeout=180)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(60)
    view = read_view(bootstrap, settings.current_topic)
    assert_view_is_latest(view, built)
    alerts_on(bootstrap, settings.current_topic)  # and no alert twice


def _applied_or_zero(port: int) -> float:
    try:
        return applied(scrape(port))
    except OSError:
        return 0.0


def _caught_up(bootstrap: str, settings: CurrentSettings) -> bool:
    """The stage's group has committed every partition of its input to the end."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": settings.group_id})
    try:
        metadata = consumer.list_topics(settings.input_topic, timeout=10)
        partitions = [
            TopicPartition(settings.input_topic, p)
            for p in metadata.topics[settings.input_topic].partitions
        ]
        committed = consumer.committed(partitions, timeout=10)
        for tp in committed:
            _, high = consumer.get_watermark_offsets(tp, timeout=10)
            if high > 0 and tp.offset < high - 1:  # high - 1: the last commit marker
                return False
        return True
    finally:
        consumer.close()
