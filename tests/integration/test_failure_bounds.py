"""Nothing a document does stops the stream, against a real broker: hostile documents each end
as one dead letter that fits the topic, batches past their budget carry over, and errors that
are not the document's (a Schema Registry outage, a bug inside the transaction) never send a
valid filing to the DLQ or lose one."""

from __future__ import annotations

from collections import Counter

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from consumers import limits as bounds
from consumers.limits import Limits
from consumers.processor import processor as processor_module
from consumers.processor.work import Job, run_job
from tests.adversarial import ADVERSARIES
from tests.conftest import FIXTURES
from tests.integration.helpers import (
    expected_outcome,
    fresh_topics,
    metric_sum,
    publish_events,
    run_until_consumed,
    synthetic_accession,
)

pytestmark = pytest.mark.kafka

ONE_MB_TOPIC = {"max.message.bytes": str(bounds.KAFKA_DEFAULT_MAX_MESSAGE_BYTES)}


def test_hostile_documents_end_as_one_fitting_dead_letter_each_and_the_stream_moves_on(
    bootstrap: str,
) -> None:
    topics = fresh_topics(bootstrap, ONE_MB_TOPIC)  # the limit the processor must learn
    honest = (FIXTURES / "xml" / "form4-10b5one-dutchbros.xml").read_bytes()
    keys: list[bytes] = []
    values: list[bytes] = []
    for n, adversary in enumerate(ADVERSARIES, start=1):
        keys.append(b"K" * adversary.key_bytes if adversary.key_bytes else b"")
        values.append(adversary.build())
        if not keys[-1]:
            keys[-1] = synthetic_accession(n).encode()
    keys = [synthetic_accession(900).encode(), *keys, synthetic_accession(901).encode()]
    values = [honest, *values, honest]
    # What each input must become, from the same worker code with the limits the processor
    # must learn from the 1 MB topics.
    limits = Limits(
        max_bytes=bounds.MAX_DOCUMENT_BYTES,
        max_record_bytes=bounds.KAFKA_DEFAULT_MAX_MESSAGE_BYTES - bounds.MESSAGE_OVERHEAD_BYTES,
    )
    expected = [
        run_job(Job(v, k.decode() if len(k) < 1024 else None), limits)
        for k, v in zip(keys, values, strict=True)
    ]
    expected_reasons = Counter(o.failure.reason for o in expected if o.failure)
    expected_ids = sorted(r.record_id for o in expected for r in o.records)
    assert expected_reasons["record_too_large"] >= 2

    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "message.max.bytes": 20 << 20})
    for key, value in zip(keys, values, strict=True):
        producer.produce(topics["input"], key=key, value=value)
        producer.poll(0)
    assert producer.flush(60) == 0

    run = run_until_consumed(bootstrap, topics, len(values), batch_size=10)
    processor, records, failures, text = run.processor, run.records, run.dead_letters, run.metrics
    assert processor.record_limit < bounds.KAFKA_DEFAULT_MAX_MESSAGE_BYTES  # learnt, not assumed
    assert sorted(r["record_id"] for r in records) == expected_ids
    assert Counter(f["reason"] for f in failures) == expected_reasons
    for failure in failures:
        assert len(failure["message"]) <= bounds.MAX_ERROR_MESSAGE_CHARS + 40
        if failure["original_size"] > processor.dead_letter_limit:
            assert failure["original"] is None and len(failure["original_sha256"]) == 64
    assert metric_sum(text, "form4_message_limit_bytes") > 0
    assert metric_sum(text, "form4_transactions_total", outcome="aborted") == 0


def test_a_batch_past_its_time_budget_carries_documents_over_exactly_once(
    bootstrap: str, topics: dict[str, str]
) -> None:
    pdfs = [p for p in sorted((FIXTURES / "pdf").glob("*.pdf")) if not p.name.startswith("ocr")]
    events = [(synthetic_accession(i), p.read_bytes()) for i, p in enumerate(pdfs * 2)]
    expected_ids, expected_reasons = expected_outcome(events)
    publish_events(bootstrap, topics["input"], events)
    # max.poll.interval 30 s: a batch may take 15 s and starts no document after 15 - 2 x 6 s,
    # while the PDFs take several seconds to parse on two workers. A batch closes when the
    # input is idle: it lingers 3 s here so that it holds every event published, as one that
    # met a backlog would, whatever librdkafka had fetched when the first one arrived.
    run = run_until_consumed(
        bootstrap,
        topics,
        len(events),
        timeout=300,
        document_timeout_seconds=6.0,
        max_poll_interval_ms=30_000,
        batch_linger_ms=3000,
        kafka={"session.timeout.ms": "10000"},
    )
    records, failures, text = run.records, run.dead_letters, run.metrics
    assert metric_sum(text, "form4_carried_over_documents_total", budget="time") > 0
    ids = [r["record_id"] for r in records]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(expected_ids)
    assert Counter(f["reason"] for f in failures) == Counter(expected_reasons)
    assert metric_sum(text, "form4_filings_consumed_total") == len(events)


class FlakyRegistry:
    """A registry client (confluent-kafka's in-memory one) whose schema calls fail with a 503
    for the first `outages` calls, as a registry being restarted does."""

    def __init__(self, inner: SchemaRegistryClient, outages: int) -> None:
        self.inner = inner
        self.outages = outages

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        attribute = getattr(self.inner, name)
        if not callable(attribute) or not name.startswith(("register_", "lookup_", "get_")):
            return attribute

        def flaky(*args, **kwargs):  # type: ignore[no-untyped-def]
            if self.outages > 0:
                self.outages -= 1
                raise SchemaRegistryError(503, 50301, "registry unavailable")
            return attribute(*args, **kwargs)

        return flaky


def test_a_registry_outage_retries_and_never_dead_letters_a_valid_filing(
    bootstrap: str, topics: dict[str, str]
) -> None:
    xmls = sorted((FIXTURES / "xml").glob("*.xml"))[:6]
    events = [(synthetic_accession(i), p.read_bytes()) for i, p in enumerate(xmls)]
    expected_ids, _ = expected_outcome(events)
    publish_events(bootstrap, topics["input"], events)
    registry = SchemaRegistryClient.new_client({"url": f"mock://{topics['group']}"})
    flaky = FlakyRegistry(registry, outages=3)
    run = run_until_consumed(bootstrap, topics, len(events), registry_client=flaky)
    records, failures, text = run.records, run.dead_letters, run.metrics
    assert flaky.outages == 0
    assert failures == []
    assert sorted(r["record_id"] for r in records) == sorted(expected_ids)
    assert metric_sum(text, "form4_schema_registry_errors_total") >= 1


def test_an_error_of_ours_inside_a_transaction_aborts_and_the_batch_is_retried(
    bootstrap: str, topics: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    xmls = sorted((FIXTURES / "xml").glob("*.xml"))[:8]
    events = [(synthetic_accession(i), p.read_bytes()) for i, p in enumerate(xmls)]
    expected_ids, _ = expected_outcome(events)
    publish_events(bootstrap, topics["input"], events)
    calls = {"n": 0}
    real_produce = processor_module.produce_waiting

    def produce(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:  # two records of the first batch are already produced
            raise RuntimeError("a bug between two produce() calls")
        return real_produce(*args, **kwargs)

    monkeypatch.setattr(processor_module, "produce_waiting", produce)
    run = run_until_consumed(bootstrap, topics, len(events))
    records, text = run.records, run.metrics
    ids = [r["record_id"] for r in records]
    assert len(ids) == len(set(ids)), "the aborted batch's records must not be visible"
    assert sorted(ids) == sorted(expected_ids)
    assert metric_sum(text, "form4_transaction_errors_total", kind="internal") == 1
    assert metric_sum(text, "form4_transactions_total", outcome="aborted") == 1
