"""Filings/s of the full parse (bytes -> records) vs a bare lxml parse of the same bytes, same run.

    python bench/parse_xml.py [DIR ...] [--rounds N] [--cli-copies N]

Defaults to ../shared/corpus ownership XMLs (or tests/fixtures/xml). Single process, one core.
Adds edgartools' Form 4 parse as a second baseline when it is installed, then times the
`form4 parse` CLI over thousands of files against a bare lxml loop over the same files.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from consumers.parsing import parse_document  # noqa: E402
from consumers.parsing.core.records import filing_records  # noqa: E402


def _files(dirs: list[str]) -> list[bytes]:
    candidates = [Path(d) for d in dirs] or [
        ROOT.parent / "shared" / "corpus" / "ownership-xml",
        ROOT / "tests" / "fixtures" / "xml",
    ]
    for directory in candidates:
        paths = sorted(directory.glob("*.xml"))
        if paths:
            return [p.read_bytes() for p in paths]
    raise SystemExit("no XML files found")


def _rate(fn, docs: list[bytes], rounds: int) -> float:
    best = 0.0
    for _ in range(rounds):
        started = time.perf_counter()
        for doc in docs:
            fn(doc)
        best = max(best, len(docs) / (time.perf_counter() - started))
    return best


def _full(doc: bytes) -> None:
    filing_records(parse_document(doc))


def _bare_lxml(doc: bytes) -> None:
    etree.fromstring(doc)


def _edgartools():
    try:
        from edgar.ownership import Form4  # type: ignore[import-not-found]
    except ImportError:
        return None
    return lambda doc: Form4.parse_xml(doc.decode("utf-8"))


_BARE_LXML_SCRIPT = """
import sys
from pathlib import Path
from lxml import etree
for path in sorted(Path(sys.argv[1]).iterdir()):
    etree.fromstring(path.read_bytes())
"""


def _cli_comparison(docs: list[bytes], copies: int) -> None:
    """`form4 parse` over thousands of files vs a bare lxml loop over the same files, both as
    fresh processes (interpreter start-up included on both sides), stdout to /dev/null."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        n = 0
        for copy in range(copies):
            for doc in docs:
                n += 1
                (folder / f"{9000000000 + copy:010d}{n:08d}.xml").write_bytes(doc)

        def timed(command: list[str]) -> float:
            started = time.perf_counter()
            subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
            return time.perf_counter() - started

        bare = min(timed([sys.executable, "-c", _BARE_LXML_SCRIPT, tmp]) for _ in range(3))
        cli = min(timed([sys.executable, "-m", "consumers", "parse", tmp]) for _ in range(3))
    print(f"CLI over {n} files (fresh processes, best of runs):")
    print(f"  bare lxml loop          : {bare:6.2f} s  ({n / bare:7.0f} files/s)")
    print(f"  form4 parse             : {cli:6.2f} s  ({n / cli:7.0f} files/s)")
    print(
        f"  ratio bare/CLI          : {bare / cli:6.3f}  (the CLI takes {cli / bare:.2f}x as long)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dirs", nargs="*")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--cli-copies", type=int, default=10, help="corpus copies for the CLI run (0: skip)"
    )
    args = parser.parse_args()
    docs = _files(args.dirs)
    _rate(_full, docs, 1)  # warm up imports and caches
    ours = _rate(_full, docs, args.rounds)
    bare = _rate(_bare_lxml, docs, args.rounds)
    print(f"files: {len(docs)}  rounds: {args.rounds} (best of)")
    print(f"form4-stream full parse : {ours:10.0f} filings/s")
    print(f"bare lxml parse         : {bare:10.0f} filings/s")
    print(
        f"ratio full/bare lxml    : {ours / bare:10.3f}  (bare lxml is {bare / ours:.2f}x faster)"
    )
    edgar = _edgartools()
    if edgar is not None:
        try:
            theirs = _rate(edgar, docs, 1)
        except Exception as exc:  # it reaches for the network while parsing
            print(f"edgartools could not parse offline: {type(exc).__name__}")
        else:
            print(
                f"edgartools Form4.parse  : {theirs:10.0f} filings/s  (we are {ours / theirs:.1f}x)"
            )
    else:
        print("edgartools not installed: that baseline skipped (pip install edgartools)")
    if args.cli_copies:
        _cli_comparison(docs, args.cli_copies)


if __name__ == "__main__":
    main()
