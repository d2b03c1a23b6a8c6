"""Seconds from EDGAR to the trader: the whole chain, measured from outside, on this machine.

    python bench/latency.py [--load steady|burst|both] [--steady-seconds 180]
                            [--burst-filings 250] [--burst-seconds 60] [--seed 7]

A local fake EDGAR (tests/edgar_fake.py) lists real filings at known instants and serves their
complete submission text from then on; `form4 watch-edgar` -> raw topic -> `form4 run`
(2 workers) -> records -> `form4 current` -> the current view -> `form4 alerts` (a rule set
that alerts on every filing) -> a local webhook receiver, each command a child process with
its defaults. This process notes, on its own clock, when each filing became visible, when it
was published on the raw topic and its first record committed (read_committed consumers), and
when its first alert reached the webhook. Printed per load: p50 / p95 / p99 / max of each
span, alerts lost and duplicated, the most requests the fake EDGAR saw in any one second, and
the ratio of each span to the discovery floor (the span to the raw topic) so each stage's
share is plain.

Loads: steady, one filing a second (at a random instant within it) for --steady-seconds;
burst, --burst-filings revealed at random instants over --burst-seconds (filing season).
Filings: the corpus's ownership XMLs in EDGAR's submission envelope (its headers/*.json),
else the test fixtures, each under a fresh accession number; only filings the bench's rules
alert on are used, so every filing expects an alert. KAFKA_BOOTSTRAP_SERVERS, else the
local broker (`form4 broker start`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from confluent_kafka import Consumer  # noqa: E402

from consumers.alerts.engine import AlertEngine  # noqa: E402
from consumers.alerts.rules import AlertRules  # noqa: E402
from consumers.kafka import broker  # noqa: E402
from consumers.kafka.topics import ensure_topics  # noqa: E402
from consumers.parsing import ParseError  # noqa: E402
from consumers.parsing.core.records import filing_records  # noqa: E402
from consumers.parsing.document import DocumentHints, parse_document  # noqa: E402
from tests.edgar_fake import FakeEdgar, Listed, submission_text  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
USER_AGENT = "form4 latency bench bench@example.com"
# Alerts on every filing with a priced line: a large trade of any code from a value of 0.
EVERY_FILING_RULES = {
    "large_trade": {"codes": list("ABCDEFGHIJKLMOPSUVWXZ"), "min_value": 0},
    "cluster_buying": {"enabled": False},
    "holding_change": {"enabled": False},
}
SETTLE_SECONDS = 30.0  # after the last reveal, how long a filing may take before it is "lost"


@dataclass
class Template:
    xml: bytes
    header: dict


@dataclass
class Arrivals:
    """First arrival (monotonic) per accession on each observed surface, and alert counts."""

    raw: dict[str, float] = field(default_factory=dict)
    records: dict[str, float] = field(default_factory=dict)
    alerts: dict[str, float] = field(default_factory=dict)
    alert_ids: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, where: dict[str, float], accession: str, at: float) -> None:
        with self.lock:
            where.setdefault(accession, at)


def _templates() -> list[Template]:
    """Real filings (corpus XML + header, else fixture XML with a made-up header) that the
    bench's rules alert on."""
    rules = AlertRules.model_validate(EVERY_FILING_RULES)
    found = []
    pairs: list[tuple[bytes, dict]] = []
    headers = CORPUS / "headers"
    if headers.is_dir():
        for path in sorted(headers.glob("*.json")):
            xml = CORPUS / "ownership-xml" / f"{path.stem}.xml"
            if xml.exists():
                pairs.append((xml.read_bytes(), json.loads(path.read_text())))
    if not pairs:
        for path in sorted((ROOT / "tests" / "fixtures" / "xml").glob("*.xml")):
            pairs.append((path.read_bytes(), _made_up_header(path.read_bytes())))
    for xml, header in pairs:
        body = submission_text(xml, header, "0009999999-26-000000", dt.datetime.now(dt.UTC))
        try:
            filing = parse_document(body, DocumentHints("0009999999-26-000000"))
        except ParseError:
            continue
        engine = AlertEngine(rules)
        if any(engine.evaluate(record) for record in filing_records(filing)):
            found.append(Template(xml, header))
    if not found:
        raise SystemExit("no filing the bench's rules alert on")
    return found


def _made_up_header(xml: bytes) -> dict:
    from consumers.parsing.xml.ownership import parse_ownership_xml

    filing = parse_ownership_xml(xml)
    return {
        "submission": {
            "TYPE": filing.form_type,
            "ISSUER": [{"COMPANY-DATA": {"CIK": (filing.issuer.cik or "0").zfill(10)}}],
            "REPORTING-OWNER": [
                {"OWNER-DATA": {"CIK": (o.cik or "0").zfill(10)}} for o in filing.reporting_owners
            ],
        }
    }


def _listed(template: Template, n: int, visible_at: float, wall: dt.datetime) -> Listed:
    accession = f"0009999999-26-{n:06d}"
    body = submission_text(template.xml, template.header, accession, wall)
    sub = template.header["submission"]
    issuer = int(sub["ISSUER"][0]["COMPANY-DATA"]["CIK"])
    owner = int(sub["REPORTING-OWNER"][0]["OWNER-DATA"]["CIK"])
    return Listed(accession, sub["TYPE"], owner, issuer, wall, body, visible_at)


def _schedule(load: str, args: argparse.Namespace, rng: random.Random) -> list[float]:
    """Offsets (seconds from the start) at which filings become visible: steady, one in each
    second at a random instant within it (a fixed phase would lock onto the poll's and measure
    one point of its cycle); burst, uniformly random over the burst."""
    if load == "steady":
        return [i + rng.random() for i in range(int(args.steady_seconds))]
    return sorted(rng.uniform(0, args.burst_seconds) for _ in range(args.burst_filings))


class _Webhook:
    """Receives alerts; notes the first per accession and counts each alert_id."""

    def __init__(self, arrivals: Arrivals) -> None:
        sink = arrivals

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                at = time.monotonic()
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                alert = json.loads(body)
                sink.note(sink.alerts, alert.get("accession_number") or "", at)
                with sink.lock:
                    sink.alert_ids[alert["alert_id"]] += 1
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/alerts"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _observe(
    bootstrap: str, topic: str, where: dict[str, float], arrivals: Arrivals, stop: threading.Event
) -> None:
    """A read_committed consumer noting each accession's first message (key for the raw
    topic, the accession_number header for records)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"bench-observe-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "fetch.wait.max.ms": 10,
        }
    )
    consumer.subscribe([topic])
    try:
        while not stop.is_set():
            message = consumer.poll(0.05)
            if message is None or message.error() is not None:
                continue
            at = time.monotonic()
            headers = dict(message.headers() or [])
            accession = headers.get("accession_number") or message.key() or b""
            arrivals.note(where, accession.decode(), at)
    finally:
        consumer.close()


def _form4(*argv: str) -> list[str]:
    return [sys.executable, "-m", "consumers", *argv]


def _max_per_second(stamps: list[float]) -> int:
    """The most requests in any window of one second (sliding, as a server would count)."""
    stamps = sorted(stamps)
    best = 0
    low = 0
    for high, stamp in enumerate(stamps):
        while stamp - stamps[low] >= 1.0:
            low += 1
        best = max(best, high - low + 1)
    return best


def _percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile: the smallest value with at least q% of values at or below."""
    ordered = sorted(values)
    rank = math.ceil(q / 100 * len(ordered))
    return ordered[min(len(ordered) - 1, max(0, rank - 1))]


def run_load(bootstrap: str, load: str, args: argparse.Namespace, templates: list[Template]):
    rng = random.Random(args.seed)
    suffix = uuid.uuid4().hex[:8]
    topics = {
        name: f"bench.lat.{name}.{suffix}"
        for name in ("raw", "seen", "failures", "records", "dlq", "alerts-dlq", "current", "state")
    }
    ensure_topics(bootstrap, [topics["raw"], topics["records"], topics["dlq"]], partitions=3)
    arrivals = Arrivals()
    stop = threading.Event()
    observers = [
        threading.Thread(
            target=_observe, args=(bootstrap, topics[t], where, arrivals, stop), daemon=True
        )
        for t, where in (("raw", arrivals.raw), ("records", arrivals.records))
    ]
    for thread in observers:
        thread.start()
    webhook = _Webhook(arrivals)
    offsets = _schedule(load, args, rng)
    workdir = Path(tempfile.mkdtemp(prefix="form4-latency-"))
    rules = workdir / "rules.yaml"
    rules.write_text(json.dumps(EVERY_FILING_RULES))  # JSON is YAML
    children: list[subprocess.Popen] = []
    with FakeEdgar() as edgar:
        commands = [
            _form4(
                "watch-edgar",
                "--bootstrap-servers",
                bootstrap,
                "--user-agent",
                USER_AGENT,
                "--edgar-base-url",
                edgar.url,
                "--topic",
                topics["raw"],
                "--seen-topic",
                topics["seen"],
                "--transactional-id",
                f"bench-watch-{suffix}",
                "--metrics-port",
                "0",
            ),
            _form4(
                "run",
                "--bootstrap-servers",
                bootstrap,
                "--input-topic",
                topics["raw"],
                "--output-topic",
                topics["records"],
                "--dlq-topic",
                topics["dlq"],
                "--group-id",
                f"bench-run-{suffix}",
                "--instance-id",
                "bench",
                "--workers",
                "2",
                "--metrics-port",
                "0",
            ),
            _form4(
                "current",
                "--bootstrap-servers",
                bootstrap,
                "--input-topic",
                topics["records"],
                "--current-topic",
                topics["current"],
                "--changelog-topic",
                topics["state"],
                "--group-id",
                f"bench-current-{suffix}",
                "--instance-id",
                "bench",
                "--metrics-port",
                "0",
            ),
            _form4(
                "alerts",
                "--bootstrap-servers",
                bootstrap,
                "--topic",
                topics["current"],
                "--group-id",
                f"bench-alerts-{suffix}",
                "--rules",
                str(rules),
                "--webhook-url",
                webhook.url,
                "--alerts-dlq-topic",
                topics["alerts-dlq"],
                "--from-beginning",
            ),
        ]
        env = {**os.environ, "FORM4_WATCH_FAILURES_TOPIC": topics["failures"]}
        for command in commands:
            log = open(workdir / f"{command[3]}.log", "wb")  # noqa: SIM115
            children.append(
                subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, env=env)
            )
        try:
            _wait_started(edgar, children)
            start = time.monotonic() + 2.0
            wall = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2.0)
            filings = [
                _listed(
                    templates[n % len(templates)], n, start + at, wall + dt.timedelta(seconds=at)
                )
                for n, at in enumerate(offsets)
            ]
            edgar.list_filings(filings)
            visible = {f.accession: f.visible_at or 0.0 for f in filings}
            deadline = start + offsets[-1] + SETTLE_SECONDS
            while time.monotonic() < deadline and len(arrivals.alerts) < len(filings):
                if any(child.poll() is not None for child in children):
                    raise SystemExit(f"a command exited early; logs in {workdir}")
                time.sleep(0.5)
            time.sleep(2.0)  # late duplicates
            requests = [stamp for stamp, *_ in edgar.log if stamp >= start - 1.0]
        finally:
            stop.set()
            for child in children:
                child.terminate()
            for child in children:
                try:
                    child.wait(30)
                except subprocess.TimeoutExpired:
                    child.kill()
            webhook.close()
    for thread in observers:
        thread.join(10)
    return _report(load, visible, arrivals, requests, workdir)


def _wait_started(edgar: FakeEdgar, children: list[subprocess.Popen]) -> None:
    """Until the watcher polls the (empty) feed and the consumers had time to join."""
    deadline = time.monotonic() + 90
    while not edgar.requests_to("getcurrent"):
        if time.monotonic() > deadline or any(c.poll() is not None for c in children):
            raise SystemExit("the watcher never polled the fake EDGAR")
        time.sleep(0.2)
    time.sleep(8.0)  # processor and alerts subscriber assigned (group join, ~3 s)


def _report(
    load: str,
    visible: dict[str, float],
    arrivals: Arrivals,
    requests: list[float],
    workdir: Path,
) -> dict:
    spans = {}
    for name, where in (
        ("(a) raw topic", arrivals.raw),
        ("(b) records", arrivals.records),
        ("(c) alert", arrivals.alerts),
    ):
        spans[name] = [where[a] - v for a, v in visible.items() if a in where]
    lost = [a for a in visible if a not in arrivals.alerts]
    duplicated = sum(1 for count in arrivals.alert_ids.values() if count > 1)
    print(f"\n== {load}: {len(visible)} filings; logs in {workdir}")
    print(f"{'span from visible on EDGAR':<28}{'n':>5}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}")
    for name, values in spans.items():
        if not values:
            print(f"{name:<28}{0:>5}")
            continue
        row = [_percentile(values, q) for q in (50, 95, 99)] + [max(values)]
        print(f"{name:<28}{len(values):>5}" + "".join(f"{v:>8.2f}" for v in row))
    floor = statistics.median(spans["(a) raw topic"]) if spans["(a) raw topic"] else 0.0
    if floor > 0:
        for name in ("(b) records", "(c) alert"):
            if spans[name]:
                ratio = statistics.median(spans[name]) / floor
                print(f"p50 {name} / p50 (a) raw topic: {ratio:.2f}x")
    print(f"alerts lost: {len(lost)}; alert ids delivered more than once: {duplicated}")
    print(f"EDGAR requests: {len(requests)}; most in any one second: {_max_per_second(requests)}")
    return {"load": load, "spans": spans, "lost": len(lost), "duplicated": duplicated}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--load", choices=("steady", "burst", "both"), default="both")
    parser.add_argument("--steady-seconds", type=float, default=180)
    parser.add_argument("--burst-filings", type=int, default=250)
    parser.add_argument("--burst-seconds", type=float, default=60)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or broker.start()
    templates = _templates()
    print(f"broker {bootstrap}; {len(templates)} real filings that alert, reused as needed")
    loads = ("steady", "burst") if args.load == "both" else (args.load,)
    for load in loads:
        run_load(bootstrap, load, args, templates)


if __name__ == "__main__":
    main()
