"""Lag from librdkafka statistics: latest snapshot, no internal partition, revoked ones gone."""

from __future__ import annotations

import json

from prometheus_client import generate_latest

from consumers.processor.metrics import ProcessorMetrics


def _stats(partitions: dict) -> str:
    return json.dumps({"topics": {"sec.filings.raw": {"partitions": partitions}}})


def test_lag_is_the_latest_snapshot_without_partition_minus_one() -> None:
    metrics = ProcessorMetrics()
    metrics.lag.update_from_stats(
        _stats(
            {
                "0": {"consumer_lag": 7},
                "1": {
                    "consumer_lag": -1,
                    "ls_offset": 50,
                    "app_offset": 20,
                },  # EOS: no known commit
                "2": {"consumer_lag": -1, "ls_offset": -1, "hi_offset": -1, "app_offset": -1},
                "-1": {"consumer_lag": 99},
            }
        )
    )
    text = generate_latest(metrics.registry).decode()
    assert 'form4_consumer_lag{partition="0",topic="sec.filings.raw"} 7.0' in text
    assert 'form4_consumer_lag{partition="1",topic="sec.filings.raw"} 30.0' in text
    assert 'partition="2"' not in text and 'partition="-1"' not in text
    metrics.lag.update_from_stats(_stats({"0": {"consumer_lag": 3}}))
    assert (
        'form4_consumer_lag{partition="0",topic="sec.filings.raw"} 3.0'
        in generate_latest(metrics.registry).decode()
    )
    metrics.lag.forget([("sec.filings.raw", 0)])
    assert "form4_consumer_lag{" not in generate_latest(metrics.registry).decode()


def test_alertable_series_exist_from_the_start() -> None:
    text = generate_latest(ProcessorMetrics().registry).decode()
    assert 'form4_worker_restarts_total{cause="timeout"} 0.0' in text
    assert 'form4_transactions_total{outcome="aborted"} 0.0' in text
