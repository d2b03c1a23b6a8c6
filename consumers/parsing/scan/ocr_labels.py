"""The form's printed box labels restored in OCR'd cell text ("2 Issuer Narne" -> "2. Issuer Name").

The grid reader finds every box by its label, so one lost dot or misread letter would lose a
box. Labels are fixed text printed on every Form 3/4/5: a line that nearly matches the start
of one is replaced by it. Values are never touched, only lines that read as a label.
"""

from __future__ import annotations

import functools
import re
from difflib import SequenceMatcher

LABELS = (
    "1. Name and Address of Reporting Person*",
    "2. Issuer Name and Ticker or Trading Symbol",
    "3. Issuer Name and Ticker or Trading Symbol",
    "2. Date of Event Requiring Statement (Month/Day/Year)",
    "3. Date of Earliest Transaction (Month/Day/Year)",
    "3. Statement for Issuer's Fiscal Year Ended (Month/Day/Year)",
    "4. If Amendment, Date of Original Filed (Month/Day/Year)",
    "5. If Amendment, Date of Original Filed (Month/Day/Year)",
    "4. Relationship of Reporting Person(s) to Issuer",
    "5. Relationship of Reporting Person(s) to Issuer",
    "6. Individual or Joint/Group Filing (Check Applicable Line)",
    "1. Title of Security (Instr. 3)",
    "1. Title of Derivative Security (Instr. 3)",
    "2. Transaction Date (Month/Day/Year)",
    "2A. Deemed Execution Date, if any (Month/Day/Year)",
    "3A. Deemed Execution Date, if any (Month/Day/Year)",
    "3. Transaction Code (Instr. 8)",
    "4. Transaction Code (Instr. 8)",
    "4. Securities Acquired (A) or Disposed Of (D) (Instr. 3, 4 and 5)",
    "5. Amount of Securities Beneficially Owned Following Reported Transaction(s)",
    "6. Ownership Form: Direct (D) or Indirect (I) (Instr. 4)",
    "7. Nature of Indirect Beneficial Ownership (Instr. 4)",
    "2. Conversion or Exercise Price of Derivative Security",
    "3. Transaction Date (Month/Day/Year)",
    "5. Number of Derivative Securities Acquired (A) or Disposed of (D)",
    "6. Date Exercisable and Expiration Date (Month/Day/Year)",
    "7. Title and Amount of Securities Underlying Derivative Security",
    "8. Price of Derivative Security (Instr. 5)",
    "9. Number of derivative Securities Beneficially Owned Following Reported Transaction(s)",
    "10. Ownership Form: Direct (D) or Indirect (I) (Instr. 4)",
    "11. Nature of Indirect Beneficial Ownership (Instr. 4)",
)
_MIN_CHARS = 8  # shorter lines ("Code", "(A)") are left to the grid reader's own matching
_MIN_RATIO = 0.85
# A label's number as OCR garbles it on a noisy scan: one letter or a few marks, then a space
# ("i Name and Address", "=, Name-and Address"); a line starting with a word is left alone.
_GARBLED_NUMBER = re.compile(r"^(?:[^\w\s]{1,3}|\w[^\w\s]{0,2})\s")
_SEARCH_MARGIN = 0.2  # a label this far under the bar at the line's length is not it


def _best_prefix(line: str) -> tuple[float, str, int]:
    """(similarity, label prefix, chars of the line it replaces) of the closest label start.

    Each label is first compared at the line's own length; only those within reach of the
    bar are searched over nearby lengths (a wrapped label, a value after it on the line)."""
    best = (0.0, "", 0)
    low = line.lower()
    for label in LABELS:
        rough = min(len(label), len(line))
        if SequenceMatcher(None, low[:rough], label[:rough].lower(), autojunk=False).ratio() < (
            _MIN_RATIO - _SEARCH_MARGIN
        ):
            continue
        for length in {min(len(label), len(line) + d) for d in (-2, -1, 0, 1, 2)}:
            if length < _MIN_CHARS:
                continue
            prefix = label[:length].lower()
            for chars in range(max(1, length - 2), min(len(line), length + 2) + 1):
                matcher = SequenceMatcher(None, low[:chars], prefix, autojunk=False)
                if matcher.real_quick_ratio() <= best[0] or matcher.quick_ratio() <= best[0]:
                    continue
                ratio = matcher.ratio()
                if ratio > best[0]:
                    best = (ratio, label[:length], chars)
    return best


@functools.lru_cache(maxsize=4096)
def restore_labels(text: str) -> str:
    """Each line that starts like a printed label gets the label's exact wording (cached: a
    page's cells are restored again for each row and column the grid reader tries)."""
    lines = []
    for line in text.split("\n"):
        stripped = line.strip()
        if len(stripped) >= _MIN_CHARS and (
            stripped[0].isdigit() or stripped[0] in "lI|L" or _GARBLED_NUMBER.match(stripped)
        ):
            ratio, prefix, replaced = _best_prefix(stripped)
            if ratio >= _MIN_RATIO and prefix.lower() != stripped[:replaced].lower():
                stripped = prefix + stripped[replaced:]
        lines.append(stripped if stripped != line.strip() else line)
    return "\n".join(lines)


FOOTNOTES_HEADING = "Explanation of Responses:"
REMARKS_HEADING = "Remarks:"
# A numbered line opens the footnotes: the first of them, where the heading above was lost.
_FIRST_FOOTNOTE = re.compile(r"^[ \t]*1\.\s", re.MULTILINE)


def restore_headings(text: str) -> str:
    """The prose below a scan's grids with its two headings restored, which the reader finds
    footnotes and remarks by: a line starting nearly like one ("Explanation of Rusponses:",
    "Remarks;") gets its exact wording, and a lost footnotes heading is put back above the
    first footnote ("1. ...")."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        stripped = line.strip()
        for heading in (FOOTNOTES_HEADING, REMARKS_HEADING):
            if stripped.startswith(heading):
                continue
            for length in (len(heading) - 1, len(heading), len(heading) + 1):
                start = stripped[:length]
                if start[-1:] not in ":;.," or len(start) < length:
                    continue  # a heading ends in its colon, however misread
                similar = SequenceMatcher(None, start.lower(), heading.lower(), autojunk=False)
                if similar.ratio() >= _MIN_RATIO:
                    lines[index] = heading + stripped[length:]
                    break
    restored = "\n".join(lines)
    first = _FIRST_FOOTNOTE.search(restored)
    if FOOTNOTES_HEADING not in restored and first is not None:
        restored = f"{restored[: first.start()]}{FOOTNOTES_HEADING}\n{restored[first.start() :]}"
    return restored
