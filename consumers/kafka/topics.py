"""Create the processor's topics when missing (demo, tests, first start on a dev cluster)."""

from __future__ import annotations

from collections.abc import Iterable

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from consumers import limits as bounds
from consumers.kafka.logs import with_client_logger


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
