"""What a worker does with one event: parse, flatten, and (without a registry) Avro-encode.

Pure and picklable in both directions, so it runs the same inline or in a worker process.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from consumers.avro_codec import SplicedTransactionEncoder
from consumers.parsing import ParseError, parse_document
from consumers.parsing.document import DocumentHints, Limits


@dataclass(slots=True)
class Job:
    data: bytes
    accession_number: str | None = None
    filed_at: dt.datetime | None = None
    content_type: str | None = None


@dataclass(slots=True)
class Failure:
    reason: str
    message: str
    stage: str
    source_format: str
    field: str | None
    accession_number: str | None


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


@dataclass(slots=True)
class Outcome:
    """Records or a Failure, plus what metrics need."""

    records: list[OutputRecord] = field(default_factory=list)
    failure: Failure | None = None
    source_format: str = "unknown"
    form_type: str | None = None
    parse_seconds: float = 0.0


@cache
def _encoder() -> SplicedTransactionEncoder:
    return SplicedTransactionEncoder()


def record_key(record: dict[str, Any]) -> str:
    """Issuer CIK keeps every event of one issuer in order on one partition."""
    issuer = record["issuer"]
    return (
        issuer["cik"]
        or issuer["trading_symbol"]
        or record["accession_number"]
        or record["record_id"]
    )


def run_job(job: Job, limits: Limits, encode: bool = True) -> Outcome:
    """Parse one event; with `encode`, Avro single-object bytes, else the record dicts."""
    from consumers.parsing.records import content_fallback_id, filing_records

    started = time.perf_counter()
    hints = DocumentHints(job.accession_number, job.filed_at, job.content_type)
    try:
        filing = parse_document(job.data, hints, limits)
    except ParseError as error:
        return Outcome(
            failure=failure_of(error, job),
            source_format=error.source_format or "unknown",
            parse_seconds=time.perf_counter() - started,
        )
    try:
        output = _outputs(filing_records(filing, fallback_id=content_fallback_id(job.data)), encode)
    except Exception as exc:
        return Outcome(
            failure=Failure(
                "internal_error",
                f"encoding failed: {type(exc).__name__}: {exc}",
                "encode",
                filing.source_format,
                None,
                filing.accession_number,
            ),
            source_format=filing.source_format,
            parse_seconds=time.perf_counter() - started,
        )
    return Outcome(
        records=output,
        source_format=filing.source_format,
        form_type=filing.form_type,
        parse_seconds=time.perf_counter() - started,
    )


def _outputs(records: list[dict[str, Any]], encode: bool) -> list[OutputRecord]:
    payloads = _encoder().encode_all(records) if encode else [None] * len(records)
    return [
        OutputRecord(
            record_id=record["record_id"],
            key=record_key(record),
            table=record["table"],
            transaction_code=record["transaction_code"],
            accession_number=record["accession_number"],
            payload=payload,
            record=None if encode else record,
        )
        for record, payload in zip(records, payloads, strict=True)
    ]


def failure_of(error: ParseError, job: Job) -> Failure:
    return Failure(
        reason=str(error.reason),
        message=error.message,
        stage=error.stage,
        source_format=error.source_format or "unknown",
        field=error.field,
        accession_number=error.accession_number or job.accession_number,
    )
