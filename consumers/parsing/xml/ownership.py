"""The SEC ownership XML (schemas X0202..X0609) to a Filing, with lxml and no entity expansion.

One walk over each table line maps every leaf element to a contract field, so a line with a
missing element still comes out (its field null) instead of being dropped.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from lxml import etree

from consumers.parsing.core.errors import ParseError, Reason
from consumers.parsing.core.model import (
    DATE_LINE_FIELDS,
    DECIMAL_LINE_FIELDS,
    Filing,
    Footnote,
    Issuer,
    LineKind,
    ReportingOwner,
    Signature,
    TableLine,
    TableName,
)
from consumers.parsing.core.values import clean_text, to_bool, to_date, to_decimal

# resolve_entities=False + load_dtd=False + no_network: no external entity is read and no
# internal entity expanded; a document with any DOCTYPE is refused outright after parsing.
_PARSER = etree.XMLParser(
    resolve_entities=False,
    load_dtd=False,
    no_network=True,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
    remove_blank_text=True,
    collect_ids=False,
)

# XML element (local name) holding a <value> -> contract field.
_VALUE_FIELDS = {
    "securityTitle": "security_title",
    "transactionDate": "transaction_date",
    "deemedExecutionDate": "deemed_execution_date",
    "transactionTimeliness": "transaction_timeliness",
    "transactionShares": "shares",
    "transactionTotalValue": "total_value",
    "transactionPricePerShare": "price_per_share",
    "transactionAcquiredDisposedCode": "acquired_disposed",
    "sharesOwnedFollowingTransaction": "shares_owned_following",
    "valueOwnedFollowingTransaction": "value_owned_following",
    "directOrIndirectOwnership": "direct_indirect",
    "natureOfOwnership": "nature_of_ownership",
    "conversionOrExercisePrice": "conversion_or_exercise_price",
    "exerciseDate": "exercise_date",
    "expirationDate": "expiration_date",
    "underlyingSecurityTitle": "underlying_security_title",
    "underlyingSecurityShares": "underlying_shares",
    "underlyingSecurityValue": "underlying_value",
}
# Elements inside transactionCoding whose own text is the value.
_TEXT_FIELDS = {
    "transactionFormType": "transaction_form_type",
    "transactionCode": "transaction_code",
    "equitySwapInvolved": "equity_swap_involved",
}
# Footnotes hung on a container rather than a value element.
_FOOTNOTE_FIELDS = {**_VALUE_FIELDS, "transactionCoding": "transaction_code"}
_LEAF_TAGS = ("value", "footnoteId", *_TEXT_FIELDS)
_LINE_KINDS: dict[str, tuple[TableName, LineKind]] = {
    "nonDerivativeTransaction": ("non_derivative", "transaction"),
    "nonDerivativeHolding": ("non_derivative", "holding"),
    "derivativeTransaction": ("derivative", "transaction"),
    "derivativeHolding": ("derivative", "holding"),
}
_OWNER_TAGS = {
    "rptOwnerCik": "cik",
    "rptOwnerName": "name",
    "rptOwnerStreet1": "street1",
    "rptOwnerStreet2": "street2",
    "rptOwnerCity": "city",
    "rptOwnerState": "state",
    "rptOwnerZipCode": "zip",
    "officerTitle": "officer_title",
    "otherText": "other_text",
}
_OWNER_FLAGS = {
    "isDirector": "is_director",
    "isOfficer": "is_officer",
    "isTenPercentOwner": "is_ten_percent_owner",
    "isOther": "is_other",
}
_ELEMENT = etree.Element  # iter() filter: elements only


def _local(tag: str) -> str:
    return tag if tag[0] != "{" else tag[tag.index("}") + 1 :]


def _strip_namespaces(root: etree._Element) -> None:
    """Namespaced documents are rare: rename their tags once so every lookup is a plain dict hit."""
    for el in root.iter(_ELEMENT):
        if el.tag[0] == "{":
            el.tag = _local(el.tag)


def parse_xml_root(data: bytes) -> etree._Element:
    """Parse bytes safely; refuse DOCTYPEs (the only road to entity tricks) and non-XML."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ParseError(
            Reason.FORBIDDEN_XML_CONSTRUCT,
            "DOCTYPE/entity declarations are not allowed in an ownership document",
        )
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise ParseError(Reason.MALFORMED_XML, f"not well-formed XML: {exc}") from None
    if root is None:
        raise ParseError(Reason.MALFORMED_XML, "no root element")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise ParseError(
            Reason.FORBIDDEN_XML_CONSTRUCT,
            "DOCTYPE/entity declarations are not allowed in an ownership document",
        )
    return root


def parse_ownership_xml(data: bytes, source_format: str = "xml") -> Filing:
    root = parse_xml_root(data)
    if root.tag[0] == "{":
        _strip_namespaces(root)
    if root.tag != "ownershipDocument":
        raise ParseError(
            Reason.NOT_OWNERSHIP_FILING, f"root element is <{root.tag}>, not ownershipDocument"
        )
    return _filing_from_root(root, source_format)


def _filing_from_root(root: etree._Element, source_format: str) -> Filing:
    filing = Filing(source_format=source_format)
    for child in root.iterchildren(_ELEMENT):
        tag = child.tag
        if tag == "schemaVersion":
            filing.schema_version = clean_text(child.text)
        elif tag == "documentType":
            filing.form_type = clean_text(child.text)
        elif tag == "periodOfReport":
            filing.period_of_report = to_date(clean_text(child.text), "period_of_report")
        elif tag == "dateOfOriginalSubmission":
            filing.date_of_original_submission = to_date(
                clean_text(child.text), "date_of_original_submission"
            )
        elif tag == "notSubjectToSection16":
            filing.not_subject_to_section16 = to_bool(clean_text(child.text), tag)
        elif tag == "noSecuritiesOwned":
            filing.no_securities_owned = to_bool(clean_text(child.text), tag)
        elif tag == "aff10b5One":
            filing.aff10b5one = to_bool(clean_text(child.text), "aff10b5one")
        elif tag == "issuer":
            filing.issuer = _issuer(child)
        elif tag == "reportingOwner":
            filing.reporting_owners.append(_owner(child))
        elif tag in ("nonDerivativeTable", "derivativeTable"):
            for number, line_el in enumerate(
                (el for el in child.iterchildren(_ELEMENT) if el.tag in _LINE_KINDS), 1
            ):
                filing.lines.append(_line(line_el, number))
        elif tag == "footnotes":
            filing.footnotes = [
                Footnote(id=el.get("id", "").strip(), text=clean_text("".join(el.itertext())))
                for el in child.iterchildren(_ELEMENT)
                if el.tag == "footnote"
            ]
        elif tag == "remarks":
            filing.remarks = clean_text("".join(child.itertext()))
        elif tag == "ownerSignature":
            filing.signatures.append(_signature(child))
    return filing


def _issuer(el: etree._Element) -> Issuer:
    issuer = Issuer()
    for child in el.iterchildren(_ELEMENT):
        tag = child.tag
        if tag == "issuerCik":
            issuer.cik = clean_text(child.text)
        elif tag == "issuerName":
            issuer.name = clean_text(child.text)
        elif tag == "issuerTradingSymbol":
            issuer.trading_symbol = clean_text(child.text)
        elif tag == "issuerForeignTradingSymbol":
            issuer.foreign_trading_symbol = clean_text(child.text)
    return issuer


def _owner(el: etree._Element) -> ReportingOwner:
    owner = ReportingOwner()
    for child in el.iter(_ELEMENT):
        tag = child.tag
        name = _OWNER_TAGS.get(tag)
        if name is not None:
            setattr(owner, name, clean_text(child.text))
            continue
        flag = _OWNER_FLAGS.get(tag)
        if flag is not None:
            setattr(owner, flag, to_bool(clean_text(child.text), flag))
        elif tag == "rptOwnerNonUSAddressFlag":  # X0609; absent before: null, not false
            owner.non_us_address = to_bool(clean_text(child.text), "non_us_address")
    # A relationship the XML leaves out is a box not checked: false, as a printed form says.
    for flag in _OWNER_FLAGS.values():
        if getattr(owner, flag) is None:
            setattr(owner, flag, False)
    return owner


def _signature(el: etree._Element) -> Signature:
    name = date = None
    for child in el.iterchildren(_ELEMENT):
        tag = child.tag
        if tag == "signatureName":
            name = clean_text(child.text)
        elif tag == "signatureDate":
            date = to_date(clean_text(child.text), "signature_date")
    return Signature(name=name, date=date)


def _line(el: etree._Element, number: int) -> TableLine:
    table, kind = _LINE_KINDS[el.tag]
    raw: dict[str, str | None] = {}
    footnote_ids: dict[str, list[str]] = {}
    _collect(el, raw, footnote_ids)
    line = TableLine(table=table, kind=kind, line=number, footnote_ids=footnote_ids)
    for name, text in raw.items():
        if text is None:
            continue
        value: Decimal | dt.date | bool | str | None
        if name in DECIMAL_LINE_FIELDS:
            value = to_decimal(text, name)
        elif name in DATE_LINE_FIELDS:
            value = to_date(text, name)
        elif name == "equity_swap_involved":
            value = to_bool(text, name)
        else:
            value = text
        setattr(line, name, value)
    return line


def _collect(line: etree._Element, raw: dict, footnote_ids: dict[str, list[str]]) -> None:
    """Read a line's leaves: each <value> and <footnoteId> names its field by its parent.

    The hot loop of the XML path: lxml's C iterator visits only the leaf tags we read, so
    the wrapper elements (transactionAmounts, ownershipNature, ...) never become Python objects.
    """
    for leaf in line.iter(_LEAF_TAGS):
        tag = leaf.tag
        if tag == "value":
            field = _VALUE_FIELDS.get(leaf.getparent().tag)
            if field is not None:
                text = leaf.text
                raw[field] = (text.strip() or None) if text else None
        elif tag == "footnoteId":
            holder = leaf.getparent().tag
            footnote_ids.setdefault(_FOOTNOTE_FIELDS.get(holder, holder), []).append(
                leaf.get("id", "").strip()
            )
        else:
            text = leaf.text
            raw[_TEXT_FIELDS[tag]] = (text.strip() or None) if text else None
