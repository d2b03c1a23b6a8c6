"""Read the output (or DLQ) topic as read_committed and print decoded records as JSON lines."""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any, TextIO

from confluent_kafka import Consumer

from consumers import limits as bounds
from consumers.kafka.serde import ValueDecoder
from consumers.parsing.core.records import record_json


def tail_topic(
    bootstrap_servers: str,
    topic: str,
    out: TextIO,
    *,
    from_beginning: bool = True,
    idle_timeout: float = 10.0,
    max_records: int | None = None,
    schema_registry_url: str | None = None,
    registry_client: Any = None,
    extra: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Print records until `idle_timeout` seconds pass without one (or max_records); return them."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": f"form4-tail-{uuid.uuid4().hex[:12]}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "auto.offset.reset": "earliest" if from_beginning else "latest",
            "fetch.max.bytes": 2 * bounds.TOPIC_MAX_MESSAGE_BYTES,
            "max.partition.fetch.bytes": bounds.TOPIC_MAX_MESSAGE_BYTES,
            **(extra or {}),
        }
    )
    decoder = ValueDecoder(schema_registry_url, registry_client)
    consumer.subscribe([topic])
    records: list[dict[str, Any]] = []
    last = time.monotonic()
    try:
        while time.monotonic() - last < idle_timeout:
            if max_records is not None and len(records) >= max_records:
                break
            message = consumer.poll(0.2)
            if message is None:
                continue
            if message.error():
                continue
            last = time.monotonic()
            record = decoder.decode(message.value(), topic)
            records.append(record)
            out.write(_printable(record) + "\n")
            out.flush()
    finally:
        consumer.close()
    return records


def _printable(record: dict[str, Any]) -> str:
    if isinstance(record.get("original"), bytes):  # DLQ entries: keep the line readable
        shown = dict(record)
        shown["original"] = base64.b64encode(record["original"][:256]).decode() + (
            "..." if len(record["original"]) > 256 else ""
        )
        return record_json(shown)
    return record_json(record)
