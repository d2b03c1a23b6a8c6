"""`form4 demo`: the whole loop on this machine with nothing configured.

Starts the local broker (or, without Java, librdkafka's built-in mock cluster, said out loud),
creates the topics, publishes the bundled sample filings, runs the processor, prints the
decoded records and dead letters, shows where the metrics are, and stops cleanly.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from pathlib import Path
from typing import TextIO

import click

from consumers.commands.options import view_option

_SAMPLE_DIRS = (
    Path(__file__).resolve().parents[1] / "_samples",  # installed wheel
    Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "sample",  # source checkout
)


def sample_dir() -> Path:
    return next(d for d in _SAMPLE_DIRS if d.is_dir())


def _mock_cluster() -> tuple[str, object]:
    """librdkafka's mock cluster: fine for a demo, not for exactly-once proofs (see DESIGN)."""
    from confluent_kafka import Producer

    holder = Producer({"test.mock.num.brokers": 1})
    brokers = holder.list_topics(timeout=10).brokers.values()
    address = ",".join(f"{b.host}:{b.port}" for b in brokers)
    return address, holder


def run_demo(
    out: TextIO = sys.stdout,
    bootstrap_servers: str | None = None,
    metrics_port: int = 9108,
    view: str = "table",
    schema_registry: bool = False,
) -> int:
    from consumers.kafka import broker, registry
    from consumers.kafka.local_process import LocalServiceError
    from consumers.kafka.publish import publish_paths
    from consumers.kafka.tail import tail_topic
    from consumers.kafka.topics import ensure_topics
    from consumers.processor.processor import FilingProcessor
    from consumers.processor.settings import load_settings

    def say(text: str) -> None:
        out.write(f"[demo] {text}\n")
        out.flush()

    keepalive = None
    if bootstrap_servers is None:
        try:
            say("starting a local Apache Kafka broker (KRaft) from Maven Central jars ...")
            bootstrap_servers = broker.start()
        except LocalServiceError as error:
            say(
                f"no local broker ({error}); falling back to librdkafka's MOCK cluster "
                "(a demo only: it does not prove exactly-once)"
            )
            bootstrap_servers, keepalive = _mock_cluster()
    say(f"broker at {bootstrap_servers}")
    registry_url = None
    if schema_registry:
        say("starting a local Schema Registry (Apicurio, from Maven Central) ...")
        try:
            registry_url = registry.start()
        except LocalServiceError as error:
            say(f"no Schema Registry: {error}")
            return 1
        say(f"schema registry at {registry_url} (records Confluent-framed, subjects BACKWARD)")
    suffix = str(int(time.time()))
    settings = load_settings(
        bootstrap_servers=bootstrap_servers,
        input_topic=f"demo.filings.raw.{suffix}",
        output_topic=f"demo.form4.transactions.{suffix}",
        dlq_topic=f"demo.filings.dlq.{suffix}",
        group_id=f"form4-demo-{suffix}",
        instance_id="demo",
        metrics_port=metrics_port,
        workers=2,
        schema_registry_url=registry_url,
    )
    ensure_topics(
        bootstrap_servers, [settings.input_topic, settings.output_topic, settings.dlq_topic]
    )
    samples = sample_dir()
    count = publish_paths(bootstrap_servers, settings.input_topic, [samples])
    say(f"published {count} sample filings from {samples} to {settings.input_topic}")
    stop = threading.Event()
    processor = FilingProcessor(settings, stop=stop)
    thread = threading.Thread(target=processor.run, name="processor")
    thread.start()
    try:
        say(f"processor running; metrics at http://{settings.metrics_host}:{metrics_port}/metrics")
        say(f"records on {settings.output_topic}:")
        records = tail_topic(
            bootstrap_servers,
            settings.output_topic,
            out,
            idle_timeout=15,
            schema_registry_url=registry_url,
            view=view,
        )
        say(f"dead letters on {settings.dlq_topic}:")
        failures = tail_topic(
            bootstrap_servers,
            settings.dlq_topic,
            out,
            idle_timeout=5,
            schema_registry_url=registry_url,
            view=view,
        )
        say(f"{len(records)} records, {len(failures)} dead letters; stopping")
    finally:
        stop.set()
        thread.join(60)
        with contextlib.suppress(Exception):
            del keepalive
    say("the broker keeps running for another try; `form4 broker stop` stops it")
    if registry_url:
        say("so does the registry; `form4 registry stop` stops it")
    return 0 if records else 1


@click.command("demo")
@click.option(
    "--bootstrap-servers",
    envvar="FORM4_BOOTSTRAP_SERVERS",
    help="Use this cluster instead of starting a local broker.",
)
@click.option("--metrics-port", type=int, default=9108, show_default=True)
@view_option(default="table")
@click.option(
    "--schema-registry",
    is_flag=True,
    help="Run the loop through a local Schema Registry (Apicurio) with Confluent framing.",
)
def demo_command(
    bootstrap_servers: str | None, metrics_port: int, view: str, schema_registry: bool
) -> None:
    """The whole loop on this machine: broker, sample filings, processor, records, DLQ."""
    from consumers.kafka import logs

    logs.configure("WARNING")
    sys.exit(
        run_demo(
            bootstrap_servers=bootstrap_servers,
            metrics_port=metrics_port,
            view=view,
            schema_registry=schema_registry,
        )
    )
