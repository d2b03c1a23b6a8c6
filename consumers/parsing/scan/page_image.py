"""What a scanned page's pixels say that its OCR text layer does not: where the rulings are,
where ink sits in a cell, and which trailing glyphs are a raised footnote mark.

Pure PIL on bytes (no numpy): a thresholded row is a byte string, so a ruling is a regex run
of dark bytes, found in C. Coordinates come back in PDF points.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageChops, ImageFilter, ImageStat

DARK_BELOW = 150  # grey level under which a pixel is ink
MIN_HORIZONTAL_POINTS = 30.0  # a ruling is longer than any word's stroke
MIN_VERTICAL_POINTS = 9.0  # taller than a letter of the form's 8-point type
MAX_RULING_POINTS = 3.0  # thicker than this is a filled box, not a ruling
# A ruling has paper this close above and below it, lighter than its ink by this much on
# average (measured: rulings 54-170 grey levels, blurred lines of text 0-20).
RULING_CLEARANCE_POINTS = 1.5
RULING_CONTRAST_LEVELS = 40
JOIN_POINTS = 2.0  # pieces of a ruling this close (across and along it) are one ruling


# A speck of scanner noise is ink with almost none around it; a full stop or an i's dot sits
# within a letter's width of its neighbours.
SPECK_REACH_POINTS = 3.4
SPECK_MAX_INK_SHARE = 0.045
# Clean scans (the corpus, 120 and 150 dpi) have at most 0.3 such pixels in 10,000, all of them
# punctuation; noisy ones 3 to 30: a page under this share is left as it is.
MIN_SPECK_SHARE = 1e-4
# An underline or a ruling left inside a cell: a dark run longer than any word's stroke and
# no thicker than a heavy ruling (a letter's bar is never both).
UNDERLINE_MIN_POINTS = 14.0
UNDERLINE_MAX_PIXELS = 3


# A form page is mostly paper: the level under which PAPER_SHARE of its pixels lie is its
# paper's; the level under which INK_SHARE lie, its ink's. A page whose paper is darker than
# PAPER_WHITE_MIN (a dark scan) or whose ink is lighter than INK_BLACK_MAX (a faint one) is
# stretched to white paper and black ink; any other page is left exactly as it is.
PAPER_SHARE, INK_SHARE = 0.60, 0.005
PAPER_WHITE_MIN, INK_BLACK_MAX = 230, 60
MIN_STRETCHED_CONTRAST = 32  # levels between paper and ink: less is a blank or blackened page


# A blurred scan's ink has soft edges: between ink and paper, the grey range across a pixel's
# 3x3 neighbourhood averages 185 or more on the pages of the other noise families measured
# (clean, JPEG, speckle, strokes, skew, at 150 and 200 dpi; one unevenly lit page of ten read
# 170) and mostly 107-185 on blurred ones. Measured in strips across the page (a quarter of
# it): the rank filters cost about 0.4 s a whole page.
SHARP_EDGE_LEVELS = 185
EDGE_BAND = (64, 192)  # grey levels between ink and paper
BLUR_SAMPLE_STRIPS = 8
# Unsharp masking of a blurred page before anything is read: tesseract's re-reads of its
# small type get back much of what blur took (the blur tier's fields right 57 -> 64%, before
# its words were made to need the layer too).
SHARPEN_RADIUS_POINTS = 0.96  # 2 pixels at 150 dpi
SHARPEN_PERCENT = 150
SHARPEN_THRESHOLD_LEVELS = 2


def blurred(grey: Image.Image) -> bool:
    """Whether the page's ink edges are soft (see SHARP_EDGE_LEVELS); a page without grey
    between ink and paper (a 1-bit fax) is sharp."""
    low, high = EDGE_BAND
    strip = max(1, grey.height // (BLUR_SAMPLE_STRIPS * BLUR_SAMPLE_STRIPS))
    total = counted = 0.0
    for index in range(BLUR_SAMPLE_STRIPS):
        top = (2 * index + 1) * grey.height // (2 * BLUR_SAMPLE_STRIPS)
        part = grey.crop((0, max(0, top - strip), grey.width, min(grey.height, top + strip)))
        spread = ImageChops.subtract(
            part.filter(ImageFilter.MaxFilter(3)), part.filter(ImageFilter.MinFilter(3))
        )
        edge = part.point(lambda v: 255 if low <= v < high else 0)
        near_ink = part.filter(ImageFilter.MinFilter(5)).point(lambda v: 255 if v < low else 0)
        mask = ImageChops.multiply(edge, near_ink)
        pixels = mask.histogram()[255]
        if pixels:
            total += ImageStat.Stat(spread, mask).mean[0] * pixels
            counted += pixels
    return counted > 0 and total / counted < SHARP_EDGE_LEVELS


def sharpened(grey: Image.Image, resolution: float) -> Image.Image:
    """The page unsharp-masked, at a radius that means the same at any resolution."""
    radius = SHARPEN_RADIUS_POINTS * resolution / 72.0
    return grey.filter(ImageFilter.UnsharpMask(radius, SHARPEN_PERCENT, SHARPEN_THRESHOLD_LEVELS))


def _level_at(histogram: list[int], share: float) -> int:
    wanted, seen = share * sum(histogram), 0
    for level, count in enumerate(histogram):
        seen += count
        if seen >= wanted:
            return level
    return 255


def normalise_levels(grey: Image.Image) -> Image.Image:
    """A faint or dark scan as if scanned right: its paper white and its ink black, so the
    ink thresholds (DARK_BELOW) mean on it what they mean on a good scan."""
    histogram = grey.histogram()
    paper, ink = _level_at(histogram, PAPER_SHARE), _level_at(histogram, INK_SHARE)
    if (paper >= PAPER_WHITE_MIN and ink <= INK_BLACK_MAX) or paper - ink < MIN_STRETCHED_CONTRAST:
        return grey  # a good scan, or no contrast to stretch (a blank or blackened page)
    span = paper - ink
    return grey.point([min(255, max(0, (v - ink) * 255 // span)) for v in range(256)])


def despeckle(grey: Image.Image, resolution: float) -> tuple[Image.Image, bool]:
    """The page with its specks of noise painted paper, and whether it had them: OCR reads a
    speck as punctuation, and one in a blank cell makes it look filled. A page with few specks
    (a clean scan, whose lone commas would pass for specks) comes back unchanged."""
    reach = max(1, round(SPECK_REACH_POINTS * resolution / 72.0))
    ink = grey.point(lambda v: 255 if v < DARK_BELOW else 0)
    around = ink.filter(ImageFilter.BoxBlur(reach))
    cutoff = SPECK_MAX_INK_SHARE * 255
    specks = ImageChops.multiply(ink, around.point(lambda v: 255 if v < cutoff else 0))
    if specks.histogram()[255] < MIN_SPECK_SHARE * grey.width * grey.height:
        return grey, False
    cleaned = grey.copy()
    cleaned.paste(255, mask=specks)
    return cleaned, True


def without_underlines(
    grey: Image.Image, ink: Image.Image, resolution: float, blurred: bool = False
) -> Image.Image:
    """The page for reading: long thin dark runs of `ink` (its threshold: underlined names, a
    signature line, pieces of rulings) painted paper, row by row, so OCR neither drops the line
    of text sitting on them nor reads them as characters. Only the run's own rows are painted.
    On a `blurred` page a run needs paper above and below it: blur runs small type into bars
    (elsewhere, a grey scanned ruling's lower rows are no paper, and it is painted all the
    same)."""
    cleaned = grey
    for run in _runs(ink, round(UNDERLINE_MIN_POINTS * resolution / 72.0)):
        if run.last - run.first < UNDERLINE_MAX_PIXELS and (
            not blurred or _paper_beside(grey, run, resolution)
        ):
            if cleaned is grey:
                cleaned = grey.copy()
            cleaned.paste(255, (run.start, run.first, run.end, run.last + 1))
    return cleaned


def threshold(image: Image.Image) -> Image.Image:
    """Grey image -> ink 0 / paper 255, one byte a pixel."""
    return image.convert("L").point(lambda v: 0 if v < DARK_BELOW else 255)


@dataclass
class _Run:
    first: int  # first row (or column) of the run
    last: int
    start: int  # extent along the row
    end: int


def _runs(image: Image.Image, min_length: int) -> list[_Run]:
    """Dark runs of at least min_length pixels per row, merged across adjacent rows."""
    width, height = image.size
    data = image.tobytes()
    pattern = re.compile(rb"\x00{%d,}" % max(1, min_length))
    merged: list[_Run] = []
    open_runs: list[_Run] = []
    for y in range(height):
        still_open = []
        for match in pattern.finditer(data, y * width, (y + 1) * width):
            start, end = match.start() - y * width, match.end() - y * width
            for run in open_runs:
                overlap = min(run.end, end) - max(run.start, start)
                if overlap > 0.8 * min(run.end - run.start, end - start):
                    run.last, run.start, run.end = y, min(run.start, start), max(run.end, end)
                    still_open.append(run)
                    break
            else:
                run = _Run(y, y, start, end)
                merged.append(run)
                still_open.append(run)
        open_runs = still_open
    return merged


def find_rulings(
    image: Image.Image, resolution: float, grey: Image.Image | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(horizontal, vertical) rulings of a thresholded page image as pdfplumber line objects;
    with the `grey` page it was thresholded from, a horizontal run without paper above and
    below it is a blurred line of text, not a ruling."""
    points = 72.0 / resolution
    horizontal = []
    for run in _runs(image, round(MIN_HORIZONTAL_POINTS / points)):
        thickness = (run.last + 1 - run.first) * points
        if thickness > MAX_RULING_POINTS:
            continue
        if grey is not None and not _paper_beside(grey, run, resolution):
            continue
        y = (run.first + run.last + 1) / 2 * points
        horizontal.append(ruling(run.start * points, run.end * points, y, y))
    vertical = []
    transposed = image.transpose(Image.Transpose.TRANSPOSE)
    for run in _runs(transposed, round(MIN_VERTICAL_POINTS / points)):
        thickness = (run.last + 1 - run.first) * points
        if thickness > MAX_RULING_POINTS:
            continue
        x = (run.first + run.last + 1) / 2 * points
        vertical.append(ruling(x, x, run.start * points, run.end * points))
    return _collinear_joined(horizontal, "top", "x0", "x1"), _collinear_joined(
        vertical, "x0", "top", "bottom"
    )


def _paper_beside(grey: Image.Image, run: _Run, resolution: float) -> bool:
    """Within RULING_CLEARANCE_POINTS above and below the run, the page is lighter than the
    run by RULING_CONTRAST_LEVELS on average: a ruling or an underline is drawn across paper,
    while blur (and the sharpening of it) runs a line of text into a bar with ink on one side
    of its darkest rows or both."""
    reach = max(1, round(RULING_CLEARANCE_POINTS * resolution / 72.0))
    core = ImageStat.Stat(grey.crop((run.start, run.first, run.end, run.last + 1))).mean[0]
    above = (run.start, max(0, run.first - reach), run.end, run.first)
    below = (run.start, run.last + 1, run.end, min(grey.height, run.last + 1 + reach))
    sides = [ImageStat.Stat(grey.crop(box)).mean[0] for box in (above, below) if box[3] > box[1]]
    return all(side - core >= RULING_CONTRAST_LEVELS for side in sides)


def shared_ends(vertical: list[dict[str, Any]]) -> list[float]:
    """Where two or more walls (vertical rulings apart) end, top or bottom, within JOIN_POINTS
    of each other: the floor or roof of a row a page break cut. A ruling noise broke in two
    ends where its other piece starts, at its own place: not a floor."""
    ends = sorted(
        (round(line[edge], 1), line["x0"]) for line in vertical for edge in ("top", "bottom")
    )
    shared: list[float] = []
    for (y, x), (next_y, next_x) in itertools.pairwise(ends):
        if next_y - y <= JOIN_POINTS and abs(next_x - x) > JOIN_POINTS and y not in shared:
            shared.append(y)
    return shared


def _collinear_joined(
    lines: list[dict[str, Any]], across: str, start: str, end: str
) -> list[dict[str, Any]]:
    """Pieces of one ruling (broken by noise, or found twice side by side) joined into one,
    so that a piece's end is not taken for the end of a wall."""
    joined: list[dict[str, Any]] = []
    for line in sorted(lines, key=lambda item: (item[start], item[across])):
        for other in joined:
            if (
                abs(other[across] - line[across]) <= JOIN_POINTS
                and line[start] <= other[end] + JOIN_POINTS
            ):
                other[end] = max(other[end], line[end])
                break
        else:
            joined.append(dict(line))
    for line in joined:
        line["width"], line["height"] = line["x1"] - line["x0"], line["bottom"] - line["top"]
    return joined


def ruling(x0: float, x1: float, top: float, bottom: float) -> dict[str, Any]:
    """A ruling as pdfplumber's table finder takes one (top-down points)."""
    return {
        "object_type": "line",
        "x0": x0,
        "x1": x1,
        "top": top,
        "bottom": bottom,
        "width": x1 - x0,
        "height": bottom - top,
    }


def ink_columns(image: Image.Image) -> list[tuple[int, int] | None]:
    """Per column of a thresholded crop: (top, bottom) of its ink, or None when blank."""
    width, height = image.size
    data = image.transpose(Image.Transpose.TRANSPOSE).tobytes()
    columns: list[tuple[int, int] | None] = []
    for x in range(width):
        top = data.find(b"\x00", x * height, (x + 1) * height)
        if top < 0:
            columns.append(None)
        else:
            bottom = data.rfind(b"\x00", x * height, (x + 1) * height)
            columns.append((top - x * height, bottom - x * height))
    return columns


def ink_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    """Bounding box of the ink in a thresholded crop, None for a blank one."""
    inverted = image.point(lambda v: 255 - v)
    return inverted.getbbox()


# On a noisy page a cell's ink box is drawn to its text, not to every speck in the cell: a
# blob of ink under this many square points is a speck unless it lies this near a larger one
# (a full stop, an i's dot, a comma). A speck widening the crop leaves tesseract reading
# nothing at all where a lone "D" sits in a corner (measured on the noisy tiers).
SPECK_MAX_SQUARE_POINTS = 2.6  # 12 pixels at 150 dpi; a digit of the form's type is 20-40
SPECK_NEAR_POINTS = 2.5
MAX_LABELLED_INK_SHARE = 0.3  # a cell of text is mostly paper; labelling costs per pixel


def text_ink_box(image: Image.Image, resolution: float) -> tuple[int, int, int, int] | None:
    """Bounding box of a thresholded crop's text: its blobs of ink (8-connected) but the
    specks lying apart from them; None when there are only specks. A crop mostly ink (a
    filled box, a blackened scan) is no text among specks: its whole ink box, unlabelled."""
    if image.histogram()[0] > MAX_LABELLED_INK_SHARE * image.width * image.height:
        return ink_box(image)
    blobs = _blobs(image)
    least = SPECK_MAX_SQUARE_POINTS * (resolution / 72.0) ** 2
    near = SPECK_NEAR_POINTS * resolution / 72.0
    text = [box for size, box in blobs if size > least]
    if not text:
        return None
    kept = text + [
        box
        for size, box in blobs
        if size <= least and any(_gap(box, other) <= near for other in text)
    ]
    return (
        min(b[0] for b in kept),
        min(b[1] for b in kept),
        max(b[2] for b in kept),
        max(b[3] for b in kept),
    )


def _gap(first: tuple[int, int, int, int], second: tuple[int, int, int, int]) -> int:
    across = max(first[0] - second[2], second[0] - first[2], 0)
    along = max(first[1] - second[3], second[1] - first[3], 0)
    return max(across, along)


def _blobs(image: Image.Image) -> list[tuple[int, tuple[int, int, int, int]]]:
    """(pixel count, box) of each 8-connected blob of ink (0) in a thresholded crop; boxes
    are (left, top, right, bottom) with right and bottom exclusive, as PIL's getbbox."""
    width, height = image.size
    data = bytearray(image.tobytes())
    blobs = []
    start = data.find(0)
    while start >= 0:
        data[start] = 255
        stack = [start]
        size, left, top, right, bottom = 0, width, height, 0, 0
        while stack:
            at = stack.pop()
            y, x = divmod(at, width)
            size += 1
            left, right = min(left, x), max(right, x + 1)
            top, bottom = min(top, y), max(bottom, y + 1)
            for dy in (-1, 0, 1):
                row = y + dy
                if not 0 <= row < height:
                    continue
                for dx in (-1, 0, 1):
                    column = x + dx
                    if 0 <= column < width:
                        neighbour = row * width + column
                        if not data[neighbour]:
                            data[neighbour] = 255
                            stack.append(neighbour)
        blobs.append((size, (left, top, right, bottom)))
        start = data.find(0, start + 1)
    return blobs


def last_line_rows(image: Image.Image) -> tuple[int, int] | None:
    """(first, last) row of the lowest line of ink in a thresholded crop."""
    width, height = image.size
    data = image.tobytes()
    last = None
    for y in range(height - 1, -1, -1):
        inked = data.find(b"\x00", y * width, (y + 1) * width) >= 0
        if inked and last is None:
            last = y
        elif not inked and last is not None:
            return y + 1, last
    return None if last is None else (0, last)


MIN_LINE_POINTS = 2.5  # ink shorter than this (an i's dots, a stray tip) joins the line it is by


def text_lines(image: Image.Image, resolution: float) -> list[tuple[int, int, int, int]]:
    """Boxes of the lines of text in a thresholded crop, top to bottom. Tightly set lines touch
    (a descender, a speck), so a row with almost no ink parts them, and a band as tall as two
    lines is parted at its emptiest row (_parted); a sliver of ink under a few points tall (an
    i's dot over a line with no ascender) joins the line next to it, the one below when as near
    both."""
    width, height = image.size
    data = image.tobytes()
    faint = width // 400
    row_ink = [data.count(b"\x00", y * width, (y + 1) * width) for y in range(height)]
    bands: list[list[int]] = []
    for y in range(height):
        if row_ink[y] <= faint:
            continue
        if bands and bands[-1][1] == y - 1:
            bands[-1][1] = y
        else:
            bands.append([y, y])
    least = MIN_LINE_POINTS * resolution / 72.0
    reach = max(1, round(resolution / 72.0))  # blank rows a sliver may be apart from its line
    index = 0
    while index < len(bands):
        first, last = bands[index]
        above = index > 0 and first - bands[index - 1][1] - 1 <= reach
        below = index + 1 < len(bands) and bands[index + 1][0] - last - 1 <= reach
        if last - first + 1 < least and (above or below):
            neighbour = index - 1 if above else index + 1
            if above and below and bands[index + 1][0] - last <= first - bands[index - 1][1]:
                neighbour = index + 1
            bands[neighbour] = [min(first, bands[neighbour][0]), max(last, bands[neighbour][1])]
            del bands[index]
            index = max(0, index - 1)
            continue
        index += 1
    lines = []
    for first, last in _parted(bands, row_ink):
        box = ink_box(image.crop((0, first, width, last + 1)))
        if box is not None:
            lines.append((box[0], first, box[2], last + 1))
    return lines


# A band of ink this many times the block's usual line height is lines run together.
RUN_TOGETHER_LINES = 1.7
# A row with at most this share of its band's usual ink per row is the gap between two lines
# that noise (a JPEG's blocks, specks) filled: a line's own rows between its ascenders and its
# descenders carry far more.
GAP_INK_SHARE = 0.2


def _parted(bands: list[list[int]], row_ink: list[int]) -> list[list[int]]:
    """The bands, each as tall as two lines or more parted at its emptiest row between them:
    on a noisy scan no row between tightly set lines is free of ink."""
    if not bands:
        return bands
    heights = sorted(last - first + 1 for first, last in bands)
    usual = heights[(len(heights) - 1) // 2]  # the lower median: most bands are single lines
    parted: list[list[int]] = []
    pending = list(bands)
    while pending:
        first, last = pending.pop(0)
        if last - first + 1 < RUN_TOGETHER_LINES * usual:
            parted.append([first, last])
            continue
        inner = range(first + usual // 2, last - usual // 2 + 1)
        rows = sorted(row_ink[first : last + 1])
        gap = min(inner, key=lambda y: row_ink[y], default=None)
        if gap is None or row_ink[gap] > GAP_INK_SHARE * rows[len(rows) // 2]:
            parted.append([first, last])
            continue
        pending[:0] = [[first, gap - 1], [gap + 1, last]]
    return parted


def raised_tail(image: Image.Image, resolution: float, rise_points: float = 1.2) -> int | None:
    """Column where a trailing superscript (a footnote mark like "(2)") begins, or None.

    The form prints marks smaller and raised: their glyphs end at least a point above the
    baseline of the value they follow, which OCR cannot see but the pixels show.
    """
    columns = ink_columns(image)
    glyphs: list[tuple[int, int, int]] = []  # (first column, last column, lowest ink row)
    for x, ink in enumerate(columns):
        if ink is None:
            continue
        if glyphs and glyphs[-1][1] == x - 1:
            first, _, bottom = glyphs[-1]
            glyphs[-1] = (first, x, max(bottom, ink[1]))
        else:
            glyphs.append((x, x, ink[1]))
    if len(glyphs) < 2:
        return None
    lead = sorted(bottom for _, _, bottom in glyphs[: (len(glyphs) + 1) // 2])
    # The value's own glyphs come first; of an even count take the higher bottom, since a comma
    # glued to a digit ("5," of "5,300") hangs below the baseline.
    baseline = lead[(len(lead) - 1) // 2]
    rise = rise_points * resolution / 72.0
    start = None
    for first, _, bottom in reversed(glyphs):
        if bottom <= baseline - rise:
            start = first
        else:
            break
    if start is None or start == glyphs[0][0]:
        return None
    return start


MAX_SKEW_DEGREES = 3.0  # a scanner's feed skews a page a degree or two; more is no form scan
MIN_SKEW_DEGREES = 0.15  # under this a ruling stays within its own thickness across the page
_SKEW_SAMPLE_WIDTH = 800  # the page is measured at about 75 dpi: rulings stay a pixel tall
# Ink in that copy: a thin ruling averaged into a bigger pixel comes out mid-grey, not dark.
_SAMPLE_DARK_BELOW = 200


def estimate_skew(ink: Image.Image) -> float:
    """The angle (degrees, counter-clockwise) that levels the page's rulings and text lines.

    A level page's row profile is sharpest: its rulings and text lines fall each on a few
    rows. The angle is searched coarse to fine over the scanner's range; each trial is one
    rotation and one row-mean resize of a small copy, both in PIL's C code."""
    factor = min(1.0, _SKEW_SAMPLE_WIDTH / ink.width)
    sample = ink.resize(
        (max(1, round(ink.width * factor)), max(1, round(ink.height * factor))),
        Image.Resampling.BOX,
    ).point(lambda v: 255 if v < _SAMPLE_DARK_BELOW else 0)  # ink bright: rotation fills paper

    def sharpness(angle: float) -> float:
        rotated = sample.rotate(angle, resample=Image.Resampling.NEAREST)
        profile = rotated.resize((1, rotated.height), Image.Resampling.BOX).tobytes()
        return float(sum((a - b) ** 2 for a, b in itertools.pairwise(profile)))

    best = 0.0
    for step, reach in ((0.5, MAX_SKEW_DEGREES), (0.1, 0.5), (0.02, 0.1)):
        trials = [best + step * k for k in range(-round(reach / step), round(reach / step) + 1)]
        best = max(trials, key=lambda angle: (sharpness(angle), -abs(angle)))
    return best if abs(best) >= MIN_SKEW_DEGREES else 0.0


def rotate_point(
    x: float, y: float, angle: float, width: float, height: float
) -> tuple[float, float]:
    """Where (x, y) of a page (y down) lands when the page is turned `angle` degrees
    counter-clockwise about its centre, as PIL's Image.rotate turns the page image."""
    radians = math.radians(angle)
    cos, sin = math.cos(radians), math.sin(radians)
    dx, dy = x - width / 2, y - height / 2
    return width / 2 + dx * cos + dy * sin, height / 2 - dx * sin + dy * cos


def level(grey: Image.Image, angle: float) -> Image.Image:
    """The page image turned by `angle` (from estimate_skew), paper filling the corners."""
    if not angle:
        return grey
    return grey.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
