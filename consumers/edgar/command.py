"""`form4 watch-edgar`: the click shell over EdgarWatcher."""

from __future__ import annotations

import datetime as dt
import signal
import sys
import threading

import click

from consumers.stream.commands import pairs


def register(main: click.Group) -> None:
    @main.command("watch-edgar")
    @click.option("--bootstrap-servers", envvar="FORM4_BOOTSTRAP_SERVERS", required=True)
    @click.option("--topic", default="sec.filings.raw", show_default=True)
    @click.option(
        "--user-agent",
        envvar="FORM4_EDGAR_USER_AGENT",
        help='Required by the SEC: "Name contact@example.com".',
    )
    @click.option(
        "--forms",
        default="3,4,5",
        show_default=True,
        help="Form types to watch (amendments included).",
    )
    @click.option("--interval", type=float, default=5.0, show_default=True, help="Seconds.")
    @click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Backfill from this date.")
    @click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Backfill end (today).")
    @click.option("--once", is_flag=True, help="Backfill (if asked), poll once, exit.")
    @click.option("--edgar-base-url", default="https://www.sec.gov", show_default=True)
    @click.option(
        "--max-requests-per-second", type=click.IntRange(1, 10), default=10, show_default=True
    )
    @click.option("--seen-topic", default="sec.filings.seen", show_default=True)
    @click.option("--transactional-id", default="form4-watch-edgar", show_default=True)
    @click.option("--metrics-host", default="127.0.0.1", show_default=True)
    @click.option("--metrics-port", type=int, default=9109, show_default=True)
    @click.option("--kafka-property", "kafka_properties", multiple=True)
    @click.option("--log-level", default="INFO", envvar="FORM4_LOG_LEVEL")
    def watch_edgar_command(
        bootstrap_servers: str,
        topic: str,
        user_agent: str | None,
        forms: str,
        interval: float,
        since: dt.datetime | None,
        until: dt.datetime | None,
        once: bool,
        edgar_base_url: str,
        max_requests_per_second: int,
        seen_topic: str,
        transactional_id: str,
        metrics_host: str,
        metrics_port: int,
        kafka_properties: tuple[str, ...],
        log_level: str,
    ) -> None:
        """Publish new Forms 3/4/5 from EDGAR to the raw topic, each exactly once."""
        from consumers.edgar.client import EdgarClient, UserAgentError, check_user_agent
        from consumers.edgar.metrics import WatcherMetrics
        from consumers.edgar.watcher import EdgarWatcher, WatcherConfig, WatcherFenced
        from consumers.stream import logs
        from consumers.stream.http import ProbeState, serve

        try:
            agent = check_user_agent(user_agent)
        except UserAgentError as error:
            raise click.UsageError(str(error)) from error
        form_types = tuple(f.strip().upper() for f in forms.split(",") if f.strip())
        if not form_types or not set(form_types) <= {"3", "4", "5"}:
            raise click.BadParameter("form types are a comma list of 3, 4, 5", param_hint="--forms")
        logs.configure(log_level)
        metrics = WatcherMetrics()
        client = EdgarClient(
            edgar_base_url,
            agent,
            max_requests_per_second,
            on_status=metrics.count_status,
            on_latency=metrics.observe_fetch,
        )
        config = WatcherConfig(
            bootstrap_servers=bootstrap_servers,
            topic=topic,
            seen_topic=seen_topic,
            form_types=form_types,
            transactional_id=transactional_id,
            kafka=pairs(kafka_properties),
        )
        state = ProbeState()
        server = serve(metrics_host, metrics_port, metrics.registry, state)
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        watcher = EdgarWatcher(config, client, metrics)
        try:
            watcher.start()
            state.ready = True
            start_day = since.date() if since else None
            end_day = until.date() if until else None
            if once:
                if start_day:
                    watcher.backfill(start_day, end_day or dt.date.today(), stop)
                watcher.poll_feed()
            else:
                watcher.run(stop, interval, start_day, end_day, on_turn=state.beat)
        except WatcherFenced as error:
            click.echo(f"form4 watch-edgar: {error}", err=True)
            sys.exit(2)
        finally:
            watcher.close()
            server.shutdown()
