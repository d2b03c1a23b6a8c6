"""Exactly once under failure, the way Kafka's own transactions_test does it: copy many events
through the processor while hard-killing it, then read read_committed and compare sets."""

from __future__ import annotations

import os
import signal
import subprocess
from collections import Counter

import pytest

from consumers.kafka.local_process import free_port
from tests.integration.helpers import (
    consumed,
    expected_outcome,
    fixture_events,
    metric_sum,
    processor_command,
    publish_events,
    read_all,
    scrape,
    wait_for,
)

pytestmark = pytest.mark.kafka


def _spawn(bootstrap: str, topics: dict[str, str], instance: str, port: int) -> subprocess.Popen:
    command = processor_command(
        bootstrap,
        topics,
        instance,
        "--metrics-port",
        str(port),
        "--workers",
        "1",
        "--batch-size",
        "20",
        # a killed member is noticed after session.timeout.ms: the broker's minimum, for speed
        "--kafka-property",
        "session.timeout.ms=6000",
        "--kafka-property",
        "heartbeat.interval.ms=1000",
    )
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _committed(port: int) -> float:
    try:
        return metric_sum(scrape(port), "form4_transactions_total", outcome="committed")
    except OSError:
        return 0.0


def _assert_exactly_once(bootstrap: str, topics: dict[str, str], events) -> None:
    expected_ids, expected_reasons = expected_outcome(events)
    records = read_all(bootstrap, topics["output"], idle=10)
    failures = read_all(bootstrap, topics["dlq"], idle=5)
    ids = Counter(r["record_id"] for r in records)
    duplicates = [i for i, n in ids.items() if n > 1]
    assert not duplicates, f"{len(duplicates)} records seen more than once"
    assert set(ids) == set(expected_ids)
    dead = Counter((f["source_partition"], f["source_offset"]) for f in failures)
    assert all(n == 1 for n in dead.values()), "a dead letter seen twice"
    assert sorted(f["reason"] for f in failures) == sorted(expected_reasons)


def test_kill_9_mid_stream_then_restart_gives_every_record_once(
    bootstrap: str, topics: dict[str, str]
) -> None:
    events = fixture_events(copies=6)
    publish_events(bootstrap, topics["input"], events)
    port = free_port()
    first = _spawn(bootstrap, topics, "solo", port)
    try:
        wait_for(lambda: _committed(port) >= 2, timeout=120, interval=0.05)
        os.kill(first.pid, signal.SIGKILL)  # mid-stream: some batches committed, one likely open
        first.wait(10)
        assert consumed(port) == 0  # really gone
        second = _spawn(bootstrap, topics, "solo", port)  # same transactional.id: fences the old
        try:
            wait_for(lambda: consumed(port) > 0, timeout=120)
            _assert_exactly_once(bootstrap, topics, events)
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(60) == 0  # graceful shutdown exits cleanly
    finally:
        if first.poll() is None:
            first.kill()


def _assigned(port: int) -> float:
    try:
        return metric_sum(scrape(port), "form4_assigned_partitions")
    except OSError:
        return 0.0


def test_two_processors_share_partitions_and_a_rebalance_loses_nothing(
    bootstrap: str, topics: dict[str, str]
) -> None:
    events = fixture_events(copies=9)
    waves = [events[:150], events[150:300], events[300:]]
    publish_events(bootstrap, topics["input"], waves[0])
    port_a, port_b = free_port(), free_port()
    a = _spawn(bootstrap, topics, "a", port_a)
    b = None
    try:
        wait_for(lambda: _committed(port_a) >= 1, timeout=120, interval=0.05)
        b = _spawn(bootstrap, topics, "b", port_b)  # joins mid-stream: partitions move
        wait_for(lambda: _assigned(port_b) >= 1 and _assigned(port_a) >= 1, timeout=120)
        assert _assigned(port_a) + _assigned(port_b) == 3  # shared, not duplicated
        publish_events(bootstrap, topics["input"], waves[1])
        wait_for(lambda: consumed(port_b) > 0, timeout=120)
        a.send_signal(signal.SIGTERM)  # leaves: its partitions move to b
        assert a.wait(60) == 0
        publish_events(bootstrap, topics["input"], waves[2])
        wait_for(lambda: _assigned(port_b) == 3, timeout=120)
        _assert_exactly_once(bootstrap, topics, events)
    finally:
        for process in (a, b):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(60)
