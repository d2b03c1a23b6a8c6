"""Field-by-field agreement of a Filing read from a rendering with the same filing's XML.

The accuracy harness and its tests score with this: a field is right when equal, missing when
the rendering gave null (sent for review, not wrong), wrong when it gave another value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from consumers.parsing.core.model import Filing

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
    wrong_fields: list[str] = field(default_factory=list)
    missing_fields: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.right + self.missing + self.wrong

    def add(self, name: str, truth: Any, got: Any) -> None:
        truth, got = _norm(truth), _norm(got)
        if truth is None and got is None:
            return
        if truth == got:
            self.right += 1
        elif got is None:
            self.missing += 1
            self.missing_fields.append(name)
        else:
            self.wrong += 1
            self.wrong_fields.append(f"{name}: want {truth!r} got {got!r}")


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
    score.add("form_type", truth.form_type, got.form_type)
    score.add("period_of_report", truth.period_of_report, got.period_of_report)
    score.add(
        "date_of_original_submission",
        truth.date_of_original_submission,
        got.date_of_original_submission,
    )
    score.add("issuer.name", truth.issuer.name, got.issuer.name)
    score.add("issuer.trading_symbol", truth.issuer.trading_symbol, got.issuer.trading_symbol)
    for index, owner in enumerate(truth.reporting_owners):
        other = got.reporting_owners[index] if index < len(got.reporting_owners) else None
        for name in SCORED_OWNER_FIELDS:
            truth_value = getattr(owner, name)
            if name.startswith("is_") and truth_value is None:
                truth_value = False  # an omitted relationship flag is an unchecked box
            score.add(f"owner{index}.{name}", truth_value, getattr(other, name) if other else None)
        score.add(f"owner{index}.street", _street(owner), _street(other) if other else None)
    got_notes = {note.id: note.text for note in got.footnotes}
    for note in truth.footnotes:
        score.add(f"footnote.{note.id}", note.text, got_notes.get(note.id))
    score.add("remarks", truth.remarks, got.remarks)
    for index, sig in enumerate(truth.signatures):
        other = got.signatures[index] if index < len(got.signatures) else None
        score.add(f"signature{index}.name", sig.name, other.name if other else None)
        score.add(f"signature{index}.date", sig.date, other.date if other else None)
    got_lines = {(line.table, line.line): line for line in got.lines}
    for line in truth.lines:
        other = got_lines.get((line.table, line.line))
        where = f"{line.table}[{line.line}]"
        for name in SCORED_LINE_FIELDS:
            score.add(
                f"{where}.{name}", getattr(line, name), getattr(other, name) if other else None
            )
        for name, ids in line.footnote_ids.items():
            got_ids = other.footnote_ids.get(name) if other else None
            score.add(f"{where}.footnotes.{name}", tuple(ids), tuple(got_ids) if got_ids else None)
    for key in got_lines:
        if not any((t.table, t.line) == key for t in truth.lines):
            score.wrong += 1
            score.wrong_fields.append(f"extra line {key}")
    return score
