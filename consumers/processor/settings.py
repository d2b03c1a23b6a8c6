"""`form4 run`'s settings (the common layers are consumers.kafka.settings)."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

from pydantic import Field

from consumers import limits as bounds
from consumers.edgar_access.settings import EdgarAccessSettings
from consumers.kafka.local_process import CACHE_ROOT
from consumers.kafka.settings import load_service_settings


class ProcessorSettings(EdgarAccessSettings):
    """`form4 run`."""

    metrics_port: int = 9108
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
    workers: int = Field(default_factory=lambda: max(1, os.cpu_count() or 1))
    batch_size: int = Field(default=500, ge=1)
    # A batch (one transaction) closes when the input is idle, when it is full, or when it
    # has lingered this long after its first filing: a lone filing never waits for others.
    batch_linger_ms: int = Field(default=0, ge=0)
    batch_wait_ms: int = Field(default=100, ge=1)  # idle wait per loop turn (liveness beat)
    document_timeout_seconds: float = bounds.DOCUMENT_TIMEOUT_SECONDS
    worker_memory_limit_bytes: int = bounds.WORKER_MEMORY_LIMIT_BYTES
    max_document_bytes: int = bounds.MAX_DOCUMENT_BYTES
    dlq_inline_max_bytes: int = bounds.DLQ_INLINE_MAX_BYTES
    transaction_timeout_ms: int = 60_000
    # A batch stops starting documents at half of this, so it always commits in time.
    max_poll_interval_ms: int = bounds.MAX_POLL_INTERVAL_MS
    batch_max_input_bytes: int = bounds.BATCH_MAX_INPUT_BYTES
    batch_max_output_bytes: int = bounds.BATCH_MAX_OUTPUT_BYTES
    issuer_directory_cache: Path = Field(
        default_factory=lambda: CACHE_ROOT / "company_tickers.json",
        description="Where a directory fetched from a URL is kept between runs.",
    )

    @property
    def transactional_id(self) -> str:
        return f"{self.group_id}-{self.instance_id}"


def load_settings(config_file: Path | None = None, **overrides: Any) -> ProcessorSettings:
    return load_service_settings(ProcessorSettings, config_file, **overrides)
