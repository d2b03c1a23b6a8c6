"""The Avro contracts: documented, exact, matching the model, and evolving compatibly."""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import fields as dataclass_fields
from decimal import Decimal
from pathlib import Path

import fastavro
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consumers.avro_codec import (
    SINGLE_OBJECT_MAGIC,
    decode_single_object,
    encode_single_object,
    schema_fingerprint,
)
from consumers.parsing import ParseError, parse_document
from consumers.parsing.core.model import (
    FILING_CONTEXT_FIELDS,
    ISSUER_FIELDS,
    LINE_FIELDS,
    OWNER_FIELDS,
    STREAM_FIELDS,
    Footnote,
    Signature,
)
from consumers.parsing.core.records import filing_records, record_json
from consumers.schemas import PARSE_FAILURE, TRANSACTION, field_names, raw_schema, schema_dir
from tests.conftest import CORPUS, FIXTURES, corpus_dir


def _all_fields(schema: dict | str) -> list[dict]:
    found: list[dict] = []
    if not isinstance(schema, dict):
        return found  # a primitive (array items of strings)
    for field in schema.get("fields", []):
        found.append(field)
        for branch in field["type"] if isinstance(field["type"], list) else [field["type"]]:
            if isinstance(branch, dict):
                found.extend(
                    _all_fields(
                        branch.get("items", branch) if branch.get("type") == "array" else branch
                    )
                )
    return found


@pytest.mark.parametrize("name", [TRANSACTION, PARSE_FAILURE])
def test_every_field_is_documented(name: str) -> None:
    for field in _all_fields(raw_schema(name)):
        assert field.get("doc"), f"{name}.{field['name']} has no doc"


def test_schema_fields_are_the_model_fields() -> None:
    """The model is the one source of the contract's fields; the schema must say the same, in
    the same order: record_id, the filing context, the line's fields."""
    names = field_names(TRANSACTION)
    assert names == ["record_id", *FILING_CONTEXT_FIELDS, *LINE_FIELDS, *STREAM_FIELDS]
    by_name = {f["name"]: f["type"] for f in raw_schema(TRANSACTION)["fields"]}

    def nested(name: str) -> list[str]:
        kind = by_name[name]
        kind = kind["items"] if kind.get("type") == "array" else kind
        return [f["name"] for f in kind["fields"]]

    assert nested("reporting_owners") == list(OWNER_FIELDS)
    assert nested("issuer") == list(ISSUER_FIELDS)
    assert nested("footnotes") == [f.name for f in dataclass_fields(Footnote)]
    assert nested("signatures") == [f.name for f in dataclass_fields(Signature)]


def test_money_and_shares_are_decimal_logical_types() -> None:
    fields = {f["name"]: f["type"] for f in raw_schema(TRANSACTION)["fields"]}
    for name in (
        "shares",
        "price_per_share",
        "shares_owned_following",
        "underlying_shares",
        "conversion_or_exercise_price",
        "total_value",
    ):
        assert fields[name][1]["logicalType"] == "decimal", name


def _records_of(paths: list[Path]) -> list[dict]:
    records = []
    for path in paths:
        try:
            records.extend(filing_records(parse_document(path.read_bytes()), fallback_id=path.stem))
        except ParseError:
            continue
    return records


def _roundtrip_all(records: list[dict]) -> None:
    assert records
    for record in records:
        payload = encode_single_object(TRANSACTION, record)
        name, back = decode_single_object(payload)
        assert name == TRANSACTION
        assert record_json(back) == record_json(record)


def test_fixture_records_roundtrip_exactly() -> None:
    paths = sorted((FIXTURES / "xml").glob("*.xml")) + sorted((FIXTURES / "submissions").iterdir())
    _roundtrip_all(_records_of(paths))


def test_every_corpus_filing_roundtrips() -> None:
    _roundtrip_all(_records_of(sorted(corpus_dir("ownership-xml").glob("*.xml"))))


def test_single_object_header_is_the_spec_fingerprint() -> None:
    record = _records_of([FIXTURES / "xml" / "form4-10b5one-dutchbros.xml"])[0]
    payload = encode_single_object(TRANSACTION, record)
    assert payload[:2] == SINGLE_OBJECT_MAGIC
    assert payload[2:10] == schema_fingerprint(TRANSACTION)
    canonical = fastavro.schema.to_parsing_canonical_form(
        fastavro.parse_schema(raw_schema(TRANSACTION))
    )
    assert payload[2:10] == _crc64_avro(canonical.encode()).to_bytes(8, "little")
    assert decode_single_object(payload)[1]["price_per_share"] == Decimal("72.854")


def _crc64_avro(data: bytes) -> int:
    """The Avro spec's reference algorithm, written out independently of fastavro."""
    empty = 0xC15D213AA4D7A795
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (empty & -(fp & 1))
        table.append(fp)
    fp = empty
    for byte in data:
        fp = (fp >> 8) ^ table[(fp ^ byte) & 0xFF]
    return fp


@pytest.mark.parametrize("name", [TRANSACTION, PARSE_FAILURE])
def test_current_schema_reads_data_of_previous_version(name: str) -> None:
    """Backward compatibility: a consumer on the new schema reads what v1 producers wrote."""
    previous = fastavro.parse_schema(
        json.loads((FIXTURES / "schemas-v1" / f"{name}.avsc").read_text())
    )
    current = fastavro.parse_schema(raw_schema(name))
    if name == TRANSACTION:
        datum = _records_of([FIXTURES / "xml" / "form4-10b5one-dutchbros.xml"])[0]
    else:
        import datetime as dt

        datum = {
            "accession_number": None,
            "source_format": "xml",
            "stage": "parse",
            "reason": "malformed_xml",
            "message": "m",
            "field": None,
            "parser_version": "v",
            "failed_at": dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
            "original": b"x",
            "original_size": 1,
            "original_sha256": "00",
            "source_topic": None,
            "source_partition": None,
            "source_offset": None,
        }
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, previous, datum)
    buffer.seek(0)
    back = fastavro.schemaless_reader(buffer, previous, current)
    for field in raw_schema(name)["fields"]:
        assert field["name"] in back
    assert [
        f["name"]
        for f in json.loads((FIXTURES / "schemas-v1" / f"{name}.avsc").read_text())["fields"]
    ] == field_names(name)[: len(previous["fields"])], "fields may only be appended"
    assert schema_dir().is_dir()


def test_compiled_and_spliced_encodings_are_byte_equal_to_fastavro() -> None:
    from consumers.avro_codec import SplicedTransactionEncoder
    from consumers.avro_compiled import record_encoder
    from consumers.schemas import parsed_schema

    paths = sorted((FIXTURES / "xml").glob("*.xml")) + sorted((FIXTURES / "submissions").iterdir())
    if CORPUS.is_dir():
        paths += sorted((CORPUS / "ownership-xml").glob("*.xml"))
    compiled = record_encoder(raw_schema(TRANSACTION))
    spliced = SplicedTransactionEncoder()
    checked = 0
    for path in paths:
        records = _records_of([path])
        for record, payload in zip(records, spliced.encode_all(records), strict=True):
            buffer = io.BytesIO()
            fastavro.schemaless_writer(buffer, parsed_schema(TRANSACTION), record)
            assert compiled(record) == buffer.getvalue(), record["record_id"]
            assert payload == encode_single_object(TRANSACTION, record), record["record_id"]
            checked += 1
    assert checked > 500


_DECIMALS = st.decimals(
    min_value=Decimal("-1e27"), max_value=Decimal("1e27"), places=10, allow_nan=False
) | st.sampled_from([Decimal(0), Decimal("-0.0000000001"), Decimal("-128"), Decimal("127.5")])


@settings(max_examples=300, deadline=None)
@given(
    shares=st.none() | _DECIMALS,
    price=st.none() | _DECIMALS,
    title=st.none() | st.text(max_size=40),
    day=st.none() | st.dates(min_value=dt.date(1, 1, 1)),
    filed=st.none() | st.datetimes(min_value=dt.datetime(1900, 1, 1), timezones=st.just(dt.UTC)),
    line=st.integers(min_value=0, max_value=2**31 - 1),
    notes=st.dictionaries(st.text(max_size=8), st.lists(st.text(max_size=4), max_size=3)),
)
def test_compiled_encoder_matches_fastavro_on_any_values(
    shares, price, title, day, filed, line, notes
) -> None:
    from consumers.avro_compiled import record_encoder
    from consumers.schemas import parsed_schema

    record = dict(_records_of([FIXTURES / "xml" / "form4-10b5one-dutchbros.xml"])[0])
    record.update(
        shares=shares, price_per_share=price, security_title=title, transaction_date=day,
        filed_at=filed, line=line, footnote_ids=notes,
    )  # fmt: skip
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, parsed_schema(TRANSACTION), record)
    assert record_encoder(raw_schema(TRANSACTION))(record) == buffer.getvalue()
