"""Rendered filings keyed like XML ones: with the issuer directory, a PDF's records carry the
issuer CIK (marked resolved) and land on the same partition as its XML twin's, in order."""

from __future__ import annotations

import pytest
from confluent_kafka import Producer

from consumers.avro_codec import decode_single_object
from tests.conftest import FIXTURES
from tests.integration.helpers import (
    committed_messages,
    run_until_consumed,
    synthetic_accession,
)

pytestmark = pytest.mark.kafka  # every test here talks to the real broker

TWIN = FIXTURES / "pdf" / "000106299324008173"
TICKERS = FIXTURES / "issuers" / "company_tickers.json"


def _publish_in_order(bootstrap: str, topic: str, events: list[tuple[str, bytes]]) -> None:
    """On one input partition, so the processor takes them in this order."""
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    for key, value in events:
        producer.produce(topic, key=key.encode(), value=value, partition=0)
    assert producer.flush(30) == 0


def test_a_pdf_is_keyed_by_the_cik_of_its_xml_twin_on_one_partition_in_order(
    bootstrap: str, topics: dict[str, str]
) -> None:
    xml_accession, pdf_accession = synthetic_accession(8101), synthetic_accession(8102)
    events = [
        (xml_accession, TWIN.with_suffix(".xml").read_bytes()),
        (pdf_accession, TWIN.with_suffix(".pdf").read_bytes()),
    ]
    _publish_in_order(bootstrap, topics["input"], events)
    drained = run_until_consumed(bootstrap, topics, len(events), issuer_directory=str(TICKERS))
    assert drained.dead_letters == []
    messages = committed_messages(bootstrap, topics["output"])
    decoded = [(m, decode_single_object(m.value)[1]) for m in messages]
    xml = [(m, r) for m, r in decoded if r["accession_number"] == xml_accession]
    pdf = [(m, r) for m, r in decoded if r["accession_number"] == pdf_accession]
    assert xml and pdf and len(xml) + len(pdf) == len(messages)
    cik = xml[0][1]["issuer"]["cik"]
    assert cik and len(cik) == 10
    for _, record in pdf:
        assert record["issuer"]["cik"] == cik
        assert record["source_format"] == "pdf"
        assert record["resolved_fields"] == ["issuer.cik"]
    assert all(r["resolved_fields"] == [] for _, r in xml)  # printed in the XML
    assert {m.key for m, _ in decoded} == {cik}
    assert len({m.partition for m, _ in decoded}) == 1
    assert max(m.offset for m, _ in xml) < min(m.offset for m, _ in pdf)
    assert 'form4_issuer_cik_total{origin="resolved",source_format="pdf"} 1.0' in drained.metrics
