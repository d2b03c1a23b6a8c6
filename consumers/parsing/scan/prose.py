"""The page below its grids (footnotes, remarks, signature) re-read from the image, line by
line, each repeated line once.

A filing of many transactions repeats its footnotes' boilerplate thirty times ("...upon
request, full information regarding the number of shares sold at each separate price...").
Tesseract's time is per character (about 2,700 a second here, whatever the scale), so such a
page spent most of its budget reading one sentence again and again. A line is read once when
the scan's text layer says exactly what it says for an earlier line, with enough letters and
no digit (figures are what differs between such footnotes), and its ink is as wide and as tall
to a pixel. On a noisy scan the layer reads each print of a line differently ("Inc., any
securlty holder of Testa" / "Ing, any Secunty holder of Testa"), so a line is also a repeat
when the layer's text is merely like the earlier one's (REPEAT_LIKENESS). That costs no
wrong value: a footnote's text stands only where the layer says exactly what was read
(reader.withhold_unconfirmed_prose), so a repeat that is in fact another line is left
unread, never taken for the earlier one.
"""

from __future__ import annotations

from bisect import bisect_left
from difflib import SequenceMatcher
from typing import Any

from pdfplumber.utils import extract_text
from PIL import Image

from consumers.parsing.grid.text import normalise
from consumers.parsing.scan import page_image
from consumers.parsing.scan.cells import TEXT_DPI, Deadline, rescale

# The lines every Form 3, 4 and 5 prints last, below its signature: they say nothing about
# the filing, and at about 600 characters they were a fifth of a one-page filing's prose read.
FORM_FOOTER = (
    "Reminder: Report on a separate line for each class of securities beneficially owned "
    "directly or indirectly.",
    "* If the form is filed by more than one reporting person, see Instruction 4 (b)(v).",
    "** Intentional misstatements or omissions of facts constitute Federal Criminal Violations "
    "See 18 U.S.C. 1001 and 15 U.S.C. 78ff(a).",
    "Note: File three copies of this Form, one of which must be manually signed. If space is "
    "insufficient, see Instruction 6 for procedure.",
    "Persons who respond to the collection of information contained in this form are not "
    "required to respond unless the form displays a currently valid OMB Number.",
)
FOOTER_LIKENESS = 0.7  # a noisy layer's "Reminder: Reponoa rsentat e ine fr each class of..."
MIN_REPEATED_LETTERS = 20  # a shorter line ("this footnote.") is cheap to read again anyway
SAME_SIZE_PIXELS = 1  # two prints of one line differ in width and height by at most this
# Two noisy layer reads of one printed line were measured this alike or more (JPEG and speckled
# scans of the Tesla sale footnotes); lines of other words are rarely one pixel as wide.
REPEAT_LIKENESS = 0.7


def _footer(said: str) -> bool:
    """Whether the layer's line is one of the form's own last lines, however noisily read."""
    low = said.lower()
    return len(said) >= MIN_REPEATED_LETTERS and any(
        SequenceMatcher(None, low, line.lower(), autojunk=False).ratio() >= FOOTER_LIKENESS
        for line in FORM_FOOTER
    )


def _repeatable(said: str) -> bool:
    return sum(ch.isalpha() for ch in said) >= MIN_REPEATED_LETTERS and not any(
        ch.isdigit() for ch in said
    )


def reread_lines(
    grey: Image.Image,
    dpi: float,
    top_points: float,
    chars: list[dict[str, Any]],
    deadline: Deadline,
) -> str:
    """The text of the page image below `top_points`, one line of ink to a text line, but for
    the form's footer (FORM_FOOTER) where the layer reads it last; `chars` are the text
    layer's characters in the image's frame."""
    scale = dpi / 72.0
    offset = round(top_points * scale) + 2
    area = grey.crop((0, offset, grey.width, grey.height))
    ink = page_image.threshold(area)
    lines = page_image.text_lines(ink, dpi)
    said = [" ".join(text.split()) for text in _layer_lines(chars, lines, offset, scale)]
    kept = len(lines)
    while kept and _footer(said[kept - 1]):
        kept -= 1
    if kept < len(lines):
        if kept == 0:
            return ""
        footer_top = lines[kept][1]
        lines, said = lines[:kept], said[:kept]
        area, ink = (image.crop((0, 0, area.width, footer_top)) for image in (area, ink))
    read_as = _read_as(lines, said)
    if all(read_as[index] == index for index in range(len(lines))):
        box = page_image.ink_box(ink)
        if box is None:
            return ""
        (read,) = deadline.read([rescale(area.crop(box), dpi, TEXT_DPI)])
        return read.text
    # Each run of lines between repeats read as a block of its own, as printed: tesseract reads
    # a short line alone worse than within its page, and one block of the lines left (the
    # repeats cut out, or painted out) worse still, its short lines stacked at the left read as
    # a column of their own ("1. The price" read ". The price"). Each repeat then takes the
    # text read on its first print.
    left = min(line[0] for line in lines)
    right = max(line[2] for line in lines)
    runs: list[tuple[int, int]] = []  # rows of the area, top to bottom
    for index, (_, upper, _, lower) in enumerate(lines):
        if read_as[index] != index:
            continue
        if runs and read_as[index - 1] == index - 1:
            runs[-1] = (runs[-1][0], lower)
        else:
            runs.append((upper, lower))
    crops = [
        rescale(area.crop((left, upper, right, lower)), dpi, TEXT_DPI) for upper, lower in runs
    ]
    factor = TEXT_DPI / dpi
    placed = [
        (upper + middle / factor, text)
        for (upper, _), read in zip(runs, deadline.read(crops), strict=True)
        for middle, text in read.lines
    ]
    on_line: dict[int, list[str]] = {}
    for middle, text in placed:
        on_line.setdefault(_nearest_line(lines, middle), []).append(text)
    for index, (_, upper, _, lower) in enumerate(lines):
        if read_as[index] != index:
            placed.append(((upper + lower) / 2, " ".join(on_line.get(read_as[index], []))))
    return "\n".join(text for _, text in sorted(placed, key=lambda entry: entry[0]) if text)


def _read_as(lines: list[tuple[int, int, int, int]], said: list[str]) -> list[int]:
    """For each line, the line whose read it takes: an earlier line read that it repeats (as
    wide and as tall, its layer text alike and repeatable), or its own."""
    first_reads: list[int] = []  # lines read for themselves that a later line may repeat
    read_as: list[int] = []
    for index, line in enumerate(lines):
        earlier = (
            next((e for e in first_reads if _repeats(lines[e], said[e], line, said[index])), None)
            if _repeatable(said[index])
            else None
        )
        if earlier is None:
            first_reads.append(index)
            earlier = index
        read_as.append(earlier)
    return read_as


def _repeats(
    first: tuple[int, int, int, int], said_first: str, line: tuple[int, int, int, int], said: str
) -> bool:
    """`line` prints what `first` does: its ink as wide and as tall, its layer text alike."""
    sizes = ((box[2] - box[0], box[3] - box[1]) for box in (first, line))
    if any(abs(a - b) > SAME_SIZE_PIXELS for a, b in zip(*sizes, strict=True)):
        return False
    if said == said_first:
        return True
    matcher = SequenceMatcher(None, said_first, said, autojunk=False)
    return (
        _repeatable(said_first)
        and matcher.real_quick_ratio() >= REPEAT_LIKENESS
        and matcher.quick_ratio() >= REPEAT_LIKENESS
        and matcher.ratio() >= REPEAT_LIKENESS
    )


def _nearest_line(lines: list[tuple[int, int, int, int]], middle: float) -> int:
    """The line of ink a read line's middle falls in, or lies nearest to."""
    return min(
        range(len(lines)),
        key=lambda i: max(lines[i][1] - middle, middle - lines[i][3], 0.0),
    )


def _layer_lines(
    chars: list[dict[str, Any]],
    lines: list[tuple[int, int, int, int]],
    offset: int,
    scale: float,
) -> list[str]:
    """What the text layer says on each line of ink. An OCR layer's character box reaches
    from its line's ascent down to the bottom of its ink, so it may overlap the line above
    too: each character goes to the line it overlaps whose ink ends nearest its box's end."""
    spans = [((top + offset) / scale, (bottom + offset) / scale) for _, top, _, bottom in lines]
    bottoms = [lower for _, lower in spans]
    on_line: list[list[dict[str, Any]]] = [[] for _ in lines]
    for char in chars:
        overlapped = []
        for index in range(bisect_left(bottoms, char["top"]), len(spans)):  # ending below its top
            if spans[index][0] >= char["bottom"]:
                break  # this line and the rest start below the box
            overlapped.append(index)
        if overlapped:
            nearest = min(overlapped, key=lambda i: abs(bottoms[i] - char["bottom"]))
            on_line[nearest].append(char)
    return [normalise(extract_text(found)) if found else "" for found in on_line]
