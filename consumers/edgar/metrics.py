"""Prometheus metrics of `form4 watch-edgar` (form4_watch_*), in base units."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from consumers.freshness import FRESHNESS_BUCKETS

_FETCH_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class WatcherMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.feed_polls = Counter(
            "form4_watch_feed_polls",
            "Current-filings feed pages fetched, by form type and outcome.",
            ["form_type", "outcome"],
            registry=r,
        )
        self.new_filings = Counter(
            "form4_watch_new_filings",
            "Filings seen for the first time, by form type and where they were listed.",
            ["form_type", "source"],
            registry=r,
        )
        self.published = Counter(
            "form4_watch_published",
            "Filings published to the raw topic (committed).",
            ["form_type"],
            registry=r,
        )
        self.fetch_seconds = Histogram(
            "form4_watch_fetch_seconds",
            "Duration of one HTTP request to EDGAR, by what was fetched.",
            ["kind"],
            buckets=_FETCH_BUCKETS,
            registry=r,
        )
        self.http_errors = Counter(
            "form4_watch_http_errors",
            "EDGAR answers other than 200 (status code, or 'connection').",
            ["status"],
            registry=r,
        )
        self.fetch_failures = Counter(
            "form4_watch_fetch_failures",
            "Filings whose submission could not be fetched within the retry budget.",
            ["reason"],
            registry=r,
        )
        self.publish_failures = Counter(
            "form4_watch_publish_failures",
            "Publishing transactions that aborted (the filing is retried on the next poll).",
            registry=r,
        )
        self.acceptance_to_publish = Histogram(
            "form4_watch_acceptance_to_publish_seconds",
            "Seconds from EDGAR's acceptance time to the committed publish.",
            buckets=FRESHNESS_BUCKETS,
            registry=r,
        )
        self.issuer_directory_refreshes = Counter(
            "form4_watch_issuer_directory_refreshes",
            "Refreshes of the company tickers file (outcome: written, failed).",
            ["outcome"],
            registry=r,
        )
        self.refused_filings = Counter(
            "form4_watch_refused_filings",
            "Filings that can never be published (reason: too_large, refused_by_kafka), "
            "reported once on the failures topic and not fetched again.",
            ["reason"],
            registry=r,
        )
        self.unresolved_commits = Counter(
            "form4_watch_unresolved_commits",
            "Publishes whose commit outcome was unknown, resolved from the seen topic "
            "(outcome: landed, not_landed).",
            ["outcome"],
            registry=r,
        )
        self.gap_fills = Counter(
            "form4_watch_gap_fills",
            "Feed gaps (every page unpublished) closed from EDGAR's daily form index.",
            registry=r,
        )
        self.seen_filings = Gauge(
            "form4_watch_seen_filings",
            "Accession numbers known to be published (loaded at start, grown since).",
            registry=r,
        )
        self._init_series()

    def count_status(self, status: str) -> None:
        """EdgarClient's on_status hook."""
        self.http_errors.labels(status).inc()

    def observe_fetch(self, kind: str, seconds: float) -> None:
        """EdgarClient's on_latency hook."""
        self.fetch_seconds.labels(kind).observe(seconds)

    def _init_series(self) -> None:
        """Zero series from the start, so rate() and alerts see the first error."""
        for status in ("403", "404", "429", "500", "503", "connection"):
            self.http_errors.labels(status)
        for kind in ("feed", "submission", "index"):
            self.fetch_seconds.labels(kind)
        for reason in ("not_found", "connection", "http_403", "http_429", "http_503"):
            self.fetch_failures.labels(reason)
        for reason in ("too_large", "refused_by_kafka"):
            self.refused_filings.labels(reason)
