"""Through a real Schema Registry (Apicurio's Confluent API over HTTP): the processor registers
its schemas under TopicNameStrategy subjects with BACKWARD compatibility, the current schema is
accepted over the previous version (tests/fixtures/schemas-v1), an incompatible one is refused,
and readers that know only confluent-kafka's AvroDeserializer, `form4 tail` and `form4 alerts`
read the records."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest
from click.testing import CliRunner
from confluent_kafka import Consumer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

from consumers.alerts.engine import AlertEngine
from consumers.alerts.rules import AlertRules
from consumers.alerts.settings import AlertsSettings
from consumers.alerts.subscriber import AlertSubscriber
from consumers.cli import main
from consumers.kafka.local_process import free_port
from consumers.kafka.serde import value_subject
from consumers.processor.metrics import ProcessorMetrics
from consumers.processor.processor import FilingProcessor
from consumers.processor.settings import load_settings
from consumers.schemas import TRANSACTION, raw_schema
from tests.conftest import FIXTURES
from tests.integration.helpers import (
    fixture_events,
    publish_events,
    run_until_consumed,
)
from tests.integration.test_alerts import ListSink
from tests.integration.test_current import run_stage, stage_settings

pytestmark = pytest.mark.kafka  # every test here talks to the real broker

PREVIOUS = FIXTURES / "schemas-v1" / f"{TRANSACTION}.avsc"


def _plain_confluent_read(bootstrap: str, topic: str, registry_url: str) -> list[dict]:
    """What a downstream team's consumer does: confluent-kafka's AvroDeserializer, nothing ours."""
    deserializer = AvroDeserializer(SchemaRegistryClient({"url": registry_url}))
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"it-sr-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
        }
    )
    consumer.subscribe([topic])
    records, idle = [], 0
    while idle < 8:
        message = consumer.poll(0.5)
        if message is None:
            idle += 1
            continue
        assert message.error() is None
        idle = 0
        context = SerializationContext(topic, MessageField.VALUE)
        records.append(deserializer(message.value(), context))
    consumer.close()
    return records


def _registered(client: SchemaRegistryClient, topic: str, schema: str) -> int:
    """`schema` registered under the topic's value subject, with BACKWARD set first: what a
    previous release (or another producer) left behind. Returns the schema id."""
    subject = value_subject(topic)
    client.set_compatibility(subject, "BACKWARD")
    return client.register_schema(subject, Schema(schema, "AVRO"))


def test_records_through_a_real_registry_over_the_previous_schema_version(
    bootstrap: str, topics: dict[str, str], registry_url: str
) -> None:
    client = SchemaRegistryClient({"url": registry_url})
    subject = value_subject(topics["output"])
    first = _registered(client, topics["output"], PREVIOUS.read_text())  # the v1 schema
    events = [e for e in fixture_events() if e[0] is not None][:12]
    publish_events(bootstrap, topics["input"], events)
    drained = run_until_consumed(
        bootstrap, topics, len(events), registry_client=client, schema_registry_url=registry_url
    )
    assert drained.records  # read back through the registry by our own tail
    assert client.get_compatibility(subject) == "BACKWARD"
    latest = client.get_latest_version(subject)
    assert latest.version == 2 and latest.schema_id != first
    last_field = raw_schema(TRANSACTION)["fields"][-1]["name"]
    assert json.loads(latest.schema.schema_str)["fields"][-1]["name"] == last_field
    failure_subject = value_subject(topics["dlq"])
    assert client.get_compatibility(failure_subject) == "BACKWARD"  # set by the processor

    plain = _plain_confluent_read(bootstrap, topics["output"], registry_url)
    assert sorted(r["record_id"] for r in plain) == sorted(r["record_id"] for r in drained.records)
    assert all(isinstance(r["shares"], Decimal | None) for r in plain)
    assert all(r["unread_fields"] == [] for r in plain)  # XML: every value as filed

    tailed = CliRunner().invoke(
        main,
        [
            "tail",
            "--bootstrap-servers",
            bootstrap,
            "--topic",
            topics["output"],
            "--schema-registry-url",
            registry_url,
            "--from-beginning",
            "--timeout",
            "6",
        ],
    )
    assert tailed.exit_code == 0, tailed.output
    assert len([line for line in tailed.output.splitlines() if line.startswith("{")]) == len(plain)

    sink = ListSink()
    config = AlertsSettings(
        bootstrap_servers=bootstrap,
        topic=topics["output"],
        group_id=f"it-sr-alerts-{uuid.uuid4().hex[:8]}",
        from_beginning=True,
        idle_timeout=6,
        schema_registry_url=registry_url,
    )
    rules = AlertRules.model_validate({"large_trade": {"min_value": 1}})
    emitted = AlertSubscriber(config, AlertEngine(rules), [sink]).run()
    expected = AlertEngine(rules)
    assert emitted == len(sink.alerts) == sum(len(expected.evaluate(r)) for r in plain) > 0

    # form4 current through the registry: its view in Confluent framing, its own subject.
    suffix = uuid.uuid4().hex[:8]
    current = stage_settings(bootstrap, topics, suffix)
    current.schema_registry_url = registry_url
    run_stage(current, len({r["accession_number"] for r in plain}))
    view = _plain_confluent_read(bootstrap, current.current_topic, registry_url)
    assert sorted(r["record_id"] for r in view) == sorted(r["record_id"] for r in plain)
    assert client.get_compatibility(value_subject(current.current_topic)) == "BACKWARD"


def test_an_incompatible_schema_is_refused_by_the_registry(
    bootstrap: str, topics: dict[str, str], registry_url: str
) -> None:
    client = SchemaRegistryClient({"url": registry_url})
    subject = value_subject(topics["output"])
    _registered(client, topics["output"], json.dumps(raw_schema(TRANSACTION)))
    changed = raw_schema(TRANSACTION)
    breaking = {**changed, "fields": [*changed["fields"], {"name": "x", "type": "string"}]}
    with pytest.raises(SchemaRegistryError) as refused:  # a new field without a default
        client.register_schema(subject, Schema(json.dumps(breaking), "AVRO"))
    assert refused.value.http_status_code == 409

    # A processor whose schema the subject refuses stops at start, before consuming anything.
    retyped = raw_schema("parse_failure")
    retyped = {
        **retyped,
        "fields": [
            {**f, "type": "int"} if f["name"] == "message" else f for f in retyped["fields"]
        ],
    }
    _registered(client, topics["dlq"], json.dumps(retyped))
    settings = load_settings(
        bootstrap_servers=bootstrap,
        input_topic=topics["input"],
        output_topic=topics["output"],
        dlq_topic=topics["dlq"],
        group_id=topics["group"],
        instance_id="it-refused",
        metrics_port=free_port(),
        workers=1,
        schema_registry_url=registry_url,
    )
    assert FilingProcessor(settings, metrics=ProcessorMetrics()).run() == 2
