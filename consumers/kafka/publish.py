"""Raw filing events onto a topic: key = accession number, value = the document's bytes."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from confluent_kafka import Producer

from consumers import limits as bounds
from consumers.input_files import iter_files
from consumers.kafka.logs import with_client_logger
from consumers.parsing.core.model import SourceFormat
from consumers.parsing.document import accession_from_name
from consumers.parsing.sniff import sniff
from consumers.parsing.xml.submission import parse_header

# Kafka message headers as we produce them (confluent-kafka takes str, bytes or None values).
Headers = list[tuple[str, str | bytes | None]]

CONTENT_TYPES = {
    SourceFormat.XML: "application/xml",
    SourceFormat.SUBMISSION: "application/edgar-submission",
    SourceFormat.PDF: "application/pdf",
    SourceFormat.HTML: "text/html",
    SourceFormat.TEXT: "text/plain",
    SourceFormat.UNKNOWN: "application/octet-stream",
}


def event_key(path: Path, data: bytes, source_format: SourceFormat) -> str | None:
    """The accession number: from the file name, else from a submission's own header."""
    accession = accession_from_name(path.name)
    if accession is None and source_format is SourceFormat.SUBMISSION:
        try:
            accession = parse_header(data).accession_number
        except Exception:
            accession = None
    return accession


def publish_paths(
    bootstrap_servers: str, topic: str, paths: Iterable[Path], extra: dict[str, str] | None = None
) -> int:
    """Publish every file (directories walked); returns how many events were acknowledged."""
    producer = Producer(
        with_client_logger(
            {
                "bootstrap.servers": bootstrap_servers,
                "enable.idempotence": True,
                "message.max.bytes": bounds.PRODUCER_MESSAGE_MAX_BYTES,
                "linger.ms": 5,
                **(extra or {}),
            }
        )
    )
    delivered = 0
    errors: list[str] = []

    def on_delivery(error, message) -> None:
        nonlocal delivered
        if error is None:
            delivered += 1
        else:
            errors.append(str(error))

    for path in iter_files(paths):
        data = path.read_bytes()
        source_format = sniff(data)
        key = event_key(path, data, source_format)
        headers: Headers = [
            ("content-type", CONTENT_TYPES[source_format].encode()),
            ("source-url", f"file://{path.resolve()}".encode()),
        ]
        while True:
            try:
                producer.produce(
                    topic,
                    value=data,
                    key=key.encode() if key else None,
                    headers=headers,
                    on_delivery=on_delivery,
                )
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    remaining = producer.flush(60)
    if errors or remaining:
        raise RuntimeError(f"{len(errors)} failed deliveries, {remaining} unsent: {errors[:3]}")
    return delivered
