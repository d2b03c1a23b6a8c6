"""Prometheus metrics of the processor: names in base units, no high-cardinality labels.

Consumer lag comes from librdkafka's statistics callback: the numbers there are cumulative
snapshots, so a custom collector exports the latest snapshot instead of counting deltas, drops
librdkafka's internal partition "-1", and forgets partitions when they are revoked.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from consumers.freshness import FRESHNESS_BUCKETS

_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600)
_PARSE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 20)


def _partition_lag(pinfo: dict) -> int | None:
    """librdkafka's consumer_lag needs committed offsets it knows of; under EOS they are
    committed by the producer's transaction, so fall back to the last stable offset (what a
    read_committed consumer can reach) minus the position handed to the application."""
    if pinfo.get("consumer_lag", -1) >= 0:
        return pinfo["consumer_lag"]
    end = pinfo.get("ls_offset", -1)
    end = end if end >= 0 else pinfo.get("hi_offset", -1)
    position = pinfo.get("app_offset", -1)
    if end >= 0 and position >= 0:
        return max(0, end - position)
    return None


class LagCollector(Collector):
    """form4_consumer_lag{topic,partition} from the latest librdkafka statistics snapshot."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lag: dict[tuple[str, str], int] = {}

    def update_from_stats(self, stats_json: str) -> None:
        stats = json.loads(stats_json)
        lag: dict[tuple[str, str], int] = {}
        for topic, info in stats.get("topics", {}).items():
            for partition, pinfo in info.get("partitions", {}).items():
                if partition == "-1":
                    continue
                value = _partition_lag(pinfo)
                if value is not None:
                    lag[(topic, partition)] = value
        with self._lock:
            self._lag = lag

    def forget(self, partitions: Iterable[tuple[str, int]]) -> None:
        with self._lock:
            for topic, partition in partitions:
                self._lag.pop((topic, str(partition)), None)

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "form4_consumer_lag",
            "Messages behind the high watermark per input partition (librdkafka statistics).",
            labels=["topic", "partition"],
        )
        with self._lock:
            for (topic, partition), lag in sorted(self._lag.items()):
                family.add_metric([topic, partition], lag)
        yield family


# Record fields `form4 alerts` decides on: their unread series exist from the start.
ALERTED_FIELDS = (
    "transaction_code",
    "shares",
    "price_per_share",
    "acquired_disposed",
    "shares_owned_following",
)


class ProcessorMetrics:
    """Every metric the processor exports; deploy/ dashboards and alerts use only these names."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.consumed = Counter(
            "form4_filings_consumed",
            "Filing events read from the input topic and committed (as records or a dead letter).",
            registry=r,
        )
        self.parsed = Counter(
            "form4_filings_parsed",
            "Filings parsed into records.",
            ["source_format", "form_type"],
            registry=r,
        )
        self.failed = Counter(
            "form4_filings_failed",
            "Filings sent to the dead-letter topic.",
            ["source_format", "reason"],
            registry=r,
        )
        self.records = Counter(
            "form4_records_produced",
            "Transaction records committed to the output topic.",
            ["table", "transaction_code"],
            registry=r,
        )
        self.unread_values = Counter(
            "form4_unread_values",
            "Values a form prints that were not read or placed with confidence: null in the "
            "record and named in its unread_fields (per line field, per filing for context).",
            ["source_format", "field"],
            registry=r,
        )
        self.unverified_values = Counter(
            "form4_unverified_values",
            "Values read by OCR once, with nothing independent confirming them: named in the "
            "record's unverified_fields.",
            ["source_format", "field"],
            registry=r,
        )
        self.issuer_ciks = Counter(
            "form4_issuer_cik",
            "Parsed filings by where the issuer CIK came from: printed (the document), "
            "resolved (the issuer directory) or missing (keyed by ticker).",
            ["source_format", "origin"],
            registry=r,
        )
        self.parse_seconds = Histogram(
            "form4_parse_duration_seconds",
            "Parse time per filing.",
            ["source_format"],
            buckets=_PARSE_BUCKETS,
            registry=r,
        )
        self.latency = Histogram(
            "form4_end_to_end_latency_seconds",
            "From the event's timestamp (or filed-at) to the commit of its records.",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.acceptance_to_commit = Histogram(
            "form4_acceptance_to_commit_seconds",
            "Seconds from EDGAR's acceptance of a filing (its filed-at) to the commit of its "
            "records: freshness as the records topic's readers see it.",
            buckets=FRESHNESS_BUCKETS,
            registry=r,
        )
        self.commit_seconds = Histogram(
            "form4_transaction_commit_duration_seconds",
            "Duration of commit_transaction().",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.batch_size = Histogram(
            "form4_batch_size",
            "Filings per transaction.",
            buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000),
            registry=r,
        )
        self.transactions = Counter(
            "form4_transactions", "Kafka transactions by outcome.", ["outcome"], registry=r
        )
        self.in_flight = Gauge(
            "form4_in_flight_documents", "Documents consumed but not yet committed.", registry=r
        )
        self.worker_restarts = Counter(
            "form4_worker_restarts", "Parser processes replaced.", ["cause"], registry=r
        )
        self.last_processed = Gauge(
            "form4_last_processed_timestamp_seconds",
            "Unix time of the last committed transaction.",
            registry=r,
        )
        self.assigned_partitions = Gauge(
            "form4_assigned_partitions", "Input partitions assigned to this instance.", registry=r
        )
        self.carried_over = Counter(
            "form4_carried_over_documents",
            "Documents a batch left unstarted when its time or byte budget ran out; the next "
            "batch reads them again.",
            ["budget"],
            registry=r,
        )
        self.registry_errors = Counter(
            "form4_schema_registry_errors",
            "Batches put back because the Schema Registry could not serialize (outage, auth, "
            "incompatible schema); retried with back-off, never sent to the DLQ.",
            registry=r,
        )
        self.transaction_errors = Counter(
            "form4_transaction_errors",
            "Errors inside a transaction that aborted it, by kind (kafka, internal).",
            ["kind"],
            registry=r,
        )
        self.message_limit_bytes = Gauge(
            "form4_message_limit_bytes",
            "Largest message the processor will produce to each topic (learnt at start).",
            ["topic"],
            registry=r,
        )
        self.lag = LagCollector()
        r.register(self.lag)
        # Series that exist from the start read 0 instead of "no data" in rate() and alerts.
        for cause in ("timeout", "crashed"):
            self.worker_restarts.labels(cause)
        for outcome in ("committed", "aborted"):
            self.transactions.labels(outcome)
        for budget in ("time", "bytes"):
            self.carried_over.labels(budget)
        for kind in ("kafka", "internal"):
            self.transaction_errors.labels(kind)
        # The values trading alerts rest on, for the formats that can leave them unread.
        for source_format in ("pdf", "html", "text"):
            for field in ALERTED_FIELDS:
                self.unread_values.labels(source_format, field)
            self.unverified_values.labels(source_format, "price_per_share")
            for origin in ("printed", "resolved", "missing"):
                self.issuer_ciks.labels(source_format, origin)

    def committed(self, now: float | None = None) -> None:
        self.last_processed.set(now if now is not None else time.time())
