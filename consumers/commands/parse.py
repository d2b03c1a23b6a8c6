"""`form4 parse`: filings offline, no Kafka."""

from __future__ import annotations

import os
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
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=lambda: os.cpu_count() or 1,
    show_default="CPU count",
    help="Files parsed in this many processes (output stays in input order).",
)
@click.option(
    "--issuer-directory",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="EDGAR's company tickers file: rendered filings get their issuer CIK from it.",
)
def parse_command(
    paths: tuple[Path, ...],
    as_json: bool,
    avro_path: str | None,
    jobs: int,
    issuer_directory: Path | None,
) -> None:
    """Parse filings offline (files or directories) into contract records.

    Records go to stdout as JSON lines (or to --avro FILE); each failure is one JSON line on
    stderr, then a summary line ({"summary": {files, parsed, failed by reason, seconds}}); a
    progress bar on stderr when it is a terminal. Exit status 1 when any input failed.
    """
    from consumers.offline import parse_paths

    failed = parse_paths(
        paths,
        sys.stdout,
        sys.stderr,
        avro_path=avro_path,
        jobs=jobs,
        progress=sys.stderr.isatty(),
        issuer_directory=issuer_directory,
    )
    sys.exit(1 if failed else 0)
