"""`form4 parse`: files and directories through the same parse path the stream uses."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from consumers.parsing import ParseError, parse_document
from consumers.parsing.core.records import content_fallback_id, filing_records, records_json_lines
from consumers.parsing.document import DocumentHints, accession_from_name


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files as given; directories walked recursively in name order (hidden files skipped)."""
    for path in paths:
        if path.is_dir():
            yield from (
                p for p in sorted(path.rglob("*")) if p.is_file() and not p.name.startswith(".")
            )
        else:
            yield path


def parse_file(path: Path) -> list[dict[str, Any]]:
    """Records of one file; raises ParseError."""
    data = path.read_bytes()
    filing = parse_document(data, DocumentHints(accession_number=accession_from_name(path.name)))
    return filing_records(filing, fallback_id=content_fallback_id(data))


def parse_paths(
    paths: Iterable[Path], out: TextIO, err: TextIO, avro_path: str | None = None
) -> int:
    """Write records as JSON lines (or Avro), failures to `err`; return the failure count.

    One process: worker processes were measured slower here, since shipping the JSON (each
    record repeats its filing's context) between processes costs more than the parse saves.
    """
    failures = 0
    collected: list[dict[str, Any]] = []
    for path in iter_files(paths):
        try:
            records = parse_file(path)
        except ParseError as error:
            failures += 1
            err.write(_failure_line(path, error))
            continue
        if avro_path:
            collected.extend(records)
        else:
            out.write(records_json_lines(records))
    if avro_path:
        from consumers.avro_codec import write_container
        from consumers.schemas import TRANSACTION

        write_container(avro_path, TRANSACTION, collected)
    return failures


def _failure_line(path: Path, error: ParseError) -> str:
    failure = {
        "file": str(path),
        "reason": str(error.reason),
        "message": error.message,
        "field": error.field,
        "source_format": error.source_format,
    }
    return json.dumps(failure) + "\n"
