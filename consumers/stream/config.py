"""Processor settings: CLI flags > FORM4_* environment > a TOML config file > defaults.

Any librdkafka property passes through (`kafka` table / FORM4_KAFKA JSON / --kafka-property),
so SASL/SSL clusters need no code change.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from consumers import limits as bounds


class ProcessorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FORM4_", extra="forbid")
    _config_file: ClassVar[Path | None] = None

    bootstrap_servers: str = "127.0.0.1:9092"
    input_topic: str = "sec.filings.raw"
    output_topic: str = "sec.form4.transactions"
    dlq_topic: str = "sec.filings.dlq"
    group_id: str = "form4-parser"
    instance_id: str = Field(
        default_factory=socket.gethostname,
        description="Stable per instance: the transactional.id suffix that fences a zombie.",
    )
    static_membership: bool = Field(
        default=True,
        description="group.instance.id = instance id: a restarted instance gets its partitions "
        "back at once instead of after session.timeout.ms (KIP-345).",
    )
    schema_registry_url: str | None = None
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9108
    workers: int = Field(default_factory=lambda: max(1, os.cpu_count() or 1))
    batch_size: int = 500
    batch_wait_ms: int = 100
    document_timeout_seconds: float = bounds.DOCUMENT_TIMEOUT_SECONDS
    worker_memory_limit_bytes: int = bounds.WORKER_MEMORY_LIMIT_BYTES
    max_document_bytes: int = bounds.MAX_DOCUMENT_BYTES
    dlq_inline_max_bytes: int = bounds.DLQ_INLINE_MAX_BYTES
    transaction_timeout_ms: int = 60_000
    # A batch stops starting documents at half of this, so it always commits in time.
    max_poll_interval_ms: int = bounds.MAX_POLL_INTERVAL_MS
    batch_max_input_bytes: int = bounds.BATCH_MAX_INPUT_BYTES
    batch_max_output_bytes: int = bounds.BATCH_MAX_OUTPUT_BYTES
    kafka: dict[str, str] = Field(default_factory=dict)

    @property
    def transactional_id(self) -> str:
        return f"{self.group_id}-{self.instance_id}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: tuple[PydanticBaseSettingsSource, ...] = (init_settings, env_settings)
        if cls._config_file is not None:
            sources += (TomlConfigSettingsSource(settings_cls, toml_file=cls._config_file),)
        return sources


def load_settings(config_file: Path | None = None, **overrides: Any) -> ProcessorSettings:
    """Settings from every layer; `overrides` are the flags actually given (None = not given)."""
    given = {key: value for key, value in overrides.items() if value is not None}
    ProcessorSettings._config_file = config_file
    try:
        return ProcessorSettings(**given)
    finally:
        ProcessorSettings._config_file = None
