"""How long `form4 current` takes to restore its state after a restart.

    python bench/current_restore.py [--filings 100000] [--partitions 3]

A changelog topic is filled with --filings filing versions built from real filings (the
corpus's ownership XMLs, else the test fixtures: each parsed, its records encoded and packed
as the stage stores them, under a fresh accession and family; one in ten an amendment). Then
the stage's own restore (CurrentStage.restore: read each partition to its end, decode every
version, index it by family) runs on every partition, and, as the baseline in the same run, a
bare read_committed consumer reads the same partitions to their end without decoding. Printed:
seconds, filings/s, the ratio to the bare read, and the state's compressed bytes.
Uses KAFKA_BOOTSTRAP_SERVERS when set, else starts the local broker (`form4 broker start`).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

from consumers.avro_codec import encode_single_object  # noqa: E402
from consumers.current.settings import CurrentSettings  # noqa: E402
from consumers.current.stage import CurrentStage  # noqa: E402
from consumers.current.store import encode_version, pack_lines  # noqa: E402
from consumers.current.view import FamilyKey, FilingVersion, version_of  # noqa: E402
from consumers.kafka import broker  # noqa: E402
from consumers.kafka.topics import ensure_topics  # noqa: E402
from consumers.parsing import ParseError, parse_document  # noqa: E402
from consumers.parsing.core.records import filing_records  # noqa: E402
from consumers.parsing.document import DocumentHints  # noqa: E402
from consumers.schemas import TRANSACTION  # noqa: E402


def _templates(limit: int = 200) -> list[FilingVersion]:
    """Real filings as the stage stores them."""
    for directory in (
        ROOT.parent / "shared" / "corpus" / "ownership-xml",
        ROOT / "tests" / "fixtures" / "xml",
    ):
        paths = sorted(directory.glob("*.xml"))[:limit]
        versions = []
        for n, path in enumerate(paths):
            accession = f"0009999999-26-{n:06d}"
            filed_at = dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC)
            try:
                filing = parse_document(path.read_bytes(), DocumentHints(accession, filed_at))
            except ParseError:
                continue
            records = filing_records(filing)
            content = pack_lines([encode_single_object(TRANSACTION, r) for r in records])
            versions.append(version_of(records, content))
        if versions:
            return versions
    raise SystemExit("no XML filings found")


def fill(bootstrap: str, topic: str, filings: int) -> int:
    """`filings` versions on `topic`; returns their bytes."""
    templates = _templates()
    producer = Producer(
        {"bootstrap.servers": bootstrap, "linger.ms": 50, "compression.type": "lz4"}
    )
    total = 0
    for n in range(filings):
        template = templates[n % len(templates)]
        accession = f"00{n // 1_000_000:08d}-26-{n % 1_000_000:06d}"
        version = dataclasses.replace(
            template,
            accession=accession,
            is_amendment=n % 10 == 9,
            family=FamilyKey(f"{n % 5000:010d}", (f"{n:010d}",), "4", template.family[3]),
        )
        value = encode_version(version)
        total += len(value)
        while True:
            try:
                producer.produce(topic, key=accession.encode(), value=value)
                break
            except BufferError:
                producer.poll(0.05)
    producer.flush(300)
    return total


def bare_read(bootstrap: str, topic: str, partitions: int) -> float:
    """Seconds for a read_committed consumer to read every partition to its end."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"bench-bare-{uuid.uuid4().hex[:6]}",
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
        }
    )
    started = time.perf_counter()
    for partition in range(partitions):
        where = TopicPartition(topic, partition)
        low, high = consumer.get_watermark_offsets(where, timeout=30)
        consumer.assign([TopicPartition(topic, partition, low)])
        reached = low
        while reached < high:
            consumer.consume(10_000, 0.5)
            reached = consumer.position([where])[0].offset
    seconds = time.perf_counter() - started
    consumer.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filings", type=int, default=100_000)
    parser.add_argument("--partitions", type=int, default=3)
    args = parser.parse_args()
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or broker.start()
    suffix = uuid.uuid4().hex[:8]
    topic = f"bench.current.changelog.{suffix}"
    ensure_topics(bootstrap, [topic], partitions=args.partitions)
    started = time.perf_counter()
    size = fill(bootstrap, topic, args.filings)
    print(
        f"changelog: {args.filings} filings, {size / 1e6:.1f} MB of values, "
        f"written in {time.perf_counter() - started:.1f} s"
    )
    bare = bare_read(bootstrap, topic, args.partitions)
    stage = CurrentStage(
        CurrentSettings(
            bootstrap_servers=bootstrap,
            changelog_topic=topic,
            group_id=f"bench-current-{suffix}",
            metrics_port=None,
        )
    )
    started = time.perf_counter()
    stores = [stage.restore(partition) for partition in range(args.partitions)]
    seconds = time.perf_counter() - started
    stage.close_restorer()
    restored = sum(len(store) for store in stores)
    state = sum(store.content_bytes for store in stores)
    assert restored == args.filings, (restored, args.filings)
    print(f"bare read of the changelog (baseline): {bare:.2f} s")
    print(
        f"restore (read, decode, index): {seconds:.2f} s for {restored} filings "
        f"({restored / seconds:,.0f} filings/s); {seconds / bare:.2f}x the bare read; "
        f"state held: {state / 1e6:.1f} MB compressed records"
    )


if __name__ == "__main__":
    main()
