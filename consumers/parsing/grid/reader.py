"""A rendered Form 3/4/5 as grids of cell texts (PDF tables, HTML tables) to a Filing.

Renderers differ in where things sit, not in what the form says: every box and column is
found by its printed label ("1. Name and Address", "5. Amount of Securities", the "Code",
"(A)", "Price" sub-headers), never by coordinates, so a new printer's layout still maps.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from difflib import SequenceMatcher
from enum import StrEnum
from typing import Any, Protocol

from consumers.parsing.core.errors import ParseError, Reason
from consumers.parsing.core.model import (
    DATE_LINE_FIELDS,
    DECIMAL_LINE_FIELDS,
    LINE_VALUE_FIELDS,
    Filing,
    Issuer,
    ReportingOwner,
    TableLine,
    TableName,
)
from consumers.parsing.core.printed import (
    TITLE_SEARCH_CHARS,
    footnotes_in,
    has_title_word,
    one_line,
    parse_city_line,
    parse_printed_date,
    parse_printed_number,
    remarks_in,
    search_near,
    signatures_in,
    split_marks,
)

Row = Sequence[str | None]

# Form 3/5's Table II prints amounts in two columns, acquired (A) and disposed (D): a column
# of the grid, not a field of the record (it becomes shares + acquired_disposed).
SHARES_ACQUIRED = "shares_acquired"
SHARES_DISPOSED = "shares_disposed"
AMOUNT_COLUMN_FIELDS = frozenset({SHARES_ACQUIRED, SHARES_DISPOSED})

_FORM = re.compile(r"FORM\s+([345])(\s*/\s*A)?\b")
_CHECK = r"(?:\[\s*[Xx]\s*\]|(?<![\w\[])[Xx](?![\w\]]))"
_RELATIONSHIP_LABELS = {
    "is_director": r"\s*Director",
    "is_ten_percent_owner": r"\s*10%\s*Owner",
    "is_officer": r"\s*Officer",
    "is_other": r"\s*Other",
}
_RELATIONSHIPS = {flag: re.compile(_CHECK + label) for flag, label in _RELATIONSHIP_LABELS.items()}
# A box printed and read whole, checked or not: "[X] Director", "[ ] Director".
_CLEAR_BOXES = {
    flag: re.compile(r"\[[ X]\]" + label) for flag, label in _RELATIONSHIP_LABELS.items()
}
# The ticker's brackets as printed, or as OCR reads them ("{ NTRA ]").
_ISSUER = re.compile(
    r"(?:[23]\. )?Issuer Name and Ticker or Trading Symbol\s*(\S.*?)\s*[\[{]\s*([^\]}]*?)\s*[\]}]"
)
# Form 3: "2. Date of Event Requiring Statement", Form 4: "3. Date of Earliest Transaction",
# Form 5: "3. Statement for Issuer's Fiscal Year Ended".
_PERIOD = re.compile(
    r"[23]\. (?:Date of|Statement for) [^/]*?\(Month/Day/Year\)\s*(\d{1,2}/\d{1,2}/\d{4})"
)
# The date box's label differs by form: the form is known by it when its title was not read
# (a word of it may be misread: "Date of Easiest Transaction").
_FORM_BY_DATE_LABEL = (
    (re.compile(r"Event Requiring|Requiring Statement"), "3"),
    (re.compile(r"Date of \S+ Transaction|Earliest Transaction"), "4"),
    (re.compile(r"Fiscal Year Ended|Statement for Issuer"), "5"),
)
_AMENDED = re.compile(
    r"[45]\. If Amendment, Date of Original Filed\s*\(Month/Day/Year\)\s*"
    r"(\d{1,2}/\d{1,2}/\d{4})"
)


# --- column maps -----------------------------------------------------------------------------


def _column_labels(header: Row, sub: Row | None) -> list[tuple[str, str]]:
    """(group label, sub label) per column; a spanned header cell labels the columns it covers."""
    labels = []
    current = ""
    for index, cell in enumerate(header):
        if cell is not None:
            current = one_line(cell).lower()
        sub_label = one_line(sub[index]).lower() if sub is not None and index < len(sub) else ""
        labels.append((current, sub_label))
    return labels


def _non_derivative_field(group: str, sub: str) -> str | None:
    if group.startswith("1. title"):
        return "security_title"
    if group.startswith("2a.") or "deemed" in group:
        return "deemed_execution_date"
    if group.startswith("2. transaction"):
        return "transaction_date"
    if group.startswith("3.") and "code" in group:
        # Form 4 splits it into Code | V; Form 5 prints one Code column with no sub-header.
        return "v" if sub == "v" else "transaction_code" if sub in ("", "code") else None
    if group.startswith("4.") and "securities acquired" in group:
        if sub.startswith("amount"):
            return "shares"
        if sub.startswith("(a) or"):
            return "acquired_disposed"
        if sub.startswith("price"):
            return "price_per_share"
        return None
    if group.startswith("5.") or "beneficially owned" in group:
        return "shares_owned_following"
    if group.startswith("6.") or "ownership form" in group:
        return "direct_indirect"
    if group.startswith("7.") or "nature of" in group:
        return "nature_of_ownership"
    return None


def _derivative_field(group: str, sub: str) -> str | None:
    """By the label's words, not its number: Form 3's Table II numbers the same columns
    differently (2. dates, 3. underlying, 4. conversion price, 5. ownership form)."""
    if "title of derivative" in group:
        return "security_title"
    if "conversion or exercise" in group or "or exercise price" in group:
        # a scan's "Conversio or Exercise Price of Derivative Security" is no price column
        return "conversion_or_exercise_price"
    if "deemed" in group:
        return "deemed_execution_date"
    if "exercisable" in group:
        if sub.startswith("date"):
            return "exercise_date"
        return "expiration_date" if sub.startswith("expiration") else None
    if "underlying" in group:
        if sub.startswith("title"):
            return "underlying_security_title"
        return "underlying_shares" if sub.startswith("amount") else None
    if "ownership form" in group:
        return "direct_indirect"
    if "nature of" in group:
        return "nature_of_ownership"
    if "beneficially owned" in group:
        return "shares_owned_following"
    if "acquired" in group:
        return {"(a)": SHARES_ACQUIRED, "(d)": SHARES_DISPOSED}.get(sub)
    if "code" in group:
        return "transaction_code" if sub.startswith("code") else ("v" if sub == "v" else None)
    if "transaction date" in group:
        return "transaction_date"
    if "price of derivative" in group:
        return "price_per_share"
    return None


# The columns every Form 3, 4 and 5 prints in each table (the transaction columns are Form 4/5's
# only): one the grid lacks was cut off (a page's right edge), so its values are unknown.
_ALWAYS_PRINTED = {
    "non_derivative": frozenset(
        {"security_title", "shares_owned_following", "direct_indirect", "nature_of_ownership"}
    ),
    "derivative": frozenset(
        {
            "security_title",
            "conversion_or_exercise_price",
            "exercise_date",
            "expiration_date",
            "underlying_security_title",
            "underlying_shares",
            "direct_indirect",
            "nature_of_ownership",
        }
    ),
}


# What Form 4/5 prints besides in a table with transaction columns (and Table II's column 9,
# the amount owned after).
_TRANSACTION_PRINTED = frozenset(
    {"transaction_code", "shares", "acquired_disposed", "price_per_share", "shares_owned_following"}
)


# The order each form prints its tables' columns in (Form 4, Form 5 without the V column,
# Form 3). A column whose label OCR garbled beyond reading takes the field of its place, when
# the table is that wide and every label read fits that order.
_TRANSACTION_COLUMNS = ("transaction_date", "deemed_execution_date", "transaction_code")
_TRANSACTION_COLUMNS_SET = frozenset(_TRANSACTION_COLUMNS)
_OWNED_COLUMNS = ("shares_owned_following", "direct_indirect", "nature_of_ownership")
_DERIVED_COLUMNS = (SHARES_ACQUIRED, SHARES_DISPOSED, "exercise_date", "expiration_date")
_UNDERLYING_COLUMNS = ("underlying_security_title", "underlying_shares")
_LAYOUTS = {
    "non_derivative": (
        (
            "security_title",
            *_TRANSACTION_COLUMNS,
            "v",
            "shares",
            "acquired_disposed",
            "price_per_share",
            *_OWNED_COLUMNS,
        ),
        (
            "security_title",
            *_TRANSACTION_COLUMNS,
            "shares",
            "acquired_disposed",
            "price_per_share",
            *_OWNED_COLUMNS,
        ),
        ("security_title", *_OWNED_COLUMNS),
    ),
    "derivative": (
        (
            "security_title",
            "conversion_or_exercise_price",
            *_TRANSACTION_COLUMNS,
            "v",
            *_DERIVED_COLUMNS,
            *_UNDERLYING_COLUMNS,
            "price_per_share",
            *_OWNED_COLUMNS,
        ),
        (
            "security_title",
            "conversion_or_exercise_price",
            *_TRANSACTION_COLUMNS,
            *_DERIVED_COLUMNS,
            *_UNDERLYING_COLUMNS,
            "price_per_share",
            *_OWNED_COLUMNS,
        ),
        (
            "security_title",
            "exercise_date",
            "expiration_date",
            *_UNDERLYING_COLUMNS,
            "conversion_or_exercise_price",
            "direct_indirect",
            "nature_of_ownership",
        ),
    ),
}
_MIN_LABELS_READ = 3  # labels read in their places before the rest are taken from the layout


def _by_place(table: str, fields: list[str | None]) -> list[str | None]:
    """`fields` completed from the one printed layout they fit, else as they are."""
    read = sum(1 for f in fields if f is not None)
    fitting = [
        layout
        for layout in _LAYOUTS[table]
        if len(layout) == len(fields)
        and all(f is None or f == at for f, at in zip(fields, layout, strict=True))
    ]
    if len(fitting) != 1 or read < min(_MIN_LABELS_READ, len(fields) - 1) or read == len(fields):
        return fields
    return list(fitting[0])


class RowKind(StrEnum):
    """What a row of a printed form is, as GridReader.classify_row tells them apart."""

    NAME_BOX_CONTINUED = "name_box_continued"  # box 1 cut into rows by the printer
    HEADER_BOXES = "header_boxes"  # boxes 1-5: names, issuer, dates, relationship
    TABLE_HEADER = "table_header"  # a table's column labels ("1. Title of Security")
    SUB_HEADER = "sub_header"  # the labels' second row ("(A) or (D)", "Code", "V")
    GARBLED_SUB_HEADER = "garbled_sub_header"  # a noisy scan's, garbled past its labels
    HEADER_FRAGMENT = "header_fragment"  # a piece of a header split off by a page break
    TABLE_TITLE = "table_title"  # "Table I - Non-Derivative Securities ..."
    OWNERS_TITLE = "owners_title"  # the joint filers' table ("Reporting Owner Name ...")
    OWNERS_LABELS = "owners_labels"  # its column labels ("Director", "10% Owner")
    JOINT_OWNER = "joint_owner"  # one joint filer
    DATA = "data"  # a line of a table, or the continuation of the line above
    UNPLACED = "unplaced"  # dates and amounts under no table header read
    NOTHING = "nothing"  # prose, signatures: read elsewhere


class _Table:
    def __init__(self, table: TableName, header: Row, sub: Row | None) -> None:
        self.table = table
        classify = _derivative_field if table == "derivative" else _non_derivative_field
        self.fields = _by_place(table, [classify(g, s) for g, s in _column_labels(header, sub)])
        if self.fields and self.fields[0] is None:
            self.fields[0] = "security_title"  # every form's tables print the title first
        self.width = len(header)
        self.has_sub_header = sub is not None
        self.rows_read = 0  # data rows read under this header
        printed = _ALWAYS_PRINTED[table]
        if _TRANSACTION_COLUMNS_SET & set(self.fields):
            # Form 4/5: the transaction's columns too, and Table II's column 9
            printed = printed | _TRANSACTION_PRINTED
        read = set(self.fields)
        if AMOUNT_COLUMN_FIELDS & read:  # Table II's amount column says the direction
            read |= {"shares", "acquired_disposed"}
        self.cut_off = sorted(printed - read)
        # Form 3 has none: which form it is is known only once its title is found
        self.has_transaction_columns = bool(_TRANSACTION_COLUMNS_SET & read)

    def unplaced_ink(self, row: Row) -> bool:
        """The row has figures in a column whose label was not read, or letters there and a
        word titles are made of in its title cell, while some field the form prints was not
        placed: a line of values, not wrapped text (nor a blank row's specks read as "ee")."""
        if not self.cut_off:
            return False
        unplaced = [cell or "" for field, cell in zip(self.fields, row, strict=False) if not field]
        if any(_FIGURE.search(cell) for cell in unplaced):
            return True
        return has_title_word(row[0] if row else None) and any(
            _ALPHANUMERIC.search(cell) for cell in unplaced
        )

    @property
    def form_by_columns(self) -> str | None:
        """ "4" for Table I with a V column among its transaction columns: only Form 4 prints
        one (Form 5's Table I has none, Form 3's no transaction columns)."""
        if self.table == "non_derivative" and {"v", "transaction_date"} <= set(self.fields):
            return "4"
        return None


def _line_from_cells(
    table: _Table,
    cells: Row,
    number: int,
    unread: frozenset[str] = frozenset(),
    unplaced_ink: bool = False,
) -> TableLine | None:
    """The row's line; None when it holds nothing, read or `unread` (printed, not read), or
    `unplaced_ink` (values in columns not placed)."""
    values: dict[str, str] = {}
    footnotes: dict[str, list[str]] = {}
    for field, cell in zip(table.fields, cells, strict=False):
        if field is None or cell is None:
            continue
        text, marks = split_marks(cell)
        if field in AMOUNT_COLUMN_FIELDS:
            if text is None and not marks:
                continue
            values["acquired_disposed"] = "A" if field == SHARES_ACQUIRED else "D"
            field = "shares"
        if text is not None:
            values[field] = one_line(text)
        if marks:
            footnotes.setdefault(field, []).extend(marks)
    if not values and not footnotes and not unread & _VALUE_COLUMNS and not unplaced_ink:
        return None
    is_transaction = bool({"transaction_code", "transaction_date"} & (set(values) | unread))
    line = TableLine(
        table=table.table,
        kind="transaction" if is_transaction else "holding",
        line=number,
        footnote_ids=footnotes,
    )
    for field, text in values.items():
        if field == "v":
            continue
        try:
            if field in DATE_LINE_FIELDS:
                setattr(line, field, parse_printed_date(text, field))
            elif field in DECIMAL_LINE_FIELDS:
                setattr(line, field, parse_printed_number(text, field))
            else:
                setattr(line, field, text)
        except ParseError:
            # One unreadable cell ("I" where an amount belongs) nulls that field, marked; the
            # rest of the filing stands (its own checks still apply downstream).
            line.mark_unread(field)
    return line


# --- header boxes ----------------------------------------------------------------------------


def _lines(cell: str) -> list[str]:
    return [line.strip() for line in cell.splitlines() if line.strip()]


# Box 1's captions under its lines, as a scan's OCR may garble them ("(Lash (First) (Middle)",
# "(Sireei)"): a line of nothing but one to three parenthesised words.
_CAPTION_LINE = re.compile(r"^(?:\(?[A-Za-z]{2,8}\)?\s*){1,3}$")
_CAPTIONS = {
    "last": "(Last) (First) (Middle)",
    "street": "(Street)",
    "city": "(City) (State) (Zip)",
}
_MIN_CAPTION_LIKENESS = 0.6


def _caption(line: str) -> str | None:
    """Which of box 1's captions the line is ("last", "street", "city"), read exactly or
    nearly; None for a line of the box's text."""
    for name, caption in _CAPTIONS.items():
        if line.startswith(caption.split()[0]):
            return name
    if "(" not in line or not _CAPTION_LINE.match(line):
        return None
    likeness = {
        name: SequenceMatcher(None, line.lower(), caption.lower(), autojunk=False).ratio()
        for name, caption in _CAPTIONS.items()
    }
    best = max(likeness, key=likeness.__getitem__)
    return best if likeness[best] >= _MIN_CAPTION_LIKENESS else None


def _parse_name_box(cell: str, owner: ReportingOwner) -> None:
    lines = _lines(cell)[1:]  # after "1. Name and Address of Reporting Person*"
    street: list[str] = []
    city: list[str] = []
    stage = "name"
    for line in lines:
        caption = _caption(line)
        if caption == "last":
            stage = "street"
        elif caption == "street":
            stage = "city"
        elif caption == "city":
            if stage == "street" and len(street) > 1:
                city.append(street.pop())  # no "(Street)" caption (EDGAR's HTML)
            break
        elif stage == "name":
            owner.name = f"{owner.name} {line}" if owner.name else line
        elif stage == "street":
            street.append(line)
        else:
            city.append(line)
    if street:
        owner.street1 = " ".join(street)
    if city:
        _parse_city_lines(city, owner)


def _parse_city_lines(lines: list[str], owner: ReportingOwner) -> None:
    """City, state and ZIP, also when a narrow city cell wrapped around them
    ("SAN" / "CA 94402" / "MATEO"): the ZIP, the two letters before it, the rest in order."""
    tokens = " ".join(lines).replace(",", " ").split()
    zip_at = next((i for i, t in enumerate(tokens) if re.fullmatch(r"\d{5}(?:-\d{4})?", t)), None)
    if zip_at is None or zip_at == 0 or not re.fullmatch(r"[A-Z]{2}", tokens[zip_at - 1]):
        parse_city_line(" ".join(lines), owner)
        return
    owner.zip = tokens[zip_at]
    owner.state = tokens[zip_at - 1]
    owner.city = " ".join(tokens[: zip_at - 1] + tokens[zip_at + 1 :]) or None


def _parse_relationship_box(cell: str, owner: ReportingOwner) -> None:
    text = cell.split("6.", 1)[0]
    for field, pattern in _RELATIONSHIPS.items():
        setattr(owner, field, bool(pattern.search(text)))
    lines = _lines(text)
    title: list[str] = []
    seen_below = False
    for line in lines:
        if "below)" in line:
            seen_below = True
            title = []
            rest = line.rsplit("below)", 1)[1].strip()
            if rest:
                title.append(rest)
        elif seen_below:
            title.append(line)
    if title:
        if owner.is_officer:
            owner.officer_title = " ".join(title)
        elif owner.is_other:
            owner.other_text = " ".join(title)


# --- the whole form --------------------------------------------------------------------------

_TEXT_COLUMNS = frozenset({"security_title", "nature_of_ownership", "underlying_security_title"})
_ALPHANUMERIC = re.compile(r"[A-Za-z0-9]")
_FIGURE = re.compile(r"\d\d")
_LINE_FIELDS = frozenset(LINE_VALUE_FIELDS)
_VALUE_COLUMNS = _LINE_FIELDS - _TEXT_COLUMNS
_SUB_LABELS = frozenset(
    {
        "Code",
        "V",
        "(A)",
        "(D)",
        "Amount",
        "Price",
        "(A) or (D)",
        "Date Exercisable",
        "Expiration Date",
        "Title",
    }
)
_SQUEEZED_SUB_LABELS = frozenset(label.replace(" ", "") for label in _SUB_LABELS)
_HEADER_LABEL = re.compile(
    r"^\d{1,2}A?\.\s.*(?:\([Ii]nstr|Month/Day/Year|Title of|Derivative Securit"
    r"|Beneficially Owned|Ownership Form|Nature of)"
)
# Words only Table II's column labels print (Table I's never do): the table is known by them
# when the title column's label lost its "Derivative" to OCR.
_DERIVATIVE_LABEL = re.compile(r"Derivative|Underlying|Exercis|Conversion", re.IGNORECASE)
_DATA_VALUE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b|\b\d{1,3}(?:,\d{3})+\b")
_OWNER_FLAG = re.compile(r"^(?:X?|X .*)$")


# A sub-header label as OCR garbles it on a noisy scan ("Cade", "(Dp)", "Amaunt of Number of
# Shares"): this close to one of the longer labels. Short ones ("V", "(A)") are left out.
_NEAR_SUB_LABELS = tuple(
    label.lower() for label in _SQUEEZED_SUB_LABELS | {"AmountorNumberofShares"} if len(label) >= 4
)
_MIN_SUB_LABEL_LIKENESS = 0.75
# The form's instruction references ("(Instr. 3, 4 and 5)", OCR'd "{instr 4"): column labels
# carry them, values never do.
_INSTRUCTION_REFERENCE = re.compile(r"[Il1i]nstr\b", re.IGNORECASE)


def _near_sub_label(text: str) -> bool:
    squeezed = text.replace(" ", "").lower()
    return len(squeezed) >= 3 and any(
        SequenceMatcher(None, squeezed, label, autojunk=False).ratio() >= _MIN_SUB_LABEL_LIKENESS
        for label in _NEAR_SUB_LABELS
    )


def _is_garbled_sub_header(row: Row, texts: list[str], table: _Table) -> bool:
    """The first row under a header, its sub-header labels misread past exact matching: no
    date or amount in it (a data row has some), and two or more cells near a label or nothing
    in the first, title column (a data row names its security)."""
    if table.rows_read or table.has_sub_header:
        return False
    if any(_DATA_VALUE.search(t) for t in texts):
        return False
    title = row[0]  # both tables print the security's title first
    return sum(map(_near_sub_label, texts)) >= 2 or not (title or "").strip()


_HEADER_BOX_LABELS = (
    "2. Issuer Name",
    "3. Issuer Name",
    "5. Relationship",
    "4. Relationship",
    "2. Date of",
    "3. Date of",
    "3. Statement for",
    "4. If Amendment",
    "5. If Amendment",
)
# Printed column labels in one row that make it a table's header when OCR garbled its title.
_MIN_HEADER_LABELS = 3


def _is_header_boxes(texts: list[str]) -> bool:
    """The row of boxes 1 to 5 (or 6) above the tables."""
    return any(t.startswith("1. Name and Address") for t in texts) or any(
        t.startswith(_HEADER_BOX_LABELS) for t in texts
    )


def _table_title(texts: list[str]) -> str | None:
    """A table header's title cell ("1. Title of ..."). When the title column's label is
    garbled past restoring (a noisy scan's "1. Tale-of."), the row's other printed labels still
    say it heads a table: "Derivative" if any label says so, else ""."""
    title = next((t for t in texts if t.startswith("1. Title of")), None)
    if title is None and sum(1 for t in texts if _HEADER_LABEL.match(t)) >= _MIN_HEADER_LABELS:
        return "Derivative" if any("Derivative" in t for t in texts) else ""
    return title


def _is_header_fragment(texts: list[str]) -> bool:
    """A piece of the column header (split off by a stray ruling) whose numbered labels were
    lost: two or more of its cells cite the instructions."""
    return sum(bool(_INSTRUCTION_REFERENCE.search(t)) for t in texts) >= 2


def _continues_sub_header(texts: list[str]) -> bool:
    """The second row of a sub-header wrapped over two ("Amount or Number" / "of Shares")."""
    return any(t.replace(" ", "") in ("ofShares", "NumberofShares") for t in texts)


def _is_sub_header(texts: list[str]) -> bool:
    squeezed = [t.replace(" ", "") for t in texts]
    return sum(
        t in _SQUEEZED_SUB_LABELS or t.startswith(("Amountor", "ofShares", "NumberofShares"))
        for t in squeezed
    ) >= 2 or _continues_sub_header(texts)


def _looks_like_owner_row(row: Row, table: _Table | None) -> bool:
    """A row of the joint filers' table (name/address + four X columns) outside its header."""
    if len(row) != 5 or (table is not None and table.width == 5) or not row[0]:
        return False
    return all(_OWNER_FLAG.match(one_line(c)) for c in row[1:]) and "\n" in (row[0] or "")


_CITY_LINE = re.compile(r"^[A-Za-z .'-]+,?\s+[A-Z]{2},?\s+\d{5}(?:-\d{4})?$")
_ADDRESS_START = re.compile(r"^(?:\d|C/O\b|P\.?\s?O\.?\s+BOX|SUITE\b|FLOOR\b)", re.IGNORECASE)


def _continues_address(previous: list[str], lines: list[str]) -> bool:
    """Lines (with no relationship marked) that finish the owner above rather than name a new
    one: they start like an address (a street number, "C/O", a city-state-ZIP line), or the
    owner above is a name alone so far."""
    if _CITY_LINE.match(lines[0]) or _ADDRESS_START.match(lines[0]):
        return True
    return len(previous) == 1


# The joint filers' table's relationship columns, in printed order. Director and 10% Owner
# hold an X or nothing; Officer and Other may hold the title or text itself.
JOINT_OWNER_FLAGS = ("is_director", "is_ten_percent_owner", "is_officer", "is_other")
_MARK_ONLY_FLAGS = frozenset(JOINT_OWNER_FLAGS[:2])
_X_MARK = re.compile(r"^[\[(|]?[XxK][\])|]?\.?$")


def is_x_mark(text: str) -> bool:
    """`text` is one X as OCR reads a check mark ("X", "x", "[X]", "K")."""
    return bool(_X_MARK.match(text))


def _joint_owner_from(lines: list[str], flag_cells: list[str]) -> ReportingOwner:
    """One joint filer: its cell's lines (name, street lines, city line) and its four
    relationship cells (an X, or the officer title / other text itself); a Director or 10%
    cell holding anything else (a scan's misread) leaves its flag null."""
    owner = ReportingOwner(name=lines[0])
    if len(lines) >= 3:
        owner.street1 = " ".join(lines[1:-1])
        parse_city_line(lines[-1], owner)
    elif len(lines) == 2:
        parse_city_line(lines[1], owner)
    for flag, cell in zip(JOINT_OWNER_FLAGS, flag_cells, strict=False):
        text = one_line(cell)
        if flag in _MARK_ONLY_FLAGS and text and not is_x_mark(text):
            continue  # neither an X nor blank: not read (left null)
        setattr(owner, flag, bool(text))
        described = text.removeprefix("X").strip() if text != "X" else ""
        if flag == "is_officer" and described:
            owner.officer_title = described
        if flag == "is_other" and described:
            owner.other_text = described
    return owner


# What a transaction moves and a holding has not: misplaced on a holding's line.
_TRANSACTION_AMOUNT_FIELDS = ("shares", "price_per_share", "acquired_disposed")


def _settle_line(line: TableLine) -> None:
    """What every line must be: every form prints D or I on each line, so a null one is unread.
    A line with neither code nor date is a holding, which has no transaction amounts: a value
    in those columns was misplaced (a blank column's neighbour, an underlying amount), so it is
    null and marked unread. A code or date printed but unread makes it a transaction instead."""
    if line.direct_indirect is None:
        line.note_unread("direct_indirect")  # every line of every form prints D or I
    if line.kind != "holding":
        return
    if {"transaction_code", "transaction_date"} & line.unread_fields:
        line.kind = "transaction"
        return
    for field in _TRANSACTION_AMOUNT_FIELDS:
        if getattr(line, field) is not None:
            line.mark_unread(field)


@dataclass
class ResolvedCells:
    """A data row's cells as resolved: the texts the grid reader reads, candidate values held
    back for the form's own checks, and the fields whose cells were printed but not read
    (`unread`) or read once with nothing to confirm them (`unverified`)."""

    texts: list[str | None]
    held: dict[str, str] = dataclass_field(default_factory=dict)
    unread: set[str] = dataclass_field(default_factory=set)
    unverified: set[str] = dataclass_field(default_factory=set)
    # Free text withheld (unread) for want of confirmation, by field: what each read made of
    # it (a scan's re-read and layer). A title the line above prints as one of them is that
    # title (GridReader._place_row).
    withheld: dict[str, tuple[str, ...]] = dataclass_field(default_factory=dict)


class CellResolver(Protocol):
    """Turns a data row's raw cells into what the grid reader reads (a scan's cells are images
    with several reads each)."""

    def __call__(self, fields: list[str | None], cells: Sequence[Any]) -> ResolvedCells: ...


class GridReader:
    """Feeds on rows in document order; `finish()` returns what the rows said.

    With a `resolve_cells`, rows fed with their `cells` have their data cells resolved by it;
    the values it holds back are kept in `held`, each with the line its row became."""

    def __init__(self, source_format: str, resolve_cells: CellResolver | None = None) -> None:
        self.filing = Filing(source_format=source_format)
        self._owner = ReportingOwner()
        self._table: _Table | None = None
        self._last_header: Row | None = None
        self._numbers = {"non_derivative": 0, "derivative": 0}
        self._owners_mode = False
        self._unplaced_rows = 0
        self._boxes_seen: set[str] = set()  # "owner", "issuer": box labels read, values or not
        self._form_by_date_label: str | None = None  # the form its date box's label names
        self._form_by_columns: str | None = None  # the form its tables' columns name
        # Lines of a table none of whose transaction columns was placed: on a Form 4 or 5 they
        # were printed, not read.
        self._lines_without_transaction_columns: list[TableLine] = []
        self._name_box: str | None = None  # box 1 while it may continue in the next rows
        self._joint_owners: list[ReportingOwner] = []
        self._joint_owner_rows: list[tuple[list[str], list[str]]] = []  # (cell lines, flags)
        self._resolve_cells = resolve_cells
        self.held: list[tuple[TableLine, dict[str, str]]] = []
        # Relationship flags of box 5 whose checkbox was not read whole ("[<} 10% Owner"):
        # a scan of doubtful pixels may take their "not checked" for unread.
        self.unclear_boxes: set[str] = set()

    @property
    def joint_owner_flag_cells(self) -> list[list[str]]:
        """Each joint filer's relationship cells as read, in JOINT_OWNER_FLAGS order."""
        return [flags for _, flags in self._joint_owner_rows]

    def feed(self, rows: Iterable[Row]) -> None:
        for row in rows:
            self.feed_row(list(row))

    def feed_row(self, row: list[str | None], cells: Sequence[Any] | None = None) -> None:
        """One row of cell texts; `cells`, when given, are what `resolve_cells` resolves."""
        texts = [one_line(c) for c in row if c]
        if not texts:
            return
        if texts[0].startswith("(City)"):  # box 1 ends at its city line
            self._name_box = None
        kind = self.classify_row(row, texts)
        match kind:
            case RowKind.NAME_BOX_CONTINUED:
                self._continue_name_box(row[0] or "")
            case RowKind.HEADER_BOXES:
                self._header_boxes(row)
                self._table = None
            case RowKind.TABLE_HEADER:
                self._table_header(row, texts)
            case RowKind.SUB_HEADER | RowKind.GARBLED_SUB_HEADER:
                self._sub_header(row, printed=kind is RowKind.SUB_HEADER)
            case RowKind.TABLE_TITLE:
                self._table = None
            case RowKind.OWNERS_TITLE:
                self._owners_mode = True
                self._table = None
            case RowKind.JOINT_OWNER:
                self._joint_owner(row)
            case RowKind.DATA:
                self._data_row(row, cells)
            case RowKind.UNPLACED:
                self._unplaced_rows += 1
            case RowKind.HEADER_FRAGMENT | RowKind.OWNERS_LABELS | RowKind.NOTHING:
                pass

    def classify_row(self, row: Row, texts: list[str]) -> RowKind:
        """What a row is, given where the reader stands (in a table, past its sub-header, in
        the joint filers' table). The order is the form's precedence: a row of box labels is
        never data, a table's header is never a fragment, and so on down."""
        first = texts[0]
        if self._name_box is not None and row[0] and first.startswith(("(Last)", "(Street)")):
            return RowKind.NAME_BOX_CONTINUED
        if _is_header_boxes(texts):
            return RowKind.HEADER_BOXES
        if _table_title(texts) is not None:
            return RowKind.TABLE_HEADER
        # One sub-header per header: after it, a data row whose footnote marks OCR read as
        # "(D)" or "(A)" is still data.
        awaiting_sub = self._table is None or not self._table.has_sub_header
        if _is_sub_header(texts) and (awaiting_sub or _continues_sub_header(texts)):
            return RowKind.SUB_HEADER
        if self._table is not None and _is_garbled_sub_header(row, texts, self._table):
            return RowKind.GARBLED_SUB_HEADER
        if any(_HEADER_LABEL.match(t) for t in texts) or _is_header_fragment(texts):
            return RowKind.HEADER_FRAGMENT  # split off by a page or table break
        if first.startswith(("Table I", "Table II")):
            return RowKind.TABLE_TITLE
        if first.startswith("Reporting Owner Name"):
            return RowKind.OWNERS_TITLE
        if first == "Director" or texts[:2] == ["Director", "10% Owner"]:
            return RowKind.OWNERS_LABELS
        if self._owners_mode or _looks_like_owner_row(row, self._table):
            return RowKind.JOINT_OWNER
        if self._table is not None and len(row) == self._table.width:
            return RowKind.DATA
        if any(_DATA_VALUE.search(t) for t in texts):
            return RowKind.UNPLACED  # values with no table header read above them
        return RowKind.NOTHING

    def _table_header(self, row: Row, texts: list[str]) -> None:
        """A table's column header: Table II when its title or its other labels say so."""
        title = _table_title(texts) or ""
        derivative = "Derivative" in title or any(
            _DERIVATIVE_LABEL.search(t) for t in texts if t is not title
        )
        table: TableName = "derivative" if derivative else "non_derivative"
        self._last_header = row
        self._table = _Table(table, row, None)
        self._owners_mode = False

    def _sub_header(self, row: Row, printed: bool) -> None:
        """The header's second row. One garbled past its labels is taken as the sub-header
        too, but the printed one may still come and is then read."""
        if self._last_header is None or self._table is None:
            return
        self._table = _Table(self._table.table, self._last_header, row)
        self._table.has_sub_header = printed
        self._form_by_columns = self._form_by_columns or self._table.form_by_columns

    def _continue_name_box(self, cell: str) -> None:
        """Box 1 cut into rows by the printer: read the whole box again with this part."""
        self._name_box = f"{self._name_box}\n{cell}"
        for name in ("name", "street1", "street2", "city", "state", "zip"):
            setattr(self._owner, name, None)
        _parse_name_box(self._name_box, self._owner)

    def _header_boxes(self, row: Row) -> None:
        for cell in row:
            if not cell:
                continue
            flat = one_line(cell)
            if "Issuer Name and Ticker" in flat:
                self._boxes_seen.add("issuer")
            if flat.startswith("1. Name and Address"):
                self._boxes_seen.add("owner")
                self._name_box = cell
                _parse_name_box(cell, self._owner)
            issuer = search_near(_ISSUER, flat, "Issuer Name and Ticker", before=4)
            if issuer:
                name, ticker = issuer[1].strip(), issuer[2].strip()
                self.filing.issuer = Issuer(name=name or None, trading_symbol=ticker or None)
            for label, form in _FORM_BY_DATE_LABEL:
                if label.search(flat):
                    self._form_by_date_label = form
            period = search_near(_PERIOD, flat, "(Month/Day/Year)", before=120)
            if period:
                self._header_date("period_of_report", period[1])
            amended = search_near(_AMENDED, flat, "If Amendment, Date of Original", before=4)
            if amended:
                self._header_date("date_of_original_submission", amended[1])
            if flat.startswith(("5. Relationship", "4. Relationship")):
                _parse_relationship_box(cell, self._owner)
                self.unclear_boxes = {f for f, box in _CLEAR_BOXES.items() if not box.search(flat)}

    def _header_date(self, field: str, text: str) -> None:
        """A box's date; one that is no calendar date ("13/45/2020") is null, marked unread."""
        try:
            setattr(self.filing, field, parse_printed_date(text, field))
        except ParseError:
            self.filing.provenance.unread.add(field)

    def _data_row(self, row: Row, cells: Sequence[Any] | None) -> None:
        table = self._table
        assert table is not None
        table.rows_read += 1
        unplaced_ink = table.unplaced_ink(row)
        resolved = None
        if self._resolve_cells is not None and cells is not None:
            resolved = self._resolve_cells(table.fields, cells)
            row = resolved.texts
        unread = resolved.unread if resolved else set()
        title_reads = resolved.withheld.get("security_title", ()) if resolved else ()
        target = self._place_row(
            table, row, frozenset(unread & _LINE_FIELDS), title_reads, unplaced_ink
        )
        if target is None or resolved is None:
            return
        if resolved.held:
            self.held.append((target, resolved.held))
        for field in resolved.unread:
            marks_of = field.partition("footnote_ids.")[2]  # unread marks, not a value
            value = target.footnote_ids.get(marks_of) if marks_of else getattr(target, field)
            if not value:
                target.note_unread(field)
        for field in resolved.unverified:
            if getattr(target, field) is not None:
                target.note_unverified(field)

    def _place_row(
        self,
        table: _Table,
        row: Row,
        unread: frozenset[str] = frozenset(),
        title_reads: tuple[str, ...] = (),
        unplaced_ink: bool = False,
    ) -> TableLine | None:
        """The line a data row's values went into: a new line, or the one above it continues.
        `unread` are the row's cells printed but not read: a row with an unread value holds a
        line's values, so it is never taken for the wrapped text or spill of the line above;
        nor is one with `unplaced_ink` (_Table.unplaced_ink). `title_reads` are what each read
        made of an unread title cell, unconfirmed."""
        filled = {table.fields[i] for i, c in enumerate(row) if c not in (None, "")} | unread
        first_titled = "security_title" in filled and self._last_line(table) is None
        if filled and filled <= _TEXT_COLUMNS and not first_titled and not unplaced_ink:
            # only wrapped text (a row cut by a page break, or spilled title lines): it
            # continues the line above, it is not a line of its own; but a table's first titled
            # row is a line even when its values are unread (numbering must not shift)
            self._continue_last(table, row)
            return self._last_line(table)
        last = self._last_line(table)
        # No title of its own: either a spill of the line above (a wrapped amount) that fills
        # its empty fields, or, when it holds values that line already has, the next line under
        # a title cell spanning both rows.
        spilled = (filled and "security_title" not in filled and last is not None) and not (
            unread & _VALUE_COLUMNS or unplaced_ink
        )
        if spilled and self._fill_last(table, row):
            return last
        number = self._numbers[table.table] + 1
        line = _line_from_cells(table, row, number, unread, unplaced_ink)
        if line is None:
            return None
        if not table.has_transaction_columns:
            self._lines_without_transaction_columns.append(line)
        if line.security_title is None and last is not None:
            # A title cell spanning this row and the one above. A title printed but not read
            # (a scan's) is the one above only when a read of it says so: the title above is
            # another security's as often as not.
            above = last.security_title
            if "security_title" not in unread or (
                above is not None
                and any(one_line(split_marks(read)[0]) == one_line(above) for read in title_reads)
            ):
                line.security_title = above
            if line.security_title is None and "security_title" in last.unread_fields:
                line.mark_unread("security_title")  # the title above it spans, not read
        elif line.security_title is None:
            line.mark_unread("security_title")  # a table's first line prints its title
        for field in table.cut_off:
            line.mark_unread(field)
        self._numbers[table.table] = number
        self.filing.lines.append(line)
        return line

    def _last_line(self, table: _Table) -> TableLine | None:
        last = self.filing.lines[-1] if self.filing.lines else None
        return last if last is not None and last.table == table.table else None

    def _fill_last(self, table: _Table, row: Row) -> bool:
        """Put a title-less row's values into the empty fields of the line above; False (and
        nothing changed) when that line already has any of them, or had them printed but not
        read (a scan's): such a row is the next line, not a spill."""
        last = self._last_line(table)
        assert last is not None
        spill = _line_from_cells(table, row, last.line)
        if spill is None:
            return True
        values = {
            f: getattr(spill, f)
            for f in LINE_VALUE_FIELDS
            if f not in _TEXT_COLUMNS and getattr(spill, f) is not None
        }
        if any(getattr(last, f) is not None or f in last.unread_fields for f in values):
            return False
        for field, value in values.items():
            setattr(last, field, value)
        for field, marks in spill.footnote_ids.items():
            if field in _TEXT_COLUMNS:
                continue  # _continue_last adds these with the text
            known = last.footnote_ids.setdefault(field, [])
            known.extend(m for m in marks if m not in known)
        self._continue_last(table, row)
        return True

    def _continue_last(self, table: _Table, row: Row) -> None:
        last = self._last_line(table)
        if last is None:
            return
        for field, cell in zip(table.fields, row, strict=False):
            if field not in _TEXT_COLUMNS or not cell:
                continue
            text, marks = split_marks(cell)
            current = getattr(last, field)
            if text and (current is None or text not in current):
                joined = f"{current}\n{text}" if current else text
                setattr(last, field, one_line(joined))
            if marks:
                known = last.footnote_ids.setdefault(field, [])
                known.extend(m for m in marks if m not in known)

    def _joint_owner(self, row: Row) -> None:
        cells = [c or "" for c in row]
        lines = _lines(cells[0])
        if not lines:
            return
        flags = cells[1:5]
        if self._joint_owners:
            previous_lines, previous_flags = self._joint_owner_rows[-1]
            marked, previous_marked = (any(one_line(c) for c in f) for f in (flags, previous_flags))
            if not (marked and previous_marked) and _continues_address(previous_lines, lines):
                # The rest of the owner above, cut by a page break (its relationship marks on
                # either side of the cut): one owner, not two (else "AUSTIN, TX 78701" becomes
                # an owner and every name after it shifts by one).
                merged, kept = previous_lines + lines, flags if marked else previous_flags
                self._joint_owner_rows[-1] = (merged, kept)
                self._joint_owners[-1] = _joint_owner_from(merged, kept)
                return
        self._joint_owner_rows.append((lines, flags))
        self._joint_owners.append(_joint_owner_from(lines, flags))

    def finish(self, text: str) -> Filing:
        """Complete with what lives outside the grids: form type, footnotes, remarks, signatures."""
        filing = self.filing
        match = _FORM.search(text[:TITLE_SEARCH_CHARS])
        # the title, else its date box's label, else its columns (title and boxes lost to a
        # scan's dark band)
        form = match[1] if match else self._form_by_date_label or self._form_by_columns
        if form is None:
            raise ParseError(Reason.PDF_TABLE_UNREADABLE, "no FORM 3/4/5 title found")
        amended = bool(match and match[2]) or filing.date_of_original_submission is not None
        filing.form_type = form + ("/A" if amended else "")
        if form != "3":
            for line in self._lines_without_transaction_columns:
                for field in _TRANSACTION_PRINTED | {"transaction_date"}:
                    if getattr(line, field) is None:
                        line.note_unread(field)
        filing.reporting_owners = self._joint_owners or [self._owner]
        for index, owner in enumerate(filing.reporting_owners):
            if all(getattr(owner, flag) is False for flag in _RELATIONSHIPS):
                # Every form checks at least one relationship (each of the corpus XML's 324
                # owners has one): none checked is none read.
                for flag in _RELATIONSHIPS:
                    setattr(owner, flag, None)
            # Every form prints all four: a null one was not read.
            filing.provenance.unread.update(
                f"reporting_owners[{index}].{flag}"
                for flag in _RELATIONSHIPS
                if getattr(owner, flag) is None
            )
        # A box whose label was read but not its value (a noisy scan) is null and unread, as
        # is one whose label is garbled beside the other box read (the boxes' row was found);
        # neither box found means the form was not read.
        if not self._boxes_seen:
            raise ParseError(Reason.PDF_TABLE_UNREADABLE, "boxes 1 and 2 (owner, issuer) not found")
        if not self._joint_owners and self._owner.name is None:
            filing.provenance.unread.add("reporting_owners[0].name")
        if filing.issuer.name is None:
            filing.provenance.unread.update({"issuer.name", "issuer.trading_symbol"})
        if not filing.lines and self._unplaced_rows:
            # Rows of dates and amounts but no table header read: emitting the filing with no
            # lines would say the insider reported none.
            raise ParseError(
                Reason.PDF_TABLE_UNREADABLE,
                f"{self._unplaced_rows} rows of values under no table header that could be read",
            )
        head = text[:3000]
        section16 = re.search(r"(\[\s*[Xx]?\s*\])\s*Check this box if no longer", head)
        if section16:
            filing.not_subject_to_section16 = "X" in section16[1].upper()
        plan = re.search(r"(\[\s*[Xx]?\s*\])\s*Check this box to indicate", head)
        if plan:
            filing.aff10b5one = "X" in plan[1].upper()
        for line in filing.lines:
            _settle_line(line)
        filing.footnotes = footnotes_in(text)
        filing.remarks = remarks_in(text)
        filing.signatures = signatures_in(text)
        return filing
