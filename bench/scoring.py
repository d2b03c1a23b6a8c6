"""Field-by-field agreement of a Filing read from a rendering with the same filing's XML.

The accuracy harness and its tests score with this: a field is right when equal, wrong when
the rendering gave another value, and when the rendering gave null: unread if the record marks
it so (`unread_fields`: the consumer knows it is unknown), else missing (an unexplained null,
which the contract says means "blank on the form"). Values the record marks unverified are
counted apart too (`unverified`, and how many of them were wrong).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from consumers.parsing.core.model import Filing, footnote_ids_path

# The fields a rendering prints (the XML has more: values, timeliness, swap flags).
SCORED_LINE_FIELDS = (
    "security_title",
    "transaction_date",
    "deemed_execution_date",
    "transaction_code",
    "shares",
    "price_per_share",
    "acquired_disposed",
    "shares_owned_following",
    "direct_indirect",
    "nature_of_ownership",
    "conversion_or_exercise_price",
    "exercise_date",
    "expiration_date",
    "underlying_security_title",
    "underlying_shares",
)
SCORED_OWNER_FIELDS = (
    "name",
    "city",
    "state",
    "zip",
    "is_director",
    "is_officer",
    "is_ten_percent_owner",
    "is_other",
    "officer_title",
    "other_text",
)


@dataclass
class Score:
    right: int = 0
    missing: int = 0
    wrong: int = 0
    unread: int = 0
    unverified: int = 0
    unverified_wrong: int = 0
    wrong_fields: list[str] = field(default_factory=list)
    missing_fields: list[str] = field(default_factory=list)
    # (field kind, category) -> count; categories: right, wrong, unread, missing, unverified
    by_field: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return self.right + self.missing + self.wrong + self.unread

    def add(
        self, name: str, truth: Any, got: Any, unread: bool = False, unverified: bool = False
    ) -> None:
        truth, got = _norm(truth), _norm(got)
        if truth is None and got is None:
            return
        kind = field_kind(name)
        if got is not None and unverified:
            self.unverified += 1
            self.unverified_wrong += truth != got
            self.by_field[(kind, "unverified")] += 1
        if truth == got:
            self.right += 1
            category = "right"
        elif got is None and unread:
            self.unread += 1
            category = "unread"
        elif got is None:
            self.missing += 1
            self.missing_fields.append(name)
            category = "missing"
        else:
            self.wrong += 1
            self.wrong_fields.append(f"{name}: want {truth!r} got {got!r}")
            category = "wrong"
        self.by_field[(kind, category)] += 1

    def merge(self, other: Score) -> None:
        for name in ("right", "missing", "wrong", "unread", "unverified", "unverified_wrong"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.by_field.update(other.by_field)


def field_kind(name: str) -> str:
    """A scored field's kind: 'non_derivative[3].footnotes.shares' -> 'line.footnotes.shares',
    'owner0.city' -> 'owner.city', 'footnote.F12' -> 'footnote'."""
    name = re.sub(r"^(?:non_)?derivative\[\d+\]\.", "line.", name)
    name = re.sub(r"^footnote\.F\d+$", "footnote", name)
    return re.sub(r"^(owner|signature)\d+", r"\1", name)


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        value = " ".join(value.split())
        return value or None
    return value


def _street(owner: Any) -> str | None:
    parts = [p for p in (owner.street1, owner.street2) if p]
    return " ".join(" ".join(parts).replace(",", " ").split()) or None


def compare_filings(truth: Filing, got: Filing) -> Score:
    score = Score()
    marks = got.provenance

    def add(name: str, path: str, truth_value: Any, got_value: Any) -> None:
        score.add(name, truth_value, got_value, path in marks.unread, path in marks.unverified)

    add("form_type", "form_type", truth.form_type, got.form_type)
    add("period_of_report", "period_of_report", truth.period_of_report, got.period_of_report)
    add(
        "date_of_original_submission",
        "date_of_original_submission",
        truth.date_of_original_submission,
        got.date_of_original_submission,
    )
    add("issuer.name", "issuer.name", truth.issuer.name, got.issuer.name)
    add(
        "issuer.trading_symbol",
        "issuer.trading_symbol",
        truth.issuer.trading_symbol,
        got.issuer.trading_symbol,
    )
    for index, owner in enumerate(truth.reporting_owners):
        other = got.reporting_owners[index] if index < len(got.reporting_owners) else None
        for name in SCORED_OWNER_FIELDS:
            truth_value = getattr(owner, name)
            if name.startswith("is_") and truth_value is None:
                truth_value = False  # an omitted relationship flag is an unchecked box
            add(
                f"owner{index}.{name}",
                f"reporting_owners[{index}].{name}",
                truth_value,
                getattr(other, name) if other else None,
            )
        add(
            f"owner{index}.street",
            f"reporting_owners[{index}].street1",
            _street(owner),
            _street(other) if other else None,
        )
    got_notes = {note.id: note.text for note in got.footnotes}
    for note in truth.footnotes:
        add(f"footnote.{note.id}", f"footnotes[{note.id}].text", note.text, got_notes.get(note.id))
    add("remarks", "remarks", truth.remarks, got.remarks)
    for index, sig in enumerate(truth.signatures):
        other = got.signatures[index] if index < len(got.signatures) else None
        for name in ("name", "date"):
            add(
                f"signature{index}.{name}",
                f"signatures[{index}].{name}",
                getattr(sig, name),
                getattr(other, name) if other else None,
            )
    got_lines = {(line.table, line.line): line for line in got.lines}
    for line in truth.lines:
        other = got_lines.get((line.table, line.line))
        where = f"{line.table}[{line.line}]"
        unread = set(other.unread_fields) if other else set()
        unverified = set(other.unverified_fields) if other else set()
        for name in SCORED_LINE_FIELDS:
            score.add(
                f"{where}.{name}",
                getattr(line, name),
                getattr(other, name) if other else None,
                name in unread,
                name in unverified,
            )
        for name, ids in line.footnote_ids.items():
            got_ids = other.footnote_ids.get(name) if other else None
            score.add(
                f"{where}.footnotes.{name}",
                tuple(ids),
                tuple(got_ids) if got_ids else None,
                # an unread cell's marks are unread with it
                name in unread or footnote_ids_path(name) in unread,
            )
    for key in got_lines:
        if not any((t.table, t.line) == key for t in truth.lines):
            score.wrong += 1
            score.wrong_fields.append(f"extra line {key}")
            score.by_field[("extra line", "wrong")] += 1
    return score
