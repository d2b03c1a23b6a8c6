"""`form4 tail`: decoded records or dead letters from a topic, read_committed."""

from __future__ import annotations

import sys

import click

from consumers.commands.options import kafka_property_option, pairs, view_option


@click.command("tail")
@click.option("--bootstrap-servers", envvar="FORM4_BOOTSTRAP_SERVERS", required=True)
@click.option("--topic", default="sec.form4.transactions", show_default=True)
@click.option("--json", "as_json", is_flag=True, default=True, help="JSON lines (default).")
@view_option(default="json")
@click.option("--from-beginning", is_flag=True)
@click.option(
    "--timeout",
    type=float,
    default=10.0,
    show_default=True,
    help="Exit after this many idle seconds.",
)
@click.option("--schema-registry-url", envvar="FORM4_SCHEMA_REGISTRY_URL")
@kafka_property_option
def tail_command(
    bootstrap_servers: str,
    topic: str,
    as_json: bool,
    from_beginning: bool,
    view: str,
    timeout: float,
    schema_registry_url: str | None,
    kafka_properties: tuple[str, ...],
) -> None:
    """Print decoded records (or DLQ entries) from a topic, read_committed."""
    from consumers.kafka.tail import tail_topic

    tail_topic(
        bootstrap_servers,
        topic,
        sys.stdout,
        from_beginning=from_beginning,
        idle_timeout=timeout,
        schema_registry_url=schema_registry_url,
        extra=pairs(kafka_properties),
        view=view,
    )
