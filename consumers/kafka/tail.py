"""Read the output (or DLQ) topic as read_committed and print decoded records: as JSON lines
(the contract, whole), or as a compact aligned table a person reads at a glance."""

from __future__ import annotations

import base64
import time
import uuid
from decimal import Decimal
from typing import Any, TextIO

from confluent_kafka import Consumer

from consumers import limits as bounds
from consumers.kafka.logs import with_client_logger
from consumers.kafka.serde import ValueDecoder
from consumers.parsing.core.records import record_json


def tail_topic(
    bootstrap_servers: str,
    topic: str,
    out: TextIO,
    *,
    from_beginning: bool = True,
    idle_timeout: float = 10.0,
    max_records: int | None = None,
    schema_registry_url: str | None = None,
    registry_client: Any = None,
    extra: dict[str, str] | None = None,
    view: str = "json",
) -> list[dict[str, Any]]:
    """Print records until `idle_timeout` seconds pass without one (or max_records); return them.
    `view`: "json" (one contract record per line) or "table" (TableView)."""
    consumer = Consumer(
        with_client_logger(
            {
                "bootstrap.servers": bootstrap_servers,
                "group.id": f"form4-tail-{uuid.uuid4().hex[:12]}",
                "enable.auto.commit": False,
                "isolation.level": "read_committed",
                "auto.offset.reset": "earliest" if from_beginning else "latest",
                "fetch.max.bytes": 2 * bounds.TOPIC_MAX_MESSAGE_BYTES,
                "max.partition.fetch.bytes": bounds.TOPIC_MAX_MESSAGE_BYTES,
                **(extra or {}),
            }
        )
    )
    decoder = ValueDecoder(schema_registry_url, registry_client)
    table = TableView() if view == "table" else None
    consumer.subscribe([topic])
    records: list[dict[str, Any]] = []
    last = time.monotonic()
    try:
        while time.monotonic() - last < idle_timeout:
            if max_records is not None and len(records) >= max_records:
                break
            message = consumer.poll(0.2)
            if message is None:
                continue
            if message.error():
                continue
            last = time.monotonic()
            record = decoder.decode(message.value() or b"", topic)
            records.append(record)
            out.write(table.row(record) if table else _printable(record) + "\n")
            out.flush()
    finally:
        consumer.close()
    return records


def _printable(record: dict[str, Any]) -> str:
    if isinstance(record.get("original"), bytes):  # DLQ entries: keep the line readable
        shown = dict(record)
        shown["original"] = base64.b64encode(record["original"][:256]).decode() + (
            "..." if len(record["original"]) > 256 else ""
        )
        return record_json(shown)
    return record_json(record)


_RECORD_COLUMNS = (
    ("accession", 20, "<"),
    ("form", 4, "<"),
    ("ticker", 6, "<"),
    ("owner", 24, "<"),
    ("code", 4, "<"),
    ("A/D", 3, "<"),
    ("shares", 14, ">"),
    ("price", 11, ">"),
    ("value", 16, ">"),
    ("owned after", 16, ">"),
)
_FAILURE_COLUMNS = (("accession", 20, "<"), ("reason", 24, "<"), ("message", 70, "<"))


class TableView:
    """One aligned line per record (or dead letter), under a header printed before the first.
    A null is "-"; a value the form prints but that was not read is "unread"; one OCR read
    without confirmation ends in "?" (the record's unread_fields / unverified_fields)."""

    def __init__(self) -> None:
        self._headed: set[str] = set()

    def row(self, record: dict[str, Any]) -> str:
        if "reason" in record and "record_id" not in record:
            return self._line("failure", _FAILURE_COLUMNS, _failure_cells(record))
        return self._line("record", _RECORD_COLUMNS, _record_cells(record))

    def _line(self, kind: str, columns: tuple, cells: list[str]) -> str:
        text = ""
        if kind not in self._headed:
            self._headed.add(kind)
            text = _aligned(columns, [name for name, _, _ in columns]) + "\n"
        return text + _aligned(columns, cells) + "\n"


def _aligned(columns: tuple, cells: list[str]) -> str:
    parts = []
    for (_, width, align), cell in zip(columns, cells, strict=True):
        cell = cell if len(cell) <= width else cell[: width - 1] + "…"
        parts.append(f"{cell:{align}{width}}")
    return "  ".join(parts).rstrip()


def _record_cells(record: dict[str, Any]) -> list[str]:
    owners = [o.get("name") or "?" for o in record.get("reporting_owners") or []]
    owner = owners[0] + (f" +{len(owners) - 1}" if len(owners) > 1 else "") if owners else "-"
    shares, price = record.get("shares"), record.get("price_per_share")
    value = (
        shares * price if shares is not None and price is not None else record.get("total_value")
    )
    return [
        record.get("accession_number") or "-",
        record.get("form_type") or "-",
        (record.get("issuer") or {}).get("trading_symbol") or "-",
        owner,
        _shown(record, "transaction_code"),
        _shown(record, "acquired_disposed"),
        _shown(record, "shares"),
        _shown(record, "price_per_share"),
        "-" if value is None else f"{value:,.2f}",
        _shown(record, "shares_owned_following"),
    ]


def _shown(record: dict[str, Any], field: str) -> str:
    if field in (record.get("unread_fields") or ()):
        return "unread"
    value = record.get(field)
    if value is None:
        return "-"
    text = format(value, ",f") if isinstance(value, Decimal) else str(value)
    return text + ("?" if field in (record.get("unverified_fields") or ()) else "")


def _failure_cells(record: dict[str, Any]) -> list[str]:
    message = " ".join(str(record.get("message") or "").split())
    return [record.get("accession_number") or "-", str(record.get("reason")), message]
