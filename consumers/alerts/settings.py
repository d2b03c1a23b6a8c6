"""`form4 alerts`' settings (the common layers are consumers.kafka.settings)."""

from __future__ import annotations

from pathlib import Path

from consumers.kafka.settings import ServiceSettings


class AlertsSettings(ServiceSettings):
    """`form4 alerts`; /metrics is served only when a metrics port is given."""

    metrics_port: int | None = None
    log_level: str = "WARNING"
    topic: str = "sec.form4.transactions"
    group_id: str = "form4-alerts"
    rules: Path | None = None  # YAML or TOML overrides of the built-in rules
    webhook_url: str | None = None
    alerts_topic: str | None = None
    from_beginning: bool = False
    warmup_days: float = 28.0
    idle_timeout: float | None = None  # exit after this many idle seconds (scripts, tests)
    schema_registry_url: str | None = None
