"""EDGAR's company tickers file as a lookup from a rendered filing's issuer to its CIK.

A PDF, HTML or text rendering prints the issuer's name and ticker, never its CIK, while
XML records carry the CIK and are keyed by it. Resolving the CIK puts every event of one
issuer on one partition, in order, whatever its format. A wrong CIK is worse than none:
it is taken only when the ticker and the printed name agree on one issuer (or, with no
ticker in the file, when the name alone names exactly one), and it is marked resolved.

The file is https://www.sec.gov/files/company_tickers.json:
{"0": {"cik_str": 320193, "ticker": "AAPL", "title": "Apple Inc."}, ...}
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from consumers import limits as bounds
from consumers.parsing.core.model import Filing

RESOLVED_ISSUER_CIK = "issuer.cik"

_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")
# Words of a company's legal form, which filings and the SEC's file print differently.
_LEGAL_FORM = frozenset(
    {"INC", "INCORPORATED", "CORP", "CORPORATION", "CO", "COMPANY", "LTD", "LIMITED", "PLC"}
    | {"LLC", "LP", "LLP", "NV", "SA", "AG", "SE", "THE", "DE"}
)


class DirectoryError(ValueError):
    """A company tickers file that is not one: wrong shape, or too large."""


def ticker_key(ticker: str) -> str:
    """ "BRK.B", "BRK-B" and "brk b" are one ticker."""
    return _NOT_ALNUM.sub("", ticker.upper())


def name_key(name: str) -> str:
    """A company name without punctuation, case and legal-form words ("Tesla, Inc." ->
    "TESLA"), so the form's and the SEC file's spellings meet."""
    words = _NOT_ALNUM.sub(" ", name.upper().replace("&", " AND ")).split()
    kept = [word for word in words if word not in _LEGAL_FORM]
    return " ".join(kept or words)


@dataclass(frozen=True)
class IssuerDirectory:
    """Ticker and name keys to 10-digit CIKs."""

    by_ticker: dict[str, str]
    by_name: dict[str, frozenset[str]]
    names: dict[str, frozenset[str]]  # CIK -> its name keys

    @classmethod
    def from_json(cls, data: bytes) -> IssuerDirectory:
        if len(data) > bounds.MAX_ISSUER_DIRECTORY_BYTES:
            raise DirectoryError(f"company tickers file over {bounds.MAX_ISSUER_DIRECTORY_BYTES}")
        try:
            entries = json.loads(data)
        except ValueError as exc:
            raise DirectoryError(f"company tickers file is not JSON: {exc}") from None
        if isinstance(entries, dict):
            entries = list(entries.values())
        if not isinstance(entries, list):
            raise DirectoryError("company tickers file is neither an object nor a list")
        by_ticker: dict[str, str] = {}
        by_name: defaultdict[str, set[str]] = defaultdict(set)
        names: defaultdict[str, set[str]] = defaultdict(set)
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            cik, ticker, title = entry.get("cik_str"), entry.get("ticker"), entry.get("title")
            if not isinstance(cik, int | str) or not str(cik).isdigit() or len(str(cik)) > 10:
                continue
            cik = str(cik).zfill(10)
            if isinstance(ticker, str) and ticker_key(ticker):
                by_ticker.setdefault(ticker_key(ticker), cik)
            if isinstance(title, str) and name_key(title):
                by_name[name_key(title)].add(cik)
                names[cik].add(name_key(title))
        if not by_ticker:
            raise DirectoryError("company tickers file lists no issuer")
        return cls(
            by_ticker,
            {key: frozenset(ciks) for key, ciks in by_name.items()},
            {cik: frozenset(keys) for cik, keys in names.items()},
        )

    def __len__(self) -> int:
        return len(self.names)

    def resolve(self, ticker: str | None, name: str | None) -> str | None:
        """The CIK the ticker and the name agree on; None when they do not, or are unknown.

        A ticker is reused after a delisting, so it is trusted only with the printed name
        agreeing; with no name, the ticker alone; with no ticker in the file, a name that
        names exactly one issuer."""
        wanted = name_key(name) if name else ""
        by_ticker = self.by_ticker.get(ticker_key(ticker)) if ticker else None
        if by_ticker is not None:
            if not wanted or any(_same_name(wanted, known) for known in self.names[by_ticker]):
                return by_ticker
            return None
        candidates = self.by_name.get(wanted, frozenset()) if wanted else frozenset()
        return next(iter(candidates)) if len(candidates) == 1 else None


def _same_name(printed: str, known: str) -> bool:
    """Equal, or one the other's leading words ("ALPHABET" / "ALPHABET CLASS A")."""
    if printed == known:
        return True
    short, long = sorted((printed.split(), known.split()), key=len)
    return len(short) >= 1 and long[: len(short)] == short and len(short[0]) >= 3


def resolve_issuer(filing: Filing, directory: IssuerDirectory | None) -> None:
    """Fill a rendered filing's missing issuer CIK from the directory, marked resolved."""
    issuer = filing.issuer
    if directory is None or issuer.cik is not None:
        return
    cik = directory.resolve(issuer.trading_symbol, issuer.name)
    if cik is not None:
        issuer.cik = cik
        filing.provenance.resolved.add(RESOLVED_ISSUER_CIK)


class DirectoryFile:
    """The directory as a file on disk, re-read when it changes (`form4 watch-edgar` refreshes
    it): checked at most every `recheck_seconds`; a file that cannot be read keeps the last
    good directory, so a half-written or damaged refresh never takes CIKs away."""

    def __init__(
        self, path: Path, recheck_seconds: float = bounds.ISSUER_DIRECTORY_RECHECK_SECONDS
    ) -> None:
        self.path = path
        self.recheck_seconds = recheck_seconds
        self._directory: IssuerDirectory | None = None
        self._stamp: tuple[int, int] | None = None
        self._checked_at = float("-inf")

    def current(self) -> IssuerDirectory | None:
        now = time.monotonic()
        if now - self._checked_at < self.recheck_seconds:
            return self._directory
        self._checked_at = now
        try:
            stat = os.stat(self.path)
            stamp = (stat.st_mtime_ns, stat.st_size)
            if stamp != self._stamp:
                self._directory = IssuerDirectory.from_json(self.path.read_bytes())
                self._stamp = stamp
        except (OSError, DirectoryError):
            pass
        return self._directory


def write_atomically(path: Path, data: bytes) -> None:
    """Replace the file in one rename, after checking it is a directory: readers see the old
    file or the new one, never half of one."""
    IssuerDirectory.from_json(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)


_process_directory: DirectoryFile | None = None


def use_directory_file(path: Path | None) -> None:
    """This process's directory (each parser worker process sets it once at start)."""
    global _process_directory
    _process_directory = DirectoryFile(path) if path is not None else None


def process_directory() -> IssuerDirectory | None:
    return _process_directory.current() if _process_directory is not None else None
