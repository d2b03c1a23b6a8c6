"""The processor against a real broker: records and dead letters exactly as the parser says,
metrics that agree, both wire encodings, and poison documents that do not stop the flow."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.deploy.test_deploy import metric_names_used
from tests.integration.helpers import (
    consumed,
    expected_outcome,
    fixture_events,
    metric_sum,
    publish_events,
    read_all,
    scrape,
    start_processor,
    synthetic_accession,
    wait_for,
)

pytestmark = pytest.mark.kafka


def test_filings_in_give_exactly_the_expected_records_and_dead_letters(
    bootstrap: str, topics: dict[str, str]
) -> None:
    events = fixture_events()
    expected_ids, expected_reasons = expected_outcome(events)
    publish_events(bootstrap, topics["input"], events)
    processor, stop, thread = start_processor(bootstrap, topics)
    try:
        port = processor.settings.metrics_port
        wait_for(lambda: consumed(port) >= len(events))
        records = read_all(bootstrap, topics["output"])
        failures = read_all(bootstrap, topics["dlq"], idle=4)
        # every series the dashboard and alert rules query is really exported (lag needs a
        # statistics callback, every 5 s)
        wait_for(lambda: not _missing_series(scrape(port)), timeout=30)
        text = scrape(port)
    finally:
        stop.set()
        thread.join(60)
    ids = [r["record_id"] for r in records]
    assert len(ids) == len(set(ids)), "duplicates on the output topic"
    assert sorted(ids) == sorted(expected_ids)
    assert Counter(f["reason"] for f in failures) == Counter(expected_reasons)
    assert all(f["original"] is not None and f["source_topic"] == topics["input"] for f in failures)
    # metrics agree with what was processed
    assert metric_sum(text, "form4_filings_consumed_total") == len(events)
    assert metric_sum(text, "form4_filings_failed_total") == len(failures)
    assert metric_sum(text, "form4_filings_parsed_total") == len(events) - len(failures)
    assert metric_sum(text, "form4_records_produced_total") == len(records)
    assert metric_sum(text, "form4_filings_failed_total", reason="forbidden_xml_construct") == 2
    assert metric_sum(text, "form4_transactions_total", outcome="committed") >= 1
    assert "form4_consumer_lag" in text
    assert not thread.is_alive()


def _missing_series(text: str) -> set[str]:
    exported = {
        line.split("{")[0].split(" ")[0]
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    others = ("form4_watch_", "form4_alerts_", "form4_current_")  # checked in tests/deploy
    processor_names = {n for n in metric_names_used() if not n.startswith(others)}
    return processor_names - exported


def test_records_are_keyed_by_issuer_and_carry_headers(
    bootstrap: str, topics: dict[str, str]
) -> None:
    from confluent_kafka import Consumer

    events = fixture_events()[:5]
    publish_events(bootstrap, topics["input"], events)
    processor, stop, thread = start_processor(bootstrap, topics)
    try:
        wait_for(lambda: consumed(processor.settings.metrics_port) >= 5)
        consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": topics["group"] + "-k",
                "auto.offset.reset": "earliest",
                "isolation.level": "read_committed",
            }
        )
        consumer.subscribe([topics["output"]])
        message = None
        for _ in range(100):
            message = consumer.poll(0.5)
            if message is not None and not message.error():
                break
        consumer.close()
    finally:
        stop.set()
        thread.join(60)
    assert message is not None
    headers = dict(message.headers())
    assert headers["source_format"] == b"xml"
    assert headers["record_id"].startswith(b"9999999999-26-")
    assert message.key().isdigit() and len(message.key()) == 10  # the issuer CIK


def test_schema_registry_confluent_framing(bootstrap: str, topics: dict[str, str]) -> None:
    from confluent_kafka.schema_registry import SchemaRegistryClient

    client = SchemaRegistryClient.new_client({"url": f"mock://{topics['group']}"})
    events = fixture_events()[:6]
    expected_ids, _ = expected_outcome(events)
    publish_events(bootstrap, topics["input"], events)
    processor, stop, thread = start_processor(bootstrap, topics, registry_client=client)
    try:
        wait_for(lambda: consumed(processor.settings.metrics_port) >= 6)
        records = read_all(bootstrap, topics["output"], idle=5, registry_client=client)
    finally:
        stop.set()
        thread.join(60)
    assert sorted(r["record_id"] for r in records) == sorted(expected_ids)
    assert client.get_subjects()  # the schema went through the registry


def test_poison_documents_go_to_the_dlq_while_the_rest_flows(
    bootstrap: str, topics: dict[str, str]
) -> None:
    good = fixture_events()[:3]
    poison = [
        (synthetic_accession(900001), b"<ownershipDocument>" + b"<a>" * 600_000),  # depth bomb
        (synthetic_accession(900002), b"%PDF-1.4\n" + b"0" * (3 * 1024 * 1024)),  # over the limit
        (
            synthetic_accession(900003),
            (
                b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaa'>"
                b"<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;'>]><x>&b;</x>"
            ),
        ),
    ]
    events = [*poison[:1], *good[:1], *poison[1:], *good[1:]]
    expected_ids, _ = expected_outcome(good)
    publish_events(bootstrap, topics["input"], events)
    processor, stop, thread = start_processor(bootstrap, topics, max_document_bytes=2 * 1024 * 1024)
    try:
        wait_for(lambda: consumed(processor.settings.metrics_port) >= len(events))
        records = read_all(bootstrap, topics["output"], idle=5)
        failures = read_all(bootstrap, topics["dlq"], idle=3)
    finally:
        stop.set()
        thread.join(60)
    assert sorted(r["record_id"] for r in records) == sorted(expected_ids)
    assert len(failures) == 3
    reasons = {f["accession_number"]: f["reason"] for f in failures}
    assert reasons[synthetic_accession(900002)] == "document_too_large"
    assert reasons[synthetic_accession(900003)] == "forbidden_xml_construct"
    assert reasons[synthetic_accession(900001)] in {"malformed_xml", "document_too_large"}
