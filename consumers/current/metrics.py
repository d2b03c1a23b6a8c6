"""What `form4 current` exports; deploy/ dashboards and alerts use only these names."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

RESTORE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class CurrentMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.filings = Counter(
            "form4_current_filings",
            "Complete filings applied to the current view, by kind (original, amendment).",
            ["kind"],
            registry=r,
        )
        self.links = Counter(
            "form4_current_amendment_links",
            "Amendments linked to their original as they arrived, by match "
            "(exact, ambiguous, not_found).",
            ["match"],
            registry=r,
        )
        self.lines = Counter(
            "form4_current_view_writes",
            "Messages written to the current view: a line that stands (upsert) or one that is "
            "gone (tombstone).",
            ["change"],
            registry=r,
        )
        self.incomplete = Counter(
            "form4_current_incomplete_filings",
            "Filings applied without all the records their filing_line_count promised (after "
            "waiting several batches), or without a count at all (records of an older schema).",
            registry=r,
        )
        self.undecodable = Counter(
            "form4_current_undecodable_records",
            "Records of the input topic that could not be decoded (skipped, counted).",
            registry=r,
        )
        self.transactions = Counter(
            "form4_current_transactions",
            "Transactions by outcome (committed, aborted).",
            ["outcome"],
            registry=r,
        )
        self.state_filings = Gauge(
            "form4_current_state_filings",
            "Filings held in the state (originals and amendments) of the assigned partitions.",
            registry=r,
        )
        self.state_bytes = Gauge(
            "form4_current_state_bytes",
            "Compressed record bytes held in the state of the assigned partitions.",
            registry=r,
        )
        self.restore_seconds = Histogram(
            "form4_current_restore_seconds",
            "Seconds to restore one partition's state from its changelog at assignment.",
            buckets=RESTORE_BUCKETS,
            registry=r,
        )
        self.restored_filings = Counter(
            "form4_current_restored_filings",
            "Filings read back from the changelog at assignment.",
            registry=r,
        )
        for kind in ("original", "amendment"):
            self.filings.labels(kind)
        for match in ("exact", "ambiguous", "not_found"):
            self.links.labels(match)
        for change in ("upsert", "tombstone"):
            self.lines.labels(change)
        for outcome in ("committed", "aborted"):
            self.transactions.labels(outcome)
