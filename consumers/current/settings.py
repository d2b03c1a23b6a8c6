"""`form4 current`'s settings (the common layers are consumers.kafka.settings)."""

from __future__ import annotations

import socket

from pydantic import Field

from consumers.kafka.settings import ServiceSettings


class CurrentSettings(ServiceSettings):
    """`form4 current`: the records topic in, the current view and the changelog out."""

    metrics_port: int | None = 9111
    input_topic: str = "sec.form4.transactions"
    current_topic: str = "sec.form4.current"
    # Kafka Streams names a store's changelog <application>-<store>-changelog.
    changelog_topic: str = "form4-current-filings-changelog"
    group_id: str = "form4-current"
    instance_id: str = Field(
        default_factory=socket.gethostname,
        description="Stable per instance: the transactional.id suffix that fences a zombie.",
    )
    schema_registry_url: str | None = None
    batch_size: int = Field(default=2000, ge=1)
    batch_wait_ms: int = Field(default=100, ge=1)
    transaction_timeout_ms: int = 60_000
    max_poll_interval_ms: int = 300_000
    # Partitions and replication of the topics it creates (the current view and the
    # changelog take the records topic's partition count, so a filing's state, its lines and
    # its input share a partition number).
    replication: int = -1

    @property
    def transactional_id(self) -> str:
        return f"{self.group_id}-{self.instance_id}"
