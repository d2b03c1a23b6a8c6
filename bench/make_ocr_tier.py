"""Make a held-out OCR tier: corpus PDFs rasterised at a chosen resolution and OCR'd by
tesseract into image + text-layer PDFs, the way ../shared/corpus/pdf-ocr was made (150 dpi).

    python bench/make_ocr_tier.py --dpi 120 --out /tmp/ocr120 [--limit 40]

Only filings *not* in corpus/pdf-ocr are used, so the tier is held out from the one the
parser was developed against. Needs the `tesseract` binary (Debian: tesseract-ocr).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pypdfium2
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


_PDFIUM = threading.Lock()  # pdfium is not thread-safe: render one page at a time


def ocr_pdf(
    source: Path,
    target: Path,
    dpi: int,
    degrade: Callable[[Image.Image, int], Image.Image] | None = None,
    keep_resolution: bool = True,
) -> None:
    """Rasterise `source` at `dpi` (each page through `degrade(page, page_number)` when given,
    as a scanner would spoil it) and OCR it into an image + text-layer PDF at `target`; without
    `keep_resolution` the image carries none, and tesseract embeds it at its 70 ppi default."""
    with tempfile.TemporaryDirectory() as scratch:
        images = []
        with _PDFIUM:
            document = pypdfium2.PdfDocument(str(source))
            for index in range(len(document)):
                bitmap = document[index].render(scale=dpi / 72, grayscale=True)
                path = Path(scratch) / f"page{index:03d}.png"
                page = bitmap.to_pil().convert("L")
                if degrade is not None:
                    page = degrade(page, index)
                page.save(path, dpi=(dpi, dpi)) if keep_resolution else page.save(path)
                images.append(str(path))
            document.close()
        listing = Path(scratch) / "pages.txt"
        listing.write_text("\n".join(images) + "\n")
        binary = shutil.which("tesseract")
        if binary is None:
            raise FileNotFoundError("tesseract is not installed (Debian: tesseract-ocr)")
        subprocess.run(
            [binary, str(listing), str(target.with_suffix("")), "pdf"],
            check=True,
            capture_output=True,
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        )


def rescale_pages(data: bytes, factor: float) -> bytes:
    """The same PDF on pages `factor` times the size, everything drawn on them scaled with
    them: what a tool that embeds a scan without its resolution makes (tesseract's 70 ppi
    default turns a 150 dpi letter scan into a page 2.14 times letter), or a PDF printed to
    another paper size."""
    document = pypdfium2.PdfDocument(io.BytesIO(data))
    for index in range(len(document)):
        page = document[index]
        width, height = page.get_size()
        for drawn in list(page.get_objects()):
            drawn.transform(pypdfium2.PdfMatrix().scale(factor, factor))
        page.set_mediabox(0, 0, width * factor, height * factor)
        page.gen_content()
    out = io.BytesIO()
    document.save(out)
    document.close()
    return out.getvalue()


def make_tier(corpus: Path, out: Path, dpi: int, limit: int) -> list[Path]:
    """OCR `limit` filings spread evenly over corpus/pdf, none of them in corpus/pdf-ocr."""
    known = {p.name for p in (corpus / "pdf-ocr").glob("*.pdf")}
    sources = [p for p in sorted((corpus / "pdf").glob("*.pdf")) if p.name not in known]
    step = max(1, len(sources) // limit)
    chosen = sources[::step][:limit]
    out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda s: ocr_pdf(s, out / s.name, dpi), chosen))
    return [out / s.name for s in chosen]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dpi", type=int, default=120)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    chosen = make_tier(args.corpus, args.out, args.dpi, args.limit)
    print(f"{len(chosen)} filings OCR'd at {args.dpi} dpi into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
