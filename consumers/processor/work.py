"""What a worker does with one event: parse, flatten, and (without a registry) Avro-encode.

Pure and picklable in both directions, so it runs the same inline or in a worker process.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from consumers.avro_codec import OutputRecord, OutputTooLarge, SplicedTransactionEncoder
from consumers.issuers.directory import RESOLVED_ISSUER_CIK, process_directory, resolve_issuer
from consumers.limits import Limits
from consumers.parsing import ParseError, Reason, parse_document
from consumers.parsing.core.model import Filing, provenance_field
from consumers.parsing.document import DocumentHints


@dataclass(slots=True)
class Job:
    data: bytes
    accession_number: str | None = None
    filed_at: dt.datetime | None = None
    content_type: str | None = None


@dataclass(slots=True)
class Outcome:
    """Records or the ParseError that says why not (the DLQ entry's content), plus what
    metrics need."""

    records: list[OutputRecord] = field(default_factory=list)
    failure: ParseError | None = None
    source_format: str = "unknown"
    form_type: str | None = None
    parse_seconds: float = 0.0
    output_bytes: int = 0  # the records' Avro bytes: what the batch's byte budget counts
    # (kind, field) -> how many values of the filing are marked so (kind: unread, unverified)
    marks: dict[tuple[str, str], int] = field(default_factory=dict)
    issuer_cik: str = "missing"  # where the issuer CIK came from: printed, resolved or missing


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
    """Parse one event and encode its records within `limits`; with `encode` the Avro
    single-object bytes travel back, else the record dicts (a Schema Registry serializer in
    the main process encodes them; the bytes measured here bound what it will produce)."""
    from consumers.parsing.core.records import content_fallback_id, filing_records

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
    resolve_issuer(filing, process_directory())
    try:
        records = filing_records(filing, fallback_id=content_fallback_id(job.data))
        payloads = _encoder().encode_all(
            records, limits.max_record_bytes, limits.max_filing_output_bytes
        )
    except OutputTooLarge as exc:
        failure = ParseError(Reason.RECORD_TOO_LARGE, str(exc), stage="limit")
    except Exception as exc:
        failure = ParseError(
            Reason.INTERNAL_ERROR, f"encoding failed: {type(exc).__name__}: {exc}", stage="encode"
        )
    else:
        return Outcome(
            records=_outputs(records, payloads, encode),
            source_format=filing.source_format,
            form_type=filing.form_type,
            parse_seconds=time.perf_counter() - started,
            output_bytes=sum(map(len, payloads)),
            marks=provenance_counts(filing),
            issuer_cik=issuer_cik_origin(filing),
        )
    failure.source_format = filing.source_format
    failure.accession_number = filing.accession_number or job.accession_number
    return Outcome(
        failure=failure,
        source_format=filing.source_format,
        form_type=filing.form_type,
        parse_seconds=time.perf_counter() - started,
    )


def provenance_counts(filing: Filing) -> dict[tuple[str, str], int]:
    """How many values of a filing are unread or unverified, by field (once per filing for
    its context, once per line for a line's own fields)."""
    counts: Counter[tuple[str, str]] = Counter()
    provenance = filing.provenance
    for kind, paths in (("unread", provenance.unread), ("unverified", provenance.unverified)):
        counts.update((kind, provenance_field(path)) for path in paths)
    for line in filing.lines:
        counts.update(("unread", name) for name in line.unread_fields)
        counts.update(("unverified", name) for name in line.unverified_fields)
    return dict(counts)


def issuer_cik_origin(filing: Filing) -> str:
    if filing.issuer.cik is None:
        return "missing"
    return "resolved" if RESOLVED_ISSUER_CIK in filing.provenance.resolved else "printed"


def _outputs(
    records: list[dict[str, Any]], payloads: list[bytes], encode: bool
) -> list[OutputRecord]:
    return [
        OutputRecord(
            record_id=record["record_id"],
            key=record_key(record),
            table=record["table"],
            transaction_code=record["transaction_code"],
            accession_number=record["accession_number"],
            payload=payload if encode else None,
            record=None if encode else record,
        )
        for record, payload in zip(records, payloads, strict=True)
    ]


def failure_of(error: ParseError, job: Job) -> ParseError:
    """The error with what the event knows filled in (its accession number, a format)."""
    error.source_format = error.source_format or "unknown"
    error.accession_number = error.accession_number or job.accession_number
    return error
