"""The `form4` command: one entry point, each subcommand a thin shell over a module."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from consumers import __version__


@click.group()
@click.version_option(__version__, prog_name="form4")
def main() -> None:
    """form4-stream: SEC Forms 3/4/5 to exact Avro transaction records, exactly once."""


@main.command("parse")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--json", "as_json", is_flag=True, default=True, help="JSON lines on stdout (default)."
)
@click.option(
    "--avro", "avro_path", type=click.Path(dir_okay=False), help="Write an Avro container file."
)
def parse_command(paths: tuple[Path, ...], as_json: bool, avro_path: str | None) -> None:
    """Parse filings offline (files or directories) into contract records.

    Records go to stdout as JSON lines (or to --avro FILE); each failure is one line on stderr.
    Exit status 1 when any input failed.
    """
    from consumers.offline import parse_paths

    failed = parse_paths(paths, sys.stdout, sys.stderr, avro_path=avro_path)
    sys.exit(1 if failed else 0)


def _register_stream_commands() -> None:
    """Kafka subcommands live in consumers.stream; importing them lazily keeps `parse` light."""
    try:
        from consumers.alerts.command import register as register_alerts
        from consumers.edgar.command import register as register_watch
        from consumers.stream.commands import register
    except ImportError:  # pragma: no cover - the stream package is part of the install
        return
    register(main)
    register_watch(main)
    register_alerts(main)


_register_stream_commands()
