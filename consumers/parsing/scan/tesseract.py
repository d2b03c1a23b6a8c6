"""Re-reading cell crops with tesseract's C API (tesserocr): one engine per worker, one call
per crop.

The engine loads its model once per worker process and reads each crop in place: no process
spawned, no PNG encoded, no sheet of stacked crops to split and assign back (measured on the
corpus scans: half the time of one `tesseract` run per sheet of crops). Each crop is bounded
by tesseract's own 32,767-pixel image limit and a pixel budget, and each recognition by what is
left of the caller's timeout (tesseract cancels itself at it), so a hostile page costs at most
its budget. Tesseract is optional: without tesserocr or its English model `available()` is
False and callers fall back to what the text layer says, strictly.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from consumers.limits import TESSERACT_TIMEOUT_SECONDS

# White margin around each crop: tesseract misses glyphs that touch the image's edge.
MARGIN_PIXELS = 24
# Tesseract refuses an image over 32,767 pixels a side ("Image too large"); a crop is also
# kept under a pixel count no form cell comes near (a whole Letter page at 450 dpi is 19 Mpx).
MAX_CROP_SIDE_PIXELS = 30_000  # its white margins added, still under 32,767
MAX_CROP_PIXELS = 24_000_000
# Where Debian (tesseract-ocr-eng), Homebrew and source builds put the English model.
_TESSDATA_GLOBS = (
    "/usr/share/tesseract-ocr/*/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
    "/opt/homebrew/share/tessdata",
)
_LANGUAGE = "eng"


class RecognitionTimeout(Exception):
    """Tesseract cancelled a crop's recognition at the caller's deadline."""


@dataclass(frozen=True)
class CropRead:
    """A crop's text (its lines joined by newlines), the lowest word confidence (0-100), and
    each line's text with its vertical middle in the crop's pixels."""

    text: str
    confidence: float
    lines: tuple[tuple[float, str], ...] = ()


def tessdata_path() -> Path | None:
    """The folder holding the English model: $FORM4_TESSDATA, $TESSDATA_PREFIX, or where the
    usual packages install it."""
    configured = os.environ.get("FORM4_TESSDATA") or os.environ.get("TESSDATA_PREFIX")
    candidates = [Path(configured)] if configured else []
    if not os.environ.get("FORM4_TESSDATA"):
        for pattern in _TESSDATA_GLOBS:
            candidates += sorted(Path("/").glob(pattern.lstrip("/")))
    return next((p for p in candidates if (p / f"{_LANGUAGE}.traineddata").is_file()), None)


def available() -> bool:
    try:
        import tesserocr  # noqa: F401
    except ImportError:
        return False
    return tessdata_path() is not None


_ENGINES = threading.local()  # a tesseract engine is not to be shared between threads


def _engine(tessdata: str) -> Any:
    """This thread's engine (page segmentation "uniform block"), built on first use: the
    model loads once per worker, not once per read."""
    import tesserocr

    engines = _ENGINES.__dict__.setdefault("by_path", {})
    if tessdata not in engines:
        engine = tesserocr.PyTessBaseAPI(
            path=tessdata, lang=_LANGUAGE, psm=tesserocr.PSM.SINGLE_BLOCK
        )
        # A line read with low confidence is read again inverted (white on black) by default;
        # our crops are levelled to black ink on white paper, so that second read is waste.
        engine.SetVariable("tessedit_do_invert", "0")
        engines[tessdata] = engine
    return engines[tessdata]


def read_crops(
    crops: list[Image.Image],
    whitelist: str | None = None,
    timeout: float = TESSERACT_TIMEOUT_SECONDS,
) -> list[CropRead]:
    """Read each crop (grey, already scaled), optionally under a character whitelist;
    `timeout` bounds all the reads together (RecognitionTimeout past it)."""
    if not crops:
        return []
    tessdata = tessdata_path()
    if tessdata is None:
        raise FileNotFoundError("tesseract's English model (tesseract-ocr-eng) is not installed")
    engine = _engine(str(tessdata))
    engine.SetVariable("tessedit_char_whitelist", whitelist or "")
    deadline = time.monotonic() + timeout
    reads = []
    for crop in crops:
        fitted = bounded(crop)
        engine.SetImage(_framed(fitted))
        left = deadline - time.monotonic()
        if left <= 0 or not engine.Recognize(timeout=max(1, int(left * 1000))):
            raise RecognitionTimeout(f"tesseract ran past {timeout:g}s")
        reads.append(_crop_read(engine.GetTSVText(0), crop.height / fitted.height))
    return reads


def bounded(crop: Image.Image) -> Image.Image:
    """The crop, shrunk (aspect kept) when a side or its area is past what tesseract takes."""
    side = max(crop.size)
    area = crop.width * crop.height
    factor = min(1.0, MAX_CROP_SIDE_PIXELS / side, (MAX_CROP_PIXELS / area) ** 0.5)
    if factor >= 1.0:
        return crop
    size = (max(1, int(crop.width * factor)), max(1, int(crop.height * factor)))
    return crop.resize(size, Image.Resampling.BOX)


def _framed(crop: Image.Image) -> Image.Image:
    framed = Image.new("L", (crop.width + 2 * MARGIN_PIXELS, crop.height + 2 * MARGIN_PIXELS), 255)
    framed.paste(crop, (MARGIN_PIXELS, MARGIN_PIXELS))
    return framed


def _crop_read(tsv: str, scale: float = 1.0) -> CropRead:
    """Words kept in tesseract's own lines, the lines ordered top to bottom; `scale` takes
    their positions back to the crop's pixels from those of the crop as shrunk (bounded)."""
    lines: dict[tuple[str, str, str], list[tuple[int, int, int, str]]] = {}
    confidences: list[float] = []
    for row in tsv.splitlines():
        cols = row.split("\t")
        if len(cols) != 12 or not cols[11].strip():
            continue
        key = (cols[2], cols[3], cols[4])  # block, paragraph, line
        lines.setdefault(key, []).append((int(cols[7]), int(cols[6]), int(cols[9]), cols[11]))
        confidences.append(float(cols[10]))
    ordered = sorted(lines.values(), key=lambda words: min(w[0] for w in words))
    texts = [" ".join(w[3] for w in sorted(ws, key=lambda w: w[1])) for ws in ordered]
    middles = [
        scale * (sum(w[0] + w[2] / 2 for w in ws) / len(ws) - MARGIN_PIXELS) for ws in ordered
    ]
    return CropRead(
        "\n".join(texts), min(confidences, default=0.0), tuple(zip(middles, texts, strict=True))
    )
