"""Batches that close when the input is idle, and the age every freshness histogram takes."""

from __future__ import annotations

import datetime as dt

from consumers.freshness import seconds_since
from consumers.kafka.batches import consume_ready


class QueuedConsumer:
    """consume(n, timeout) as librdkafka answers it: up to n of what is queued now, plus,
    after the first call, what `arrivals` delivers within a timeout; every call is noted."""

    def __init__(self, queued: list[str], arrivals: list[str] | None = None) -> None:
        self.queued = list(queued)
        self.arrivals = list(arrivals or [])
        self.calls: list[tuple[int, float]] = []

    def consume(self, num_messages: int, timeout: float) -> list[str]:
        self.calls.append((num_messages, timeout))
        if timeout > 0 and len(self.calls) > 1:
            self.queued += self.arrivals
            self.arrivals = []
        taken, self.queued = self.queued[:num_messages], self.queued[num_messages:]
        return taken


def test_a_lone_message_is_a_batch_at_once() -> None:
    consumer = QueuedConsumer(["a"])
    assert consume_ready(consumer, 500, 0.1) == ["a"]
    # the first is waited for; the rest is only what is already there (no wait)
    assert consumer.calls == [(1, 0.1), (499, 0.0)]


def test_what_has_arrived_is_taken_up_to_the_batch_size() -> None:
    consumer = QueuedConsumer([str(n) for n in range(10)])
    assert consume_ready(consumer, 4, 0.1) == ["0", "1", "2", "3"]
    assert consume_ready(consumer, 500, 0.1) == [str(n) for n in range(4, 10)]


def test_nothing_within_the_wait_is_an_empty_batch() -> None:
    consumer = QueuedConsumer([])
    assert consume_ready(consumer, 500, 0.1) == []
    assert consumer.calls == [(1, 0.1)]


def test_a_linger_waits_for_what_arrives_meanwhile() -> None:
    consumer = QueuedConsumer(["a"], arrivals=["b", "c"])
    assert consume_ready(consumer, 500, 0.1, linger_seconds=0.05) == ["a", "b", "c"]
    assert consumer.calls[1][1] > 0  # the second call lingered
    assert consume_ready(QueuedConsumer(["a"], arrivals=["b"]), 500, 0.1) == ["a"]


def test_age_from_acceptance_in_either_form_and_none_without_a_time() -> None:
    now = dt.datetime(2026, 1, 2, 15, 0, 3, 500000, tzinfo=dt.UTC)
    accepted = dt.datetime(2026, 1, 2, 10, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert seconds_since(accepted, now) == 3.5
    assert seconds_since("2026-01-02T15:00:00Z", now) == 3.5
    assert seconds_since("2026-01-02T15:00:00+00:00", now) == 3.5
    assert seconds_since("2026-01-02", now) is None  # a date says nothing of seconds
    assert seconds_since("not a time", now) is None
    assert seconds_since(None, now) is None
    assert seconds_since(now + dt.timedelta(seconds=5), now) == 0.0  # clock skew: not negative
