"""Avro on the wire: single-object encoding (no registry) or Confluent framing (registry).

Single-object encoding is the Avro spec's: 0xC3 0x01, the schema's 8-byte CRC-64-AVRO
fingerprint (little-endian), then the binary datum. Any Avro reader with schemas/ resolves it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any, cast

import fastavro
from fastavro.schema import fingerprint, to_parsing_canonical_form

from consumers.parsing.core.values import canonical_decimal
from consumers.schemas import (
    PARSE_FAILURE,
    TRANSACTION,
    parsed_schema,
    previous_schemas,
    raw_schema,
)

SINGLE_OBJECT_MAGIC = b"\xc3\x01"
CONFLUENT_MAGIC = b"\x00"


@dataclass(slots=True)
class OutputRecord:
    """One record ready to produce: its Kafka key, and either Avro bytes or the dict to encode."""

    record_id: str
    key: str
    table: str | None
    transaction_code: str | None
    accession_number: str | None
    payload: bytes | None = None  # single-object encoded, done here to spare the main process
    record: dict[str, Any] | None = None  # kept when a Schema Registry serializer encodes later


class UnknownSchemaError(ValueError):
    """A payload whose schema fingerprint is none of ours."""


class OutputTooLarge(ValueError):
    """A filing whose records would not fit a Kafka message, or its share of a batch."""


@cache
def schema_fingerprint(name: str) -> bytes:
    canonical = to_parsing_canonical_form(parsed_schema(name))
    return bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO"))


@cache
def _schemas_by_fingerprint() -> dict[bytes, tuple[str, Any]]:
    """Fingerprint -> (contract name, writer schema): the current schemas, and every earlier
    version in schemas/history (read through Avro schema resolution, so old data still reads)."""
    known = {schema_fingerprint(name): (name, None) for name in (TRANSACTION, PARSE_FAILURE)}
    for name, writer in previous_schemas():
        canonical = to_parsing_canonical_form(writer)
        known.setdefault(bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO")), (name, writer))
    return known


def encode_datum(name: str, record: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, parsed_schema(name), record)
    return buffer.getvalue()


def decode_datum(name: str, payload: bytes, writer: Any = None) -> dict[str, Any]:
    """Decode (written with `writer`, an earlier version, when given), with decimals back in
    canonical form (the wire pads them to the schema's scale)."""
    current = parsed_schema(name)
    if writer is None:
        record = fastavro.schemaless_reader(io.BytesIO(payload), current, None)
    else:
        record = fastavro.schemaless_reader(io.BytesIO(payload), writer, current)
    return canonical_decimals(cast(dict[str, Any], record))


def canonical_decimals(record: dict[str, Any]) -> dict[str, Any]:
    for key, value in record.items():
        if isinstance(value, Decimal):
            record[key] = canonical_decimal(value)
    return record


def encode_single_object(name: str, record: dict[str, Any]) -> bytes:
    return SINGLE_OBJECT_MAGIC + schema_fingerprint(name) + encode_datum(name, record)


def decode_single_object(payload: bytes) -> tuple[str, dict[str, Any]]:
    """Return (schema name, record) of a single-object-encoded payload."""
    if payload[:2] != SINGLE_OBJECT_MAGIC or len(payload) < 10:
        raise ValueError("not an Avro single-object encoded payload")
    known = _schemas_by_fingerprint().get(payload[2:10])
    if known is None:
        raise UnknownSchemaError(f"unknown schema fingerprint {payload[2:10].hex()}")
    name, writer = known
    return name, decode_datum(name, payload[10:], writer)


@cache
def _link_encoder() -> Any:
    from consumers.avro_compiled import record_encoder

    fields = raw_schema(TRANSACTION)["fields"]
    if [f["name"] for f in fields[-2:]] != ["amends_accession", "amendment_match"]:
        raise RuntimeError("the transaction schema's last fields are not the amendment link")
    return record_encoder({"type": "record", "name": "AmendmentLink", "fields": fields[-2:]})


def with_amendment_link(payload: bytes, amends: str | None, match: str | None) -> bytes | None:
    """A single-object encoded record of the current schema with its last two fields (the
    amendment link) set, without decoding it: Avro's binary record is the concatenation of its
    fields, and both null are the two bytes 00 00. None when the payload is of another schema
    or already carries a link (decode it then)."""
    if (
        payload[:2] != SINGLE_OBJECT_MAGIC
        or payload[2:10] != schema_fingerprint(TRANSACTION)
        or payload[-2:] != b"\x00\x00"
    ):
        return None
    return payload[:-2] + _link_encoder()({"amends_accession": amends, "amendment_match": match})


def leading_record_id(payload: bytes) -> str:
    """The record_id of a transaction record in the current schema's single-object encoding,
    read without decoding the rest: it is the record's first field (a length, then UTF-8)."""
    length, shift, at = 0, 0, 10
    while True:
        byte = payload[at]
        length |= (byte & 0x7F) << shift
        at += 1
        if not byte & 0x80:
            break
        shift += 7
    length = (length >> 1) ^ -(length & 1)  # zig-zag
    if length < 0 or at + length > len(payload):
        raise ValueError("no record_id at the start of the payload")
    return payload[at : at + length].decode("utf-8")


def is_current_transaction(payload: bytes) -> bool:
    """Single-object encoded with the current transaction schema (kept as it came)."""
    return payload[:2] == SINGLE_OBJECT_MAGIC and payload[2:10] == schema_fingerprint(TRANSACTION)


def write_container(path: str, name: str, records: list[dict[str, Any]]) -> None:
    """An Avro object container file (for `form4 parse --avro FILE`)."""
    with open(path, "wb") as handle:
        fastavro.writer(handle, parsed_schema(name), records, codec="deflate")


class SplicedTransactionEncoder:
    """Single-object encoding of a filing's records with the shared context encoded once.

    Avro's binary record is the plain concatenation of its fields, so the bytes of
    [record_id] + [filing context] + [line fields] equal the whole record's encoding; the
    context (owners, footnotes, remarks: most of the bytes) is identical for every line of a
    filing and needs encoding only once. Each part is encoded by a schema-compiled encoder
    (avro_compiled); tests hold the result byte-equal to fastavro's whole-record encoding.
    """

    def __init__(self) -> None:
        from consumers.avro_compiled import record_encoder
        from consumers.parsing.core.model import LINE_FIELDS
        from consumers.schemas import raw_schema

        fields = raw_schema(TRANSACTION)["fields"]
        first_line = next(i for i, f in enumerate(fields) if f["name"] == LINE_FIELDS[0])
        parts = (fields[:1], fields[1:first_line], fields[first_line:])
        self._encoders = [
            record_encoder({"type": "record", "name": f"Part{i}", "fields": part})
            for i, part in enumerate(parts)
        ]
        self._header = SINGLE_OBJECT_MAGIC + schema_fingerprint(TRANSACTION)

    def encode_all(
        self,
        records: list[dict[str, Any]],
        max_record_bytes: int | None = None,
        max_total_bytes: int | None = None,
    ) -> list[bytes]:
        """Every record's bytes; OutputTooLarge as soon as one record, or all together, would
        pass its bound (checked on the shared context first, so a huge remark repeated on 300
        lines is refused before 300 copies of it exist)."""
        if not records:
            return []
        record_id, context, line = self._encoders
        shared = context(records[0])
        header = self._header
        record_cap = max_record_bytes if max_record_bytes is not None else float("inf")
        total_cap = max_total_bytes if max_total_bytes is not None else float("inf")
        if len(shared) > record_cap or len(shared) * len(records) > total_cap:
            raise OutputTooLarge(
                f"{len(records)} records sharing {len(shared)} bytes of filing context exceed "
                f"the record limit ({record_cap}) or the filing limit ({total_cap})"
            )
        values = []
        total = 0
        for record in records:
            value = header + record_id(record) + shared + line(record)
            total += len(value)
            if len(value) > record_cap or total > total_cap:
                raise OutputTooLarge(
                    f"record {record['record_id']} of {len(value)} bytes ({total} so far) "
                    f"exceeds the record limit ({record_cap}) or the filing limit ({total_cap})"
                )
            values.append(value)
        return values
