"""Freshness: how long after EDGAR accepted a filing each stage is done with it.

Every stage measures from the same instant, EDGAR's acceptance time (the raw event's
`filed-at` header, the record's `filed_at`), on the same buckets, so the watcher's, the
processor's and the alerts' histograms line up on one Grafana row and a stage's share of the
delay is the difference of two quantiles.
"""

from __future__ import annotations

import datetime as dt

# Sub-second resolution where alert users live, minutes to a day for backfills and outages.
FRESHNESS_BUCKETS = (
    0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 20, 30, 60, 120, 300, 900, 3600, 86400,
)  # fmt: skip


def parse_instant(text: str) -> dt.datetime | None:
    """An ISO 8601 instant as EDGAR's headers and the records write it ("Z" or an offset);
    None when it is not one. Without a zone it stays naive: a date alone is no instant."""
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def seconds_since(
    accepted_at: dt.datetime | str | None, now: dt.datetime | None = None
) -> float | None:
    """Seconds from `accepted_at` (a zoned datetime, or ISO 8601 text) to now; None when it
    is missing, unreadable, or has no zone (a date alone says nothing of seconds)."""
    if isinstance(accepted_at, str):
        accepted_at = parse_instant(accepted_at)
    if accepted_at is None or accepted_at.tzinfo is None:
        return None
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (now - accepted_at).total_seconds())
