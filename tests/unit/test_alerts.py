"""Alert rules on records of real filings; windows, de-duplication, context, rules files."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from consumers.alerts.engine import AlertEngine
from consumers.alerts.rules import AlertRules, load_rules
from consumers.parsing.core.records import filing_records, record_json
from consumers.parsing.document import DocumentHints, accession_from_name, parse_document
from tests.conftest import FIXTURES


def records_of(path: Path) -> list[dict]:
    filing = parse_document(path.read_bytes(), DocumentHints(accession_from_name(path.name)))
    return filing_records(filing, fallback_id=path.stem)


TESLA_SALES = FIXTURES / "xml" / "000089924321044242.xml"
ISBA_PURCHASE = FIXTURES / "submissions" / "0000842517-24-000086.txt"
DUTCH_BROS = FIXTURES / "xml" / "form4-10b5one-dutchbros.xml"


def insider_purchase(n: int, day: dt.date, record_line: int = 1) -> dict:
    """The ISBA open-market purchase, as if insider `n` had made it on `day`."""
    record = copy.deepcopy(records_of(ISBA_PURCHASE)[0])
    owner = record["reporting_owners"][0]
    owner["cik"] = f"{9000000000 + n:010d}"
    owner["name"] = f"Insider {n}"
    record["record_id"] = f"9999999999-24-{n:06d}:T1:{record_line}"
    record["transaction_date"] = day
    return record


def test_large_sales_alert_from_one_million_dollars_with_exact_values() -> None:
    engine = AlertEngine(AlertRules())
    records = records_of(TESLA_SALES)
    alerts = [a for r in records for a in engine.evaluate(r) if a["rule"] == "large_trade"]
    by_id = {a["record_id"]: a for a in alerts}
    # Line 9: 1,200 shares at $1,038.26 = $1,245,912.00; line 11: 900 at $1,040.621 = $936,558.90.
    assert by_id["0000899243-21-044242:T1:9"]["value"] == "1245912"
    assert by_id["0000899243-21-044242:T1:9"]["shares"] == "1200"
    assert by_id["0000899243-21-044242:T1:9"]["price"] == "1038.26"
    assert "0000899243-21-044242:T1:11" not in by_id
    over = [
        r for r in records
        if r["transaction_code"] in ("P", "S")
        and r["shares"] * r["price_per_share"] >= Decimal(1_000_000)
    ]  # fmt: skip
    assert sorted(by_id) == sorted(r["record_id"] for r in over)
    assert len(over) == 29  # 30 sale lines, one under the threshold
    assert by_id["0000899243-21-044242:T1:9"]["ticker"] == "TSLA"
    assert "sale" in by_id["0000899243-21-044242:T1:9"]["summary"]


def test_a_threshold_from_the_rules_and_the_json_form_of_records_agree() -> None:
    rules = AlertRules.model_validate({"large_trade": {"min_value": "900000"}})
    decoded = records_of(TESLA_SALES)
    as_json = [json.loads(record_json(r)) for r in decoded]
    from_decoded = [a for r in decoded for a in AlertEngine(rules).evaluate(r)]
    from_json = [a for r in as_json for a in AlertEngine(rules).evaluate(r)]
    assert len(from_decoded) == 30
    assert [a["alert_id"] for a in from_decoded] == [a["alert_id"] for a in from_json]
    assert [a["value"] for a in from_decoded] == [a["value"] for a in from_json]


def test_context_carries_the_10b5_1_box_and_late_filing() -> None:
    dutch = [a for r in records_of(DUTCH_BROS) for a in AlertEngine(AlertRules()).evaluate(r)]
    assert dutch and all(a["context"]["rule_10b5_1"] is True for a in dutch)
    rules = AlertRules.model_validate({"large_trade": {"min_value": 1}})
    (alert,) = AlertEngine(rules).evaluate(records_of(ISBA_PURCHASE)[0])
    # Traded 2024-04-29, accepted 2024-05-01: two days, on time under the two-day rule.
    assert alert["context"] == {
        "rule_10b5_1": False,  # the filing's box is present and unchecked
        "days_to_file": 2,
        "late_filing": False,
        "filed_at": "2024-05-01T17:07:22+00:00",
        "verified": True,  # an XML record: every value as filed
        "unverified_fields": [],
        "unread_fields": [],
        "issuer_cik_resolved": False,
    }
    strict = AlertRules.model_validate(
        {"large_trade": {"min_value": 1}, "context": {"late_after_days": 1}}
    )
    (late,) = AlertEngine(strict).evaluate(records_of(ISBA_PURCHASE)[0])
    assert late["context"]["late_filing"] is True


def test_holding_change_in_percent_of_what_was_held_before() -> None:
    record = records_of(ISBA_PURCHASE)[0]  # 275.634 bought, 15,711.8844 after: 15,436.2504 before
    assert AlertEngine(AlertRules()).evaluate(record) == []
    rules = AlertRules.model_validate({"holding_change": {"min_percent": "1.5"}})
    (alert,) = AlertEngine(rules).evaluate(record)
    assert alert["rule"] == "holding_change"
    assert alert["shares_before"] == "15436.2504"
    assert alert["percent"] == "1.79"  # 275.634 / 15,436.2504 = 1.7856%


def test_cluster_buying_fires_on_the_third_insider_and_again_when_a_fourth_joins() -> None:
    engine = AlertEngine(AlertRules())
    start = dt.date(2024, 4, 29)
    assert engine.evaluate(insider_purchase(1, start)) == []
    assert engine.evaluate(insider_purchase(2, start + dt.timedelta(days=5))) == []
    assert engine.evaluate(insider_purchase(1, start + dt.timedelta(days=6), 2)) == []  # same one
    (third,) = engine.evaluate(insider_purchase(3, start + dt.timedelta(days=9)))
    assert third["rule"] == "cluster_buying" and third["insiders"] == 3
    assert third["window_start"] == "2024-04-29" and third["window_end"] == "2024-05-08"
    assert len(third["record_ids"]) == 4
    (fourth,) = engine.evaluate(insider_purchase(4, start + dt.timedelta(days=10)))
    assert fourth["insiders"] == 4 and fourth["alert_id"] != third["alert_id"]
    assert engine.evaluate(insider_purchase(2, start + dt.timedelta(days=11), 2)) == []


def test_cluster_window_follows_transaction_dates_not_arrival_order() -> None:
    start = dt.date(2024, 4, 1)
    late_arrival = [insider_purchase(3, start), insider_purchase(1, start + dt.timedelta(days=3))]
    engine = AlertEngine(AlertRules())
    assert engine.evaluate(insider_purchase(2, start + dt.timedelta(days=12))) == []
    assert engine.evaluate(late_arrival[1]) == []
    (alert,) = engine.evaluate(late_arrival[0])  # the oldest purchase arrives last
    assert alert["window_start"] == "2024-04-01" and alert["window_end"] == "2024-04-13"
    spread = AlertEngine(AlertRules())
    for n, days in enumerate((0, 20, 40), start=1):  # never three inside 14 days
        assert spread.evaluate(insider_purchase(n, start + dt.timedelta(days=days))) == []


def test_a_redelivered_record_never_alerts_twice() -> None:
    engine = AlertEngine(AlertRules())
    records = records_of(TESLA_SALES)
    first = [a for r in records for a in engine.evaluate(r)]
    again = [a for r in records for a in engine.evaluate(r)]
    assert first and again == []
    warm = AlertEngine(AlertRules())
    for r in records:
        warm.observe(r)
    assert [a for r in records for a in warm.evaluate(r)] == []


def test_rules_files_in_yaml_and_toml(tmp_path: Path) -> None:
    yaml_file = tmp_path / "rules.yaml"
    yaml_file.write_text("cluster_buying:\n  min_insiders: 2\n  window_days: 5\n")
    toml_file = tmp_path / "rules.toml"
    toml_file.write_text("[large_trade]\nmin_value = '250000'\n[holding_change]\nenabled = false\n")
    from_yaml = load_rules(yaml_file)
    assert from_yaml.cluster_buying.min_insiders == 2 and from_yaml.cluster_buying.window_days == 5
    from_toml = load_rules(toml_file)
    assert from_toml.large_trade.min_value == Decimal("250000")
    assert not from_toml.holding_change.enabled and from_toml.cluster_buying.enabled
    bad = tmp_path / "bad.yaml"
    bad.write_text("large_trade:\n  min_valeu: 5\n")
    with pytest.raises(ValidationError):
        load_rules(bad)
    assert load_rules(None) == AlertRules()


def test_an_alert_on_values_ocr_read_once_says_so() -> None:
    rules = AlertRules.model_validate(
        {"large_trade": {"min_value": 1}, "holding_change": {"min_percent": "1.5"}}
    )
    record = copy.deepcopy(records_of(ISBA_PURCHASE)[0])
    record["unverified_fields"] = ["price_per_share"]
    record["unread_fields"] = ["nature_of_ownership"]  # not what any rule rests on
    record["resolved_fields"] = ["issuer.cik"]
    by_rule = {a["rule"]: a for a in AlertEngine(rules).evaluate(record)}
    trade = by_rule["large_trade"]
    assert trade["context"]["verified"] is False
    assert trade["context"]["unverified_fields"] == ["price_per_share"]
    assert trade["context"]["unread_fields"] == []
    assert trade["context"]["issuer_cik_resolved"] is True
    assert trade["summary"].endswith("[not verified: price_per_share]")
    change = by_rule["holding_change"]  # shares and owned-after: both read as filed
    assert change["context"]["verified"] is True and "not verified" not in change["summary"]


def _amended(record: dict, accession: str, **values: object) -> dict:
    """`record` restated by an amendment linked to it, as the current view carries it."""
    amended = copy.deepcopy(record)
    original, table, line = record["record_id"].rsplit(":", 2)
    amended.update(values)
    amended["record_id"] = f"{accession}:{table}:{line}"
    amended["accession_number"] = accession
    amended["form_type"] = "4/A"
    amended["amends_accession"] = original
    amended["amendment_match"] = "exact"
    return amended


def test_an_amended_price_sends_a_follow_up_naming_the_first_alert_and_what_changed() -> None:
    engine = AlertEngine(AlertRules())
    sale = next(r for r in records_of(TESLA_SALES) if r["transaction_code"] == "S")
    (first,) = [a for a in engine.evaluate(sale) if a["rule"] == "large_trade"]
    price = sale["price_per_share"] * 2
    followed = engine.evaluate(_amended(sale, "0000000000-26-000001", price_per_share=price))
    (follow_up,) = [a for a in followed if a["rule"] == "large_trade"]
    assert follow_up["status"] == "amended"
    assert follow_up["amends_alert_id"] == first["alert_id"] != follow_up["alert_id"]
    assert follow_up["changes"] == {
        "price_per_share": {"was": _plain(sale["price_per_share"]), "now": _plain(price)}
    }
    assert Decimal(follow_up["value"]) == Decimal(first["value"]) * 2
    # the same amendment read again, or a restatement that changes nothing: no alert
    assert engine.evaluate(_amended(sale, "0000000000-26-000001", price_per_share=price)) == []
    assert engine.evaluate(_amended(sale, "0000000000-26-000002", price_per_share=price)) == []


def test_a_line_that_no_longer_meets_the_rule_or_is_gone_is_withdrawn() -> None:
    engine = AlertEngine(AlertRules())
    sales = [r for r in records_of(TESLA_SALES) if r["transaction_code"] == "S"][:2]
    first = [a for r in sales for a in engine.evaluate(r) if a["rule"] == "large_trade"]
    assert len(first) == 2
    small = _amended(sales[0], "0000000000-26-000003", shares=Decimal("1"))
    (withdrawn,) = [a for a in engine.evaluate(small) if a["rule"] == "large_trade"]
    assert withdrawn["status"] == "withdrawn"
    assert withdrawn["amends_alert_id"] == first[0]["alert_id"]
    assert withdrawn["changes"]["shares"]["now"] == "1"
    (gone,) = engine.withdraw(sales[1]["record_id"])
    assert (gone["status"], gone["amends_alert_id"]) == ("withdrawn", first[1]["alert_id"])
    assert gone["changes"] == {"line": "removed"}
    assert engine.withdraw(sales[1]["record_id"]) == []


def test_a_cluster_counts_each_trade_once_in_its_latest_version() -> None:
    engine = AlertEngine(AlertRules())
    start = dt.date(2024, 3, 1)
    two = [insider_purchase(n, start + dt.timedelta(days=n)) for n in range(2)]
    for record in two:
        assert not [a for a in engine.evaluate(record) if a["rule"] == "cluster_buying"]
    # an amendment of insider 0's purchase is the same trade: still two insiders
    again = _amended(two[0], "0000000000-26-000004", transaction_date=start)
    assert not [a for a in engine.evaluate(again) if a["rule"] == "cluster_buying"]
    third = insider_purchase(2, start + dt.timedelta(days=2))
    (cluster,) = [a for a in engine.evaluate(third) if a["rule"] == "cluster_buying"]
    assert cluster["insiders"] == 3
    assert len(cluster["record_ids"]) == 3 and again["record_id"] in cluster["record_ids"]


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")
