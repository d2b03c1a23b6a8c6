"""`form4 run`: the exactly-once stream processor."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from consumers.commands.options import load, service_options, stop_on_signals


@click.command("run")
@service_options
@click.option("--input-topic")
@click.option("--output-topic")
@click.option("--dlq-topic")
@click.option("--group-id")
@click.option("--instance-id", help="Stable per instance: the transactional.id suffix.")
@click.option("--schema-registry-url")
@click.option("--workers", type=int)
@click.option("--batch-size", type=int, help="Most filings in one transaction (500).")
@click.option(
    "--batch-linger-ms",
    type=int,
    help="Longest a transaction waits for more filings after its first (0: close when idle).",
)
@click.option("--document-timeout-seconds", type=float)
@click.option(
    "--issuer-directory",
    help="EDGAR's company tickers file (path or URL, e.g. "
    "https://www.sec.gov/files/company_tickers.json): rendered filings get their issuer CIK.",
)
@click.option(
    "--user-agent",
    "edgar_user_agent",
    help='For an --issuer-directory URL on sec.gov: "Name contact@example.com".',
)
def run_command(
    config_file: Path | None, kafka_properties: tuple[str, ...], **flags: object
) -> None:
    """Run the exactly-once stream processor."""
    from consumers.kafka import logs
    from consumers.processor.processor import FilingProcessor
    from consumers.processor.settings import ProcessorSettings

    settings = load(ProcessorSettings, config_file, kafka_properties, **flags)
    logs.configure(settings.log_level)
    sys.exit(FilingProcessor(settings, stop=stop_on_signals()).run())
