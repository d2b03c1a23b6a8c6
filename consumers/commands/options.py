"""What the long-running commands share on the command line: the config file, librdkafka
pass-through properties, and the step from flags to settings (flags > env > file > defaults)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from consumers.kafka.settings import ServiceSettings, load_service_settings

Command = TypeVar("Command", bound=Callable[..., Any])
Settings = TypeVar("Settings", bound=ServiceSettings)


def pairs(values: tuple[str, ...]) -> dict[str, str]:
    """--kafka-property KEY=VALUE flags as a dict."""
    found = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE")
        found[key.strip()] = value.strip()
    return found


def kafka_property_option(command: Command) -> Command:
    return click.option(
        "--kafka-property",
        "kafka_properties",
        multiple=True,
        help="librdkafka KEY=VALUE, repeatable (e.g. security.protocol=SASL_SSL).",
    )(command)


def service_options(command: Command) -> Command:
    """--config, --bootstrap-servers, --metrics-host/-port, --log-level, --kafka-property: the
    options every long-running command takes; their defaults live in the settings class."""
    for option in reversed(
        [
            click.option(
                "--config",
                "config_file",
                type=click.Path(exists=True, dir_okay=False, path_type=Path),
                envvar="FORM4_CONFIG",
                help="TOML config file (flags and FORM4_* env win).",
            ),
            click.option("--bootstrap-servers"),
            click.option("--metrics-host"),
            click.option("--metrics-port", type=int),
            click.option("--log-level"),
            kafka_property_option,
        ]
    ):
        command = option(command)
    return command


def load(
    cls: type[Settings],
    config_file: Path | None,
    kafka_properties: tuple[str, ...],
    **flags: Any,
) -> Settings:
    """The command's settings from every layer, as a usage error when they do not validate."""
    from pydantic import ValidationError

    try:
        settings = load_service_settings(cls, config_file, **flags)
    except ValidationError as error:
        raise click.UsageError(str(error)) from error
    if kafka_properties:
        settings.kafka.update(pairs(kafka_properties))
    return settings


def stop_on_signals() -> threading.Event:
    """An event SIGTERM and SIGINT set: the command finishes what it holds, then exits."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def view_option(default: str) -> Callable[[Command], Command]:
    """--format json|table: how `tail` and `demo` print records (consumers.kafka.tail)."""
    return click.option(
        "--format",
        "view",
        type=click.Choice(["json", "table"]),
        default=default,
        show_default=True,
        help="json: each whole record per line; table: one compact aligned line per record.",
    )
