"""OCR'd Form 3/4/5 text (a .txt, or a PDF whose text layer came from a scan) to a Filing.

OCR text has no reliable columns, so a table line is read as a sequence of typed tokens in the
form's column order (title, date, code, amount, A/D, price, owned after, D/I, nature); a line
that does not fit that grammar, or whose code or numbers are not credible, fails the whole
filing as `ocr_low_confidence`: a wrong number is worse than none.
"""

from __future__ import annotations

import re
from collections import deque

from consumers.limits import MAX_TEXT_LINE_CHARS
from consumers.parsing.core.errors import ParseError, Reason
from consumers.parsing.core.model import (
    DIRECT_INDIRECT,
    TRANSACTION_CODES,
    Filing,
    Footnote,
    Issuer,
    ReportingOwner,
    TableLine,
)
from consumers.parsing.core.printed import (
    TITLE_SEARCH_CHARS,
    one_line,
    parse_city_line,
    parse_printed_date,
    parse_printed_number,
    search_near,
    signature_blocks,
    split_marks,
)
from consumers.parsing.core.validation import owned_after_follows

# Cyrillic and Greek capitals that OCR emits for Latin ones ("МА" for MA).
_HOMOGLYPHS = str.maketrans(
    {
        "А": "A",
        "В": "B",
        "Е": "E",
        "К": "K",
        "М": "M",
        "Н": "H",
        "О": "O",
        "Р": "P",
        "С": "C",
        "Т": "T",
        "Х": "X",
        "У": "Y",
        "а": "a",
        "е": "e",
        "о": "o",
        "р": "p",
        "с": "c",
        "х": "x",
        "Α": "A",
        "Β": "B",
        "Ε": "E",
        "Κ": "K",
        "Μ": "M",
        "Ν": "N",
        "Ο": "O",
        "Ρ": "P",
        "Τ": "T",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2014": "-",
        "\u2013": "-",
    }
)
_DATE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")
_NUMBER = re.compile(r"^\$?\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^\$?\d+(?:\.\d+)?$")
_TAG = re.compile(r"</?[a-z]+>")
_ISSUER = re.compile(r"Trading Symbol\s+(\S.*?)\s*\[\s*([A-Z.\-]{1,10})\s*\]")
_PERIOD = re.compile(r"Date of Earliest Transaction\s*\(Month/Day/Year\)\s*(\d{1,2}/\d{1,2}/\d{4})")
_EXPLANATION = "Explanation of Responses:"
_DATE_LINE = re.compile(r"\n\s*\d{1,2}/\d{1,2}/\d{4}")
_LINE_START = re.compile(r"\n\S")


def normalise(text: str) -> str:
    """Undo OCR's look-alikes and escapes: homoglyphs, `\\$`, `'$`, HTML tags, stray pipes."""
    text = text.translate(_HOMOGLYPHS)
    text = text.replace("\\$", "$").replace("'$", "$").replace("**Remarks:**", "Remarks:")
    text = _TAG.sub("", text)
    return text


def _cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"\t+|\s{2,}", line) if c.strip()]


def _tokens(line: str) -> list[str]:
    """Cells split further at spaces between values, marks kept on their value: `1,123(1)`."""
    tokens: list[str] = []
    for cell in _cells(line):
        if re.fullmatch(r"[A-Za-z][A-Za-z .,'&()-]*[A-Za-z.)]", cell) and not re.fullmatch(
            r"[A-Z](\(\d+\))?", cell
        ):
            tokens.append(cell)  # a text cell (title, nature)
        else:
            tokens.extend(cell.split())
    return tokens


def _parse_line(line: str, number: int) -> TableLine:
    """Table I grammar: title date [deemed] code [V] amount A|D [price] owned D|I [nature]."""
    tokens = _tokens(line)
    where = f"table I line {number}"
    title_parts = []
    while tokens and not _DATE.match(split_marks(tokens[0])[0] or ""):
        title_parts.append(tokens.pop(0))
    row = TableLine(table="non_derivative", kind="transaction", line=number, footnote_ids={})

    def take(field: str) -> str | None:
        value, marks = split_marks(tokens.pop(0))
        if marks:
            row.footnote_ids.setdefault(field, []).extend(marks)
        return value

    title, marks = split_marks(" ".join(title_parts))
    row.security_title = title
    if marks:
        row.footnote_ids["security_title"] = marks
    try:
        row.transaction_date = parse_printed_date(take("transaction_date"), "transaction_date")
        if tokens and _DATE.match(split_marks(tokens[0])[0] or ""):
            row.deemed_execution_date = parse_printed_date(
                take("deemed_execution_date"), "deemed_execution_date"
            )
        code = take("transaction_code")
        if code not in TRANSACTION_CODES:
            raise ValueError(f"code {code!r}")
        row.transaction_code = code
        if tokens and tokens[0] == "V":
            tokens.pop(0)
        amount = take("shares")
        if amount is None or not _NUMBER.match(amount):
            raise ValueError(f"amount {amount!r}")
        row.shares = parse_printed_number(amount, "shares")
        row.acquired_disposed = take("acquired_disposed")
        if row.acquired_disposed not in ("A", "D"):
            raise ValueError(f"A/D {row.acquired_disposed!r}")
        numbers = []
        while tokens and (
            _NUMBER.match(split_marks(tokens[0])[0] or "") or split_marks(tokens[0])[0] is None
        ):
            numbers.append(tokens.pop(0))
        if len(numbers) == 2:
            price, owned = numbers
            value, marks = split_marks(price)
            row.price_per_share = parse_printed_number(value, "price_per_share")
            if marks:
                row.footnote_ids["price_per_share"] = marks
        elif len(numbers) == 1:
            owned = numbers[0]
        else:
            raise ValueError(f"{len(numbers)} numbers after A/D")
        value, marks = split_marks(owned)
        if value is None or "$" in value:
            raise ValueError(f"owned after {owned!r}")
        row.shares_owned_following = parse_printed_number(value, "shares_owned_following")
        if marks:
            row.footnote_ids["shares_owned_following"] = marks
        row.direct_indirect = take("direct_indirect")
        if row.direct_indirect not in DIRECT_INDIRECT:
            raise ValueError(f"D/I {row.direct_indirect!r}")
        if tokens:
            nature, marks = split_marks(" ".join(tokens))
            row.nature_of_ownership = nature
            if marks:
                row.footnote_ids["nature_of_ownership"] = marks
    except (ValueError, IndexError, ParseError) as exc:
        raise ParseError(Reason.OCR_LOW_CONFIDENCE, f"{where} unreadable: {exc}") from None
    return row


def _lines_between(lines: list[str], start: str, stops: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    inside = False
    for line in lines:
        if not inside and line.strip().startswith(start):
            inside = True
            continue
        if inside:
            if line.strip().startswith(stops):
                break
            out.append(line)
    return out


def parse_form_text(raw: str, source_format: str = "text") -> Filing:
    text = normalise(raw)
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    longest = max(map(len, lines), default=0)
    if longest > MAX_TEXT_LINE_CHARS:
        raise ParseError(
            Reason.OCR_LOW_CONFIDENCE,
            f"a line of {longest} characters is not a line of a form",
            stage="limit",
        )
    flat = "\n".join(lines)
    filing = Filing(source_format=source_format)
    form = re.search(r"FORM\s*([345])\b", flat[:TITLE_SEARCH_CHARS])
    if form is None:
        raise ParseError(Reason.OCR_LOW_CONFIDENCE, "no FORM 3/4/5 title found")
    filing.form_type = form[1]
    issuer = search_near(_ISSUER, flat, "Trading Symbol", before=0)
    if issuer is None:
        raise ParseError(Reason.OCR_LOW_CONFIDENCE, "box 2 (issuer and ticker) unreadable")
    filing.issuer = Issuer(name=issuer[1].strip(), trading_symbol=issuer[2])
    period = search_near(_PERIOD, flat, "Date of Earliest Transaction", before=0)
    if period:
        filing.period_of_report = parse_printed_date(period[1], "period_of_report")
    filing.reporting_owners = [_owner(lines)]
    filing.lines = _table_one(lines)
    filing.footnotes = _footnotes(flat)
    remarks = re.search(r"Remarks:[ \t]*(.*?)\n", flat + "\n")
    filing.remarks = (remarks[1].strip() or None) if remarks else None
    filing.signatures = [
        sig
        for _, _, sig in signature_blocks(
            "\n".join(line for line in lines if line.strip() != "Date")
        )
    ]
    return filing


def _owner(lines: list[str]) -> ReportingOwner:
    owner = ReportingOwner()
    for index, line in enumerate(lines):
        if line.strip().startswith("1. Name and Add"):
            for candidate in lines[index + 1 : index + 4]:
                cells = _cells(candidate)
                if cells and re.search(r"[A-Za-z]{2,}", cells[0]) and not cells[0].startswith("["):
                    owner.name = cells[0].strip(" ,")
                    break
            break
    if owner.name is None:
        raise ParseError(Reason.OCR_LOW_CONFIDENCE, "box 1 (reporting person) unreadable")
    checks = "\n".join(lines[:40])
    owner.is_director = bool(re.search(r"(?:^|\t)\s*[xX]\s*\t\s*Director", checks, re.M))
    owner.is_ten_percent_owner = bool(re.search(r"[xX]\s*\t\s*10% Owner", checks))
    owner.is_officer = bool(re.search(r"(?:^|\t)\s*[xX]\s*\t\s*Officer", checks, re.M))
    owner.is_other = bool(re.search(r"[xX]\s*\t\s*Other \(specify", checks))
    if owner.is_officer or owner.is_other:
        owner.officer_title = _title(lines) if owner.is_officer else None
        owner.other_text = _title(lines) if owner.is_other and not owner.is_officer else None
    for line in lines:
        if line.strip().startswith("(City)"):
            break
        cells = _cells(line)
        if (
            len(cells) >= 3
            and re.fullmatch(r"[A-Z]{2}", cells[1])
            and re.fullmatch(r"\d{5}", cells[2])
        ):
            parse_city_line(" ".join(cells[:3]), owner)
            break
    return owner


def _title(lines: list[str]) -> str | None:
    """The officer title: the last cell of the line after the checkbox line, when it is text."""
    for index, line in enumerate(lines):
        if "Officer (give title below)" in line:
            for following in lines[index + 1 : index + 3]:
                cells = _cells(following)
                if cells and not re.search(r"\d{1,2}/\d{1,2}/\d{4}$|^\(|^\d\.", cells[-1]):
                    return cells[-1]
    return None


def _table_one(lines: list[str]) -> list[TableLine]:
    body = _lines_between(lines, "Table I -", ("Table II",))
    rows: list[TableLine] = []
    for line in body:
        cells = _cells(line)
        if not cells or re.match(r"^\d\.\s|^Code\b|^\(", cells[0]):
            continue
        if not any(_DATE.match(split_marks(c)[0] or "") for c in cells):
            continue
        rows.append(_parse_line(line, len(rows) + 1))
    _reconcile(rows)
    return rows


def _reconcile(rows: list[TableLine]) -> None:
    """Owned-after of a line = the previous line's (same security and form) +/- its amount."""
    previous: dict[tuple, TableLine] = {}
    for row in rows:
        key = (row.security_title, row.direct_indirect, row.nature_of_ownership)
        before = previous.get(key)
        owned_before = before.shares_owned_following if before else None
        shares, owned = row.shares, row.shares_owned_following
        if (
            before is not None
            and owned_before is not None
            and shares is not None
            and owned is not None
            and not owned_after_follows(owned_before, shares, row.acquired_disposed, owned)
        ):
            raise ParseError(
                Reason.OCR_LOW_CONFIDENCE,
                f"table I line {row.line}: owned-after does not follow from line "
                f"{before.line} and the amount",
            )
        previous[key] = row


def _footnotes_body(flat: str) -> str | None:
    """The text after "Explanation of Responses:" up to "Remarks:", or up to the first line
    that has a signature-date line anywhere after it; found in linear time (as a lazy regex
    over the rest, it rescanned the remainder from every position)."""
    label = flat.find(_EXPLANATION)
    if label < 0:
        return None
    start = label + len(_EXPLANATION)
    while start < len(flat) and flat[start].isspace():
        start += 1
    ends = []
    remarks = flat.find("Remarks:", start)
    if remarks >= 0:
        ends.append(remarks)
    last_date = next(iter(deque(_DATE_LINE.finditer(flat, start), maxlen=1)), None)
    if last_date is not None:
        date_at = last_date.start() + last_date[0].rfind("\n")
        line = _LINE_START.search(flat, start, date_at)
        if line is not None:
            ends.append(line.start())
    return flat[start : min(ends)] if ends else None


def _footnotes(flat: str) -> list[Footnote]:
    body = _footnotes_body(flat)
    if not body:
        return []
    notes: list[Footnote] = []
    for piece in re.split(r"(?:^|\s)(\d{1,2})\.\s", body):
        piece = piece.strip()
        if not piece:
            continue
        if piece.isdigit() and int(piece) == len(notes) + 1:
            notes.append(Footnote(id=f"F{piece}", text=None))
        elif notes and notes[-1].text is None:
            notes[-1].text = one_line(piece)
    return notes
