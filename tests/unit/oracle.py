"""An independent reading of ownership XML (stdlib ElementTree, explicit paths) to check ours."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

PATHS = {
    "security_title": "securityTitle/value",
    "transaction_date": "transactionDate/value",
    "deemed_execution_date": "deemedExecutionDate/value",
    "transaction_code": "transactionCoding/transactionCode",
    "shares": "transactionAmounts/transactionShares/value",
    "total_value": "transactionAmounts/transactionTotalValue/value",
    "price_per_share": "transactionAmounts/transactionPricePerShare/value",
    "acquired_disposed": "transactionAmounts/transactionAcquiredDisposedCode/value",
    "shares_owned_following": "postTransactionAmounts/sharesOwnedFollowingTransaction/value",
    "value_owned_following": "postTransactionAmounts/valueOwnedFollowingTransaction/value",
    "direct_indirect": "ownershipNature/directOrIndirectOwnership/value",
    "nature_of_ownership": "ownershipNature/natureOfOwnership/value",
    "conversion_or_exercise_price": "conversionOrExercisePrice/value",
    "exercise_date": "exerciseDate/value",
    "expiration_date": "expirationDate/value",
    "underlying_security_title": "underlyingSecurity/underlyingSecurityTitle/value",
    "underlying_shares": "underlyingSecurity/underlyingSecurityShares/value",
}
FOOTNOTE_PATHS = {name: path.rsplit("/", 1)[0] for name, path in PATHS.items()}
FOOTNOTE_PATHS["transaction_code"] = "transactionCoding"
DECIMALS = {
    "shares",
    "total_value",
    "price_per_share",
    "shares_owned_following",
    "value_owned_following",
    "conversion_or_exercise_price",
    "underlying_shares",
}
LINE_TAGS = {
    "nonDerivativeTransaction",
    "nonDerivativeHolding",
    "derivativeTransaction",
    "derivativeHolding",
}


def expected_lines(xml: bytes) -> list[dict]:
    root = ET.fromstring(xml)
    lines = []
    for table_tag, table in (
        ("nonDerivativeTable", "non_derivative"),
        ("derivativeTable", "derivative"),
    ):
        for table_el in root.findall(table_tag):
            number = 0
            for el in table_el:
                if el.tag not in LINE_TAGS:
                    continue
                number += 1
                line = {
                    "table": table,
                    "line": number,
                    "kind": "holding" if el.tag.endswith("Holding") else "transaction",
                }
                for name, path in PATHS.items():
                    text = el.findtext(path)
                    text = text.strip() if text else None
                    if text and name in DECIMALS:
                        line[name] = Decimal(text)
                    else:
                        line[name] = text or None
                line["footnotes"] = {
                    name: [f.get("id") for f in el.findall(path + "/footnoteId")]
                    for name, path in FOOTNOTE_PATHS.items()
                    if el.findall(path + "/footnoteId")
                }
                lines.append(line)
    return lines


def expected_filing(xml: bytes) -> dict:
    root = ET.fromstring(xml)
    return {
        "form_type": root.findtext("documentType").strip(),
        "issuer_cik": root.findtext("issuer/issuerCik").strip(),
        "ticker": (root.findtext("issuer/issuerTradingSymbol") or "").strip() or None,
        "owner_ciks": [
            o.findtext("reportingOwnerId/rptOwnerCik").strip()
            for o in root.findall("reportingOwner")
        ],
        "footnote_ids": [f.get("id") for f in root.findall("footnotes/footnote")],
        "signatures": [s.findtext("signatureName").strip() for s in root.findall("ownerSignature")],
    }
