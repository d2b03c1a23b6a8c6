"""Make a noisy-scan tier: corpus PDFs rendered, spoilt the way real scanners spoil paper, and
OCR'd by tesseract into image + text-layer PDFs (bench/make_ocr_tier.py without the noise).

    python bench/make_scan_tier.py --out /tmp/noisy150 [--dpi 150] [--limit 30] [--seed 7]

Each page gets, drawn per filing from a seeded generator: a skew of up to two degrees either
way, uneven lighting (a gradient across the page), a blur, speckle (dark and light dots),
sometimes a hard threshold (a bitonal fax-like scan), and JPEG compression. Only filings not in
corpus/pdf-ocr are used. Kept out of the tests' hot path: the held-out tier it stands for uses
noise of its own.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image, ImageChops, ImageFilter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.make_ocr_tier import CORPUS, ocr_pdf  # noqa: E402


class ScanNoise:
    """One filing's scanner: its defects drawn once from `seed`, applied to every page."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        self.seed = seed
        self.skew_degrees = rng.uniform(-2.0, 2.0)
        self.lighting = rng.uniform(0.0, 0.35)  # darkest corner: this much darker
        self.blur = rng.uniform(0.3, 1.1)
        self.speckle = rng.uniform(0.0005, 0.004)  # share of pixels flipped
        self.threshold = rng.choice([None, None, rng.randint(150, 200)])
        self.jpeg_quality = rng.randint(25, 70)

    def __call__(self, page: Image.Image, number: int) -> Image.Image:
        rng = random.Random(self.seed * 1000 + number)
        page = page.rotate(
            self.skew_degrees, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255
        )
        gradient = Image.linear_gradient("L").rotate(rng.choice([0, 90, 180, 270]))
        shade = gradient.resize(page.size).point(lambda v: 255 - int(v * self.lighting))
        page = ImageChops.multiply(page, shade)
        page = page.filter(ImageFilter.GaussianBlur(self.blur))
        page = _speckle(page, self.speckle, rng)
        if self.threshold is not None:
            level = self.threshold
            page = page.point(lambda v: 0 if v < level else 255)
        buffer = io.BytesIO()
        page.save(buffer, "JPEG", quality=self.jpeg_quality)
        return Image.open(io.BytesIO(buffer.getvalue())).convert("L")


def _speckle(page: Image.Image, share: float, rng: random.Random) -> Image.Image:
    """Dark dots on paper and light dots in ink, `share` of the pixels each."""
    dots = page.copy()
    pixels = dots.load()
    width, height = page.size
    for _ in range(int(width * height * share)):
        x, y = rng.randrange(width), rng.randrange(height)
        size = rng.choice((1, 1, 2))
        value = 0 if rng.random() < 0.6 else 255
        for dx in range(size):
            for dy in range(size):
                if x + dx < width and y + dy < height:
                    pixels[x + dx, y + dy] = value
    return dots


def make_scan_tier(corpus: Path, out: Path, dpi: int, limit: int, seed: int) -> list[Path]:
    known = {p.name for p in (corpus / "pdf-ocr").glob("*.pdf")}
    sources = [p for p in sorted((corpus / "pdf").glob("*.pdf")) if p.name not in known]
    rng = random.Random(seed)
    chosen = sorted(rng.sample(sources, min(limit, len(sources))))
    out.mkdir(parents=True, exist_ok=True)
    noises = {source: ScanNoise(rng.randrange(1 << 30)) for source in chosen}
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda s: ocr_pdf(s, out / s.name, dpi, noises[s]), chosen))
    return [out / s.name for s in chosen]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--dpi", type=int, default=150)
    parser.add_argument("--limit", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    made = make_scan_tier(args.corpus, args.out, args.dpi, args.limit, args.seed)
    print(f"{len(made)} filings scanned with noise at {args.dpi} dpi into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
