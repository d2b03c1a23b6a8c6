"""`form4 broker start|stop`: a local single-node Kafka for development and tests."""

from __future__ import annotations

import click


@click.group("broker")
def broker_group() -> None:
    """A local single-node Kafka (KRaft) for development and tests."""


@broker_group.command("start")
def broker_start() -> None:
    """Start it (Maven-resolved jars or KAFKA_HOME); the last stdout line is its address."""
    from consumers.kafka import broker

    try:
        click.echo(broker.start())
    except broker.BrokerError as error:
        raise click.ClickException(str(error)) from error


@broker_group.command("stop")
def broker_stop() -> None:
    """Stop it."""
    from consumers.kafka import broker

    click.echo("stopped" if broker.stop() else "not running", err=True)
