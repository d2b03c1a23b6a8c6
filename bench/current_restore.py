"""How long `form4 current` takes to restore its state after a restart, and how fast it runs.

    python bench/current_restore.py [--filings 100000] [--partitions 3] [--replay 5000]

A changelog topic is filled with --filings filing versions built from real filings (the
corpus's ownership XMLs, else the test fixtures: each parsed, its records encoded and packed
as the stage stores them, under a fresh accession and family; one in ten an amendment). Then
the stage's own restore (CurrentStage.restore: read each partition to its end, decode every
version, index it by family) runs on every partition, and, as the baseline in the same run, a
bare read_committed consumer reads the same partitions to their end without decoding. Printed:
seconds, filings/s, the ratio to the bare read, and the state's compressed bytes.

Then the stage itself (--replay filings, one in ten an amendment of the filing before it, as
records on a records topic): a CurrentStage drains them exactly once; printed: filings/s and
records/s, against a bare read_committed read of the same records topic in the same run.
Uses KAFKA_BOOTSTRAP_SERVERS when set, else starts the local broker (`form4 broker start`).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

from consumers.avro_codec import encode_single_object  # noqa: E402
from consumers.current.metrics import CurrentMetrics  # noqa: E402
from consumers.current.settings import CurrentSettings  # noqa: E402
from consumers.current.stage import CurrentStage  # noqa: E402
from consumers.current.store import encode_version, pack_lines  # noqa: E402
from consumers.current.view import FamilyKey, FilingVersion, version_of  # noqa: E402
from consumers.kafka import broker  # noqa: E402
from consumers.kafka.topics import ensure_topics  # noqa: E402
from consumers.parsing import ParseError, parse_document  # noqa: E402
from consumers.parsing.core.records import filing_records, record_id_parts  # noqa: E402
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
            tags = [record_id_parts(r["record_id"])[1] for r in records]
            versions.append(version_of(records[0], tags, content))
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


def _template_records(limit: int = 50) -> list[list[dict]]:
    for directory in (
        ROOT.parent / "shared" / "corpus" / "ownership-xml",
        ROOT / "tests" / "fixtures" / "xml",
    ):
        found = []
        for path in sorted(directory.glob("*.xml"))[:limit]:
            try:
                filing = parse_document(path.read_bytes(), DocumentHints("0000000000-00-000000"))
            except ParseError:
                continue
            found.append(filing_records(filing))
        if found:
            return found
    raise SystemExit("no XML filings found")


def fill_records(bootstrap: str, topic: str, filings: int) -> int:
    """`filings` filings' records on `topic` (keyed by issuer CIK, as form4 run writes them);
    every tenth an amendment of the one before. Returns how many records."""
    templates = _template_records()
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20})
    count = 0
    day = dt.date(2026, 3, 2)
    for n in range(filings):
        amendment = n % 10 == 9
        base = templates[(n - 1 if amendment else n) % len(templates)]
        accession = f"0008888888-26-{n:06d}"
        owner_n = n - 1 if amendment else n
        filed_at = dt.datetime(2026, 3, 2 + (7 if amendment else 0), 15, tzinfo=dt.UTC)
        for record in base:
            line = dict(record)
            line["record_id"] = f"{accession}:{record_id_parts(record['record_id'])[1]}"
            line["accession_number"] = accession
            line["filed_at"] = filed_at
            line["filing_date"] = None
            line["reporting_owners"] = [
                {**owner, "cik": f"{owner_n:010d}"} for owner in record["reporting_owners"]
            ]
            if amendment:
                line["form_type"] = (record["form_type"] or "4").removesuffix("/A") + "/A"
                line["is_amendment"] = True
                line["date_of_original_submission"] = day
            key = (record["issuer"]["cik"] or "none").encode()
            value = encode_single_object(TRANSACTION, line)
            while True:
                try:
                    producer.produce(topic, key=key, value=value)
                    break
                except BufferError:
                    producer.poll(0.05)
            count += 1
    producer.flush(300)
    return count


def applied(metrics: CurrentMetrics, name: str, **labels: str) -> float:
    """A counter's total over its label values (those given fixed)."""
    return sum(
        sample.value
        for family in metrics.registry.collect()
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )


def replay(bootstrap: str, filings: int, partitions: int) -> None:
    suffix = uuid.uuid4().hex[:8]
    records_topic = f"bench.current.records.{suffix}"
    ensure_topics(bootstrap, [records_topic], partitions=partitions)
    count = fill_records(bootstrap, records_topic, filings)
    bare = bare_read(bootstrap, records_topic, partitions)
    metrics = CurrentMetrics()
    stop = threading.Event()
    stage = CurrentStage(
        CurrentSettings(
            bootstrap_servers=bootstrap,
            input_topic=records_topic,
            current_topic=f"bench.current.view.{suffix}",
            changelog_topic=f"bench.current.state.{suffix}",
            group_id=f"bench-current-replay-{suffix}",
            metrics_port=None,
            replication=1,
        ),
        metrics=metrics,
        stop=stop,
    )
    thread = threading.Thread(target=stage.run)
    started = time.perf_counter()
    thread.start()
    while applied(metrics, "form4_current_filings_total") < filings and thread.is_alive():
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    stop.set()
    thread.join(60)
    links = ", ".join(
        f"{match} {applied(metrics, 'form4_current_amendment_links_total', match=match):.0f}"
        for match in ("exact", "ambiguous", "not_found")
    )
    print(f"bare read of the records topic (baseline): {bare:.2f} s for {count} records")
    print(
        f"form4 current, start to the last filing applied: {seconds:.2f} s for {filings} "
        f"filings, {count} records ({filings / seconds:,.0f} filings/s, "
        f"{count / seconds:,.0f} records/s; {seconds / bare:.1f}x the bare read); "
        f"links: {links}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filings", type=int, default=100_000)
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--replay", type=int, default=5000, help="filings for the stage run")
    args = parser.parse_args()
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or broker.start()
    if args.replay:
        replay(bootstrap, args.replay, args.partitions)
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
