"""`form4 registry start|stop`: a local Confluent-compatible Schema Registry (Apicurio)."""

from __future__ import annotations

import click


@click.group("registry")
def registry_group() -> None:
    """A local Schema Registry (Apicurio, from Maven Central) for development and tests."""


@registry_group.command("start")
def registry_start() -> None:
    """Start it (downloaded once); the last stdout line is its Confluent API URL."""
    from consumers.kafka import registry

    try:
        click.echo(registry.start())
    except registry.RegistryError as error:
        raise click.ClickException(str(error)) from error


@registry_group.command("stop")
def registry_stop() -> None:
    """Stop it."""
    from consumers.kafka import registry

    click.echo("stopped" if registry.stop() else "not running", err=True)
