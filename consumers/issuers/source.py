"""Where the issuer directory comes from: a local file, or a URL fetched under EDGAR's
fair-access rules and kept on disk, so a restart while EDGAR is unreachable still resolves."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from urllib.parse import urlsplit

from consumers.edgar_access.client import EdgarClient, FetchError
from consumers.issuers.directory import DirectoryError, IssuerDirectory, write_atomically

log = logging.getLogger(__name__)

COMPANY_TICKERS_PATH = "/files/company_tickers.json"


def is_url(source: str) -> bool:
    return urlsplit(source).scheme in ("http", "https")


def fetch_directory(client: EdgarClient, target: Path, path: str = COMPANY_TICKERS_PATH) -> int:
    """Fetch the company tickers file through `client` into `target` (atomically, only once
    it parses as a directory); returns its size in bytes."""
    data = client.get(path, kind="issuer_directory")
    write_atomically(target, data)
    return len(data)


def local_directory(source: str | None, cache: Path, user_agent: str | None) -> Path | None:
    """The file the parser workers read: `source` itself when it is a path; for a URL, a copy
    fetched now into `cache` (or the copy from an earlier run when the fetch fails). None,
    logged, when there is nothing to read: records are then keyed as without a directory."""
    if not source:
        return None
    path = _fetched(source, cache, user_agent) if is_url(source) else Path(source)
    try:
        issuers = len(IssuerDirectory.from_json(path.read_bytes())) if path else 0
    except (OSError, DirectoryError) as error:
        log.warning("issuer directory unusable", extra={"path": str(path), "error": str(error)})
        return path  # a later refresh by watch-edgar may make it usable; workers re-check
    if path is not None:
        log.info("issuer directory ready", extra={"path": str(path), "issuers": issuers})
    return path


def _fetched(url: str, cache: Path, user_agent: str | None) -> Path | None:
    parts = urlsplit(url)
    started = time.perf_counter()
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        client = EdgarClient(f"{parts.scheme}://{parts.netloc}", user_agent or "")
        try:
            size = fetch_directory(client, cache, path)
        finally:
            client.close()
    except (FetchError, DirectoryError, ValueError, OSError) as error:
        log.warning(
            "issuer directory fetch failed; using the cached copy if any",
            extra={"host": parts.netloc, "cache": str(cache), "error": str(error)},
        )
        return cache if cache.is_file() else None
    log.info(
        "issuer directory fetched",
        extra={"host": parts.netloc, "bytes": size, "seconds": time.perf_counter() - started},
    )
    return cache


class DirectoryRefresher:
    """`form4 watch-edgar`'s side: refetch the file into `target` every `interval_seconds`
    (at start when the file is missing or older than that), through the watcher's own
    fair-access client so EDGAR sees one rate limit for everything this process asks."""

    def __init__(self, client: EdgarClient, target: Path, interval_seconds: float) -> None:
        self.client = client
        self.target = target
        self.interval_seconds = interval_seconds
        self._next_at = self._first_due()

    def _first_due(self) -> float:
        try:
            age = time.time() - self.target.stat().st_mtime
        except OSError:
            return time.monotonic()
        return time.monotonic() + max(0.0, self.interval_seconds - age)

    def due(self) -> bool:
        return time.monotonic() >= self._next_at

    def refresh(self) -> bool:
        """Fetch and write now; True when a fresh copy was written."""
        self._next_at = time.monotonic() + self.interval_seconds
        try:
            size = fetch_directory(self.client, self.target)
        except (FetchError, DirectoryError, OSError) as error:
            log.warning("issuer directory refresh failed", extra={"error": str(error)})
            return False
        log.info("issuer directory refreshed", extra={"path": str(self.target), "bytes": size})
        return True
