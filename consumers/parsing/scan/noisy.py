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

from consumers.parsing.core.model import RELATIONSHIP_TEXT, Filing, TableLine
from consumers.parsing.core.printed import TITLE_WORDS, has_title_word
from consumers.parsing.grid.reader import JOINT_OWNER_FLAGS, is_x_mark
from consumers.parsing.grid.text import one_line

_LINE_TEXT_FIELDS = ("security_title", "nature_of_ownership", "underlying_security_title")
# What specks leave in a text the text layer, OCR'd from the same noisy pixels, may agree with:
# marks no title, name or nature prints, a mark standing alone between words, a full stop after
# a lowercase word ("Stock.", "Growth. Fund"), after a closing parenthesis, after a class, or
# after a word no one abbreviates ("by. Trust", "See. Footnote"), or between a word and the
# next ("Series.E"). Also two words run together where a speck took the space ("ClassA").
_SPECKLED_TEXT = re.compile(
    r"[?!@'\"`;:|‘’“”]|\s[-.,:]\s|[a-z]{4}\.(?=\s|$)|\)\.$|\b(?:Class|Series)\s+\w\."
    r"|[a-z]{2}\.[A-Z]"
    r"|[a-z]{2}[A-Z]\b|\b(?:[Bb]y|[Ss]ee|of|for|the|and|in|to|as)\.(?=\s)|\.\.|\s\.$"
)
# On any scan: marks no title, name or city is printed with (unlike "!" in "YAHOO!" or the
# apostrophe in "O'Brien"), words run together ("ClassA"), a doubled point, a lone mark (or
# one the text starts with: "- ock").
_MISREAD_TEXT = re.compile(r"[?@`;|=<>_{}\[\]~^\\“”]|[a-z]{2}[A-Z]\b|\.\.|\s[-.,:]\s|^[-.,:]\s")
# A trading symbol: capitals (a class after a point or hyphen); a bracket read into it ("CMMB J",
# "| MDB") is not one.
_TICKER = re.compile(r"^[A-Z][A-Z0-9]*(?:[.-][A-Z0-9]+)?$")
TITLE_FIELDS = ("security_title", "underlying_security_title")
# The words of security titles' prose besides (the corpus's 43 titles and the common kinds of
# award, right and note): an unverified title, which no independent read backs, must be of
# these ("Common Stark", "Resiriciea Stock Units" are not).
_TITLE_PROSE = TITLE_WORDS | frozenset(
    re.findall(
        r"\w+",
        "to buy sell right non qualified qualifed incentive employee director par value per"
        " redeemable due senior subordinated purchase american ads adss capital voting"
        " exchangeable llc lp interest interests rsu rsus psu psus sar sars appreciation"
        " grant based vested unvested profits ltip op operating call put exercise exercisable"
        " conversion settled cash contingent trust beneficial holdings no securities are owned"
        " beneficially",
    )
)
# A title word this long or longer is misread when two letters off one ("Comnion").
_LONG_TITLE_WORD_LETTERS = 6
# What no title is on its own: the last line of a wrapped title whose first line was lost.
_TITLE_TAILS = frozenset({"Stock"})
_COMMA_IN_TITLE = re.compile(r",\s*[A-Z]")
# A class or series letter ("Class A", "Series B-1"): the one word of a title that is no word.
_CLASS_LETTER = re.compile(r"^[A-Z](?:-?\d)?$")
_CLASSED = frozenset({"class", "series"})
# A city the state or zip ran into ("PALO ALTO-CA", "PALO ALTO CA.94304"), or ending in a speck's
# full stop ("REDMOND.").
_CITY_RUN_ON = re.compile(r"\d|[-.,]\s*[A-Z]{2}$|\.$")
# More decimals than a price is printed with: a footnote mark glued on ("1101.41207").
_MAX_PRICE_DECIMALS = 4


def _speckled(text: str | None) -> bool:
    """`text` shows specks, or was read twice over ("Class A Common Stock Class A Common
    Stock": two rows run into one)."""
    return text is not None and (bool(_SPECKLED_TEXT.search(text)) or _read_twice(text))


def _read_twice(text: str) -> bool:
    """Two rows run into one: the same words twice over."""
    words = text.split()
    half = len(words) // 2
    return bool(half and words[:half] == words[half:])


def _edits(word: str, known: str) -> int:
    """Levenshtein distance: letters changed, added or dropped to make one word the other."""
    previous = list(range(len(known) + 1))
    for i, letter in enumerate(word, 1):
        current = [i]
        for j, other in enumerate(known, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (letter != other))
            )
        previous = current
    return previous[-1]


def _misread_of(word: str, known: str) -> bool:
    """`word` is a misread of the title word `known`: one letter off, or two off a long word
    ("Comnion": an "m" read as "ni")."""
    edits = _edits(word, known)
    return edits == 1 or (edits == 2 and min(len(word), len(known)) >= _LONG_TITLE_WORD_LETTERS)


def _misspelt_title(text: str | None) -> bool:
    """A word of the title is a misread of a title word without being one; or the title is
    a wrapped title's last line alone ("Stock" of "Common Stock"); or a comma a speck made
    before a capital ("Common, Stock": a title's one comma is before "par value"); or it has
    no title word at all ("Sic": 1 of the corpus's 2,623 titles has none)."""
    if not text:
        return False
    words = re.findall(r"[A-Za-z]{4,}", text)
    return (
        text.strip() in _TITLE_TAILS
        or bool(_COMMA_IN_TITLE.search(text))
        or not has_title_word(text)
        or any(
            word.lower() not in TITLE_WORDS
            and any(_misread_of(word.lower(), known) for known in TITLE_WORDS)
            for word in words
        )
    )


# "(right to buy)" that lost its "to" to OCR: titles' one formula, printed whole.
_RIGHT_WITHOUT_TO = re.compile(r"\bright\s+(?:buy|sell)\b", re.IGNORECASE)


def _title_misread(line: TableLine, field: str, text: str | None) -> bool:
    """A title with specks in it (no title has "!", a quote or a lowercase full stop), a
    misspelt one, one that lost a word of its formula, or an unverified one not written in
    titles' words."""
    return (
        _speckled(text)
        or _misspelt_title(text)
        or bool(_RIGHT_WITHOUT_TO.search(text or ""))
        or (field in line.unverified_fields and not _of_title_prose(text))
    )


def _of_title_prose(text: str | None) -> bool:
    """Each word of `text` is one titles are written in, or a class or series letter."""
    return all(
        word.lower() in _TITLE_PROSE or bool(_CLASS_LETTER.match(word))
        for word in re.findall(r"[A-Za-z]+", text or "")
    )


def of_title_words(text: str) -> bool:
    """`text` is made of nothing but the words security titles are made of (a class or series
    letter after its word), with no mark between them: "Class A Common Stock"."""
    words = text.split()
    return bool(words) and all(
        word.lower() in TITLE_WORDS
        or (index > 0 and words[index - 1].lower() in _CLASSED and bool(_CLASS_LETTER.match(word)))
        for index, word in enumerate(words)
    )


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


def withhold_speckled(
    filing: Filing, unclear_boxes: set[str], joint_owner_flag_cells: list[list[str]]
) -> None:
    """On a noisy scan, what the specks may have written into is null and unread: a line's
    title or nature, the issuer's or an owner's name and address (a city the state or zip ran
    into), a trading symbol with more than capitals in it, a price with more decimals than
    prices are printed with (a mark glued on); so is a relationship read "not checked" from a
    checkbox not read whole (`unclear_boxes`, the GridReader's): its X may be what the specks
    took; and so is each joint filer's relationship whose cell was not read as an X (and its
    text, where one follows)."""
    for line in filing.lines:
        for field in _LINE_TEXT_FIELDS:
            text = getattr(line, field)
            if _speckled(text) or (field in TITLE_FIELDS and _misspelt_title(text)):
                line.mark_unread(field)
        price = line.price_per_share
        exponent = price.as_tuple().exponent if price is not None else 0
        if isinstance(exponent, int) and -exponent > _MAX_PRICE_DECIMALS:
            line.mark_unread("price_per_share")
    for path, holder, name in header_boxes(filing):
        value = getattr(holder, name)
        if value is None or name == "zip":
            continue  # no words to speck
        if name == "trading_symbol":
            doubtful = not _TICKER.match(value)
        else:
            doubtful = _speckled(value) or (name == "city" and bool(_CITY_RUN_ON.search(value)))
        if doubtful:
            setattr(holder, name, None)
            filing.provenance.unread.add(path)
    if filing.remarks is not None and not re.search(r"[A-Za-z]{2}", filing.remarks):
        filing.remarks = None  # a speck's mark, no remark
        filing.provenance.unread.add("remarks")
    owner = filing.reporting_owners[0]
    for flag in unclear_boxes if len(filing.reporting_owners) == 1 else ():
        if getattr(owner, flag) is False:
            setattr(owner, flag, None)
            filing.provenance.unread.add(f"reporting_owners[0].{flag}")
    _withhold_joint_flags(filing, joint_owner_flag_cells)


# Boxes whose printed values carry marks of their own ("C/O YAHOO! INC.", "#200"): on a page
# with no specks a mark there is the filer's.
_PUNCTUATED_BOXES = frozenset({"trading_symbol", "zip", "street1", "street2"})


def withhold_misreads(filing: Filing) -> None:
    """On any scan, a text value that looks misread the way a degraded image misreads (stray
    marks, words run together, a title word one letter off a title word, a city the state ran
    into) is null and unread. A blurred, compressed, worn or unevenly lit scan misreads as a
    speckled one does, without the specks that make the page noisy, and the scan's own text
    layer, OCR'd from the same pixels, agrees with the misread as often as not."""
    for line in filing.lines:
        for field in _LINE_TEXT_FIELDS:
            text = getattr(line, field)
            if _misread(text) or (field in TITLE_FIELDS and _title_misread(line, field, text)):
                line.withhold(field)
    provenance = filing.provenance
    for path, holder, name in header_boxes(filing):
        value = getattr(holder, name)
        if not isinstance(value, str) or name in _PUNCTUATED_BOXES:
            continue
        if _misread(value) or (name == "city" and bool(_CITY_RUN_ON.search(value))):
            setattr(holder, name, None)
            provenance.unverified.discard(path)
            provenance.unread.add(path)


def _misread(text: str | None) -> bool:
    """`text` carries a mark no printed title, name or city has, or was read twice over."""
    return text is not None and (bool(_MISREAD_TEXT.search(text)) or _read_twice(text))


def _withhold_joint_flags(filing: Filing, flag_cells: list[list[str]]) -> None:
    """A joint filer's relationship stands on a noisy page only when its cell reads as an X
    (with clean words after it, for an officer's title or other text): a blank cell may have
    lost its X to the noise, and a cell of anything else is specks read as letters."""
    for index, (owner, cells) in enumerate(zip(filing.reporting_owners, flag_cells, strict=False)):
        for flag, cell in zip(JOINT_OWNER_FLAGS, cells, strict=False):
            mark, _, said = one_line(cell).partition(" ")
            if is_x_mark(mark) and not _speckled(said):
                continue
            described = RELATIONSHIP_TEXT.get(flag)
            paths = [flag] + ([described] if described and getattr(owner, described) else [])
            for name in paths:
                setattr(owner, name, None)
                filing.provenance.unread.add(f"reporting_owners[{index}].{name}")
