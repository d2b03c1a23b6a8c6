"""Create the processor's topics when missing (demo, tests, first start on a dev cluster)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from consumers import limits as bounds
from consumers.kafka.logs import with_client_logger

log = logging.getLogger(__name__)


def ensure_topics(
    bootstrap_servers: str,
    names: Iterable[str],
    partitions: int = 3,
    replication: int = 1,
    extra: dict[str, str] | None = None,
    config: dict[str, str] | None = None,
) -> None:
    """Topics `names` that do not exist yet; `config` adds topic configs (cleanup.policy, ...);
    replication -1 takes the broker's default.replication.factor."""
    admin = AdminClient(
        with_client_logger({"bootstrap.servers": bootstrap_servers, **(extra or {})})
    )
    existing = set(admin.list_topics(timeout=15).topics)
    wanted = [
        NewTopic(
            name,
            num_partitions=partitions,
            replication_factor=replication,
            config={"max.message.bytes": str(bounds.TOPIC_MAX_MESSAGE_BYTES), **(config or {})},
        )
        for name in names
        if name not in existing
    ]
    if not wanted:
        return
    for name, future in admin.create_topics(wanted, operation_timeout=30).items():
        try:
            future.result()
        except KafkaException as exc:
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise RuntimeError(f"cannot create topic {name}: {exc}") from exc


def topic_message_limits(client_config: dict, topics: Iterable[str]) -> dict[str, int | None]:
    """Each topic's max.message.bytes as the broker reports it; None where it cannot be read
    (for `message_limit`, the broker's 1 MB default)."""
    limits: dict[str, int | None] = dict.fromkeys(topics, None)
    try:
        admin = AdminClient(client_config)
        resources = [ConfigResource(ConfigResource.Type.TOPIC, t) for t in limits]
        for resource, future in admin.describe_configs(resources, request_timeout=15).items():
            try:
                entry = future.result().get("max.message.bytes")
                limits[resource.name] = int(entry.value) if entry else None
            except Exception as exc:
                log.warning(
                    "topic limit unknown", extra={"topic": resource.name, "error": str(exc)}
                )
    except Exception as exc:
        log.warning("topic limits unknown", extra={"error": str(exc)})
    return limits


def message_limit(producer_limit: int, topic_limit: int | None) -> int:
    """The largest message a producer may send to a topic (before headers and overhead)."""
    return min(producer_limit, topic_limit or bounds.KAFKA_DEFAULT_MAX_MESSAGE_BYTES)
