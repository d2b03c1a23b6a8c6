"""`form4 parse`: files and directories through the same parse path the stream uses."""

from __future__ import annotations

import contextlib
import json
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, TextIO

from consumers.input_files import iter_files
from consumers.issuers.directory import process_directory, resolve_issuer, use_directory_file
from consumers.parsing import ParseError, parse_document
from consumers.parsing.core.records import content_fallback_id, filing_records, records_json_lines
from consumers.parsing.document import DocumentHints, accession_from_name


def parse_file(path: Path) -> list[dict[str, Any]]:
    """Records of one file; raises ParseError."""
    data = path.read_bytes()
    filing = parse_document(data, DocumentHints(accession_number=accession_from_name(path.name)))
    resolve_issuer(filing, process_directory())
    return filing_records(filing, fallback_id=content_fallback_id(data))


# What one file becomes: its JSON lines (or its records, for an Avro file), or its failure.
FileResult = tuple[str | list[dict[str, Any]] | None, dict[str, Any] | None]


def _parse_for_json(path: Path) -> FileResult:
    try:
        return records_json_lines(parse_file(path)), None
    except ParseError as error:
        return None, _failure(path, error)


def _parse_for_avro(path: Path) -> FileResult:
    try:
        return parse_file(path), None
    except ParseError as error:
        return None, _failure(path, error)


def parse_paths(
    paths: Iterable[Path],
    out: TextIO,
    err: TextIO,
    avro_path: str | None = None,
    jobs: int = 1,
    progress: bool = False,
    issuer_directory: Path | None = None,
) -> int:
    """Write records as JSON lines (or Avro), failures to `err`, then a summary line; return
    the failure count. Output stays in input order whatever `jobs`: files are parsed in
    `jobs` processes (a PDF takes about a second, a scan several) and written as they come
    back in order; `progress` draws a bar on `err` (a terminal); `issuer_directory`, the
    company tickers file rendered filings get their issuer CIK from."""
    from tqdm import tqdm

    files = list(iter_files(paths))
    started = time.perf_counter()
    failed: Counter[str] = Counter()
    collected: list[dict[str, Any]] = []
    parse = _parse_for_avro if avro_path else _parse_for_json
    with (
        contextlib.ExitStack() as stack,
        tqdm(total=len(files), file=err, disable=not progress, unit="file", leave=False) as bar,
    ):
        use_directory_file(issuer_directory)
        results: Iterator[FileResult] = map(parse, files)  # one job: nothing to ship
        if jobs > 1:
            pool = stack.enter_context(
                ProcessPoolExecutor(
                    max_workers=jobs, initializer=use_directory_file, initargs=(issuer_directory,)
                )
            )
            results = pool.map(parse, files, chunksize=_chunk(len(files), jobs))
        for result, failure in results:
            bar.update()
            if failure is not None:
                failed[failure["reason"]] += 1
                bar.clear()
                err.write(json.dumps(failure) + "\n")
            elif isinstance(result, list):
                collected.extend(result)
            elif result:
                out.write(result)
    if avro_path:
        from consumers.avro_codec import write_container
        from consumers.schemas import TRANSACTION

        write_container(avro_path, TRANSACTION, collected)
    summary = {
        "files": len(files),
        "parsed": len(files) - sum(failed.values()),
        "failed": dict(sorted(failed.items())),
        "seconds": round(time.perf_counter() - started, 2),
    }
    err.write(json.dumps({"summary": summary}) + "\n")
    return sum(failed.values())


def _chunk(files: int, jobs: int) -> int:
    """Files per task: small enough to keep every process busy, large enough that shipping
    tasks costs little next to parsing them."""
    return max(1, min(32, files // (jobs * 8) or 1))


def _failure(path: Path, error: ParseError) -> dict[str, Any]:
    return {
        "file": str(path),
        "reason": str(error.reason),
        "message": error.message,
        "field": error.field,
        "source_format": error.source_format,
    }
