"""The form's printed box labels restored in OCR'd cell text ("2 Issuer Narne" -> "2. Issuer Name").

The grid reader finds every box by its label, so one lost dot or misread letter would lose a
box. Labels are fixed text printed on every Form 3/4/5: a line that nearly matches the start
of one is replaced by it. Values are never touched, only lines that read as a label.
"""

from __future__ import annotations

import functools
import re
from difflib import SequenceMatcher

BOX_LABELS = (
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
)
COLUMN_LABELS = (
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
LABELS = BOX_LABELS + COLUMN_LABELS
_MIN_CHARS = 8  # shorter lines ("Code", "(A)") are left to the grid reader's own matching
_MIN_RATIO = 0.85
# A label's number as OCR garbles it on a noisy scan: one letter or a few marks, then a space
# ("i Name and Address", "=, Name-and Address"); a line starting with a word is left alone.
_GARBLED_NUMBER = re.compile(r"^(?:[^\w\s]{1,3}|\w[^\w\s]{0,2})\s")
_SEARCH_MARGIN = 0.2  # a label this far under the bar at the line's length is not it


def _best_prefix(
    line: str, labels: tuple[str, ...] = LABELS, bar: float = _MIN_RATIO
) -> tuple[float, str, int]:
    """(similarity, label prefix, chars of the line it replaces) of the closest label start.

    Each label is first compared at the line's own length; only those within reach of the
    bar are searched over nearby lengths (a wrapped label, a value after it on the line)."""
    best = (0.0, "", 0)
    low = line.lower()
    for label in labels:
        rough = min(len(label), len(line))
        if SequenceMatcher(None, low[:rough], label[:rough].lower(), autojunk=False).ratio() < (
            bar - _SEARCH_MARGIN
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
            if ratio >= _MIN_RATIO and prefix != stripped[:replaced]:
                stripped = prefix + stripped[replaced:]
        elif len(stripped) >= _MIN_BODY_CHARS and stripped[:1].isalpha():
            stripped = _with_lost_number(stripped)
        lines.append(stripped if stripped != line.strip() else line)
    return "\n".join(lines)


# Blur takes a label's small number first ("issuer Name and Ticker or Trading Symbol"): a line
# that starts with this much of a label's words, nearly as printed, is that label.
_MIN_BODY_CHARS = 20


@functools.cache
def _bodies() -> dict[str, str]:
    """Each label's words -> the label, or the words alone where two labels differ only in
    their number ("2." or "3. Issuer Name": which one depends on the form)."""
    numbers: dict[str, set[str]] = {}
    for label in LABELS:
        numbers.setdefault(_LABEL_BODY.sub("", label), set()).add(label)
    return {body: labels.pop() if len(labels) == 1 else body for body, labels in numbers.items()}


def _with_lost_number(line: str) -> str:
    """The line with the label its words start with restored, number and all when only one
    label has those words; the line unchanged when it starts like no label's words."""
    bodies = _bodies()
    ratio, prefix, replaced = _best_prefix(line, tuple(bodies), _MIN_RATIO)
    if ratio < _MIN_RATIO or len(prefix) < _MIN_BODY_CHARS:
        return line
    label = bodies[next(body for body in bodies if body.startswith(prefix))]
    restored = label[: len(label) - len(_LABEL_BODY.sub("", label)) + len(prefix)]
    return restored + line[replaced:]


# A label's words after its number ("Name and Address of Reporting Person*").
_LABEL_BODY = re.compile(r"^\d{1,2}A?\.\s*")
# What precedes a label's first word in the text layer: its number, whole or in pieces.
_BEFORE_FIRST_WORD = re.compile(r"^[^A-Za-z]*(?:[lI](?=[^A-Za-z]))?[^A-Za-z]*")
_LAYER_LABEL_CHARS = 12  # the layer must show this much of a label's words to name it
# A re-read this near a label the text layer names in the same place is that label: two
# independent reads agree (blur leaves "1 Name and 4-2 ess of =---iny Person").
_AGREED_RATIO = 0.55
_WORD_REST = re.compile(r"\w*")
_LABEL_END_CHARS = 2
_TIE = 0.01  # two labels this close are not told apart ("2." or "3. Transaction Date")


def _layer_labels(layer_line: str) -> tuple[str, ...]:
    """The labels whose words the text layer's line starts with, its number lost or not."""
    words = _BEFORE_FIRST_WORD.sub("", layer_line).lower()
    named = []
    for label in LABELS:
        body = _LABEL_BODY.sub("", label).lower()
        # Compared as printed, and without spaces: the layer often splits and joins words
        # ("neNafm e and T}i cker").
        for line, wording in ((words, body), (words.replace(" ", ""), body.replace(" ", ""))):
            length = min(len(wording), len(line))
            if length < _LAYER_LABEL_CHARS:
                continue
            similar = SequenceMatcher(None, line[:length], wording[:length], autojunk=False)
            # the quick ratios bound the ratio from above: most cells fail them at once
            if (
                similar.real_quick_ratio() >= _MIN_RATIO
                and similar.quick_ratio() >= _MIN_RATIO
                and similar.ratio() >= _MIN_RATIO
            ):
                named.append(label)
                break
    return tuple(named)


def _agreed_match(line: str, label: str) -> tuple[float, str, int]:
    """(similarity, label prefix, chars of the line) of the line against one label, read with
    its number or without it ("Name and === <ss of Reporting Fe sur")."""
    number = _LABEL_BODY.match(label)
    numbered = _best_prefix(line, (label,), _AGREED_RATIO)
    if number is None:
        return numbered
    ratio, body, replaced = _best_prefix(line, (label[number.end() :],), _AGREED_RATIO)
    if ratio > numbered[0]:
        return ratio, label[: number.end() + len(body)], replaced
    return numbered


def _word_end(text: str, start: int) -> int:
    """Where the word that `start` falls in ends (`start` itself between words)."""
    word = _WORD_REST.match(text, start)
    return word.end() if word else start


@functools.lru_cache(maxsize=4096)
def restore_agreed_label(text: str, layer: str) -> str:
    """A cell whose first line the re-read garbled past the bar gets the label the text layer
    names there, when the re-read is still nearest that label and no other one as near
    (cached, as restore_labels is: each data cell's text is made twice)."""
    first, newline, rest = text.partition("\n")
    line = first.strip()
    named = _layer_labels(layer.strip().split("\n", 1)[0]) if len(line) >= _MIN_CHARS else ()
    if not named:
        return text
    ranked = sorted(((*_agreed_match(line, label), label) for label in named), reverse=True)
    ratio, prefix, replaced, label = ranked[0]
    if ratio < _AGREED_RATIO:
        bodies = {_LABEL_BODY.sub("", label) for label in named}
        if len(bodies) > 1 or any(_best_prefix(read)[0] >= _MIN_RATIO for read in text.split("\n")):
            return text
        # The re-read lost the label's line, which the layer reads (blur takes small type
        # first): the box is there, its values are the re-read's.
        return f"{named[0] if len(named) == 1 else bodies.pop()}\n{text}"
    if line.lower().startswith(prefix.lower()):
        return text
    # The match may end inside a word: carry label and line to that word's end.
    prefix = label[: _word_end(label, len(prefix))]
    tail = line[_word_end(line, replaced) :].lstrip()
    if not tail and len(label) - len(prefix) <= _LABEL_END_CHARS:
        prefix = label  # the whole line was the label, its closing marks unread ("Year")")
    tied = {_LABEL_BODY.sub("", other) for near, *_, other in ranked[1:] if near > ratio - _TIE}
    if tied:
        body = _LABEL_BODY.sub("", label)
        if tied != {body}:
            return text  # two labels as near: neither is taken
        # Twins but for the number ("2." or "3. Transaction Date"): the words alone.
        prefix = _LABEL_BODY.sub("", prefix)
    return f"{prefix}{' ' if tail else ''}{tail}{newline}{rest}"


FOOTNOTES_HEADING = "Explanation of Responses:"
# The caption under each signature, which the reader finds signatures by; OCR may lose or
# misread its two small stars ("™ Signature of Reporting Person", "Signature of ...").
SIGNATURE_CAPTION = "** Signature of Reporting Person"
_SIGNATURE_CAPTION = re.compile(r"^\s*[^A-Za-z\s]{0,3}\s*Signature of Reporting Person")
REMARKS_HEADING = "Remarks:"
# A numbered line opens the footnotes: the first of them, where the heading above was lost.
_FIRST_FOOTNOTE = re.compile(r"^[ \t]*1\.\s", re.MULTILINE)


def restore_headings(text: str) -> str:
    """The prose below a scan's grids with its two headings restored, which the reader finds
    footnotes and remarks by: a line starting nearly like one ("Explanation of Rusponses:",
    "Remarks;") gets its exact wording, and a lost footnotes heading is put back above the
    first footnote ("1. "); and the signature's caption with its stars (SIGNATURE_CAPTION)."""
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
    for index, line in enumerate(lines):
        caption = _SIGNATURE_CAPTION.match(line)
        if caption is not None and not line.lstrip().startswith(SIGNATURE_CAPTION):
            lines[index] = SIGNATURE_CAPTION + line[caption.end() :]
    restored = "\n".join(lines)
    first = _FIRST_FOOTNOTE.search(restored)
    if FOOTNOTES_HEADING not in restored and first is not None:
        restored = f"{restored[: first.start()]}{FOOTNOTES_HEADING}\n{restored[first.start() :]}"
    return restored


# The heading each form prints under its title, longest first.
STATEMENTS = (
    ("ANNUAL STATEMENT OF CHANGES IN BENEFICIAL OWNERSHIP", "5"),
    ("INITIAL STATEMENT OF BENEFICIAL OWNERSHIP", "3"),
    ("STATEMENT OF CHANGES IN BENEFICIAL OWNERSHIP", "4"),
)
# The label of the date box each form alone prints (box 2 of Form 3, box 3 of Forms 4 and 5).
DATE_BOX_LABELS = (
    ("DATE OF EVENT REQUIRING STATEMENT", "3"),
    ("DATE OF EARLIEST TRANSACTION", "4"),
    ("FISCAL YEAR ENDED", "5"),
)
# Letters a re-read may get wrong in a heading and still name its form: the three headings
# are at least nine letters apart, and "ANNUAL" before the Form 4 heading is six.
_HEADING_EDITS = 3
_ANNUAL = "ANNUAL"


def form_named_in(text: str) -> str | None:
    """The form a page's text names by its heading or its date box's label, letter for letter
    without spaces or marks (OCR splits and glues words: "CHANGESI N"); None if neither."""
    letters = re.sub(r"[^A-Z]", "", text.upper())
    for label, form in (*STATEMENTS, *DATE_BOX_LABELS):
        if label.replace(" ", "") in letters:
            return form
    return None


def form_by_heading(text: str) -> str | None:
    """The form whose heading a line of a re-read nearly spells (blur reads "OWNERSHIP" as
    "OWNERSIOP"), or None: no heading, or a Form 4 heading after letters nearly "ANNUAL" (a
    Form 5 whose first word was misread further)."""
    for line in text.split("\n"):
        letters = re.sub(r"[^A-Z]", "", line.upper())
        for heading, form in STATEMENTS:
            wanted = heading.replace(" ", "")
            edits, start = _nearest_substring(wanted, letters)
            if edits > _HEADING_EDITS:
                continue
            before = letters[max(0, start - len(_ANNUAL)) : start]
            if form == "4" and _nearest_substring(_ANNUAL, before)[0] <= _HEADING_EDITS:
                return None
            return form
    return None


def _nearest_substring(pattern: str, text: str) -> tuple[int, int]:
    """(edits, start): the fewest edits turning some substring of `text` into `pattern`, and
    where the first such substring starts (approximate matching, Sellers' algorithm)."""
    # costs[j], starts[j]: best edits and start of a match of the pattern so far ending at j
    costs, starts = [0] * (len(text) + 1), list(range(len(text) + 1))
    for index, wanted in enumerate(pattern, 1):
        next_costs, next_starts = [index] + [0] * len(text), [0] * (len(text) + 1)
        for j, seen in enumerate(text, 1):
            options = (
                (costs[j - 1] + (seen != wanted), starts[j - 1]),  # kept or replaced
                (costs[j] + 1, starts[j]),  # a letter the text lost
                (next_costs[j - 1] + 1, next_starts[j - 1]),  # a letter the text added
            )
            next_costs[j], next_starts[j] = min(options)
        costs, starts = next_costs, next_starts
    best = min(range(len(text) + 1), key=lambda j: (costs[j], starts[j]))
    return costs[best], starts[best]


# Pieces of the cell's rulings the text layer reads into it.
_RULING_PIECES = str.maketrans("", "", "|[]{}")
_LABEL_NUMBER = re.compile(r"(\d{1,2}A?)[.,]\s")
_ALONE_RATIO = 0.9
_CUT_REACH = 3  # the layer's text may be this many characters longer or shorter
# What a column's label may print after the words kept in COLUMN_LABELS: "(Instr. 3 and 4)".
_INSTRUCTION_TAIL = re.compile(r"^\(?\s*[Il1i]nstr\b.{0,16}$")


def column_label_alone(layer: str) -> str | None:
    """The column label a table's header cell prints, when the text layer reads the cell as
    nearly that label, its number exact, and nothing more ("4, Securities Acquired | (A) or
    Disposed Of (D) (Instr. 3, 4 and 5)"). A re-read of such a cell would only be restored to
    the same label, so it is not made: the header's labels were a tenth of a page's reads."""
    flat = " ".join(layer.translate(_RULING_PIECES).split())
    number = _LABEL_NUMBER.match(flat)
    if number is None:
        return None
    low = flat.lower()
    for label in COLUMN_LABELS:
        if not label.startswith(f"{number[1]}."):
            continue
        for cut in range(len(label) - _CUT_REACH, len(label) + _CUT_REACH + 1):
            tail = flat[cut:].strip()
            if tail and not _INSTRUCTION_TAIL.match(tail):
                continue
            similar = SequenceMatcher(None, low[:cut], label.lower(), autojunk=False)
            if similar.ratio() >= _ALONE_RATIO:
                return label
    return None
