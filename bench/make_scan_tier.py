"""Make a noisy-scan tier: corpus PDFs rendered, spoilt the way real scanners spoil paper, and
OCR'd by tesseract into image + text-layer PDFs (bench/make_ocr_tier.py without the noise).

    python bench/make_scan_tier.py --out /tmp/noisy150 [--dpi 150] [--limit 30] [--seed 7]
                                   [--family classic|clean|speckle|blur|jpeg|...]

A family is one kind of defect, drawn per filing from a seeded generator at a strength of its
own; the same --seed and --limit pick the same filings for every family, so a family's tier
and the `clean` one (no defect) compare filing for filing:

    classic        skew, uneven lighting, blur, speckle, sometimes a hard threshold, JPEG (the
                   recipe of the earlier tiers, kept so their figures reproduce)
    speckle        dark and light dots of varied density (0.05% to 0.8%) and size (1 to 3 px)
    blur           a Gaussian blur of 0.6 to 1.8 px
    jpeg           JPEG at quality 8 to 30
    skew           turned 1 to 3.5 degrees either way
    lighting       a gradient 20% to 55% darker across the page
    fax            1-bit, thresholded at 128 to 200 (a fax; use it with --dpi 200)
    faint          ink faded to grey 110 to 170
    dark           paper darkened to grey 150 to 200
    no_resolution  the image embedded without its resolution (tesseract's 70 ppi: the page is
                   dpi/70 times letter)
  held out (never tuned on; report them apart):
    strokes        strokes thickened or thinned by a pixel
    cut            the page shifted 1% to 4% and cut at its edge

Only filings not in corpus/pdf-ocr are used. Kept out of the tests' hot path: the held-out tier
the issue measures uses noise of its own.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
from collections.abc import Callable
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


def _speckle(page: Image.Image, share: float, rng: random.Random, largest: int = 2) -> Image.Image:
    """Dark dots on paper and light dots in ink, `share` of the pixels each, up to `largest`
    pixels across (the classic recipe's dots: 1 or 2)."""
    dots = page.copy()
    pixels = dots.load()
    width, height = page.size
    for _ in range(int(width * height * share)):
        x, y = rng.randrange(width), rng.randrange(height)
        size = rng.choice((1, 1, 2)) if largest == 2 else rng.randint(1, largest)
        value = 0 if rng.random() < 0.6 else 255
        for dx in range(size):
            for dy in range(size):
                if x + dx < width and y + dy < height:
                    pixels[x + dx, y + dy] = value
    return dots


Defect = Callable[[Image.Image, int], Image.Image]


def _jpeg(page: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    page.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("L")


def _varied_speckle(rng: random.Random) -> Defect:
    share, largest = rng.uniform(0.0005, 0.008), rng.choice((1, 2, 3))
    seed = rng.randrange(1 << 30)

    def spoil(page: Image.Image, number: int) -> Image.Image:
        return _speckle(page, share, random.Random(seed * 1000 + number), largest)

    return spoil


def _faded(low: int, high: int, rng: random.Random, ink: bool) -> Defect:
    """Ink faded to grey (`ink`), or paper darkened to grey."""
    level = rng.randint(low, high)

    def spoil(page: Image.Image, number: int) -> Image.Image:
        if ink:
            return page.point(lambda v: level + (v * (255 - level)) // 255)
        return page.point(lambda v: (v * level) // 255)

    return spoil


def _strokes(rng: random.Random) -> Defect:
    """Strokes grown or worn by part of a pixel on each side (a whole pixel erases the form's
    one-pixel rulings and hairline type at 150 dpi: no scanner does that)."""
    thicker = rng.random() < 0.5
    weight = rng.uniform(0.35, 0.7)

    def spoil(page: Image.Image, number: int) -> Image.Image:
        moved = page.filter(ImageFilter.MinFilter(3) if thicker else ImageFilter.MaxFilter(3))
        return Image.blend(page, moved, weight)

    return spoil


def _cut(rng: random.Random) -> Defect:
    share_x, share_y = rng.uniform(-0.04, 0.04), rng.uniform(-0.04, 0.04)

    def spoil(page: Image.Image, number: int) -> Image.Image:
        dx, dy = int(page.width * share_x), int(page.height * share_y)
        moved = Image.new("L", page.size, 255)
        moved.paste(page, (dx, dy))
        return moved

    return spoil


def _lighting(rng: random.Random) -> Defect:
    depth = rng.uniform(0.2, 0.55)

    def spoil(page: Image.Image, number: int) -> Image.Image:
        gradient = Image.linear_gradient("L").rotate(random.Random(number).choice([0, 90, 180]))
        shade = gradient.resize(page.size).point(lambda v: 255 - int(v * depth))
        return ImageChops.multiply(page, shade)

    return spoil


def _fax(rng: random.Random) -> Defect:
    level = rng.randint(128, 200)
    return lambda page, number: page.point(lambda v: 0 if v < level else 255)


def _blur(rng: random.Random) -> Defect:
    radius = rng.uniform(0.6, 1.8)
    return lambda page, number: page.filter(ImageFilter.GaussianBlur(radius))


def _low_quality(rng: random.Random) -> Defect:
    quality = rng.randint(8, 30)
    return lambda page, number: _jpeg(page, quality)


def _skew(rng: random.Random) -> Defect:
    degrees = rng.uniform(1.0, 3.5) * rng.choice((-1, 1))
    return lambda page, number: page.rotate(
        degrees, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255
    )


# family -> a seeded maker of one filing's defect (None: no defect). no_resolution is a
# defect of the PDF, not of the picture (make_scan_tier drops the image's resolution).
FAMILIES: dict[str, Callable[[random.Random], Defect | None]] = {
    "classic": lambda rng: ScanNoise(rng.randrange(1 << 30)),
    "clean": lambda rng: None,
    "speckle": _varied_speckle,
    "blur": _blur,
    "jpeg": _low_quality,
    "skew": _skew,
    "lighting": _lighting,
    "fax": _fax,
    "faint": lambda rng: _faded(110, 170, rng, ink=True),
    "dark": lambda rng: _faded(150, 200, rng, ink=False),
    "no_resolution": lambda rng: None,
    "strokes": _strokes,
    "cut": _cut,
}
HELD_OUT_FAMILIES = ("strokes", "cut")


def make_scan_tier(
    corpus: Path, out: Path, dpi: int, limit: int, seed: int, family: str = "classic"
) -> list[Path]:
    known = {p.name for p in (corpus / "pdf-ocr").glob("*.pdf")}
    sources = [p for p in sorted((corpus / "pdf").glob("*.pdf")) if p.name not in known]
    rng = random.Random(seed)
    chosen = sorted(rng.sample(sources, min(limit, len(sources))))
    out.mkdir(parents=True, exist_ok=True)
    make = FAMILIES[family]
    noises = {source: make(rng) for source in chosen}
    keep_resolution = family != "no_resolution"
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda s: ocr_pdf(s, out / s.name, dpi, noises[s], keep_resolution), chosen))
    return [out / s.name for s in chosen]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--dpi", type=int, default=150)
    parser.add_argument("--limit", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--family", choices=sorted(FAMILIES), default="classic")
    args = parser.parse_args()
    made = make_scan_tier(args.corpus, args.out, args.dpi, args.limit, args.seed, args.family)
    held = " (held out)" if args.family in HELD_OUT_FAMILIES else ""
    print(
        f"{len(made)} filings scanned with {args.family}{held} noise at {args.dpi} dpi "
        f"into {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
