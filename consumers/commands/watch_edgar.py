"""`form4 watch-edgar`: the click shell over EdgarWatcher."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from consumers.commands.options import load, service_options, stop_on_signals


@click.command("watch-edgar")
@service_options
@click.option("--topic")
@click.option(
    "--user-agent",
    "edgar_user_agent",
    help='Required by the SEC: "Name contact@example.com" (FORM4_EDGAR_USER_AGENT).',
)
@click.option("--forms", help="Form types to watch, amendments included (3,4,5).")
@click.option("--interval", type=float, help="Seconds between feed polls (1).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Backfill from this date.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Backfill end (today).")
@click.option("--once", is_flag=True, help="Backfill (if asked), poll once, exit.")
@click.option("--edgar-base-url")
@click.option("--max-requests-per-second", type=click.IntRange(1, 10))
@click.option("--seen-topic")
@click.option(
    "--issuer-directory",
    type=click.Path(dir_okay=False),
    help="Keep EDGAR's company tickers file here, refreshed on a schedule (for form4 run).",
)
@click.option("--issuer-directory-refresh-hours", type=float)
@click.option("--transactional-id")
def watch_edgar_command(
    config_file: Path | None,
    kafka_properties: tuple[str, ...],
    since: dt.datetime | None,
    until: dt.datetime | None,
    once: bool,
    **flags: object,
) -> None:
    """Publish new Forms 3/4/5 from EDGAR to the raw topic, each exactly once."""
    from consumers.edgar.metrics import WatcherMetrics
    from consumers.edgar.settings import WatcherSettings
    from consumers.edgar.watcher import EdgarWatcher, WatcherFenced
    from consumers.edgar_access.client import EdgarClient, UserAgentError, check_user_agent
    from consumers.kafka import logs
    from consumers.kafka.http import ProbeState, serve

    settings = load(WatcherSettings, config_file, kafka_properties, **flags)
    try:
        agent = check_user_agent(settings.edgar_user_agent)
    except UserAgentError as error:
        raise click.UsageError(str(error)) from error
    logs.configure(settings.log_level)
    metrics = WatcherMetrics()
    client = EdgarClient(
        settings.edgar_base_url,
        agent,
        settings.max_requests_per_second,
        jitter_margin=settings.request_jitter_margin_seconds,
        on_status=metrics.count_status,
        on_latency=metrics.observe_fetch,
    )
    state = ProbeState()
    server = serve(settings.metrics_host, settings.metrics_port or 0, metrics.registry, state)
    stop = stop_on_signals()
    watcher = EdgarWatcher(settings, client, metrics)
    try:
        watcher.start()
        state.ready = True
        start_day = since.date() if since else None
        end_day = until.date() if until else None
        if once:
            if start_day:
                watcher.backfill(start_day, end_day or dt.date.today(), stop)
            watcher.refresh_directory()
            watcher.poll_feed()
        else:
            watcher.run(stop, settings.interval, start_day, end_day, on_turn=state.beat)
    except WatcherFenced as error:
        click.echo(f"form4 watch-edgar: {error}", err=True)
        sys.exit(2)
    finally:
        watcher.close()
        server.shutdown()
