"""EDGAR's HTML rendering of a Form 3/4/5: its tables become the same grids the PDF path reads.

Leaf tables are expanded cell by cell (rowspan/colspan leave None where pdfplumber leaves None
for merged cells); the outer layout table of the header boxes gives one text per box.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from consumers.limits import MAX_HTML_COLSPAN, MAX_HTML_TABLE_CELLS
from consumers.parsing.core.errors import ParseError, Reason
from consumers.parsing.core.model import Filing
from consumers.parsing.grid.reader import GridReader

_PARSER = lxml.html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)


def _text(element: etree._Element) -> str:
    return " ".join(element.text_content().split())


def _box_text(cell: etree._Element) -> str:
    """A header box: its own text, then each row of its nested tables on a line."""
    pieces = [" ".join(t.split()) for t in cell.xpath("./text()|./*[not(self::table)]//text()")]
    # captions such as "(Street)" and the "*" mark float outside the nested rows they label
    own = " ".join(
        p
        for p in pieces
        if p and p != "*" and not (p.startswith("(") and p.endswith(")") and " " not in p)
    )
    lines = [own] if own else []
    for row in cell.xpath(".//table//tr"):
        line = " ".join(_text(c) for c in row.xpath("./td|./th") if _text(c))
        if line:
            lines.append(line)
    return "\n".join(lines)


def _rows(table: etree._Element) -> list[etree._Element]:
    return table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")


def _span(cell: etree._Element, name: str, ceiling: int) -> int:
    """A colspan/rowspan as browsers read it: digits, at least 1, at most `ceiling`."""
    digits = re.match(r"\s*(\d{1,7})", cell.get(name) or "")
    return min(max(1, int(digits[1])) if digits else 1, ceiling)


def _grid(table: etree._Element) -> list[list[str | None]]:
    """The table's cells, spans expanded; a rowspan stops at the table's last row (as in
    browsers) and the whole grid is bounded, so spans cannot multiply a small file."""
    grid: dict[tuple[int, int], str | None] = {}
    width = 0
    rows = _rows(table)
    for r, row in enumerate(rows):
        c = 0
        for cell in row.xpath("./td|./th"):
            while (r, c) in grid:
                c += 1
            colspan = _span(cell, "colspan", MAX_HTML_COLSPAN)
            rowspan = _span(cell, "rowspan", len(rows) - r)
            if len(grid) + colspan * rowspan > MAX_HTML_TABLE_CELLS:
                raise ParseError(
                    Reason.DOCUMENT_TOO_LARGE,
                    f"an HTML table spans more than {MAX_HTML_TABLE_CELLS} cells",
                    stage="limit",
                )
            for dr in range(rowspan):
                for dc in range(colspan):
                    grid[(r + dr, c + dc)] = _text(cell) if (dr, dc) == (0, 0) else None
            c += colspan
            width = max(width, c)
    if width * len(rows) > MAX_HTML_TABLE_CELLS:
        raise ParseError(
            Reason.DOCUMENT_TOO_LARGE,
            f"an HTML table of {len(rows)} rows by {width} columns is not a form's table",
            stage="limit",
        )
    return [[grid.get((r, c)) for c in range(width)] for r in range(len(rows))]


def parse_html(data: bytes) -> Filing:
    try:
        document = lxml.html.fromstring(data, parser=_PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(Reason.MALFORMED_XML, f"unreadable HTML: {exc}") from None
    reader = GridReader("html")
    lines: list[str] = []
    for table in document.iter("table"):
        if table.xpath(".//table"):
            for row in _rows(table):
                reader.feed([[_box_text(cell) for cell in row.xpath("./td|./th")]])
            continue
        grid = _grid(table)
        reader.feed(grid)
        lines.extend(" ".join(c for c in row if c) for row in grid)
    head = " ".join(document.text_content().split())[:2000]
    return reader.finish(head + "\n" + "\n".join(lines))
