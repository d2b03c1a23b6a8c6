"""Click subcommands for the Kafka side: run, publish, tail, demo, broker."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

import click


def pairs(values: tuple[str, ...]) -> dict[str, str]:
    """--kafka-property KEY=VALUE flags as a dict."""
    pairs = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE")
        pairs[key.strip()] = value.strip()
    return pairs


def register(main: click.Group) -> None:
    @main.command("run")
    @click.option(
        "--config",
        "config_file",
        type=click.Path(exists=True, path_type=Path),
        envvar="FORM4_CONFIG",
        help="TOML config file (flags and FORM4_* env win).",
    )
    @click.option("--bootstrap-servers")
    @click.option("--input-topic")
    @click.option("--output-topic")
    @click.option("--dlq-topic")
    @click.option("--group-id")
    @click.option("--instance-id", help="Stable per instance: the transactional.id suffix.")
    @click.option("--metrics-host")
    @click.option("--metrics-port", type=int)
    @click.option("--schema-registry-url")
    @click.option("--workers", type=int)
    @click.option("--batch-size", type=int)
    @click.option("--document-timeout-seconds", type=float)
    @click.option(
        "--kafka-property",
        "kafka_properties",
        multiple=True,
        help="librdkafka KEY=VALUE, repeatable (e.g. security.protocol=SASL_SSL).",
    )
    @click.option("--log-level", default="INFO", envvar="FORM4_LOG_LEVEL")
    def run_command(
        config_file: Path | None, kafka_properties: tuple[str, ...], log_level: str, **flags: object
    ) -> None:
        """Run the exactly-once stream processor."""
        from consumers.stream import logs
        from consumers.stream.config import load_settings
        from consumers.stream.processor import FilingProcessor

        logs.configure(log_level)
        settings = load_settings(config_file, **flags)
        if kafka_properties:
            settings.kafka.update(pairs(kafka_properties))
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        sys.exit(FilingProcessor(settings, stop=stop).run())

    @main.command("publish")
    @click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
    @click.option("--bootstrap-servers", envvar="FORM4_BOOTSTRAP_SERVERS", required=True)
    @click.option("--topic", default="sec.filings.raw", show_default=True)
    @click.option("--kafka-property", "kafka_properties", multiple=True)
    def publish_command(
        paths: tuple[Path, ...],
        bootstrap_servers: str,
        topic: str,
        kafka_properties: tuple[str, ...],
    ) -> None:
        """Publish files (or directories of files) as raw filing events."""
        from consumers.stream.publish import publish_paths

        count = publish_paths(bootstrap_servers, topic, paths, pairs(kafka_properties))
        click.echo(f"published {count} events to {topic}", err=True)

    @main.command("tail")
    @click.option("--bootstrap-servers", envvar="FORM4_BOOTSTRAP_SERVERS", required=True)
    @click.option("--topic", default="sec.form4.transactions", show_default=True)
    @click.option("--json", "as_json", is_flag=True, default=True, help="JSON lines (default).")
    @click.option("--from-beginning", is_flag=True)
    @click.option(
        "--timeout",
        type=float,
        default=10.0,
        show_default=True,
        help="Exit after this many idle seconds.",
    )
    @click.option("--schema-registry-url", envvar="FORM4_SCHEMA_REGISTRY_URL")
    @click.option("--kafka-property", "kafka_properties", multiple=True)
    def tail_command(
        bootstrap_servers: str,
        topic: str,
        as_json: bool,
        from_beginning: bool,
        timeout: float,
        schema_registry_url: str | None,
        kafka_properties: tuple[str, ...],
    ) -> None:
        """Print decoded records (or DLQ entries) from a topic, read_committed."""
        from consumers.stream.tail import tail_topic

        tail_topic(
            bootstrap_servers,
            topic,
            sys.stdout,
            from_beginning=from_beginning,
            idle_timeout=timeout,
            schema_registry_url=schema_registry_url,
            extra=pairs(kafka_properties),
        )

    @main.command("demo")
    @click.option(
        "--bootstrap-servers",
        envvar="FORM4_BOOTSTRAP_SERVERS",
        help="Use this cluster instead of starting a local broker.",
    )
    @click.option("--metrics-port", type=int, default=9108, show_default=True)
    def demo_command(bootstrap_servers: str | None, metrics_port: int) -> None:
        """The whole loop on this machine: broker, sample filings, processor, records, DLQ."""
        from consumers.stream import logs
        from consumers.stream.demo import run_demo

        logs.configure("WARNING")
        sys.exit(run_demo(bootstrap_servers=bootstrap_servers, metrics_port=metrics_port))

    @main.group("broker")
    def broker_group() -> None:
        """A local single-node Kafka (KRaft) for development and tests."""

    @broker_group.command("start")
    def broker_start() -> None:
        """Start it (Maven-resolved jars or KAFKA_HOME); the last stdout line is its address."""
        from consumers.stream import broker

        try:
            click.echo(broker.start())
        except broker.BrokerError as error:
            raise click.ClickException(str(error)) from error

    @broker_group.command("stop")
    def broker_stop() -> None:
        """Stop it."""
        from consumers.stream import broker

        click.echo("stopped" if broker.stop() else "not running", err=True)
