"""The current view's rules, on filings built by hand: links, restated tables, order."""

from __future__ import annotations

import datetime as dt
import itertools

from consumers.current.store import FilingStore, decode_version, encode_version, pack_lines
from consumers.current.view import (
    FamilyKey,
    FilingVersion,
    Match,
    family_view,
    links,
)

FAMILY = FamilyKey("0000320193", ("0001214156",), "4", dt.date(2026, 3, 2))
DAY = dt.date(2026, 3, 4)


def filing(
    accession: str,
    tags: tuple[str, ...],
    on: dt.date = DAY,
    amends_day: dt.date | None = None,
    hour: int = 10,
    family: FamilyKey = FAMILY,
) -> FilingVersion:
    accepted = dt.datetime.combine(on, dt.time(hour), dt.UTC)
    return FilingVersion(
        accession=accession,
        is_amendment=amends_day is not None,
        family=family,
        filed_on=on,
        filed_at_ms=int(accepted.timestamp() * 1000),
        original_date=amends_day,
        tags=tags,
        content=pack_lines([f"{accession}:{tag}".encode() for tag in tags]),
    )


ORIGINAL = filing("0001-26-000001", ("T1:1", "T1:2", "T2:1"))
LATER = dt.date(2026, 3, 20)


def test_an_amendment_restating_table_one_replaces_it_and_leaves_table_two_as_filed():
    amendment = filing("0001-26-000009", ("T1:1",), on=LATER, amends_day=DAY)
    view = family_view([ORIGINAL, amendment])
    assert links([ORIGINAL, amendment]) == {amendment.accession: (Match.EXACT, ORIGINAL.accession)}
    assert sorted(view) == [f"{ORIGINAL.accession}:T1:1", f"{ORIGINAL.accession}:T2:1"]
    assert view[f"{ORIGINAL.accession}:T1:1"].accession == amendment.accession
    assert view[f"{ORIGINAL.accession}:T1:1"].amends == ORIGINAL.accession
    assert view[f"{ORIGINAL.accession}:T2:1"].accession == ORIGINAL.accession
    assert view[f"{ORIGINAL.accession}:T2:1"].match is None


def test_a_second_amendment_supersedes_the_first_even_when_it_names_the_first_ones_day():
    first = filing("0001-26-000009", ("T1:1", "T1:2"), on=LATER, amends_day=DAY)
    second = filing("0001-26-000011", ("T1:1",), on=dt.date(2026, 4, 1), amends_day=LATER, hour=11)
    view = family_view([ORIGINAL, first, second])
    assert links([ORIGINAL, first, second])[second.accession] == (Match.EXACT, ORIGINAL.accession)
    assert {k: s.accession for k, s in view.items()} == {
        f"{ORIGINAL.accession}:T1:1": second.accession,
        f"{ORIGINAL.accession}:T2:1": ORIGINAL.accession,
    }


def test_two_originals_of_one_day_make_the_amendment_ambiguous_and_it_stands_alone():
    twin = filing("0001-26-000002", ("T1:1",), hour=12)
    amendment = filing("0001-26-000009", ("T1:1",), on=LATER, amends_day=DAY)
    view = family_view([ORIGINAL, twin, amendment])
    assert links([ORIGINAL, twin, amendment])[amendment.accession] == (Match.AMBIGUOUS, None)
    standing = view[f"{amendment.accession}:T1:1"]
    assert (standing.accession, standing.amends, standing.match) == (
        amendment.accession,
        None,
        Match.AMBIGUOUS,
    )
    assert view[f"{ORIGINAL.accession}:T1:1"].accession == ORIGINAL.accession


def test_no_original_of_that_day_or_family_is_not_found():
    elsewhere = FamilyKey("0000320193", ("0009999999",), "4", dt.date(2026, 3, 2))
    amendment = filing("0001-26-000009", ("T1:1",), on=LATER, amends_day=DAY, family=elsewhere)
    other_day = filing("0001-26-000010", ("T1:1",), on=LATER, amends_day=dt.date(2026, 3, 5))
    found = links([ORIGINAL, other_day])
    assert found[other_day.accession] == (Match.NOT_FOUND, None)
    assert links([amendment])[amendment.accession] == (Match.NOT_FOUND, None)


def test_the_view_is_the_same_whatever_order_the_filings_arrive_in():
    first = filing("0001-26-000009", ("T1:1", "T2:1", "T2:2"), on=LATER, amends_day=DAY)
    second = filing("0001-26-000011", ("T2:1",), on=dt.date(2026, 4, 1), amends_day=DAY)
    twin_elsewhere = filing("0001-26-000003", ("T1:1",), on=dt.date(2026, 3, 5))
    filings = [ORIGINAL, first, second, twin_elsewhere]
    views = set()
    for order in itertools.permutations(filings):
        store = FilingStore()
        written: dict[str, object] = {}
        for version in order:
            changes, _ = store.apply(version)
            for change in changes:
                if change.standing is None:
                    written.pop(change.key)
                else:
                    written[change.key] = change.standing
        assert written == family_view(filings)
        views.add(tuple(sorted(written.items())))
    assert len(views) == 1


def test_a_removed_line_is_a_tombstone_and_an_undone_batch_restores_the_store():
    store = FilingStore()
    store.apply(ORIGINAL)
    store.commit()
    amendment = filing("0001-26-000009", ("T1:1",), on=LATER, amends_day=DAY)
    changes, _ = store.apply(amendment)
    assert [(c.key, c.standing and c.standing.accession) for c in changes] == [
        (f"{ORIGINAL.accession}:T1:1", amendment.accession),
        (f"{ORIGINAL.accession}:T1:2", None),
    ]
    assert store.apply(amendment) == ([], {})  # the same filing read again
    store.undo()
    assert list(store.versions) == [ORIGINAL.accession]


def test_a_filing_without_lines_gives_way_to_an_amendment_with_lines():
    empty = filing("0001-26-000001", ("T0:0",))
    amendment = filing("0001-26-000009", ("T1:1",), on=LATER, amends_day=DAY)
    assert list(family_view([empty, amendment])) == [f"{empty.accession}:T1:1"]


def test_the_changelog_value_round_trips():
    amendment = filing("0001-26-000009", ("T1:1",), on=LATER, amends_day=DAY)
    assert decode_version(encode_version(amendment)) == amendment
    assert decode_version(encode_version(ORIGINAL)) == ORIGINAL


def test_the_amendment_link_spliced_into_a_record_equals_encoding_it_whole():
    """with_amendment_link writes the two last fields without decoding the record."""
    from consumers.avro_codec import decode_single_object, encode_single_object, with_amendment_link
    from consumers.parsing.core.records import filing_records
    from consumers.parsing.document import DocumentHints, parse_document
    from consumers.schemas import TRANSACTION
    from tests.conftest import FIXTURES

    document = (FIXTURES / "xml" / "000120919113020995.xml").read_bytes()
    record = filing_records(parse_document(document, DocumentHints("0001209191-13-020995")))[0]
    payload = encode_single_object(TRANSACTION, record)
    linked = with_amendment_link(payload, "0001209191-13-000001", "exact")
    assert linked == encode_single_object(
        TRANSACTION,
        {**record, "amends_accession": "0001209191-13-000001", "amendment_match": "exact"},
    )
    assert decode_single_object(linked)[1]["amendment_match"] == "exact"
    assert with_amendment_link(linked, None, "ambiguous") is None  # already linked: decode


def test_stored_records_that_would_inflate_past_a_filings_bound_are_refused():
    import zlib

    import pytest

    from consumers import limits
    from consumers.current.store import unpack_lines

    bomb = zlib.compress(b"\0" * (2 * limits.MAX_FILING_OUTPUT_BYTES + 1), 9)
    with pytest.raises(ValueError, match="past their bound"):
        unpack_lines(bomb)


def test_filings_without_owner_or_issuer_ciks_never_link():
    from consumers.current.view import family_of

    def record(accession: str, owner_cik: str | None, issuer_cik: str | None = "0000320193"):
        return {
            "record_id": f"{accession}:T1:1",
            "form_type": "4/A",
            "issuer": {"cik": issuer_cik},
            "reporting_owners": [{"cik": owner_cik, "name": "Same Name"}],
            "period_of_report": dt.date(2026, 3, 2),
        }

    assert family_of(record("a", "0001")) == family_of(record("b", "0001"))
    assert family_of(record("a", None)) != family_of(record("b", None))
    assert family_of(record("a", "0001", None)) != family_of(record("b", "0001", None))
