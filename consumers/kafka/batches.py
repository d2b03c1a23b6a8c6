"""Batches that close when the input goes idle, shared by the processor and the alerts
subscriber: latency is what their users buy, so no message waits for others to fill a batch.

librdkafka's consume(n, timeout) returns only when n messages arrived or the timeout passed,
so a lone filing under consume(500, 0.5) waits half a second for 499 that never come. Here
the first message is waited for, and the rest of the batch is only what has already arrived
(plus, with a linger, what arrives within it): under load the local queue holds many
messages and batches grow by themselves; when quiet, each message goes on at once.
"""

from __future__ import annotations

import logging
import time

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

log = logging.getLogger(__name__)

# fetch.wait.max.ms of the consumers on the alert path: the broker answers a fetch as soon as
# data is there, but holds an empty one this long (librdkafka's default, 500 ms, is felt).
FETCH_WAIT_MAX_MS = 50


def position(message: Message) -> tuple[str, int, int]:
    """A consumed message's topic, partition and offset. librdkafka sets all three on every
    message a consumer returns; only a message built by hand lacks them."""
    topic, partition, offset = message.topic(), message.partition(), message.offset()
    if topic is None or partition is None or offset is None:
        raise ValueError("a consumed message without its topic, partition or offset")
    return topic, partition, offset


def consume_ready(
    consumer: Consumer, max_messages: int, wait_seconds: float, linger_seconds: float = 0.0
) -> list[Message]:
    """Up to `max_messages`: waits up to `wait_seconds` for the first, then takes what is
    queued, lingering at most `linger_seconds` after the first for more. Empty when nothing
    came within `wait_seconds`."""
    batch: list[Message] = consumer.consume(1, wait_seconds)
    if not batch:
        return batch
    closes = time.monotonic() + linger_seconds
    while len(batch) < max_messages:
        left = max(0.0, closes - time.monotonic())
        more = consumer.consume(max_messages - len(batch), left)
        if not more:
            break  # idle: nothing queued, and the linger (if any) is spent
        batch.extend(more)
    return batch


def rewind(consumer: Consumer, messages: list[Message]) -> None:
    """Seek each partition of `messages` back to its first one, so the next consume() reads
    them again (librdkafka drops what it had prefetched past that point)."""
    first: dict[tuple[str, int], int] = {}
    for message in messages:
        topic, partition, offset = position(message)
        first.setdefault((topic, partition), offset)
    for (topic, partition), offset in first.items():
        try:
            consumer.seek(TopicPartition(topic, partition, offset))
        except KafkaException as exc:  # revoked meanwhile: its new owner resumes there
            log.info("seek skipped", extra={"partition": partition, "error": str(exc)})
