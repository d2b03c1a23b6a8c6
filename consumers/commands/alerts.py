"""`form4 alerts`: the reference subscriber, transaction records to insider-trading alerts."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from consumers.commands.options import load, service_options, stop_on_signals


@click.command("alerts")
@service_options
@click.option(
    "--topic",
    help="What to alert on: sec.form4.current (what stands, the default) or the records topic.",
)
@click.option(
    "--rules",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML or TOML overrides of the built-in rules.",
)
@click.option("--group-id")
@click.option("--webhook-url", help="POST each alert here as JSON (retried, then dead-lettered).")
@click.option("--webhook-attempts", type=click.IntRange(min=1), help="Tries per alert (5).")
@click.option(
    "--webhook-backoff-seconds", type=float, help="Back-off base, doubling, jittered (0.5)."
)
@click.option("--webhook-timeout-seconds", type=float, help="Per-request timeout (10).")
@click.option(
    "--alerts-dlq-topic",
    help="Alerts the webhook would not take, with reason and attempts (sec.form4.alerts.dlq).",
)
@click.option("--alerts-topic", help="Also publish alerts as JSON to this topic.")
@click.option(
    "--from-beginning", is_flag=True, default=None, help="A new group starts at the oldest record."
)
@click.option(
    "--warmup-days",
    type=float,
    help="History re-read (without alerting) to rebuild windows on assignment (28).",
)
@click.option("--idle-timeout", type=float, help="Exit after this many idle seconds.")
@click.option("--schema-registry-url")
def alerts_command(
    config_file: Path | None, kafka_properties: tuple[str, ...], **flags: object
) -> None:
    """Turn transaction records into insider-trading alerts (JSON lines on stdout)."""
    from pydantic import ValidationError

    from consumers.alerts.engine import AlertEngine
    from consumers.alerts.rules import load_rules
    from consumers.alerts.settings import AlertsSettings
    from consumers.alerts.sinks import (
        AlertDeadLetters,
        AlertSink,
        StreamSink,
        TopicSink,
        WebhookDelivery,
        WebhookSink,
    )
    from consumers.alerts.subscriber import AlertMetrics, AlertSubscriber
    from consumers.kafka import logs

    settings = load(AlertsSettings, config_file, kafka_properties, **flags)
    logs.configure(settings.log_level)
    try:
        rules = load_rules(settings.rules)
    except (ValueError, ValidationError) as error:
        raise click.BadParameter(str(error), param_hint="--rules") from error
    metrics = AlertMetrics()
    sinks: list[AlertSink] = [StreamSink(sys.stdout)]
    producer = None
    if settings.alerts_topic or settings.webhook_url:
        from confluent_kafka import Producer

        producer = Producer(settings.client_config(**{"enable.idempotence": True}))
    if settings.alerts_topic and producer is not None:
        sinks.append(TopicSink(producer, settings.alerts_topic))
    webhook = None
    if settings.webhook_url and producer is not None:
        from consumers.kafka.topics import ensure_topics

        ensure_topics(settings.bootstrap_servers, [settings.alerts_dlq_topic], extra=settings.kafka)
        webhook = WebhookDelivery(
            WebhookSink(
                settings.webhook_url,
                attempts=settings.webhook_attempts,
                base_seconds=settings.webhook_backoff_seconds,
                timeout=settings.webhook_timeout_seconds,
            ),
            AlertDeadLetters(producer, settings.alerts_dlq_topic),
            on_result=metrics.delivered,
        )
    server = None
    if settings.metrics_port is not None:
        from consumers.kafka.http import ProbeState, serve

        state = ProbeState()
        state.ready = True
        server = serve(settings.metrics_host, settings.metrics_port, metrics.registry, state)
    stop = stop_on_signals()
    try:
        AlertSubscriber(settings, AlertEngine(rules), sinks, metrics, stop, webhook).run()
    finally:
        if webhook is not None:
            webhook.close()
        for sink in sinks:
            sink.flush()
        if server is not None:
            server.shutdown()
