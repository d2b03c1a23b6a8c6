"""Readers outside this project decode what the processor publishes.

Java: Apache Avro's own BinaryMessageDecoder and the Kafka Java client (tests/interop/java),
reading the output topic by schemas/form4_transaction.avsc alone. Python: confluent-kafka's
AvroDeserializer with nothing but the Schema Registry client. Any field a generic reader gets
wrong (decimals, dates, timestamps, unions) fails here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from confluent_kafka import Consumer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from consumers.parsing.core.records import record_json
from tests.integration.helpers import (
    consumed,
    expected_records,
    fixture_events,
    publish_events,
    start_processor,
    wait_for,
)

pytestmark = pytest.mark.kafka  # every test here talks to the real broker

JAVA_READER = Path(__file__).parents[1] / "interop" / "java"
SCHEMA = Path(__file__).parents[2] / "schemas" / "form4_transaction.avsc"
_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")


def normalised(value):
    """Compare meanings, not spellings: decimals as Decimal, timestamps as instants."""
    if isinstance(value, dict):
        return {k: normalised(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalised(v) for v in value]
    if isinstance(value, str) and _DECIMAL.match(value):
        return Decimal(value)
    if isinstance(value, str) and re.match(r"^\d{4}-\d\d-\d\dT", value):
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def java_classpath() -> str:
    target = JAVA_READER / "target" / "classpath.txt"
    if not target.exists():
        subprocess.run(
            [shutil.which("mvn") or "mvn", "-q", "-B", "dependency:build-classpath",
             f"-Dmdep.outputFile={target}"],
            cwd=JAVA_READER, check=True, capture_output=True, timeout=600,
        )  # fmt: skip
    return target.read_text().strip()


def run_processor(bootstrap: str, topics: dict[str, str], events, registry_client=None) -> None:
    publish_events(bootstrap, topics["input"], events)
    processor, stop, thread = start_processor(bootstrap, topics, registry_client=registry_client)
    try:
        wait_for(lambda: consumed(processor.settings.metrics_port) >= len(events))
    finally:
        stop.set()
        thread.join(60)


def test_java_avro_decodes_every_field_of_the_single_object_records(
    bootstrap: str, topics: dict[str, str]
) -> None:
    events = fixture_events()
    expected = {r["record_id"]: json.loads(record_json(r)) for r in expected_records(events)}
    run_processor(bootstrap, topics, events)
    done = subprocess.run(
        ["java", "-cp", java_classpath(), str(JAVA_READER / "ReadTransactions.java"),
         bootstrap, topics["output"], str(SCHEMA), str(len(expected)), "120"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    decoded = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(decoded) == len(expected)
    for record in decoded:
        assert normalised(record) == normalised(expected[record["record_id"]]), record["record_id"]
    kinds = {(r["table"], r["kind"]) for r in decoded}
    assert ("non_derivative", "transaction") in kinds and ("derivative", "holding") in kinds
    assert any(r["filed_at"] for r in decoded) and any(r["price_per_share"] for r in decoded)


def test_confluent_avro_deserializer_with_only_the_registry(
    bootstrap: str, topics: dict[str, str]
) -> None:
    registry = SchemaRegistryClient.new_client({"url": f"mock://{topics['group']}"})
    events = fixture_events()[:12]
    expected = {r["record_id"]: r for r in expected_records(events)}
    run_processor(bootstrap, topics, events, registry_client=registry)
    deserializer = AvroDeserializer(registry)  # the writer schema comes from the registry
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"it-interop-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
        }
    )
    consumer.subscribe([topics["output"]])
    decoded: list[dict] = []
    idle = 0
    while idle < 10 and len(decoded) < len(expected):
        message = consumer.poll(0.5)
        if message is None or message.error():
            idle += 1
            continue
        assert message.value()[:1] == b"\x00"  # Confluent framing: magic 0 + schema id
        context = SerializationContext(topics["output"], MessageField.VALUE)
        decoded.append(deserializer(message.value(), context))
    consumer.close()
    assert len(decoded) == len(expected)
    for record in decoded:
        want = expected[record["record_id"]]
        assert record == want, record["record_id"]  # Decimal, date and datetime compare by value
        assert all(
            isinstance(record[f], Decimal) for f in ("shares", "price_per_share") if record[f]
        )
