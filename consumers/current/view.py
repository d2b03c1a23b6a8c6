"""Which filing an amendment restates, and what a set of filings says as it stands: pure (no
Kafka), so the rules are tested on their own and the stage only moves bytes.

The ownership XML names no original accession, only the original's filing date, so a link is a
join on what both forms give: issuer CIK, reporting owner CIK(s), form type and period of
report (the filing's *family*), and the amendment's date of original submission against the
original's EDGAR filing date. One original → `exact`; several → `ambiguous` (never guessed);
none → `not_found` (yet: an original that arrives later links it then).

The view is a function of the set of filings in a family, not of their arrival order: every
change recomputes the family and emits the difference, so an original that arrives after its
amendment (a backfill, a replay) ends in the state the ordered stream reaches.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

from consumers.parsing.core.records import record_id_parts
from consumers.parsing.core.values import EDGAR_ZONE

NO_LINES_TABLE = "T0"  # the tag of a filing with no table line (records.py: table null, line 0)


class Match(StrEnum):
    EXACT = "exact"
    AMBIGUOUS = "ambiguous"
    NOT_FOUND = "not_found"


class FamilyKey(NamedTuple):
    """What an amendment and its original both give: issuer, owners, form, period."""

    issuer_cik: str | None
    owner_ciks: tuple[str, ...]
    form: str  # "3", "4" or "5": an amendment's form without its /A
    period_of_report: dt.date | None


class Link(NamedTuple):
    match: Match
    original: str | None  # the original filing's accession, for an exact match


class Standing(NamedTuple):
    """One line of the current view: which version's line stands, and how it was linked."""

    accession: str  # the version (original or amendment) the line comes from
    tag: str  # "T1:3": table tag and line, as in the record id
    amends: str | None  # an amendment's original (exact match only)
    match: Match | None  # None on an original's own lines


@dataclass(frozen=True, slots=True)
class FilingVersion:
    """One filing (an original or an amendment) as the view needs it: its family, dates, line
    tags, and its records' encoded bytes (`content`, opaque here)."""

    accession: str
    is_amendment: bool
    family: FamilyKey
    filed_on: dt.date | None  # EDGAR filing date (Eastern): what an amendment's box 4 names
    filed_at_ms: int | None  # acceptance instant: the order of an original's amendments
    original_date: dt.date | None  # an amendment's date of original submission
    tags: tuple[str, ...]  # its lines, in record order
    content: bytes

    @property
    def order(self) -> tuple[bool, int, str]:
        return (self.filed_at_ms is None, self.filed_at_ms or 0, self.accession)


def table_of(tag: str) -> str:
    return tag.split(":", 1)[0]


def standing_key(original: str, tag: str) -> str:
    """The current view's Kafka key: the original filing and the line (records.standing_key
    of the record written there)."""
    return f"{original}:{tag}"


def family_of(record: dict[str, Any]) -> FamilyKey:
    """What the record's filing is joined on. A filing without its issuer CIK or an owner's
    CIK (a rendering that does not print them) is a family of its own: two such filings of
    different insiders must never link, and a name read from a page is no key."""
    form = (record.get("form_type") or "").upper().removesuffix("/A").strip()
    issuer = (record.get("issuer") or {}).get("cik")
    ciks = [o.get("cik") for o in record.get("reporting_owners") or ()]
    if issuer is None or not ciks or not all(ciks):
        alone = record_id_parts(record["record_id"])[0]
        return FamilyKey(issuer, (f"unlinkable:{alone}",), form, record.get("period_of_report"))
    return FamilyKey(issuer, tuple(sorted(ciks)), form, record.get("period_of_report"))


def filed_on(record: dict[str, Any]) -> dt.date | None:
    """The EDGAR filing date: the submission header's, else the acceptance instant's day in
    New York (EDGAR's calendar); None when the event carried neither."""
    if record.get("filing_date") is not None:
        return record["filing_date"]
    accepted = record.get("filed_at")
    if isinstance(accepted, dt.datetime) and accepted.tzinfo is not None:
        return accepted.astimezone(EDGAR_ZONE).date()
    return None


def version_of(first: dict[str, Any], tags: Iterable[str], content: bytes) -> FilingVersion:
    """A FilingVersion from one decoded record of a filing (the filing context every record
    repeats) and the tags of all its lines."""
    accession = record_id_parts(first["record_id"])[0]
    accepted = first.get("filed_at")
    return FilingVersion(
        accession=accession,
        is_amendment=bool(first.get("is_amendment")),
        family=family_of(first),
        filed_on=filed_on(first),
        filed_at_ms=int(accepted.timestamp() * 1000) if isinstance(accepted, dt.datetime) else None,
        original_date=first.get("date_of_original_submission"),
        tags=tuple(tags),
        content=content,
    )


def links(versions: Iterable[FilingVersion]) -> dict[str, Link]:
    """Each amendment's link (by accession), from one family's versions. An amendment whose
    box 4 names the day of an earlier amendment rather than the original's follows that
    amendment to its original."""
    ordered = sorted(versions, key=lambda v: v.order)
    originals = [v for v in ordered if not v.is_amendment]
    found: dict[str, Link] = {}
    for index, amendment in enumerate(ordered):
        if not amendment.is_amendment:
            continue
        day = amendment.original_date
        if day is None:
            found[amendment.accession] = Link(Match.NOT_FOUND, None)
            continue
        roots = {o.accession for o in originals if o.filed_on == day}
        ambiguous = len(roots) > 1
        if not roots:
            for earlier in ordered[:index]:
                if earlier.is_amendment and earlier.filed_on == day:
                    link = found[earlier.accession]
                    ambiguous |= link.match is Match.AMBIGUOUS
                    if link.original is not None:
                        roots.add(link.original)
            ambiguous |= len(roots) > 1
        if ambiguous:
            found[amendment.accession] = Link(Match.AMBIGUOUS, None)
        elif roots:
            found[amendment.accession] = Link(Match.EXACT, roots.pop())
        else:
            found[amendment.accession] = Link(Match.NOT_FOUND, None)
    return found


def family_view(versions: Iterable[FilingVersion]) -> dict[str, Standing]:
    """The current view of one family: standing key -> the line that stands there.

    Each original with its exactly linked amendments, in acceptance order: an amendment
    replaces the lines of the tables it restates (its tables: Table I, Table II, or the
    no-lines record) and leaves the others as filed; a line it no longer has is gone. An
    amendment not linked stands on its own, under its own accession."""
    versions = list(versions)
    linked = links(versions)
    groups: dict[str, list[FilingVersion]] = {}
    for version in sorted(versions, key=lambda v: (v.is_amendment, v.order)):
        link = linked.get(version.accession)
        root = link.original if link is not None and link.original else version.accession
        groups.setdefault(root, []).append(version)
    view: dict[str, Standing] = {}
    for root, members in groups.items():
        lines: dict[str, Standing] = {}
        for version in members:
            link = linked.get(version.accession)
            restated = {table_of(tag) for tag in version.tags}
            lines = {tag: s for tag, s in lines.items() if table_of(tag) not in restated}
            for tag in version.tags:
                lines[tag] = Standing(
                    version.accession,
                    tag,
                    link.original if link else None,
                    link.match if link else None,
                )
        if any(table_of(tag) != NO_LINES_TABLE for tag in lines):
            lines = {tag: s for tag, s in lines.items() if table_of(tag) != NO_LINES_TABLE}
        for tag, standing in lines.items():
            view[standing_key(root, tag)] = standing
    return view


class Change(NamedTuple):
    key: str
    standing: Standing | None  # None: a tombstone (the line is gone)


def view_changes(before: dict[str, Standing], after: dict[str, Standing]) -> list[Change]:
    """What to write to the current view to go from `before` to `after`, in key order."""
    changes = [Change(key, s) for key, s in after.items() if before.get(key) != s]
    changes += [Change(key, None) for key in before if key not in after]
    return sorted(changes, key=lambda change: change.key)
