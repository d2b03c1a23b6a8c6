"""The proof that nothing a document does stops the stream: adversarial documents mixed with real
filings, the processor SIGKILLed at random points and the broker restarted under it, then every
input accounted for from outside (read_committed).

    python bench/chaos.py [--ordinary 300] [--kills 4] [--seed 7] [--short]

1. A clean run first: a fresh processor drains M ordinary filings on their own topics (the
   throughput baseline, same machine, same broker, same run).
2. The chaos: every class in tests/adversarial.py (plus the corpus's hostile files) mixed at
   random with ordinary filings (corpus XMLs, submissions and clean PDFs when ../shared is
   here, else the test fixtures) on a 3-partition topic; `form4 run` with 2 workers, SIGKILLed
   --kills times at random moments, the broker stopped and restarted once in the middle.
   The inputs go in waves, one before each kill, so every kill lands on work in progress.
3. Then M fresh ordinary filings through the surviving processor: throughput after the chaos.
4. A table: inputs, records, dead letters, duplicates, lost, wrong reasons, exits that were not
   our kills, peak main-process RSS, drain time, throughput after vs clean. Exit 1 on any loss,
   duplicate, wrong reason or unplanned exit.

It starts its own broker (the restart needs one it owns); --short is the CI version.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

from consumers import limits as bounds  # noqa: E402
from consumers.kafka import broker  # noqa: E402
from consumers.kafka.local_process import free_port  # noqa: E402
from consumers.kafka.tail import tail_topic  # noqa: E402
from consumers.kafka.topics import ensure_topics  # noqa: E402
from consumers.limits import Limits  # noqa: E402
from consumers.processor.work import Job, run_job  # noqa: E402
from tests.adversarial import ADVERSARIES  # noqa: E402
from tests.integration.helpers import processor_command  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
FIXTURES = ROOT / "tests" / "fixtures"
PARTITIONS = 3


@dataclass
class Input:
    key: bytes
    value: bytes
    name: str
    expected_ids: list[str] = field(default_factory=list)
    expected_reason: str | None = None


def ordinary_files(count: int, pdfs: int) -> list[Path]:
    """Real filings: ownership XMLs and submissions, plus a few clean PDFs."""
    base = CORPUS if CORPUS.exists() else None
    if base is not None:
        xmls = sorted((base / "ownership-xml").glob("*.xml"))
        subs = sorted((base / "submissions").iterdir())
        pdf_files = sorted((base / "pdf").glob("*.pdf"))
    else:
        xmls = sorted((FIXTURES / "xml").glob("*.xml"))
        subs = sorted((FIXTURES / "submissions").iterdir())
        pdf_files = [p for p in sorted((FIXTURES / "pdf").glob("*.pdf")) if "ocr" not in p.name]
    chosen = (subs + xmls)[: max(0, count - pdfs)]
    while len(chosen) < count - pdfs and xmls:
        chosen += xmls[: count - pdfs - len(chosen)]
    return chosen + pdf_files[:pdfs]


def expected(inputs: list[Input], record_limit: int) -> None:
    """What each input must become: the worker's own code with the stream's limits."""
    limits = Limits(
        max_bytes=bounds.MAX_DOCUMENT_BYTES,
        max_record_bytes=record_limit,
    )
    for item in inputs:
        key = item.key if len(item.key) <= 1024 else None
        outcome = run_job(Job(item.value, key.decode() if key else None), limits)
        if outcome.failure is not None:
            item.expected_reason = outcome.failure.reason
        else:
            item.expected_ids = [r.record_id for r in outcome.records]


def publish(bootstrap: str, topic: str, inputs: list[Input]) -> None:
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "message.max.bytes": bounds.PRODUCER_MESSAGE_MAX_BYTES,
            "linger.ms": 20,
        }
    )
    for item in inputs:
        while True:
            try:
                producer.produce(topic, key=item.key, value=item.value)
                break
            except BufferError:
                producer.poll(0.05)
    if producer.flush(120) != 0:
        raise SystemExit("publishing the inputs failed")


def topics_for(bootstrap: str, label: str) -> dict[str, str]:
    suffix = f"{label}.{uuid.uuid4().hex[:8]}"
    names = {
        "input": f"chaos.raw.{suffix}",
        "output": f"chaos.out.{suffix}",
        "dlq": f"chaos.dlq.{suffix}",
        "group": f"chaos-{suffix}",
    }
    ensure_topics(bootstrap, [names["input"], names["output"], names["dlq"]], PARTITIONS)
    return names


class Processor:
    """`form4 run` as a child process, killed and restarted at will; tracks its peak RSS."""

    def __init__(self, bootstrap: str, topics: dict[str, str], workers: int, log: Path) -> None:
        self.command = processor_command(
            bootstrap,
            topics,
            "chaos",
            "--workers",
            str(workers),
            "--batch-size",
            "25",
            "--metrics-port",
            str(free_port()),
        )
        self.log = log
        self.process: subprocess.Popen | None = None
        self.peak_rss_kib = 0
        self.unplanned_exits: list[int] = []
        self.kills = 0

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                self.command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def sample(self) -> None:
        """Peak RSS so far (VmHWM of the main process), and restart after an unplanned exit."""
        if self.process is None:
            return
        code = self.process.poll()
        if code is not None:
            self.unplanned_exits.append(code)
            self.start()
            return
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                self.peak_rss_kib = max(self.peak_rss_kib, int(line.split()[1]))

    def kill(self) -> None:
        """SIGKILL the processor and its workers (its session), as the OOM killer or a node
        failure would, and start it again."""
        assert self.process is not None
        self.sample()
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.kills += 1
        self.start()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
            code = self.process.returncode
            if code not in (0, -signal.SIGTERM):
                self.unplanned_exits.append(code)


def drained(bootstrap: str, topics: dict[str, str]) -> bool:
    """The group's committed offsets have reached the end of every input partition."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": topics["group"]})
    try:
        partitions = [TopicPartition(topics["input"], p) for p in range(PARTITIONS)]
        committed = consumer.committed(partitions, timeout=10)
        for tp in committed:
            _, high = consumer.get_watermark_offsets(tp, timeout=10)
            if tp.offset < high:
                return False
        return True
    except Exception:
        return False  # the broker is restarting
    finally:
        consumer.close()


def input_ends(bootstrap: str, topics: dict[str, str]) -> dict[int, int]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": topics["group"]})
    try:
        return {
            p: consumer.get_watermark_offsets(TopicPartition(topics["input"], p), timeout=10)[1]
            for p in range(PARTITIONS)
        }
    finally:
        consumer.close()


def wait_drained(
    bootstrap: str, topics: dict[str, str], processor: Processor, limit: float
) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        processor.sample()
        if drained(bootstrap, topics):
            return time.monotonic() - started
        time.sleep(0.5)
    raise SystemExit(f"not drained within {limit:.0f}s; see {processor.log}")


def throughput(bootstrap: str, topics: dict[str, str], processor: Processor, docs: list) -> float:
    """Filings/s for `docs` published on `topics` to be committed by a running processor."""
    started = time.monotonic()
    publish(bootstrap, topics["input"], docs)
    wait_drained(bootstrap, topics, processor, 600)
    return len(docs) / (time.monotonic() - started)


def read_committed(bootstrap: str, topic: str) -> list[dict]:
    with open(os.devnull, "w") as sink:
        return tail_topic(bootstrap, topic, sink, idle_timeout=6.0)


def account(inputs: list[Input], records: list[dict], letters: list[dict]) -> dict[str, int]:
    """Duplicates, losses and wrong reasons, input by input."""
    ids = Counter(r["record_id"] for r in records)
    by_offset = Counter((d["source_partition"], d["source_offset"]) for d in letters)
    reasons: dict[tuple[int, int], str] = {
        (d["source_partition"], d["source_offset"]): d["reason"] for d in letters
    }
    result = Counter()
    for item in inputs:
        if item.expected_reason is None:
            result["records expected"] += len(item.expected_ids)
            result["lost"] += sum(1 for i in item.expected_ids if ids[i] == 0)
            result["duplicated"] += sum(ids[i] - 1 for i in item.expected_ids if ids[i] > 1)
    expected_letters = [i for i in inputs if i.expected_reason is not None]
    result["dead letters expected"] = len(expected_letters)
    result["duplicated"] += sum(n - 1 for n in by_offset.values() if n > 1)
    wanted = Counter(i.expected_reason for i in expected_letters)
    got = Counter(reasons.values())
    result["lost"] += sum((wanted - got).values())
    result["wrong reason"] = sum((got - wanted).values())
    expected_ids = {i for item in inputs for i in item.expected_ids}
    result["unexpected records"] = sum(1 for i in ids if i not in expected_ids)
    return dict(result)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ordinary", type=int, default=300)
    parser.add_argument("--pdfs", type=int, default=12)
    parser.add_argument("--kills", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--baseline", type=int, default=600, help="filings for throughput")
    parser.add_argument("--short", action="store_true", help="CI: 60 ordinary, 2 kills")
    args = parser.parse_args()
    if args.short:
        args.ordinary, args.pdfs, args.kills, args.baseline = 60, 3, 2, 200
    rng = random.Random(args.seed)

    home = Path(tempfile.mkdtemp(prefix="form4-chaos-"))
    print(f"starting a broker in {home}", file=sys.stderr)
    bootstrap = broker.start(home)
    processors: list[Processor] = []
    try:
        # ownership XMLs only: a submission's records take their ids from its own header, so
        # the same one published twice would be the same records
        xml_docs = [p.read_bytes() for p in ordinary_files(args.baseline, 0) if p.suffix == ".xml"]

        def batch(prefix: str, count: int | None = None) -> list[Input]:
            return [
                Input(f"{prefix}-26-{n:06d}".encode(), doc, prefix)
                for n, doc in enumerate(xml_docs[:count])
            ]

        # 1. clean baseline
        clean_topics = topics_for(bootstrap, "clean")
        clean = Processor(bootstrap, clean_topics, args.workers, home / "clean.log")
        processors.append(clean)
        clean.start()
        throughput(bootstrap, clean_topics, clean, batch("9999999995", 20))  # warm up, as after
        clean_rate = throughput(bootstrap, clean_topics, clean, batch("9999999998"))
        clean.stop()

        # 2. chaos
        inputs = [
            Input(f"9999999999-26-{n:06d}".encode(), path.read_bytes(), path.name)
            for n, path in enumerate(ordinary_files(args.ordinary, args.pdfs))
        ]
        for n, adversary in enumerate(ADVERSARIES):
            key = (
                b"K" * adversary.key_bytes
                if adversary.key_bytes
                else f"9999999997-26-{n:06d}".encode()
            )
            inputs.append(Input(key, adversary.build(), adversary.name))
        rng.shuffle(inputs)
        expected(inputs, bounds.TOPIC_MAX_MESSAGE_BYTES - bounds.MESSAGE_OVERHEAD_BYTES)
        topics = topics_for(bootstrap, "chaos")
        chaos = Processor(bootstrap, topics, args.workers, home / "chaos.log")
        processors.append(chaos)
        chaos.start()
        # One wave of inputs before each kill, so every kill lands on work in progress.
        waves = [inputs[i :: args.kills + 1] for i in range(args.kills + 1)]
        restart_after = max(1, args.kills // 2)
        for kill in range(args.kills):
            publish(bootstrap, topics["input"], waves[kill])
            deadline = time.monotonic() + rng.uniform(2.0, 8.0)
            while time.monotonic() < deadline:
                chaos.sample()
                time.sleep(0.25)
            chaos.kill()
            print(f"kill {kill + 1}/{args.kills}", file=sys.stderr)
            if kill + 1 == restart_after:
                time.sleep(rng.uniform(1.0, 4.0))
                broker.restart(home)
                print("broker restarted", file=sys.stderr)
        publish(bootstrap, topics["input"], waves[-1])
        drain = wait_drained(bootstrap, topics, chaos, 900)

        # 3. throughput after the chaos, through the same processor
        chaos_ends = input_ends(bootstrap, topics)
        fresh = batch("9999999996")
        after_rate = throughput(bootstrap, topics, chaos, fresh)
        chaos.sample()
        chaos.stop()

        records = [
            r
            for r in read_committed(bootstrap, topics["output"])
            if not r["record_id"].startswith("9999999996")
        ]
        letters = [
            d
            for d in read_committed(bootstrap, topics["dlq"])
            if d["source_offset"] < chaos_ends[d["source_partition"]]
        ]
        result = account(inputs, records, letters)
    finally:
        for processor in processors:
            processor.stop()
        broker.stop(home)

    adversarial = sum(1 for i in inputs if i.name in {a.name for a in ADVERSARIES})
    rows = [
        ("inputs", f"{len(inputs)} ({adversarial} adversarial, {len(inputs) - adversarial} real)"),
        ("records", f"{len(records)} (expected {result.get('records expected', 0)})"),
        ("dead letters", f"{len(letters)} (expected {result['dead letters expected']})"),
        ("duplicates", result.get("duplicated", 0)),
        ("lost", result.get("lost", 0)),
        ("wrong reason", result.get("wrong reason", 0)),
        ("unexpected records", result.get("unexpected records", 0)),
        ("kills (SIGKILL) / broker restarts", f"{chaos.kills} / 1"),
        ("exits that were not kills", len(chaos.unplanned_exits)),
        ("peak main-process RSS", f"{chaos.peak_rss_kib / 1024:.0f} MiB"),
        ("drain time after the last kill", f"{drain:.1f} s"),
        (
            "throughput after chaos vs clean",
            f"{after_rate:.0f} vs {clean_rate:.0f} filings/s (ratio {after_rate / clean_rate:.2f})",
        ),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    failed = (
        result.get("duplicated", 0)
        or result.get("lost", 0)
        or result.get("wrong reason", 0)
        or result.get("unexpected records", 0)
        or chaos.unplanned_exits
    )
    if failed:
        print(f"FAILED; processor log: {chaos.log}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
