"""The Avro contracts in schemas/*.avsc, loaded once, wherever the package is installed."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import fastavro

TRANSACTION = "form4_transaction"
PARSE_FAILURE = "parse_failure"
FILING_VERSION = "filing_version"  # form4 current's changelog

_CANDIDATES = (
    Path(__file__).resolve().parent / "_schemas",  # inside an installed wheel
    Path(__file__).resolve().parent.parent / "schemas",  # a source checkout / editable install
)


def schema_dir() -> Path:
    for candidate in _CANDIDATES:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("schemas/*.avsc not found beside the package")


@cache
def raw_schema(name: str) -> dict[str, Any]:
    return json.loads((schema_dir() / f"{name}.avsc").read_text(encoding="utf-8"))


@cache
def parsed_schema(name: str) -> Any:
    return fastavro.parse_schema(raw_schema(name))


def schema_text(name: str) -> str:
    return json.dumps(raw_schema(name))


def field_names(name: str) -> list[str]:
    return [field["name"] for field in raw_schema(name)["fields"]]


@cache
def previous_schemas() -> tuple[tuple[str, Any], ...]:
    """(contract name, parsed schema) of every earlier released version, from
    schemas/history/NAME.VERSION.avsc: what data already on a topic may have been written with."""
    found = []
    for path in sorted((schema_dir() / "history").glob("*.avsc")):
        name = path.name.split(".", 1)[0]
        found.append((name, fastavro.parse_schema(json.loads(path.read_text(encoding="utf-8")))))
    return tuple(found)
