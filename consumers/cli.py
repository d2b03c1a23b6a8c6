"""The `form4` command: one entry point; each subcommand lives in consumers/commands/."""

from __future__ import annotations

import click

from consumers import __version__
from consumers.commands.alerts import alerts_command
from consumers.commands.broker import broker_group
from consumers.commands.current import current_command
from consumers.commands.demo import demo_command
from consumers.commands.parse import parse_command
from consumers.commands.publish import publish_command
from consumers.commands.registry import registry_group
from consumers.commands.run import run_command
from consumers.commands.tail import tail_command
from consumers.commands.watch_edgar import watch_edgar_command


@click.group()
@click.version_option(__version__, prog_name="form4")
def main() -> None:
    """form4-stream: SEC Forms 3/4/5 to exact Avro transaction records, exactly once."""


for command in (
    parse_command,
    run_command,
    current_command,
    publish_command,
    tail_command,
    demo_command,
    broker_group,
    registry_group,
    watch_edgar_command,
    alerts_command,
):
    main.add_command(command)
