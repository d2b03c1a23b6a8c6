"""`form4 current`: amendments linked to their originals, and the filings as they stand."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from consumers.commands.options import load, service_options, stop_on_signals


@click.command("current")
@service_options
@click.option("--input-topic", help="The records topic (sec.form4.transactions).")
@click.option("--current-topic", help="The compacted current view (sec.form4.current).")
@click.option("--changelog-topic", help="The compacted state changelog.")
@click.option("--group-id")
@click.option("--instance-id", help="Stable per instance: the transactional.id suffix.")
@click.option("--schema-registry-url")
@click.option("--batch-size", type=int, help="Most records in one transaction (2000).")
def current_command(
    config_file: Path | None, kafka_properties: tuple[str, ...], **flags: object
) -> None:
    """Keep the current view: every filing as it stands after its amendments, exactly once."""
    from consumers.current.settings import CurrentSettings
    from consumers.current.stage import CurrentStage
    from consumers.kafka import logs

    settings = load(CurrentSettings, config_file, kafka_properties, **flags)
    logs.configure(settings.log_level)
    sys.exit(CurrentStage(settings, stop=stop_on_signals()).run())
