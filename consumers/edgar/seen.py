"""Which accession numbers are already published: a compacted topic written in the same
transaction as the raw event, so a filing is either published and recorded, or neither."""

from __future__ import annotations

import time
import uuid

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition

from consumers.kafka.settings import ServiceSettings
from consumers.kafka.topics import ensure_topics


def ensure_compacted_topic(settings: ServiceSettings, name: str) -> None:
    """One partition, compacted; replication from the broker's default.replication.factor
    (1 on a dev broker, 3 in production)."""
    ensure_topics(
        settings.bootstrap_servers,
        [name],
        partitions=1,
        replication=-1,
        extra=settings.kafka,
        config={"cleanup.policy": "compact"},
    )


def load_seen(settings: ServiceSettings, topic: str, timeout: float = 60.0) -> set[str]:
    """Every committed key of `topic`, read to the end of each partition (read_committed)."""
    consumer = Consumer(
        settings.client_config(
            **{
                "group.id": f"form4-watch-seen-{uuid.uuid4().hex[:8]}",
                "enable.auto.commit": False,
                "enable.partition.eof": True,
                "isolation.level": "read_committed",
            }
        )
    )
    seen: set[str] = set()
    try:
        metadata = consumer.list_topics(topic, timeout=15).topics[topic]
        if metadata.error is not None:
            raise KafkaException(metadata.error)
        partitions = [TopicPartition(topic, p, OFFSET_BEGINNING) for p in metadata.partitions]
        consumer.assign(partitions)
        pending = {p.partition for p in partitions}
        deadline = time.monotonic() + timeout
        while pending:
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading {topic} did not reach its end in {timeout:.0f}s")
            message = consumer.poll(0.5)
            if message is None:
                continue
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    pending.discard(message.partition())
                    continue
                raise KafkaException(error)
            key = message.key()
            if key:
                if message.value() is None:  # a tombstone forgets the accession
                    seen.discard(key.decode())
                else:
                    seen.add(key.decode())
    finally:
        consumer.close()
    return seen
