"""End-to-end throughput and latency through a real broker with exactly-once on.

    python bench/stream.py [--filings 3000] [--rate 100] [--seconds 15] [--workers 2]

1. Throughput: M XML filings pre-loaded on a topic; the processor (EOS, worker pool) drains
   them; filings/s is compared with a plain consume-and-produce passthrough (no parsing, no
   transactions) of the same messages, run in the same process against the same broker.
2. Latency: filings offered at a fixed rate; a read_committed consumer stamps each filing's
   first record on arrival; p50/p99 of (arrival - publish) are printed.
Uses KAFKA_BOOTSTRAP_SERVERS when set, else starts the local broker (`form4 broker start`).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from confluent_kafka import Consumer, Producer  # noqa: E402

from consumers.kafka import broker  # noqa: E402
from consumers.kafka.topics import ensure_topics  # noqa: E402
from consumers.processor.metrics import ProcessorMetrics  # noqa: E402
from consumers.processor.processor import FilingProcessor  # noqa: E402
from consumers.processor.settings import load_settings  # noqa: E402


def _documents() -> list[bytes]:
    for directory in (
        ROOT.parent / "shared" / "corpus" / "ownership-xml",
        ROOT / "tests" / "fixtures" / "xml",
    ):
        paths = sorted(directory.glob("*.xml"))
        if paths:
            return [p.read_bytes() for p in paths]
    raise SystemExit("no XML filings found")


def _publish(bootstrap: str, topic: str, docs: list[bytes], count: int, start: int = 0) -> None:
    producer = Producer(
        {"bootstrap.servers": bootstrap, "linger.ms": 20, "enable.idempotence": True}
    )
    for i in range(start, start + count):
        while True:
            try:
                producer.produce(
                    topic, key=f"9999999999-26-{i:06d}".encode(), value=docs[i % len(docs)]
                )
                break
            except BufferError:
                producer.poll(0.05)
    producer.flush(120)


def _passthrough_rate(bootstrap: str, source: str, count: int) -> float:
    """Plain consume -> produce copy, at-least-once, no parsing: the ceiling for our loop."""
    target = f"bench.copy.{uuid.uuid4().hex[:8]}"
    ensure_topics(bootstrap, [target])
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"bench-copy-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": True,
        }
    )
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    consumer.subscribe([source])
    copied = 0
    started = None
    while copied < count:
        for message in consumer.consume(500, 1.0):
            if message.error():
                continue
            started = started or time.perf_counter()
            while True:
                try:
                    producer.produce(target, key=message.key(), value=message.value())
                    break
                except BufferError:
                    producer.poll(0.05)
            copied += 1
        producer.poll(0)
    producer.flush(60)
    elapsed = time.perf_counter() - started
    consumer.close()
    return copied / elapsed


def _processor(
    bootstrap: str,
    topics: dict[str, str],
    workers: int,
    metrics: ProcessorMetrics,
    batch_size: int = 500,
):
    settings = load_settings(
        bootstrap_servers=bootstrap,
        input_topic=topics["in"],
        output_topic=topics["out"],
        dlq_topic=topics["dlq"],
        group_id=f"bench-{uuid.uuid4().hex[:8]}",
        instance_id=uuid.uuid4().hex[:8],
        metrics_port=0,
        workers=workers,
        batch_size=batch_size,
        batch_wait_ms=20,
    )
    stop = threading.Event()
    processor = FilingProcessor(settings, metrics=metrics, stop=stop)
    thread = threading.Thread(target=processor.run, daemon=True)
    return processor, stop, thread


def _topics() -> dict[str, str]:
    suffix = uuid.uuid4().hex[:8]
    return {"in": f"bench.raw.{suffix}", "out": f"bench.out.{suffix}", "dlq": f"bench.dlq.{suffix}"}


def throughput(bootstrap: str, docs: list[bytes], count: int, workers: int) -> None:
    topics = _topics()
    ensure_topics(bootstrap, list(topics.values()))
    _publish(bootstrap, topics["in"], docs, count)
    passthrough = _passthrough_rate(bootstrap, topics["in"], count)
    metrics = ProcessorMetrics()
    _, stop, thread = _processor(bootstrap, topics, workers, metrics)
    started = time.perf_counter()
    thread.start()
    while metrics.transactions.labels("committed")._value.get() == 0:
        time.sleep(0.01)
    first_commit = time.perf_counter()
    while metrics.consumed._value.get() < count or metrics.in_flight._value.get() > 0:
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    steady = time.perf_counter() - first_commit
    stop.set()
    thread.join(60)
    records = sum(
        s.value for m in metrics.records.collect() for s in m.samples if s.name.endswith("_total")
    )
    ours = count / elapsed
    print(f"filings: {count} XML, workers: {workers}, cores: {os.cpu_count()}")
    print(
        f"exactly-once processor     : {ours:8.0f} filings/s ({records:.0f} records, "
        f"{count / steady:.0f} filings/s after the first commit)"
    )
    print(f"plain passthrough (no EOS) : {passthrough:8.0f} messages/s")
    print(f"ratio processor/passthrough: {ours / passthrough:8.3f}")


def latency(bootstrap: str, docs: list[bytes], rate: float, seconds: float, workers: int) -> None:
    topics = _topics()
    ensure_topics(bootstrap, list(topics.values()))
    metrics = ProcessorMetrics()
    processor, stop, thread = _processor(bootstrap, topics, workers, metrics, batch_size=100)
    thread.start()
    while not processor.state.ready:
        time.sleep(0.05)
    sent: dict[str, float] = {}
    arrived: dict[str, float] = {}
    reader = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"bench-lat-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
        }
    )
    reader.subscribe([topics["out"]])
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            message = reader.poll(0.05)
            if message is None or message.error():
                continue
            accession = dict(message.headers())["accession_number"].decode()
            arrived.setdefault(accession, time.time())

    reading = threading.Thread(target=read, daemon=True)
    reading.start()
    time.sleep(3)  # let the reader join its group before the clock starts
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
    total = int(rate * seconds)
    began = time.perf_counter()
    for i in range(total):
        target = began + i / rate
        delay = target - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        key = f"9999999999-27-{i:06d}"
        sent[key] = time.time()
        producer.produce(topics["in"], key=key.encode(), value=docs[i % len(docs)])
        producer.poll(0)
    producer.flush(30)
    deadline = time.time() + 30
    while len(arrived) < len(sent) and time.time() < deadline:
        time.sleep(0.1)
    done.set()
    reading.join(5)
    reader.close()
    stop.set()
    thread.join(60)
    samples = sorted(arrived[k] - sent[k] for k in sent if k in arrived)
    if not samples:
        print("latency: no records arrived")
        return

    def pct(p: float) -> float:
        return samples[min(len(samples) - 1, int(p * len(samples)))] * 1000

    print(f"offered {rate:.0f} filings/s for {seconds:.0f}s: {len(samples)}/{total} arrived")
    print(
        f"end-to-end latency (publish -> committed record read): p50 {pct(0.5):.0f} ms, "
        f"p99 {pct(0.99):.0f} ms, max {samples[-1] * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--filings", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or broker.start()
    docs = _documents()
    throughput(bootstrap, docs, args.filings, args.workers)
    latency(bootstrap, docs, args.rate, args.seconds, args.workers)


if __name__ == "__main__":
    main()
