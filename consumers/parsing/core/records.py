"""A Filing flattened to contract records: one self-contained dict per table line."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import fields, is_dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from consumers import PARSER_VERSION
from consumers.parsing.core.model import (
    FILING_CONTEXT_FIELDS,
    LINE_FIELDS,
    STREAM_FIELDS,
    Filing,
    LineKind,
    Provenance,
    TableLine,
)

_TABLE_TAG = {"non_derivative": "T1", "derivative": "T2", None: "T0"}

# A filing with no table line at all (a Form 3 "no securities owned") still yields one record,
# so every consumed filing is visible downstream: table null, kind "no_securities", line 0.
NO_LINES_KIND: LineKind = "no_securities"


def content_fallback_id(data: bytes) -> str:
    """What stands in for a missing accession number in record ids: the document's digest."""
    return hashlib.sha256(data).hexdigest()[:32]


def record_id(accession_number: str | None, table: str | None, line: int, fallback: str) -> str:
    """Deterministic: the same filing always yields the same ids, so consumers can de-duplicate."""
    return f"{accession_number or fallback}:{_TABLE_TAG[table]}:{line}"


def record_id_parts(record_id: str) -> tuple[str, str]:
    """(accession or fallback, line tag) of a record id: "0001234567-26-000001:T1:3" gives
    ("0001234567-26-000001", "T1:3")."""
    accession, table, line = record_id.rsplit(":", 2)
    return accession, f"{table}:{line}"


def standing_key(record: dict[str, Any]) -> str:
    """Where a line stands across its filing's versions: the original's accession (an
    amendment linked by `form4 current` names it in amends_accession) and the line's tag.
    The current view's Kafka key; an original's line keeps its record id as its key."""
    accession, tag = record_id_parts(record["record_id"])
    return f"{record.get('amends_accession') or accession}:{tag}"


def filing_records(filing: Filing, fallback_id: str = "unknown") -> list[dict[str, Any]]:
    """Every record of a filing; `fallback_id` (a content hash) stands in for no accession."""
    context = {name: _context_value(filing, name) for name in FILING_CONTEXT_FIELDS}
    lines = filing.lines or [TableLine(table=None, kind=NO_LINES_KIND, line=0)]
    records = []
    for line in lines:
        record: dict[str, Any] = {
            "record_id": record_id(filing.accession_number, line.table, line.line, fallback_id)
        }
        record.update(context)  # nested context objects are shared between records, read-only
        record.update(_as_dict(line))
        _add_provenance(record, line, filing.provenance)
        record["filing_line_count"] = len(lines)
        record["amends_accession"] = record["amendment_match"] = None
        records.append(record)
    return records


def _add_provenance(record: dict[str, Any], line: TableLine, filing: Provenance) -> None:
    """The record's provenance lists: its line's fields and the filing's paths, sorted."""
    for name, shared in (
        ("unread_fields", filing.unread),
        ("unverified_fields", filing.unverified),
        ("resolved_fields", filing.resolved),
    ):
        own = getattr(line, name)
        record[name] = sorted(shared.union(own)) if shared or own else []


def _context_value(filing: Filing, name: str) -> Any:
    """A filing-context field as the record carries it: nested objects as plain dicts."""
    if name == "parser_version":
        return PARSER_VERSION
    value = getattr(filing, name)
    if is_dataclass(value):
        return _as_dict(value)
    if isinstance(value, list):
        return [_as_dict(item) for item in value]
    return value


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _as_dict(obj: Any) -> dict[str, Any]:
    """Shallow, unlike dataclasses.asdict's deep copy (which cost more than the XML parse);
    a model type's field names are looked up once, not per object."""
    model: type = type(obj)
    return {name: getattr(obj, name) for name in _field_names(model)}


def _json_default(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


# One encoder for every record: json.dumps with options builds a new encoder per call.
_ENCODER = json.JSONEncoder(default=_json_default, ensure_ascii=False, separators=(",", ":"))


def record_json(record: dict[str, Any]) -> str:
    """The contract's JSON: decimals as strings, dates as YYYY-MM-DD, absent values null."""
    return _ENCODER.encode(record)


def records_json_lines(records: list[dict[str, Any]]) -> str:
    """JSON lines of one filing's records (from filing_records: record_id, then the filing
    context, then the line's fields), equal to record_json of each, but the shared context
    (owners, footnotes: most of the bytes) encoded once instead of once per line."""
    if len(records) < 2:
        return "".join(record_json(record) + "\n" for record in records)
    first = records[0]
    context = record_json(
        {k: v for k, v in first.items() if k != "record_id" and k not in _LINE_SET}
    )[1:-1]
    lines = []
    for record in records:
        head = _ENCODER.encode(record["record_id"])
        tail = record_json({name: record[name] for name in _TAIL_FIELDS})[1:-1]
        lines.append(f'{{"record_id":{head},{context},{tail}}}\n')
    return "".join(lines)


_TAIL_FIELDS = (*LINE_FIELDS, *STREAM_FIELDS)
_LINE_SET = frozenset(_TAIL_FIELDS)
