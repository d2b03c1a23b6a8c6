"""Seconds per scanned filing and per page, with 1 and 2 workers, and the share that timed out.

    python bench/scan_speed.py [DIR ...] [--limit N] [--cold] [--workers 1,2]

Defaults to ../shared/corpus/pdf-ocr; give the tiers of bench/make_ocr_tier.py and
bench/make_scan_tier.py as more DIRs. Each filing goes through parse_document, budget and all,
in worker processes (1, then 2 at once, as the stream runs them). The baseline, run in the
same workers on the same pages: one plain tesseract read of each whole page image (what a
scanner's own OCR costs), so the ratio says what reading a form cell by cell adds to it.

--cold times what a user waits: each filing through its own `form4 parse` process, one at a
time, start-up included (the issue's measure: one process per file on a quiet core), and
prints the start-up's share against the warm worker's time of the same filings.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from consumers.parsing import ParseError, Reason, parse_document  # noqa: E402
from consumers.parsing.scan import tesseract  # noqa: E402
from consumers.parsing.scan.layer import DEFAULT_SCAN_DPI  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"


@dataclass(frozen=True)
class Timed:
    seconds: float
    pages: int
    outcome: str  # "emitted" or the failure's reason


def parse_timed(path: Path) -> Timed:
    import pypdfium2

    data = path.read_bytes()
    pages = len(pypdfium2.PdfDocument(data))
    started = time.perf_counter()
    try:
        parse_document(data)
        outcome = "emitted"
    except ParseError as error:
        outcome = error.reason.value
    return Timed(time.perf_counter() - started, pages, outcome)


def ocr_pages_timed(path: Path) -> Timed:
    """The baseline: render each page at its scan resolution and read it once, whole."""
    import pypdfium2

    document = pypdfium2.PdfDocument(path.read_bytes())
    started = time.perf_counter()
    for page in document:
        width_points = page.get_width()
        images = [o for o in page.get_objects() if o.type == pypdfium2.raw.FPDF_PAGEOBJ_IMAGE]
        pixels = max(
            (o.get_px_size()[0] for o in images),
            default=round(width_points * DEFAULT_SCAN_DPI / 72),
        )
        grey = page.render(scale=pixels / width_points, grayscale=True).to_pil().convert("L")
        tesseract.read_crops([grey], timeout=600)
    return Timed(time.perf_counter() - started, len(document), "emitted")


def cold_timed(path: Path) -> Timed:
    """`form4 parse FILE` in a fresh process: imports, tesseract's model load, the parse."""
    import pypdfium2

    pages = len(pypdfium2.PdfDocument(path.read_bytes()))
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "consumers", "parse", "--jobs", "1", str(path)],
        capture_output=True,
        cwd=ROOT,
        check=False,
    )
    seconds = time.perf_counter() - started
    outcome = "emitted" if run.returncode == 0 else "failed"
    if Reason.PARSE_TIMEOUT.value.encode() in run.stderr:
        outcome = Reason.PARSE_TIMEOUT.value
    return Timed(seconds, pages, outcome)


def _warm(_: int) -> None:
    """A worker's engine loaded and imports done before any filing is timed."""
    from PIL import Image

    tesseract.read_crops([Image.new("L", (40, 20), 255)])


def _run(paths: list[Path], workers: int, task) -> list[Timed]:
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_warm, range(workers)))
        return list(pool.map(task, paths))


def _quantile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _report(name: str, workers: int, timed: list[Timed], baseline: float) -> None:
    seconds = [t.seconds for t in timed]
    per_page = [t.seconds / max(1, t.pages) for t in timed]
    timeouts = sum(t.outcome == Reason.PARSE_TIMEOUT.value for t in timed)
    emitted = sum(t.outcome == "emitted" for t in timed)
    print(
        f"{name:12} {workers} worker{'s' if workers > 1 else ' '} {len(timed):4} filings "
        f"median {statistics.median(seconds):5.2f} s  p95 {_quantile(seconds, 0.95):5.2f} s  "
        f"max {max(seconds):5.2f} s  per page {statistics.median(per_page):5.2f} s  "
        f"timeouts {timeouts / len(timed):6.1%}  emitted {emitted / len(timed):6.1%}  "
        f"vs one whole-page OCR: {sum(seconds) / baseline:4.2f}x"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="*", type=Path, default=[CORPUS / "pdf-ocr"])
    parser.add_argument("--limit", type=int, default=25)
    parser.add_argument("--cold", action="store_true", help="also one process per file")
    parser.add_argument("--workers", default="1,2", help="warm worker counts, e.g. 1 or 1,2")
    args = parser.parse_args()
    for directory in args.dirs:
        paths = sorted(directory.glob("*.pdf"))[: args.limit]
        if not paths:
            print(f"{directory}: no PDFs")
            continue
        baseline = sum(t.seconds for t in _run(paths, 1, ocr_pages_timed))
        warm: list[Timed] = []
        for workers in [int(w) for w in args.workers.split(",") if w]:
            timed = _run(paths, workers, parse_timed)
            warm = warm or timed
            _report(directory.name, workers, timed, baseline)
        if args.cold:
            cold = [cold_timed(path) for path in paths]
            _report(f"{directory.name} cold", 1, cold, baseline)
            if warm:
                share = 1 - sum(t.seconds for t in warm) / sum(t.seconds for t in cold)
                print(f"{'':12} start-up (imports, model load) is {share:.0%} of the cold time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
