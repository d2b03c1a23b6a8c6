"""What a noisy scan's reads are not trusted with even where the text layer agrees.

The text layer of a speckled page was OCR'd from the same noisy pixels, so the two can agree
on what a speck wrote: a stray mark in a title, a zip run into the city, an unchecked box
whose X was lost. Measured on the noisy tiers (bench/make_scan_tier.py): the text rules
withheld no right value; the checkbox rule withholds right "not checked" reads with the wrong
ones. Clean scans never come here.
"""

from __future__ import annotations

import re
from typing import Any

from consumers.parsing.core.model import Filing

_LINE_TEXT_FIELDS = ("security_title", "nature_of_ownership", "underlying_security_title")
# What specks leave in a text the text layer, OCR'd from the same noisy pixels, may agree with:
# marks no title, name or nature prints, a mark standing alone between words, a full stop after
# a lowercase word ("Stock.", "Growth. Fund"), after a closing parenthesis, or after a class.
_SPECKLED_TEXT = re.compile(
    r"[?!@'\"`;:‘’“”]|\s[-.,:]\s|[a-z]{4}\.(?=\s|$)|\)\.$|\b(?:Class|Series)\s+\w\."
)
# A city the state or zip ran into ("PALO ALTO-CA", "PALO ALTO CA.94304").
_CITY_RUN_ON = re.compile(r"\d|[-.,]\s*[A-Z]{2}$")
# More decimals than a price is printed with: a footnote mark glued on ("1101.41207").
_MAX_PRICE_DECIMALS = 4


def _speckled(text: str | None) -> bool:
    """`text` shows specks, or was read twice over ("Class A Common Stock Class A Common
    Stock": two rows run into one)."""
    if text is None:
        return False
    words = text.split()
    half = len(words) // 2
    return bool(_SPECKLED_TEXT.search(text)) or bool(half and words[:half] == words[half:])


def header_boxes(filing: Filing) -> list[tuple[str, Any, str]]:
    """The header boxes' text values, as (provenance path, holder, attribute)."""
    boxes: list[tuple[str, Any, str]] = [
        ("issuer.name", filing.issuer, "name"),
        ("issuer.trading_symbol", filing.issuer, "trading_symbol"),
    ]
    for index, owner in enumerate(filing.reporting_owners):
        for name in ("name", "street1", "street2", "city", "state", "zip", "officer_title"):
            boxes.append((f"reporting_owners[{index}].{name}", owner, name))
    return boxes


def withhold_speckled(filing: Filing, unclear_boxes: set[str]) -> None:
    """On a noisy scan, what the specks may have written into is null and unread: a line's
    title or nature, the issuer's or an owner's name and address (a city the state or zip ran
    into), a price with more decimals than prices are printed with (a mark glued on); so is a
    relationship read "not checked" from a checkbox not read whole (`unclear_boxes`, the
    GridReader's): its X may be what the specks took."""
    for line in filing.lines:
        for field in _LINE_TEXT_FIELDS:
            if _speckled(getattr(line, field)):
                line.mark_unread(field)
        price = line.price_per_share
        if price is not None and -price.as_tuple().exponent > _MAX_PRICE_DECIMALS:
            line.mark_unread("price_per_share")
    for path, holder, name in header_boxes(filing):
        value = getattr(holder, name)
        if name in ("trading_symbol", "zip"):
            continue  # no words to speck
        if _speckled(value) or (name == "city" and value and _CITY_RUN_ON.search(value)):
            setattr(holder, name, None)
            filing.provenance.unread.add(path)
    owner = filing.reporting_owners[0]
    for flag in unclear_boxes if len(filing.reporting_owners) == 1 else ():
        if getattr(owner, flag) is False:
            setattr(owner, flag, None)
            filing.provenance.unread.add(f"reporting_owners[0].{flag}")
