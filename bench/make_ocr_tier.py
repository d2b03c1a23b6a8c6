"""Make a held-out OCR tier: corpus PDFs rasterised at a chosen resolution and OCR'd by
tesseract into image + text-layer PDFs, the way ../shared/corpus/pdf-ocr was made (150 dpi).

    python bench/make_ocr_tier.py --dpi 120 --out /tmp/ocr120 [--limit 40]

Only filings *not* in corpus/pdf-ocr are used, so the tier is held out from the one the
parser was developed against. Needs the `tesseract` binary (Debian: tesseract-ocr).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pypdfium2

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def ocr_pdf(source: Path, target: Path, dpi: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        images = []
        document = pypdfium2.PdfDocument(str(source))
        for index in range(len(document)):
            bitmap = document[index].render(scale=dpi / 72, grayscale=True)
            path = Path(scratch) / f"page{index:03d}.png"
            bitmap.to_pil().save(path, dpi=(dpi, dpi))
            images.append(str(path))
        document.close()
        listing = Path(scratch) / "pages.txt"
        listing.write_text("\n".join(images) + "\n")
        subprocess.run(
            ["tesseract", str(listing), str(target.with_suffix("")), "pdf"],
            check=True,
            capture_output=True,
            env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"},
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dpi", type=int, default=120)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    known = {p.name for p in (args.corpus / "pdf-ocr").glob("*.pdf")}
    sources = [p for p in sorted((args.corpus / "pdf").glob("*.pdf")) if p.name not in known]
    step = max(1, len(sources) // args.limit)
    chosen = sources[::step][: args.limit]
    args.out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda s: ocr_pdf(s, args.out / s.name, args.dpi), chosen))
    print(f"{len(chosen)} filings OCR'd at {args.dpi} dpi into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
