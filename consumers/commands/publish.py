"""`form4 publish`: files as raw filing events."""

from __future__ import annotations

from pathlib import Path

import click

from consumers.commands.options import kafka_property_option, pairs


@click.command("publish")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--bootstrap-servers", envvar="FORM4_BOOTSTRAP_SERVERS", required=True)
@click.option("--topic", default="sec.filings.raw", show_default=True)
@kafka_property_option
def publish_command(
    paths: tuple[Path, ...],
    bootstrap_servers: str,
    topic: str,
    kafka_properties: tuple[str, ...],
) -> None:
    """Publish files (or directories of files) as raw filing events."""
    from consumers.kafka.publish import publish_paths

    count = publish_paths(bootstrap_servers, topic, paths, pairs(kafka_properties))
    click.echo(f"published {count} events to {topic}", err=True)
