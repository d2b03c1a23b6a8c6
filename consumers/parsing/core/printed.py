"""What a printed Form 3/4/5 says, read from its text: dates and amounts as printed, footnote
marks, the city line, and the footnotes, remarks and signatures below the tables.

Shared by every printed-form reader (the grid reader, OCR'd Form text, scans), so each reads
the same printed text the same way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from consumers.limits import LABEL_WINDOW_CHARS, MAX_LABEL_HITS
from consumers.parsing.core.errors import ParseError, Reason
from consumers.parsing.core.model import Footnote, ReportingOwner, Signature
from consumers.parsing.core.values import to_date, to_decimal

# The words security titles are made of: a title word one letter off one of these ("Steck",
# "Stack") is a misread the layer may share, not another word; a row whose title cell has
# none of them is no line of a table (a noisy page's specks read as "ee").
TITLE_WORDS = frozenset(
    re.findall(
        r"\w+",
        "class common stock option options preferred restricted units unit warrant warrants"
        " shares share ordinary right rights performance series convertible notes depositary"
        " deferred phantom limited partnership interests membership award awards equity",
    )
)


def has_title_word(text: str | None) -> bool:
    """`text` has a word security titles are made of (TITLE_WORDS)."""
    return any(word.lower() in TITLE_WORDS for word in re.findall(r"[A-Za-z]+", text or ""))


# A form's title ("FORM 4") is looked for this far into its text: its first page's head.
TITLE_SEARCH_CHARS = 2000

_MARK = re.compile(r"\((\d{1,3})\)")


_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


_SIGNATURE = re.compile(r"^(.*\S)\s+(\d{1,2}/\d{1,2}/\d{4})\s*$")


def split_marks(text: str | None) -> tuple[str | None, list[str]]:
    """`1,123(1)(2)` -> ("1,123", ["F1", "F2"]); empty text -> None."""
    if text is None:
        return None, []
    ids = [f"F{n}" for n in _MARK.findall(text)]
    value = one_line(_MARK.sub(" ", text))
    return (value or None), ids


_WRAPPED_HYPHEN = re.compile(r"(?<=\w-)\s*\n\s*(?=\w)")


def one_line(text: str | None) -> str:
    """One line: wrapped lines joined by a space, but "2010-" + "Seed" is "2010-Seed"."""
    text = text or ""
    if "-\n" in text or "- \n" in text:
        text = _WRAPPED_HYPHEN.sub("", text)
    return " ".join(text.split())


def search_near(
    pattern: re.Pattern[str], text: str, label: str, before: int = 8
) -> re.Match[str] | None:
    """`pattern` searched in a bounded window around each of the first occurrences of `label`
    (from `before` characters ahead of it), so the cost is linear in `text`."""
    start = text.find(label)
    hits = 0
    while start >= 0 and hits < MAX_LABEL_HITS:
        window = text[max(0, start - before) : start + LABEL_WINDOW_CHARS]
        match = pattern.search(window)
        if match:
            return match
        hits += 1
        start = text.find(label, start + len(label))
    return None


def parse_printed_date(text: str | None, field: str):
    if not text:
        return None
    match = _DATE.search(text)
    if not match:
        raise ParseError(Reason.INVALID_DATE, f"{field}: {text!r} is not a date", field=field)
    month, day, year = match.groups()
    return to_date(f"{year}-{int(month):02d}-{int(day):02d}", field)


def parse_printed_number(text: str | None, field: str):
    if not text:
        return None
    cleaned = text.replace("$", "").replace(" ", "")
    return to_decimal(cleaned, field)


def parse_city_line(line: str, owner: ReportingOwner) -> None:
    parts = line.replace(",", " ").split()
    if parts and re.fullmatch(r"\d{5}(?:-\d{4})?|[A-Z0-9]{3,10}", parts[-1]) and len(parts) >= 2:
        owner.zip = parts.pop()
    if parts and re.fullmatch(r"[A-Z]{2}", parts[-1]) and len(parts) >= 2:
        owner.state = parts.pop()
    owner.city = " ".join(parts) or None


def section_between(text: str, start: str, ends: Sequence[str]) -> str | None:
    begin = text.find(start)
    if begin < 0:
        return None
    body = text[begin + len(start) :]
    cut = min((i for i in (body.find(e) for e in ends) if i >= 0), default=len(body))
    return body[:cut]


def footnotes_in(text: str) -> list[Footnote]:
    body = section_between(
        text,
        "Explanation of Responses:",
        ("Remarks:", "Reporting Owners", "** Signature", "Reminder:"),
    )
    if not body:
        return []
    notes: list[Footnote] = []
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    while lines and (_SIGNATURE.match(lines[-1]) or _DATE.fullmatch(lines[-1])):
        lines.pop()  # a signature line printed right above its caption, not footnote text
    for line in lines:
        match = re.match(r"^(\d{1,3})\.\s+(.*)$", line)
        expected = len(notes) + 1
        if match and int(match[1]) == expected:
            notes.append(Footnote(id=f"F{expected}", text=match[2]))
        elif notes:
            notes[-1].text = one_line(f"{notes[-1].text}\n{line}")
    return notes


def remarks_in(text: str) -> str | None:
    start = text.find("Remarks:")
    if start < 0:
        return None
    blocks = signature_blocks(text)
    lines = text.splitlines()
    offset = text.count("\n", 0, start)
    end = len(lines)
    for index in range(offset, len(lines)):
        if lines[index].strip().startswith(("Reporting Owners", "Reminder:", "** Signature")):
            end = index
            break
    end = min([end, *(first for first, _, _ in blocks if first >= offset)])
    body = [lines[offset].split("Remarks:", 1)[1], *lines[offset + 1 : end]]
    return one_line("\n".join(line.strip() for line in body if line.strip())) or None


def signature_blocks(text: str) -> list[tuple[int, int, Signature]]:
    """(first line, caption line, signature) for each "** Signature of Reporting Person".

    The signature sits above its caption, its date on the same line or alone on a line, and a
    long name wraps: "/s/ Travis Shrout, Attorney-in-" / "03/11/2022" / "Fact".
    """
    lines = [line.strip() for line in text.splitlines()]
    blocks = []
    for caption, line in enumerate(lines):
        if not line.startswith("** Signature of Reporting"):
            continue
        for back in range(1, 4):
            index = caption - back
            if index < 0:
                break
            match = _SIGNATURE.match(lines[index])
            alone = _DATE.fullmatch(lines[index])
            if not (match or alone):
                continue
            if match:
                name_lines, first = [match[1], *lines[index + 1 : caption]], index
                date_text = match[2]
            else:
                first = index - 1
                name_lines = [lines[index - 1], *lines[index + 1 : caption]]
                date_text = lines[index]
            name = one_line("\n".join(name_lines))
            blocks.append(
                (
                    first,
                    caption,
                    Signature(name=name, date=parse_printed_date(date_text, "signature_date")),
                )
            )
            break
    return blocks


def signatures_in(text: str) -> list[Signature]:
    return [signature for _, _, signature in signature_blocks(text)]
