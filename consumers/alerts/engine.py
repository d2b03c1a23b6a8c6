"""Rules evaluated on transaction records: pure (no Kafka), one engine per subscriber.

Records arrive as decoded Avro (Decimal, date, datetime) or as their JSON form (strings);
both are read. Windows are kept per issuer across every partition the subscriber reads and
ordered by transaction date, not arrival, so a late or reordered record still counts.

Alerts are on what stands: each line is known by its standing key (records.standing_key: the
original filing and the line), so a later version of the line (an amendment, as the current
view links it) replaces the earlier one. A line that raised an alert and changes gets a
follow-up naming the first alert (`amends_alert_id`) and what changed (`changes`); a line that
no longer meets the rule, or is gone (a tombstone), gets a `withdrawn` one. Cluster windows
hold each trade once, in its latest version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from consumers.alerts.rules import AlertRules
from consumers.freshness import parse_instant
from consumers.limits import SEEN_RECORD_IDS
from consumers.parsing.core.model import DATE_LINE_FIELDS, DECIMAL_LINE_FIELDS
from consumers.parsing.core.records import standing_key

# The line values a follow-up compares ("what changed").
_COMPARED = (
    "transaction_code",
    "transaction_date",
    "shares",
    "price_per_share",
    "total_value",
    "acquired_disposed",
    "shares_owned_following",
)


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _date(value: Any) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _datetime(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return parse_instant(str(value))


def _plain(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


@dataclass(frozen=True, slots=True)
class Purchase:
    when: dt.date
    insider: str
    record_id: str
    name: str
    line: str  # its standing key: a later version of the line replaces it


@dataclass
class _Line:
    """What stands on one line: its values, and per rule the first alert it raised and the
    latest alert or follow-up."""

    record_id: str
    values: dict[str, Any]
    first: dict[str, str] = field(default_factory=dict)  # rule -> first alert_id
    latest: dict[str, dict[str, Any]] = field(default_factory=dict)  # rule -> alert


@dataclass
class _IssuerWindow:
    purchases: list[Purchase] = field(default_factory=list)
    alerted: set[frozenset[str]] = field(default_factory=set)


class AlertEngine:
    """`evaluate(record)` returns the alerts it triggers; `observe` only learns (warm-up)."""

    def __init__(self, rules: AlertRules, seen_capacity: int = SEEN_RECORD_IDS) -> None:
        self.rules = rules
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._seen_capacity = seen_capacity
        self._windows: dict[str, _IssuerWindow] = {}
        self._lines: OrderedDict[str, _Line] = OrderedDict()

    def evaluate(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        return self._process(record, emit=True)

    def observe(self, record: dict[str, Any]) -> None:
        """Learn from an already-handled record (restart warm-up) without alerting."""
        self._process(record, emit=False)

    def withdraw(self, line: str, emit: bool = True) -> list[dict[str, Any]]:
        """A line gone from the current view (a tombstone): its alerts are withdrawn and its
        trade leaves the cluster windows."""
        standing = self._lines.pop(line, None)
        for window in self._windows.values():
            window.purchases = [p for p in window.purchases if p.line != line]
        if standing is None or not emit:
            return []
        return [
            self._withdrawn(alert, standing.first[rule], None, {"line": "removed"})
            for rule, alert in standing.latest.items()
            if alert.get("status") != "withdrawn"
        ]

    def _process(self, record: dict[str, Any], emit: bool) -> list[dict[str, Any]]:
        record_id = record.get("record_id")
        if not record_id or record_id in self._seen:
            return []  # a re-delivered record never alerts twice
        self._seen[record_id] = None
        if len(self._seen) > self._seen_capacity:
            self._seen.popitem(last=False)
        line = standing_key(record)
        if record.get("kind") != "transaction" and line not in self._lines:
            return []
        fresh: list[dict[str, Any]] = []
        if record.get("kind") == "transaction":
            fresh = [*self._large_trade(record), *self._holding_change(record)]
        alerts = self._against_standing(line, record, fresh)
        if record.get("kind") == "transaction":
            alerts += self._cluster_buying(record, line)
        return alerts if emit else []

    def _against_standing(
        self, line: str, record: dict[str, Any], fresh: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """The line's alerts given what stood on it before: new ones as they are, a rule that
        alerted before and alerts with other values a follow-up, one that no longer alerts
        a withdrawal; values unchanged, nothing."""
        values = _line_values(record)
        before = self._lines.pop(line, None)
        now = _Line(record["record_id"], values)
        self._lines[line] = now
        if len(self._lines) > self._seen_capacity:
            self._lines.popitem(last=False)
        out: list[dict[str, Any]] = []
        by_rule = {alert["rule"]: alert for alert in fresh}
        for rule in sorted(set(by_rule) | set(before.latest if before else ())):
            alert = by_rule.get(rule)
            previous = before.latest.get(rule) if before else None
            if before is None or previous is None:
                if alert is not None:
                    now.first[rule], now.latest[rule] = alert["alert_id"], alert
                    out.append(alert)
                continue
            now.first[rule] = before.first[rule]
            changes = _changes(before.values, values)
            if not changes:
                now.latest[rule] = previous
            elif alert is not None:
                alert.update(status="amended", amends_alert_id=before.first[rule], changes=changes)
                now.latest[rule] = alert
                out.append(alert)
            elif previous.get("status") != "withdrawn":
                withdrawn = self._withdrawn(previous, before.first[rule], record, changes)
                now.latest[rule] = withdrawn
                out.append(withdrawn)
            else:
                now.latest[rule] = previous
        return out

    def _withdrawn(
        self,
        alert: dict[str, Any],
        first_id: str,
        record: dict[str, Any] | None,
        changes: dict[str, Any],
    ) -> dict[str, Any]:
        """A follow-up saying `alert`'s line no longer meets its rule (or is gone)."""
        by = record.get("accession_number") if record else None
        cause = f"amended by {by}" if by else "removed by an amendment"
        identity = f"{alert['rule']}:withdrawn:{alert['alert_id']}:{record and record['record_id']}"
        return {
            **alert,
            "alert_id": hashlib.sha256(identity.encode()).hexdigest()[:32],
            "status": "withdrawn",
            "summary": f"WITHDRAWN ({cause}): {alert['summary']}",
            "amends_alert_id": first_id,
            "changes": changes,
            "record_id": record["record_id"] if record else alert["record_id"],
            "accession_number": by or alert.get("accession_number"),
        }

    # -- rules -------------------------------------------------------------------------------

    def _large_trade(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        rule = self.rules.large_trade
        code = record.get("transaction_code")
        if not rule.enabled or code not in rule.codes:
            return []
        shares = _decimal(record.get("shares"))
        price = _decimal(record.get("price_per_share"))
        value = shares * price if shares is not None and price is not None else None
        if value is None:
            value = _decimal(record.get("total_value"))
        if value is None or value < rule.min_value:
            return []
        side = "purchase" if code == "P" else "sale" if code == "S" else f"code {code}"
        return [
            self._alert(
                "large_trade",
                record,
                f"{_owner_names(record)} reported an open-market {side} of "
                f"{_issuer_label(record)} worth ${value:,.2f}",
                {"value": _plain(value), "shares": _plain(shares), "price": _plain(price)},
                basis=("transaction_code", "shares", "price_per_share", "total_value"),
            )
        ]

    def _holding_change(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        rule = self.rules.holding_change
        if not rule.enabled or record.get("transaction_code") not in rule.codes:
            return []
        shares = _decimal(record.get("shares"))
        after = _decimal(record.get("shares_owned_following"))
        direction = record.get("acquired_disposed")
        if shares is None or after is None or direction not in ("A", "D"):
            return []
        before = after - shares if direction == "A" else after + shares
        if before < rule.min_shares or before <= 0:
            return []
        percent = shares / before * 100
        if percent < rule.min_percent:
            return []
        verb = "raised" if direction == "A" else "cut"
        return [
            self._alert(
                "holding_change",
                record,
                f"{_owner_names(record)} {verb} their {_issuer_label(record)} holding by "
                f"{percent:.1f}% ({_plain(before)} -> {_plain(after)} shares)",
                {
                    "percent": _plain(percent.quantize(Decimal("0.01"))),
                    "shares_before": _plain(before),
                    "shares_after": _plain(after),
                },
                basis=("transaction_code", "shares", "shares_owned_following", "acquired_disposed"),
            )
        ]

    def _cluster_buying(self, record: dict[str, Any], line: str) -> list[dict[str, Any]]:
        rule = self.rules.cluster_buying
        issuer = _issuer_key(record)
        when = _date(record.get("transaction_date"))
        if (
            not rule.enabled
            or record.get("transaction_code") not in rule.codes
            or record.get("acquired_disposed") == "D"
            or issuer is None
            or when is None
        ):
            return []
        window = self._windows.setdefault(issuer, _IssuerWindow())
        purchase = Purchase(
            when, _insider_key(record), record["record_id"], _owner_names(record), line
        )
        window.purchases = [p for p in window.purchases if p.line != line] + [purchase]
        span = dt.timedelta(days=rule.window_days)
        newest = max(p.when for p in window.purchases)
        window.purchases = [p for p in window.purchases if newest - p.when <= span * 2]
        # The windows of `span` days that contain the new purchase, starting at each date in
        # reach, earliest first: of equally full windows the earliest is reported.
        best: list[Purchase] = []
        for start in sorted({p.when for p in window.purchases if when - span <= p.when <= when}):
            members = [p for p in window.purchases if start <= p.when <= start + span]
            if len({p.insider for p in members}) > len({p.insider for p in best}):
                best = members
        insiders = frozenset(p.insider for p in best)
        # A cluster alerts once, and again only when a new insider joins it.
        if len(insiders) < rule.min_insiders or any(insiders <= e for e in window.alerted):
            return []
        window.alerted.add(insiders)
        first = min(p.when for p in best)
        last = max(p.when for p in best)
        names = sorted({p.name for p in best})
        return [
            self._alert(
                "cluster_buying",
                record,
                f"{len(insiders)} insiders of {_issuer_label(record)} bought between "
                f"{first} and {last}: {'; '.join(names)}",
                {
                    "insiders": len(insiders),
                    "window_start": first.isoformat(),
                    "window_end": last.isoformat(),
                    "record_ids": sorted(p.record_id for p in best),
                },
                key="|".join(sorted(insiders)),
                basis=("transaction_code", "acquired_disposed", "transaction_date"),
            )
        ]

    # -- alert shape -------------------------------------------------------------------------

    def _alert(
        self,
        rule: str,
        record: dict[str, Any],
        summary: str,
        facts: dict[str, Any],
        key: str | None = None,
        basis: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """`basis`: the record fields the rule's decision rests on; any of them unread or
        unverified is named in the context and the summary, so no alert looks surer than the
        values it was computed from."""
        issuer = record.get("issuer") or {}
        doubts = _doubts(record, basis)
        if doubts["unread_fields"] or doubts["unverified_fields"]:
            named = doubts["unverified_fields"] + doubts["unread_fields"]
            summary = f"{summary} [not verified: {', '.join(named)}]"
        identity = f"{rule}:{_issuer_key(record)}:{key}" if key else f"{rule}:{record['record_id']}"
        return {
            "alert_id": hashlib.sha256(identity.encode()).hexdigest()[:32],
            "rule": rule,
            "status": "new",
            "amends_alert_id": None,
            "changes": None,
            "summary": summary,
            "record_id": record["record_id"],
            "accession_number": record.get("accession_number"),
            "issuer_cik": issuer.get("cik"),
            "issuer_name": issuer.get("name"),
            "ticker": issuer.get("trading_symbol"),
            "owners": [o.get("name") for o in record.get("reporting_owners") or []],
            "transaction_code": record.get("transaction_code"),
            "transaction_date": _iso(_date(record.get("transaction_date"))),
            **facts,
            "context": {**self._context(record), **doubts},
        }

    def _context(self, record: dict[str, Any]) -> dict[str, Any]:
        traded = _date(record.get("transaction_date"))
        filed = _datetime(record.get("filed_at"))
        filed_day = filed.date() if filed else _date(record.get("filing_date"))
        days = (filed_day - traded).days if filed_day and traded else None
        return {
            "rule_10b5_1": record.get("aff10b5one"),
            "days_to_file": days,
            "late_filing": None if days is None else days > self.rules.context.late_after_days,
            "filed_at": _iso(filed) if filed else _iso(filed_day),
        }


def _line_values(record: dict[str, Any]) -> dict[str, Any]:
    """The compared values as plain text (a decimal and its JSON string compare equal)."""
    values: dict[str, Any] = {}
    for name in _COMPARED:
        value = record.get(name)
        if name in DECIMAL_LINE_FIELDS:
            values[name] = _plain(_decimal(value))
        elif name in DATE_LINE_FIELDS:
            values[name] = _iso(_date(value))
        else:
            values[name] = value
    return values


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """{field: {"was": ..., "now": ...}} of the compared values that differ."""
    return {
        name: {"was": before.get(name), "now": after.get(name)}
        for name in _COMPARED
        if before.get(name) != after.get(name)
    }


def _doubts(record: dict[str, Any], basis: tuple[str, ...]) -> dict[str, Any]:
    """What the alert's values rest on that the record itself does not vouch for: fields read
    by OCR once (unverified), printed but not read (unread, null), and an issuer CIK looked up
    in the issuer directory rather than printed."""
    unverified = set(record.get("unverified_fields") or ())
    unread = set(record.get("unread_fields") or ())
    return {
        "verified": not (unverified | unread) & set(basis),
        "unverified_fields": [name for name in basis if name in unverified],
        "unread_fields": [name for name in basis if name in unread],
        "issuer_cik_resolved": "issuer.cik" in (record.get("resolved_fields") or ()),
    }


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _issuer_key(record: dict[str, Any]) -> str | None:
    issuer = record.get("issuer") or {}
    return issuer.get("cik") or issuer.get("trading_symbol")


def _issuer_label(record: dict[str, Any]) -> str:
    issuer = record.get("issuer") or {}
    ticker = issuer.get("trading_symbol")
    name = issuer.get("name") or issuer.get("cik") or "an unknown issuer"
    return f"{name} ({ticker})" if ticker else name


def _insider_key(record: dict[str, Any]) -> str:
    """Joint filers of one report count as one insider: the sorted set of their CIKs."""
    owners = record.get("reporting_owners") or []
    ciks = sorted(o.get("cik") or o.get("name") or "?" for o in owners)
    return "+".join(ciks) or "?"


def _owner_names(record: dict[str, Any]) -> str:
    names = [o.get("name") for o in record.get("reporting_owners") or [] if o.get("name")]
    return " & ".join(names) or "An insider"
