"""`form4 alerts`: the click shell over AlertSubscriber."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

import click

from consumers.stream.commands import pairs


def register(main: click.Group) -> None:
    @main.command("alerts")
    @click.option("--bootstrap-servers", envvar="FORM4_BOOTSTRAP_SERVERS", required=True)
    @click.option("--topic", default="sec.form4.transactions", show_default=True)
    @click.option(
        "--rules",
        "rules_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="YAML or TOML overrides of the built-in rules.",
    )
    @click.option("--group-id", default="form4-alerts", show_default=True)
    @click.option("--webhook-url", help="POST each alert here as JSON (retried).")
    @click.option("--alerts-topic", help="Also publish alerts as JSON to this topic.")
    @click.option("--from-beginning", is_flag=True, help="A new group starts at the oldest record.")
    @click.option(
        "--warmup-days",
        type=float,
        default=28.0,
        show_default=True,
        help="History re-read (without alerting) to rebuild windows on assignment.",
    )
    @click.option("--idle-timeout", type=float, help="Exit after this many idle seconds.")
    @click.option("--schema-registry-url", envvar="FORM4_SCHEMA_REGISTRY_URL")
    @click.option("--metrics-host", default="127.0.0.1", show_default=True)
    @click.option("--metrics-port", type=int, help="Serve /metrics here.")
    @click.option("--kafka-property", "kafka_properties", multiple=True)
    @click.option("--log-level", default="WARNING", envvar="FORM4_LOG_LEVEL")
    def alerts_command(
        bootstrap_servers: str,
        topic: str,
        rules_file: Path | None,
        group_id: str,
        webhook_url: str | None,
        alerts_topic: str | None,
        from_beginning: bool,
        warmup_days: float,
        idle_timeout: float | None,
        schema_registry_url: str | None,
        metrics_host: str,
        metrics_port: int | None,
        kafka_properties: tuple[str, ...],
        log_level: str,
    ) -> None:
        """Turn transaction records into insider-trading alerts (JSON lines on stdout)."""
        from pydantic import ValidationError

        from consumers.alerts.engine import AlertEngine
        from consumers.alerts.rules import load_rules
        from consumers.alerts.sinks import AlertSink, StreamSink, TopicSink, WebhookSink
        from consumers.alerts.subscriber import AlertMetrics, AlertSubscriber, SubscriberConfig
        from consumers.stream import logs

        logs.configure(log_level)
        try:
            rules = load_rules(rules_file)
        except (ValueError, ValidationError) as error:
            raise click.BadParameter(str(error), param_hint="--rules") from error
        kafka = pairs(kafka_properties)
        metrics = AlertMetrics()
        sinks: list[AlertSink] = [StreamSink(sys.stdout)]
        if webhook_url:
            sinks.append(
                WebhookSink(webhook_url, on_result=lambda o: metrics.webhook.labels(o).inc())
            )
        if alerts_topic:
            from confluent_kafka import Producer

            producer = Producer(
                {"bootstrap.servers": bootstrap_servers, "enable.idempotence": True, **kafka}
            )
            sinks.append(TopicSink(producer, alerts_topic))
        server = None
        if metrics_port is not None:
            from consumers.stream.http import ProbeState, serve

            state = ProbeState()
            state.ready = True
            server = serve(metrics_host, metrics_port, metrics.registry, state)
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        config = SubscriberConfig(
            bootstrap_servers=bootstrap_servers,
            topic=topic,
            group_id=group_id,
            from_beginning=from_beginning,
            warmup_days=warmup_days,
            idle_timeout=idle_timeout,
            schema_registry_url=schema_registry_url,
            kafka=kafka,
        )
        try:
            AlertSubscriber(config, AlertEngine(rules), sinks, metrics, stop).run()
        finally:
            for sink in sinks:
                sink.flush()
            if server is not None:
                server.shutdown()
