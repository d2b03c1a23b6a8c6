"""`form4 parse`: filings offline, no Kafka."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("parse")
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
