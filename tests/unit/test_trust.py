"""Records a consumer can trust: a value the reader cannot place is null and marked unread,
never wrong and never a refused filing; what OCR read once is marked unverified; provenance
reaches the record and its Avro bytes (and older bytes still read)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import fastavro
import pdfplumber
import pytest

from bench.scoring import compare_filings
from consumers.avro_codec import decode_single_object
from consumers.parsing import ParseError, parse_document
from consumers.parsing.core.model import Filing, Provenance, TableLine
from consumers.parsing.core.records import filing_records
from consumers.parsing.grid.reader import GridReader, ResolvedCells
from consumers.schemas import TRANSACTION, previous_schemas
from tests.conftest import FIXTURES

PDFS = FIXTURES / "pdf"


def _grid(path: Path) -> tuple[list[list[Any]], str]:
    """A printed PDF's table rows and its text, as the PDF reader feeds them."""
    rows: list[list[Any]] = []
    texts = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            for table in sorted(page.find_tables(), key=lambda t: (t.bbox[1], t.bbox[0])):
                rows.extend(table.extract())
            texts.append(page.extract_text() or "")
    return rows, "\n".join(texts)


def _read(rows: list[list[Any]], text: str) -> Filing:
    reader = GridReader("pdf")
    reader.feed(rows)
    return reader.finish(text)


def _truth(stem: str) -> Filing:
    return parse_document((PDFS / f"{stem}.xml").read_bytes())


def test_a_joint_filer_cut_by_a_page_break_is_one_owner_and_no_name_shifts() -> None:
    rows, text = _grid(PDFS / "000089924321036608.pdf")
    owner_rows = [i for i, r in enumerate(rows) if len(r) == 5 and r[0] and "MITHRIL" in r[0]]
    assert len(owner_rows) >= 6
    for index in reversed(owner_rows[1:4]):  # three owners, each split before its city line
        lines = rows[index][0].split("\n")
        rows[index : index + 1] = [
            [("\n".join(lines[:-1])), *rows[index][1:]],
            ["\n".join(lines[-1:]), "", "", "", ""],
        ]
    filing = _read(rows, text)
    truth = _truth("000089924321036608")
    assert [o.name for o in filing.reporting_owners] == [o.name for o in truth.reporting_owners]
    assert all(o.city == "AUSTIN" and o.zip == "78701" for o in filing.reporting_owners)
    assert compare_filings(truth, filing).wrong == 0


def test_a_joint_filer_whose_marks_fall_below_the_page_break_is_one_owner() -> None:
    rows, text = _grid(PDFS / "000089924321036608.pdf")
    owner_rows = [i for i, r in enumerate(rows) if len(r) == 5 and r[0] and "MITHRIL" in r[0]]
    index = owner_rows[2]
    lines = rows[index][0].split("\n")
    rows[index : index + 1] = [
        ["\n".join(lines[:2]), "", "", "", ""],  # name and c/o above the cut, no marks
        ["\n".join(lines[2:]), *rows[index][1:]],  # street, city and the marks below it
    ]
    filing = _read(rows, text)
    truth = _truth("000089924321036608")
    assert [o.name for o in filing.reporting_owners] == [o.name for o in truth.reporting_owners]
    assert all(o.city == "AUSTIN" and o.zip == "78701" for o in filing.reporting_owners)
    assert compare_filings(truth, filing).wrong == 0


def _first_data_row(rows: list[list[Any]], table: str) -> int:
    start = next(
        i
        for i, r in enumerate(rows)
        if r[0]
        and r[0].startswith("1. Title of")
        and (("Derivative" in r[0]) == (table == "derivative"))
    )
    return next(
        i
        for i in range(start + 1, len(rows))
        if rows[i][0]
        and not rows[i][0].startswith(("1.", "Code"))
        and any(rows[i][1:])
        and len(rows[i]) == len(rows[start])
    )


def test_an_unreadable_amount_nulls_that_field_marked_and_the_filing_stands() -> None:
    rows, text = _grid(PDFS / "000106299324008173.pdf")
    as_printed = _read([list(row) for row in rows], text)
    at = _first_data_row(rows, "non_derivative")
    owned_after = max(i for i, c in enumerate(rows[at]) if c and c[:1].isdigit())
    rows[at][owned_after] = "I"  # the case: "I" read where owned-after belongs
    filing = _read(rows, text)
    line = filing.lines[0]
    assert line.shares_owned_following is None
    assert "shares_owned_following" in line.unread_fields
    score = compare_filings(as_printed, filing)  # the same rows, that one cell readable
    # that cell's value and its footnote marks are unread; nothing else changed
    assert (score.wrong, score.missing, score.unread) == (0, 0, 2)


def _finished(*lines: TableLine) -> Filing:
    reader = GridReader("pdf")
    reader.feed(
        [
            [
                "1. Name and Address of Reporting Person*\nDoe John",
                "2. Issuer Name and Ticker or Trading Symbol\nExample Corp [ EXC ]",
            ]
        ]
    )
    reader.filing.lines.extend(lines)
    return reader.finish("FORM 4")


def test_a_holding_line_never_carries_a_misplaced_transaction_amount() -> None:
    line = TableLine(
        table="derivative", kind="holding", line=1, shares=Decimal(60000), direct_indirect="D"
    )
    _finished(line)
    assert line.shares is None and line.unread_fields == {"shares"}
    # a transaction whose code was printed but unread stays a transaction, amount and all
    unread_code = TableLine(
        table="derivative", kind="holding", line=2, shares=Decimal(5), direct_indirect="D"
    )
    unread_code.note_unread("transaction_code")
    _finished(unread_code)
    assert unread_code.kind == "transaction" and unread_code.shares == Decimal(5)
    # every line prints D or I: a null one is unread
    blank = TableLine(table="non_derivative", kind="holding", line=1)
    _finished(blank)
    assert blank.unread_fields == {"direct_indirect"}


def test_columns_cut_off_at_the_page_edge_are_unread_not_blank() -> None:
    path = PDFS / "000089924317024633.pdf"  # Table II printed without columns 9 to 11
    filing = parse_document(path.read_bytes())
    derivative = [line for line in filing.lines if line.table == "derivative"]
    assert derivative
    for line in derivative:
        assert {"direct_indirect", "nature_of_ownership", "shares_owned_following"} <= set(
            line.unread_fields
        )
    score = compare_filings(_truth("000089924317024633"), filing)
    assert score.wrong == 0 and score.missing == 0


def test_rows_under_a_header_whose_labels_were_all_lost_are_lines_of_unread_values() -> None:
    # a blurred Table II: its title column's label garbled past reading, the rest too
    garbled = [
        "1. Title of\nSeasity",
        "=/2./Price of",
        "unetSareet",
        "3A. Ocemed",
        "6. Exercisatic",
    ]
    rows = [
        ["Stock Option", "$6.13", "06/28/2021", "", "M"],
        ["Stock Option", "$7.00", "", "", "M"],
    ]
    reader = GridReader("pdf")
    reader.feed([_BOXES, garbled, *rows])
    filing = reader.finish("FORM 4")
    assert [line.security_title for line in filing.lines] == ["Stock Option", "Stock Option"]
    for line in filing.lines:  # two lines, as printed: neither taken for the other's wrap
        assert line.table == "derivative"
        assert {"transaction_date", "shares", "underlying_shares"} <= line.unread_fields
    # a blank row's specks read as letters ("ee", "sta") under a title the layer did not
    # confirm: no title word, so no line
    reader = GridReader("pdf", resolve_cells=_unread_title)
    reader.feed([_BOXES, garbled])
    speckled = ["?", "(a", "ed", "", "sta"]
    reader.feed_row(speckled, cells=speckled)
    assert not reader.finish("FORM 4").lines
    # figures in those columns are a line's, its title lost to blur or not
    reader = GridReader("pdf", resolve_cells=_unread_title)
    reader.feed([_BOXES, garbled])
    blurred = ["?", "a", "lv2ezoz1", "", "11.0160"]
    reader.feed_row(blurred, cells=blurred)
    (line,) = reader.finish("FORM 4").lines
    assert {"security_title", "transaction_date", "underlying_shares"} <= line.unread_fields
    reader = GridReader("pdf")  # a Form 3 prints no transaction columns
    reader.feed([_BOXES, garbled, rows[0]])
    (line,) = reader.finish("FORM 3").lines
    assert (
        "transaction_date" not in line.unread_fields and "underlying_shares" in line.unread_fields
    )


def test_box_1s_captions_garbled_by_a_scan_still_part_name_street_and_city() -> None:
    box = "\n".join(
        [
            "1. Name and Address of Reporting Person*",
            "Hoffman Reid",
            "(Lash (First) (Middle)",
            "C/O MICROSOFT CORPORATION",
            "ONE MICROSOFT WAY",
            "(Sireei)",
            "REDMOND WA 98052",
            "(Ciy) (Stale) (Zp)",
        ]
    )
    reader = GridReader("pdf")
    reader.feed([[box, _BOXES[1]], _TABLE_I, _SUB, _SALE])
    (owner,) = reader.finish("FORM 4").reporting_owners
    assert owner.name == "Hoffman Reid"
    assert owner.street1 == "C/O MICROSOFT CORPORATION ONE MICROSOFT WAY"
    assert (owner.city, owner.state, owner.zip) == ("REDMOND", "WA", "98052")


def test_table_ii_columns_whose_labels_were_not_read_leave_their_fields_unread() -> None:
    header = [
        "1. Title of Derivative Security (Instr. 3)",
        "2. Conversion or Exercise Price of Derivative Security",
        "3. Transaction Date (Month/Day/Year)",
        "garbled",
        "garbled",
    ]
    reader = GridReader("pdf")
    reader.feed([_BOXES, header, ["Stock Option", "$6.13", "06/28/2021", "4,502", "0"]])
    (line,) = reader.finish("FORM 4").lines
    assert line.conversion_or_exercise_price == Decimal("6.13")
    # a Form 4's Table II prints the amount, its direction and the amount owned after
    assert {"shares", "acquired_disposed", "shares_owned_following"} <= line.unread_fields


def _unread_title(fields: list[str | None], cells: Sequence[Any]) -> ResolvedCells:
    """A scan's resolver in small: a title cell read as "?" is printed but not read."""
    resolved = ResolvedCells(["" if cell == "?" else cell for cell in cells])
    if cells[0] == "?":
        resolved.unread.add("security_title")
    return resolved


def test_a_title_spanning_two_lines_not_read_is_unread_on_both() -> None:
    reader = GridReader("pdf", resolve_cells=_unread_title)
    reader.feed([_BOXES, _TABLE_I, _SUB])
    for row in (["?", *_SALE[1:]], [None, *_SALE[1:5], "2,000", *_SALE[6:]]):
        reader.feed_row(row, cells=row)
    first, second = reader.finish("FORM 4").lines
    assert first.security_title is second.security_title is None
    assert "security_title" in first.unread_fields and "security_title" in second.unread_fields
    reader = GridReader("pdf")  # a table's first line with no title read: nothing spans it
    reader.feed([_BOXES, _TABLE_I, _SUB, ["", *_SALE[1:]]])
    (line,) = reader.finish("FORM 4").lines
    assert line.security_title is None and "security_title" in line.unread_fields


def test_xml_records_carry_empty_provenance_and_scans_mark_what_they_could_not_read() -> None:
    xml = parse_document((PDFS / "000089924317024633.xml").read_bytes())
    for record in filing_records(xml):
        assert record["unread_fields"] == record["unverified_fields"] == []
    scan = parse_document((PDFS / "ocr-000089924319028183.pdf").read_bytes())
    truth = _truth("000089924319028183")
    score = compare_filings(truth, scan)
    # every printed value is right, wrong or marked unread: no unexplained null
    assert score.missing == 0, score.missing_fields
    assert score.wrong == 0


def test_provenance_reaches_the_record_sorted_with_the_filing_paths() -> None:
    line = TableLine(table="non_derivative", kind="transaction", line=1)
    line.note_unread("price_per_share")
    filing = Filing(
        source_format="pdf",
        lines=[line],
        provenance=Provenance(unread={"remarks"}, unverified={"issuer.name"}),
    )
    (record,) = filing_records(filing)
    assert record["unread_fields"] == ["price_per_share", "remarks"]
    assert record["unverified_fields"] == ["issuer.name"]
    assert record["resolved_fields"] == []


@pytest.mark.parametrize("writer", [w for name, w in previous_schemas() if name == TRANSACTION])
def test_bytes_written_with_an_earlier_schema_still_decode(writer: Any) -> None:
    from fastavro.schema import fingerprint, to_parsing_canonical_form

    from consumers.avro_codec import SINGLE_OBJECT_MAGIC

    record = filing_records(parse_document((PDFS / "000089924317024633.xml").read_bytes()))[0]
    old = {
        k: v
        for k, v in record.items()
        if k not in ("unread_fields", "unverified_fields", "resolved_fields")
    }
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, writer, old)
    stamp = bytes.fromhex(fingerprint(to_parsing_canonical_form(writer), "CRC-64-AVRO"))
    name, back = decode_single_object(SINGLE_OBJECT_MAGIC + stamp + buffer.getvalue())
    assert name == TRANSACTION
    assert back["record_id"] == record["record_id"] and back["unread_fields"] == []


def test_a_rendering_code_outside_the_sec_list_is_unread_while_xml_is_refused() -> None:
    from consumers.parsing import ParseError
    from consumers.parsing.core.validation import validate_filing

    def filing(source_format: str) -> tuple[Filing, TableLine]:
        line = TableLine(table="non_derivative", kind="transaction", line=1, transaction_code="Q")
        return Filing(source_format=source_format, form_type="4", lines=[line]), line

    rendered, line = filing("pdf")
    validate_filing(rendered)
    assert line.transaction_code is None and line.unread_fields == {"transaction_code"}
    with pytest.raises(ParseError):
        validate_filing(filing("xml")[0])


_BOXES = [
    "1. Name and Address of Reporting Person*\nDoe John",
    "2. Issuer Name and Ticker or Trading Symbol\nExample Corp [ EXC ]",
]
_TABLE_I = [
    "1. Title of Security (Instr. 3)",
    "2. Transaction Date (Month/Day/Year)",
    "2A. Deemed Execution Date, if any (Month/Day/Year)",
    "3. Transaction Code (Instr. 8)",
    None,
    "4. Securities Acquired (A) or Disposed Of (D) (Instr. 3, 4 and 5)",
    None,
    None,
    "5. Amount of Securities Beneficially Owned Following Reported Transaction(s)",
    "6. Ownership Form: Direct (D) or Indirect (I) (Instr. 4)",
    "7. Nature of Indirect Beneficial Ownership (Instr. 4)",
]
_SUB = ["", "", "", "Code", "V", "Amount", "(A) or (D)", "Price", "", "", ""]
_SALE = ["Common Stock", "11/09/2021", "", "S", "", "1,000", "D", "$10.00", "9,000", "D", ""]


def _table_i(header: list[str | None], *rows: list[str | None]) -> Filing:
    reader = GridReader("pdf")
    reader.feed([_BOXES, header, _SUB, *rows])
    return reader.finish("FORM 4")


def test_a_column_label_ocr_garbled_takes_its_field_from_the_printed_order() -> None:
    garbled = list(_TABLE_I)
    garbled[3] = "a aan Transaction. Code {Insiv."
    (line,) = _table_i(garbled, _SALE).lines
    assert line.transaction_code == "S"
    assert line.shares == Decimal(1000) and line.shares_owned_following == Decimal(9000)
    # a table no printed layout fits keeps what its labels say
    narrow = [*_TABLE_I[:4], *_TABLE_I[5:]]
    reader = GridReader("pdf")
    reader.feed([_BOXES, narrow])
    assert reader.filing.lines == []


def test_header_rows_ocr_garbled_past_their_labels_are_not_lines() -> None:
    def lines(*rows: list[str | None]) -> list[TableLine]:
        reader = GridReader("pdf")
        reader.feed([_BOXES, _TABLE_I, *rows])
        return reader.finish("FORM 4").lines

    # the sub-header misread ("Cade", "(Dp)") or with nothing under the title column
    for garbled in (
        ["", "", "", "Cade", "Vv", "Amaunt", "(Dp)", "Prlce", "", "", ""],
        ["", "", "ay t", "", "voue", "I", "JAIMOUTIL", "wy) or (0", "eIGe.", "and 4", "a"],
    ):
        (line,) = lines(garbled, _SALE)
        assert (line.line, line.transaction_code, line.shares) == (1, "S", Decimal(1000))
        (line,) = lines(garbled, _SUB, _SALE)  # the printed one still read after it
        assert line.price_per_share == Decimal("10.00")
    # a piece of the column header split off by a stray ruling, its numbers lost
    fragment = ["Security", "", "", "Code (Instr.", "", "(Instr. 3, 4", "", "", "{instr 4", "", ""]
    (line,) = lines(fragment, _SUB, _SALE)
    assert line.line == 1 and line.price_per_share == Decimal("10.00")
    # after a data row, a row with no title is data (wrapped text), never a sub-header
    held = [*_SALE[:9], "I", "By Trust"]
    (line,) = lines(held, [""] * 10 + ["for my children"])
    assert line.nature_of_ownership == "By Trust for my children"


def test_table_ii_is_known_by_its_labels_when_the_title_label_lost_derivative() -> None:
    header = ["1. Title of\nSecurity\n(Instr. 3)", "2. Conversion or Exercise Price of Derivative"]
    header += ["3. Transaction Date (Month/Day/Year)"]
    reader = GridReader("pdf")
    reader.feed([_BOXES, header, ["Stock Option", "$10.00", "11/09/2021"]])
    (line,) = reader.finish("FORM 4").lines
    assert line.table == "derivative" and line.conversion_or_exercise_price == Decimal("10.00")


def test_a_title_less_row_does_not_fill_a_value_the_line_above_printed_but_not_read() -> None:
    def resolve(fields: list[str | None], cells: Sequence[object]) -> ResolvedCells:
        texts = [str(cell) for cell in cells]
        resolved = ResolvedCells(texts)
        if texts[8] == "?":  # the owned-after amount printed, not read
            texts[8] = ""
            resolved.unread.add("shares_owned_following")
        return resolved

    unread_owned = [*_SALE[:8], "?", *_SALE[9:]]
    owned_only = ["", "", "", "", "", "", "", "", "8,000", "", ""]
    for first, spilled in ((unread_owned, False), ([*_SALE[:8], "", "D", ""], True)):
        reader = GridReader("pdf", resolve_cells=resolve)
        rows = [_BOXES, _TABLE_I, _SUB, first, owned_only]
        for row in rows:
            reader.feed_row(row, cells=row if row in (first, owned_only) else None)
        lines = reader.finish("FORM 4").lines
        # a spill fills an empty field above; a value printed above but unread is not empty
        assert len(lines) == (1 if spilled else 2)
        assert lines[-1].shares_owned_following == Decimal(8000)


def test_a_conversion_price_label_that_lost_a_letter_is_no_price_column() -> None:
    header = ["1. Title of Derivative Security (Instr. 3)"]
    header += ["2.\nConversio\nor Exercise\nPrice of\nDerivative\nSecurity"]
    header += ["3. Transaction Date (Month/Day/Year)"]
    reader = GridReader("pdf")
    reader.feed([_BOXES, header, ["Stock Option", "$6.13", "06/28/2021"]])
    (line,) = reader.finish("FORM 4").lines
    assert line.conversion_or_exercise_price == Decimal("6.13") and line.price_per_share is None


@pytest.mark.parametrize(
    ("date_box", "form"),
    [
        ("3. Date of Earliest Transaction (Month/Day/Year)\n11/09/2021", "4"),
        ("Date of Easiest Transaction (Momh/Day/Year)\n11/09/2021", "4"),
        ("2. Date of Event Requiring Statement (Month/Day/Year)\n11/09/2021", "3"),
        ("3. Statement for Issuer's Fiscal Year Ended (Month/Day/Year)\n12/31/2021", "5"),
        (None, None),
    ],
)
def test_a_form_whose_title_was_not_read_is_known_by_its_date_box(
    date_box: str | None, form: str | None
) -> None:
    no_v = ["" if label == "V" else label for label in _SUB]  # no V column read either
    reader = GridReader("pdf")
    reader.feed([[*_BOXES, *([date_box] if date_box else [])], _TABLE_I, no_v, _SALE])
    if form is None:
        with pytest.raises(ParseError, match="no FORM"):
            reader.finish("UNITED STATES SECURITIES AND EXCHANGE COMMISSION")
        return
    filing = reader.finish("UNITED STATES SECURITIES AND EXCHANGE COMMISSION")
    assert filing.form_type == form


def test_a_form_whose_title_and_date_box_were_lost_is_a_form_4_by_its_v_column() -> None:
    reader = GridReader("pdf")  # only Form 4's Table I prints a V column
    reader.feed([_BOXES, _TABLE_I, _SUB, _SALE])
    assert reader.finish("UNITED STATES SECURITIES AND EXCHANGE COMMISSION").form_type == "4"


def test_a_header_box_whose_label_was_garbled_beside_the_other_is_unread() -> None:
    garbled_issuer = [_BOXES[0], "2 Issiet Nana and Troe or Tracer Syitcun\nExample Corp"]
    reader = GridReader("pdf")
    reader.feed([garbled_issuer, _TABLE_I, _SUB, _SALE])
    filing = reader.finish("FORM 4")
    assert filing.issuer.name is None
    assert {"issuer.name", "issuer.trading_symbol"} <= filing.provenance.unread
    (line,) = filing.lines
    assert line.shares == Decimal(1000)


def test_a_form_with_neither_header_box_found_is_refused() -> None:
    reader = GridReader("pdf")
    reader.feed([_TABLE_I, _SUB, _SALE])
    with pytest.raises(ParseError, match="boxes 1 and 2"):
        reader.finish("FORM 4")


def test_a_joint_filers_director_cell_holding_neither_x_nor_nothing_is_unread() -> None:
    reader = GridReader("pdf")
    reader.feed([_BOXES, ["Reporting Owner Name / Address", "Relationships", None, None, None]])
    reader.feed([["", "Director", "10% Owner", "Officer", "Other"]])
    reader.feed([["Doe John\n1 Main St\nPALO ALTO, CA 94301", "fo Dee", "X", "", ""]])
    reader.feed([["Roe Jane\n1 Main St\nPALO ALTO, CA 94301", "x", "", "CFO", ""]])
    filing = reader.finish("FORM 4")
    doe, roe = filing.reporting_owners
    assert (doe.is_director, doe.is_ten_percent_owner, doe.is_officer) == (None, True, False)
    assert (roe.is_director, roe.is_officer, roe.officer_title) == (True, True, "CFO")
    assert {"reporting_owners[0].is_director"} == {
        p for p in filing.provenance.unread if p.startswith("reporting_owners")
    }
    assert reader.joint_owner_flag_cells[1] == ["x", "", "CFO", ""]


def _reader_of_unread_cells() -> GridReader:
    """A reader past Table I's header whose resolver reads a "?" cell as printed but unread."""

    def resolver(fields: list[str | None], cells: Sequence[Any]) -> ResolvedCells:
        texts = [c if c != "?" else "" for c in cells]
        return ResolvedCells(
            texts, unread={f for f, c in zip(fields, cells, strict=True) if c == "?" and f}
        )

    reader = GridReader("pdf", resolve_cells=resolver)
    reader.feed([_BOXES, _TABLE_I, _SUB])
    return reader


def test_a_row_of_printed_but_unread_value_cells_is_a_line_of_its_own() -> None:
    reader = _reader_of_unread_cells()
    reader.feed_row(_SALE, cells=_SALE)
    unread = ["Common Stock", "?", "", "?", "", "?", "", "?", "?", "", ""]
    reader.feed_row(unread, cells=unread)
    first, second = reader.finish("FORM 4").lines
    assert first.shares == Decimal(1000) and second.line == 2
    assert second.shares is None and second.transaction_date is None
    assert {"shares", "transaction_date", "shares_owned_following"} <= set(second.unread_fields)


def test_a_box_whose_label_was_read_but_not_its_value_is_null_and_unread() -> None:
    reader = GridReader("pdf")
    reader.feed(
        [
            ["1. Name and Address of Reporting Person*\n(Last) (First) (Middle)", _BOXES[1]],
            _TABLE_I,
            _SUB,
            _SALE,
        ]
    )
    filing = reader.finish("FORM 4")
    assert filing.reporting_owners[0].name is None
    assert "reporting_owners[0].name" in filing.provenance.unread
    reader = GridReader("pdf")  # box 1's label garbled too, beside box 2: its value unread
    reader.feed([["Doe John", _BOXES[1]], _TABLE_I, _SUB, _SALE])
    filing = reader.finish("FORM 4")
    assert filing.reporting_owners[0].name is None
    assert "reporting_owners[0].name" in filing.provenance.unread


def test_values_under_no_readable_table_header_refuse_the_filing() -> None:
    reader = GridReader("pdf")
    reader.feed([_BOXES, ["1. Tale-of", "2: Transacton"], _SALE])
    with pytest.raises(ParseError, match="no table header"):
        reader.finish("FORM 4")


_RELATIONSHIP = "5. Relationship of Reporting Person(s) to Issuer\n(Check all applicable)\n"


@pytest.mark.parametrize(
    ("boxes", "director"),
    [
        ("[X] Director [ ] 10% Owner\n[ ] Officer (give title below) [ ] Other", True),
        ("[ ] Director [ ] 10% Owner\n[ ] Officer (give title below) [ ] Other", None),
    ],
    ids=["one-checked", "none-read-checked"],
)
def test_a_relationship_box_read_with_nothing_checked_is_unread_not_no(
    boxes: str, director: bool | None
) -> None:
    reader = GridReader("pdf")
    reader.feed([[*_BOXES, _RELATIONSHIP + boxes], _TABLE_I, _SUB, _SALE])
    filing = reader.finish("FORM 4")
    owner = filing.reporting_owners[0]
    assert owner.is_director is director
    flags = ("is_director", "is_officer", "is_ten_percent_owner", "is_other")
    if director:
        assert owner.is_officer is False and not filing.provenance.unread
    else:
        assert all(getattr(owner, flag) is None for flag in flags)
        assert {f"reporting_owners[0].{flag}" for flag in flags} <= filing.provenance.unread


def test_a_title_printed_but_unread_is_null_not_the_title_above() -> None:
    reader = _reader_of_unread_cells()
    reader.feed_row(_SALE, cells=_SALE)
    spanned = ["", *_SALE[1:]]  # a title cell spanning this row and the one above
    reader.feed_row(spanned, cells=spanned)
    unread_title = ["?", *_SALE[1:]]
    reader.feed_row(unread_title, cells=unread_title)
    first, second, third = reader.finish("FORM 4").lines
    assert first.security_title == second.security_title == "Common Stock"
    assert third.security_title is None and "security_title" in third.unread_fields


def test_an_unread_title_read_as_the_title_above_is_that_title() -> None:
    def resolver(fields: list[str | None], cells: Sequence[Any]) -> ResolvedCells:
        title = cells[0]
        if not title.startswith("?"):
            return ResolvedCells(list(cells))
        # read as what follows the "?", but not confirmed
        return ResolvedCells(
            ["", *cells[1:]],
            unread={"security_title"},
            withheld={"security_title": tuple(title[1:].split("|"))},  # re-read | layer
        )

    reader = GridReader("pdf", resolve_cells=resolver)
    reader.feed([_BOXES, _TABLE_I, _SUB])
    titles = ("Common Stock", "?Common  Stock|[eee", "?Comnion Stock|Common Stock(1)")
    for title in (*titles, "?Class B Common Stock|Class B Comrnon"):
        row = [title, *_SALE[1:]]
        reader.feed_row(row, cells=row)
    first, second, third, fourth = reader.finish("FORM 4").lines
    assert first.security_title == second.security_title == third.security_title
    assert "security_title" not in second.unread_fields | third.unread_fields
    assert fourth.security_title is None and "security_title" in fourth.unread_fields
