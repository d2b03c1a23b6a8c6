"""`form4 parse --jobs N` throughput against `--jobs 1` over the same PDFs, same run.

    python bench/parse_jobs.py [DIR] [--limit N] [--jobs N]

Defaults to 40 PDFs of ../shared/corpus/pdf (or tests/fixtures/pdf). Each run is the real
command line in a fresh process (start-up included), records to /dev/null; prints files/s of
each and the ratio (the bar on 2 cores: --jobs 2 at >= 1.7x --jobs 1).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pdfs(directory: str | None, limit: int) -> list[Path]:
    candidates = (
        [Path(directory)]
        if directory
        else [ROOT.parent / "shared" / "corpus" / "pdf", ROOT / "tests" / "fixtures" / "pdf"]
    )
    for candidate in candidates:
        paths = sorted(p for p in candidate.glob("*.pdf") if not p.name.startswith("ocr"))
        if paths:
            return paths[:limit]
    raise SystemExit("no PDFs found")


def _seconds(folder: Path, jobs: int) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "consumers", "parse", "--jobs", str(jobs), str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
        cwd=ROOT,
    )
    if result.returncode not in (0, 1):
        raise SystemExit(result.stderr.decode()[-2000:])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("directory", nargs="?")
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    pdfs = _pdfs(args.directory, args.limit)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for pdf in pdfs:
            (folder / pdf.name).symlink_to(pdf.resolve())
        _seconds(folder, 1)  # warm the page cache and imports
        one = _seconds(folder, 1)
        many = _seconds(folder, args.jobs)
    print(f"{len(pdfs)} PDFs, {os.cpu_count()} CPUs")
    print(f"--jobs 1: {one:6.1f} s  {len(pdfs) / one:6.2f} files/s")
    print(f"--jobs {args.jobs}: {many:6.1f} s  {len(pdfs) / many:6.2f} files/s")
    print(f"ratio: {one / many:.2f}x")


if __name__ == "__main__":
    main()
