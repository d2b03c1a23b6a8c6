"""Re-reading cell crops with the tesseract binary: one process per sheet of crops, not per cell.

Crops are pasted one under another on white sheets, as few as tesseract's 32,767-pixel image
limit allows, and each sheet is read in one call (page segmentation "uniform block"); each word
comes back to the crop its box lies in, with tesseract's own confidence. Tesseract is optional:
without it `available()` is False and callers fall back to what the text layer says, strictly.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import time
from dataclasses import dataclass

from PIL import Image

GAP_PIXELS = 24
TESSERACT_TIMEOUT_SECONDS = 20.0
# Tesseract refuses an image over 32,767 pixels a side ("Image too large"): sheets stay under.
MAX_SHEET_PIXELS = 30_000


@dataclass(frozen=True)
class CropRead:
    """A crop's text (its lines joined by newlines) and the lowest word confidence (0-100)."""

    text: str
    confidence: float


def tesseract_path() -> str | None:
    return shutil.which(os.environ.get("FORM4_TESSERACT", "tesseract"))


def available() -> bool:
    return tesseract_path() is not None


def read_crops(
    crops: list[Image.Image],
    whitelist: str | None = None,
    timeout: float = TESSERACT_TIMEOUT_SECONDS,
    max_sheet_pixels: int = MAX_SHEET_PIXELS,
) -> list[CropRead]:
    """Read each crop (grey, already scaled) in as few tesseract runs as its image limits
    allow: one sheet per run, each under `max_sheet_pixels` a side (tesseract refuses images
    over 32,767); `timeout` bounds all the runs together."""
    if not crops:
        return []
    binary = tesseract_path()
    if binary is None:
        raise FileNotFoundError("tesseract is not installed")
    deadline = time.monotonic() + timeout
    reads: list[CropRead] = []
    for sheet_crops in sheets(crops, max_sheet_pixels):
        left = deadline - time.monotonic()
        if left <= 0:
            raise subprocess.TimeoutExpired(binary, timeout)
        reads.extend(_read_sheet(binary, sheet_crops, whitelist, left))
    return reads


def sheets(crops: list[Image.Image], max_pixels: int = MAX_SHEET_PIXELS) -> list[list[Image.Image]]:
    """Crops in order, grouped into sheets whose stacked height (gaps included) and width stay
    under `max_pixels`; a crop too big for a sheet on its own is shrunk to fit."""
    room = max_pixels - 2 * GAP_PIXELS
    groups: list[list[Image.Image]] = [[]]
    height = GAP_PIXELS
    for crop in crops:
        if crop.width > room or crop.height > room:
            crop = crop.copy()
            crop.thumbnail((room, room))
        if groups[-1] and height + crop.height + GAP_PIXELS > max_pixels:
            groups.append([])
            height = GAP_PIXELS
        groups[-1].append(crop)
        height += crop.height + GAP_PIXELS
    return groups


def _read_sheet(
    binary: str, crops: list[Image.Image], whitelist: str | None, timeout: float
) -> list[CropRead]:
    width = max(c.width for c in crops) + 2 * GAP_PIXELS
    height = sum(c.height + GAP_PIXELS for c in crops) + GAP_PIXELS
    sheet = Image.new("L", (width, height), 255)
    spans = []
    y = GAP_PIXELS
    for crop in crops:
        sheet.paste(crop, (GAP_PIXELS, y))
        spans.append((y, y + crop.height))
        y += crop.height + GAP_PIXELS
    png = io.BytesIO()
    sheet.save(png, "PNG")
    command = [binary, "stdin", "stdout", "--psm", "6"]
    if whitelist:
        command += ["-c", f"tessedit_char_whitelist={whitelist}"]
    result = subprocess.run(
        [*command, "tsv"],
        input=png.getvalue(),
        capture_output=True,
        timeout=timeout,
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        check=True,
    )
    return _assign(result.stdout.decode("utf-8", "replace"), spans)


def _assign(tsv: str, spans: list[tuple[int, int]]) -> list[CropRead]:
    """Words to the crop their middle lies in, kept in tesseract's own lines."""
    lines: list[dict[tuple[str, str, str], list[tuple[int, int, str]]]] = [{} for _ in spans]
    confidences: list[list[float]] = [[] for _ in spans]
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) != 12 or not cols[11].strip():
            continue
        left, top, height = int(cols[6]), int(cols[7]), int(cols[9])
        middle = top + height / 2
        for index, (first, last) in enumerate(spans):
            if first - GAP_PIXELS / 2 <= middle <= last + GAP_PIXELS / 2:
                key = (cols[2], cols[3], cols[4])  # block, paragraph, line
                lines[index].setdefault(key, []).append((top, left, cols[11]))
                confidences[index].append(float(cols[10]))
                break
    reads = []
    for crop_lines, crop_confidences in zip(lines, confidences, strict=True):
        ordered = sorted(crop_lines.values(), key=lambda words: min(w[0] for w in words))
        text = "\n".join(" ".join(w[2] for w in sorted(ws, key=lambda w: w[1])) for ws in ordered)
        reads.append(CropRead(text, min(crop_confidences, default=0.0)))
    return reads
