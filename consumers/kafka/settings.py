"""Service settings: CLI flags > FORM4_* environment > a TOML config file > defaults.

Any librdkafka property passes through (`kafka` table / FORM4_KAFKA JSON / --kafka-property),
so SASL/SSL clusters need no code change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, TypeVar

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from consumers.kafka.logs import with_client_logger


class ServiceSettings(BaseSettings):
    """What every long-running command (run, watch-edgar, alerts) is configured with, and how:
    CLI flags > FORM4_* environment > the TOML file of --config / FORM4_CONFIG > defaults."""

    model_config = SettingsConfigDict(env_prefix="FORM4_", extra="forbid")
    _config_file: ClassVar[Path | None] = None

    bootstrap_servers: str = "127.0.0.1:9092"
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = 9108
    log_level: str = "INFO"
    kafka: dict[str, str] = Field(default_factory=dict)

    def client_config(self, **specific: Any) -> dict[str, Any]:
        """A librdkafka client's configuration: the cluster, what this client needs, and the
        operator's pass-through properties last, so SASL/SSL or any tuning wins."""
        return with_client_logger(
            {"bootstrap.servers": self.bootstrap_servers, **specific, **self.kafka}
        )

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


Settings = TypeVar("Settings", bound=ServiceSettings)


def load_service_settings(
    cls: type[Settings], config_file: Path | None = None, **overrides: Any
) -> Settings:
    """Settings from every layer; `overrides` are the flags actually given (None = not given)."""
    given = {key: value for key, value in overrides.items() if value is not None}
    cls._config_file = config_file
    try:
        return cls(**given)
    finally:
        cls._config_file = None
