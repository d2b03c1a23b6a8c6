"""PDFs/s of the full parse vs a bare pdfplumber extract_words() of the same pages, same run.

    python bench/parse_pdf.py [DIR] [--limit N]

Defaults to ../shared/corpus/pdf (or tests/fixtures/pdf). One process, one core.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pdfplumber  # noqa: E402

from consumers.parsing import parse_document  # noqa: E402


def _docs(directory: str | None, limit: int) -> list[bytes]:
    for candidate in (
        [Path(directory)]
        if directory
        else [ROOT.parent / "shared" / "corpus" / "pdf", ROOT / "tests" / "fixtures" / "pdf"]
    ):
        paths = sorted(p for p in candidate.glob("*.pdf") if not p.name.startswith("ocr-"))
        if paths:
            return [p.read_bytes() for p in paths[:limit]]
    raise SystemExit("no PDFs found")


def _bare(doc: bytes) -> None:
    with pdfplumber.open(io.BytesIO(doc)) as pdf:
        for page in pdf.pages:
            page.extract_words()


def _full(doc: bytes) -> None:
    parse_document(doc)


def _rate(fn, docs: list[bytes]) -> float:
    started = time.perf_counter()
    for doc in docs:
        fn(doc)
    return len(docs) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("directory", nargs="?")
    parser.add_argument("--limit", type=int, default=60)
    args = parser.parse_args()
    docs = _docs(args.directory, args.limit)
    _full(docs[0])
    bare = _rate(_bare, docs)
    ours = _rate(_full, docs)
    print(f"PDFs: {len(docs)}")
    print(f"bare pdfplumber extract_words : {bare:7.2f} PDFs/s")
    print(f"form4-stream full PDF parse   : {ours:7.2f} PDFs/s")
    print(
        f"ratio full/bare               : {ours / bare:7.3f}  (bare is {bare / ours:.2f}x faster)"
    )


if __name__ == "__main__":
    main()
