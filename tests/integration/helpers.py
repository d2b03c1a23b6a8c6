"""Building blocks of the integration tests: inputs with known expected outputs, and readers."""

from __future__ import annotations

import io
import sys
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import Consumer, Producer

from consumers.kafka.local_process import free_port
from consumers.kafka.tail import tail_topic
from consumers.parsing import ParseError
from consumers.parsing.core.records import content_fallback_id, filing_records
from consumers.parsing.document import DocumentHints, parse_document
from consumers.processor.metrics import ProcessorMetrics
from consumers.processor.processor import FilingProcessor
from consumers.processor.settings import load_settings
from tests.conftest import FIXTURES


def synthetic_accession(n: int) -> str:
    return f"9999999999-26-{n:06d}"


def publish_events(bootstrap: str, topic: str, events: list[tuple[str | None, bytes]]) -> None:
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "message.max.bytes": 20 * 1024 * 1024,
        }
    )
    for key, value in events:
        producer.produce(topic, key=key.encode() if key else None, value=value)
        producer.poll(0)
    assert producer.flush(60) == 0


def start_processor(
    bootstrap: str, topics: dict[str, str], registry_client=None, before_start=None, **overrides
):
    """A FilingProcessor on its own thread: (processor, stop event, thread); `before_start`
    may wrap parts of the processor (fault injection) before its loop runs."""
    settings = load_settings(
        **{
            "bootstrap_servers": bootstrap,
            "input_topic": topics["input"],
            "output_topic": topics["output"],
            "dlq_topic": topics["dlq"],
            "group_id": topics["group"],
            "instance_id": "it",
            "metrics_port": free_port(),
            "workers": 2,
            "batch_size": 50,
            **overrides,
        }
    )
    stop = threading.Event()
    processor = FilingProcessor(
        settings, metrics=ProcessorMetrics(), stop=stop, registry_client=registry_client
    )
    if before_start is not None:
        before_start(processor)
    thread = threading.Thread(target=processor.run)
    thread.start()
    return processor, stop, thread


@dataclass
class Drained:
    """What a processor run left: the processor, the committed records and dead letters, and
    its metrics text at the end."""

    processor: FilingProcessor
    records: list[dict]
    dead_letters: list[dict]
    metrics: str


def run_until_consumed(
    bootstrap: str,
    topics: dict[str, str],
    count: int,
    timeout: float = 180.0,
    registry_client=None,
    **start: object,
) -> Drained:
    """Start a processor, wait until it has committed `count` filings, read both topics
    (read_committed, through `registry_client` when records are Confluent-framed), stop it."""
    processor, stop, thread = start_processor(
        bootstrap, topics, registry_client=registry_client, **start
    )
    try:
        port = processor.settings.metrics_port
        wait_for(lambda: consumed(port) >= count, timeout=timeout)
        records = read_all(bootstrap, topics["output"], registry_client=registry_client)
        dead_letters = read_all(bootstrap, topics["dlq"], idle=4)
        metrics = scrape(port)
    finally:
        stop.set()
        thread.join(60)
    assert not thread.is_alive()
    return Drained(processor, records, dead_letters, metrics)


def fresh_topics(bootstrap: str, output_config: dict[str, str] | None = None) -> dict[str, str]:
    """New input, output and DLQ topics (3 partitions) and a group, so tests never see each
    other's data; `output_config` adds topic configs to the output and DLQ topics."""
    from consumers.kafka.topics import ensure_topics

    suffix = uuid.uuid4().hex[:10]
    names = {
        "input": f"it.raw.{suffix}",
        "output": f"it.out.{suffix}",
        "dlq": f"it.dlq.{suffix}",
        "group": f"it-group-{suffix}",
    }
    ensure_topics(bootstrap, [names["input"]], partitions=3)
    ensure_topics(bootstrap, [names["output"], names["dlq"]], partitions=3, config=output_config)
    return names


def processor_command(
    bootstrap: str, topics: dict[str, str], instance: str, *flags: str
) -> list[str]:
    """`form4 run` on `topics` as a child process's argv, with more `flags`."""
    return [
        sys.executable,
        "-m",
        "consumers",
        "run",
        "--bootstrap-servers",
        bootstrap,
        "--input-topic",
        topics["input"],
        "--output-topic",
        topics["output"],
        "--dlq-topic",
        topics["dlq"],
        "--group-id",
        topics["group"],
        "--instance-id",
        instance,
        *flags,
    ]


def expected_records(events: list[tuple[str | None, bytes]]) -> list[dict]:
    """The records the offline parser gives for the same events (failures skipped)."""
    records: list[dict] = []
    for key, value in events:
        try:
            filing = parse_document(value, DocumentHints(accession_number=key))
        except ParseError:
            continue
        records.extend(filing_records(filing, fallback_id=content_fallback_id(value)))
    return records


def expected_outcome(events: list[tuple[str | None, bytes]]) -> tuple[list[str], list[str]]:
    """(record ids, failure reasons) the offline parser gives for the same events."""
    record_ids: list[str] = []
    reasons: list[str] = []
    for key, value in events:
        try:
            filing = parse_document(value, DocumentHints(accession_number=key))
        except ParseError as error:
            reasons.append(str(error.reason))
            continue
        fallback = content_fallback_id(value)
        record_ids.extend(r["record_id"] for r in filing_records(filing, fallback_id=fallback))
    return record_ids, reasons


def fixture_events(copies: int = 1) -> list[tuple[str | None, bytes]]:
    """Every fixture XML `copies` times under distinct accession keys, the submissions, junk."""
    events: list[tuple[str | None, bytes]] = []
    n = 0
    xmls = sorted((FIXTURES / "xml").glob("*.xml"))
    for _ in range(copies):
        for path in xmls:
            n += 1
            events.append((synthetic_accession(n), path.read_bytes()))
    for path in sorted((FIXTURES / "submissions").iterdir()):
        events.append((None, path.read_bytes()))
    for name in ("billion-laughs.xml", "external-entity.xml", "empty.xml", "not-xml.xml"):
        n += 1
        events.append((synthetic_accession(n), (FIXTURES / "hostile" / name).read_bytes()))
    return events


def read_all(bootstrap: str, topic: str, idle: float = 8.0, **kwargs) -> list[dict]:
    """Everything committed on a topic, read_committed, until `idle` seconds bring nothing."""
    return tail_topic(bootstrap, topic, io.StringIO(), idle_timeout=idle, **kwargs)


@dataclass
class Committed:
    """One committed message as read back: where it sits, its key, value and headers."""

    partition: int
    offset: int
    key: str
    value: bytes
    headers: dict[str, str]


def committed_messages(bootstrap: str, topic: str) -> list[Committed]:
    """Every committed message on `topic`, read_committed, in partition then offset order."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"it-read-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    found = []
    idle = 0
    while idle < 6:
        message = consumer.poll(0.5)
        if message is None:
            idle += 1
            continue
        assert message.error() is None, message.error()
        idle = 0
        headers = {k: v.decode() for k, v in message.headers() or ()}
        found.append(
            Committed(
                message.partition(),
                message.offset(),
                message.key().decode(),
                message.value(),
                headers,
            )
        )
    consumer.close()
    return sorted(found, key=lambda m: (m.partition, m.offset))


def raw_events(bootstrap: str, topic: str) -> list[tuple[str, bytes, dict[str, str]]]:
    """Every committed event on `topic`: (key, value, headers)."""
    return [(m.key, m.value, m.headers) for m in committed_messages(bootstrap, topic)]


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return response.read().decode()


def consumed(port: int) -> float:
    """Filings the processor on `port` has consumed; 0 while its HTTP server is not up yet."""
    try:
        return metric_sum(scrape(port), "form4_filings_consumed_total")
    except OSError:
        return 0.0


def metric_sum(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def wait_for(predicate, timeout: float = 120.0, interval: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]
