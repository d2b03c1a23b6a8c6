"""`form4 alerts`' settings (the common layers are consumers.kafka.settings)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from consumers.kafka.settings import ServiceSettings


class AlertsSettings(ServiceSettings):
    """`form4 alerts`; /metrics is served only when a metrics port is given."""

    metrics_port: int | None = None
    log_level: str = "WARNING"
    # What stands (`form4 current`): amendments replace the lines they restate; the records
    # topic (sec.form4.transactions) also works, every version then alerting on its own.
    topic: str = "sec.form4.current"
    group_id: str = "form4-alerts"
    rules: Path | None = None  # YAML or TOML overrides of the built-in rules
    webhook_url: str | None = None
    webhook_attempts: int = Field(default=5, ge=1)
    webhook_backoff_seconds: float = Field(default=0.5, ge=0.0)  # full jitter, doubling
    webhook_timeout_seconds: float = Field(default=10.0, gt=0.0)  # per request
    # Alerts the webhook would not take within its attempts, with the reason and attempt count.
    alerts_dlq_topic: str = "sec.form4.alerts.dlq"
    alerts_topic: str | None = None
    from_beginning: bool = False
    warmup_days: float = 28.0
    idle_timeout: float | None = None  # exit after this many idle seconds (scripts, tests)
    schema_registry_url: str | None = None
