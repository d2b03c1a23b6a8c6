"""Kafka transactional calls under one retry rule, shared by the processor and the watcher."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from confluent_kafka import (
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)

from consumers.kafka.batches import FETCH_WAIT_MAX_MS
from consumers.kafka.publish import Headers

log = logging.getLogger(__name__)

# Transactional calls get this long per attempt; retriable errors are retried until the
# overall budget, which stays below transaction.timeout.ms so we give up before the broker does.
TXN_CALL_TIMEOUT_SECONDS = 10.0
TXN_RETRY_BUDGET_SECONDS = 45.0

T = TypeVar("T")


def exactly_once_consumer_config(
    group_id: str, instance_id: str | None, max_poll_interval_ms: int
) -> dict[str, Any]:
    """The consumer side of consume-transform-produce: offsets move only inside our
    transactions, only committed input is read, and a new group starts at the beginning.
    `instance_id` is KIP-345 static membership: a restarted instance gets its partitions back
    at once, not after session.timeout.ms."""
    static = {"group.instance.id": instance_id} if instance_id else {}
    return {
        **static,
        "group.id": group_id,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
        "max.poll.interval.ms": max_poll_interval_ms,
        "fetch.wait.max.ms": FETCH_WAIT_MAX_MS,
    }


def transactional_producer_config(transactional_id: str, timeout_ms: int) -> dict[str, Any]:
    """The producer side: idempotent, fenced by `transactional_id`; a short linger batches a
    transaction's messages without holding a lone one back."""
    return {
        "transactional.id": transactional_id,
        "transaction.timeout.ms": timeout_ms,
        "enable.idempotence": True,
        "linger.ms": 5,
        "compression.type": "lz4",
    }


def usable(message: Message, fatal: type[Exception]) -> bool:
    """Whether a consumed message carries data; a transient consumer error is logged and
    skipped, a fatal one raised as `fatal` (the service stops)."""
    error = message.error()
    if error is None:
        return True
    if error.fatal():
        raise fatal(f"consumer: {error}")
    log.warning("consume error", extra={"error": str(error)})
    return False


def retrying(call: Callable[[], T], budget_seconds: float = TXN_RETRY_BUDGET_SECONDS) -> T:
    """`call()`, repeated while it raises a retriable KafkaError and the budget lasts."""
    deadline = time.monotonic() + budget_seconds
    while True:
        try:
            return call()
        except KafkaException as exc:
            if exc.args[0].retriable() and time.monotonic() < deadline:
                time.sleep(0.1)
                continue
            raise


def produce_waiting(
    producer: Producer,
    topic: str,
    key: bytes | None,
    value: bytes | None,
    headers: Headers | None = None,
    partition: int | None = None,
) -> None:
    """One message into the open transaction, waiting out a full local queue; `partition`
    pins it (a stage's state and output go where its input partition is)."""
    pinned = -1 if partition is None else partition  # -1: the producer's partitioner chooses
    while True:
        try:
            producer.produce(topic, value=value, key=key, headers=headers, partition=pinned)
            return
        except BufferError:  # local queue full: let deliveries drain, then go on
            producer.poll(0.1)


def commit_with_offsets(
    producer: Producer, consumer: Consumer, positions: list[TopicPartition]
) -> float:
    """The consumed `positions` added to the open transaction, then the commit; returns the
    commit's seconds. The group metadata is fetched now, not cached: a stale generation is
    KAFKA-9741."""
    retrying(
        lambda: producer.send_offsets_to_transaction(
            positions, consumer.consumer_group_metadata(), TXN_CALL_TIMEOUT_SECONDS
        )
    )
    started = time.perf_counter()
    retrying(lambda: producer.commit_transaction(TXN_CALL_TIMEOUT_SECONDS))
    return time.perf_counter() - started


def abort_if_open(producer: Producer) -> KafkaError | None:
    """Abort the open transaction. None when aborted, or when none was open (the error came
    before begin_transaction); the error when the abort itself failed (the caller stops)."""
    try:
        retrying(lambda: producer.abort_transaction(TXN_CALL_TIMEOUT_SECONDS))
    except KafkaException as exc:
        error: KafkaError = exc.args[0]
        if error.fatal() or error.code() != KafkaError._STATE:
            return error
    return None
