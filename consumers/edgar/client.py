"""HTTP to EDGAR under the SEC's fair-access rules.

A declared User-Agent with a contact address, at most N requests in any one-second window
(N <= 10, the SEC's limit) counted over every request this process makes, redirects included
(followed by hand, on the same host only), spaced over a second plus a jitter margin so the
server never counts more either, and exponential
backoff with full jitter on 429, 403 and 5xx, where the server's Retry-After wins when it asks
for longer. A 404 is retried a few times too: the feed can list a filing seconds before the
archive serves it.
"""

from __future__ import annotations

import collections
import datetime as dt
import email.utils
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

SEC_MAX_REQUESTS_PER_SECOND = 10
MAX_REDIRECTS = 5
REDIRECT_REFUSED = 0  # the status of an attempt ended by a redirect we do not follow
_CONTACT = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_RETRYABLE = frozenset({403, 429, 500, 502, 503, 504})


class UserAgentError(ValueError):
    """The SEC refuses anonymous clients; so do we, before the first request."""


def check_user_agent(user_agent: str | None) -> str:
    """A non-empty User-Agent naming a contact e-mail address ("Name email@host")."""
    value = (user_agent or "").strip()
    if not _CONTACT.search(value) or len(value.split()) < 2:
        raise UserAgentError(
            "EDGAR requires a User-Agent with a name and a contact e-mail, e.g. "
            '--user-agent "Example Corp ops@example.com"'
        )
    return value


class FetchError(RuntimeError):
    """A URL that did not answer 200 within the retry budget."""

    def __init__(self, url: str, status: int | None, attempts: int, detail: str) -> None:
        super().__init__(f"GET {url}: {detail} after {attempts} attempt(s)")
        self.url = url
        self.status = status
        self.attempts = attempts

    @property
    def reason(self) -> str:
        if self.status == 404:
            return "not_found"
        if self.status is None:
            return "connection"
        if self.status == 200:
            return "too_large"
        if self.status == REDIRECT_REFUSED:
            return "redirect_refused"
        return f"http_{self.status}"


class SlidingWindowLimiter:
    """At most `limit` acquisitions in any window of `window` seconds (a token bucket lets a
    full burst plus a refill through inside one second; this does not)."""

    def __init__(
        self,
        limit: int,
        window: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._stamps: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            while True:
                now = self._clock()
                while self._stamps and now - self._stamps[0] >= self.window:
                    self._stamps.popleft()
                if len(self._stamps) < self.limit:
                    self._stamps.append(now)
                    return
                self._sleep(self.window - (now - self._stamps[0]))


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Retry-After as delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 6
    not_found_attempts: int = 3
    base_seconds: float = 0.5
    cap_seconds: float = 60.0

    def backoff(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Full jitter over an exponential ceiling; a longer Retry-After wins (capped)."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2**attempt)
        delay = rng.uniform(0, ceiling)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.cap_seconds))
        return delay


class EdgarClient:
    """GET with the fair-access rules; `on_status` and `on_latency` feed the metrics."""

    def __init__(
        self,
        base_url: str,
        user_agent: str,
        max_requests_per_second: int = SEC_MAX_REQUESTS_PER_SECOND,
        retry: RetryPolicy | None = None,
        max_bytes: int = 50 * 1024 * 1024,
        timeout: float = 30.0,
        jitter_margin: float = 0.25,
        on_status: Callable[[str], None] | None = None,
        on_latency: Callable[[str, float], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if not 1 <= max_requests_per_second <= SEC_MAX_REQUESTS_PER_SECOND:
            raise ValueError(
                f"max requests per second must be 1..{SEC_MAX_REQUESTS_PER_SECOND} (SEC limit)"
            )
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self.max_bytes = max_bytes
        self.timeout = timeout
        self._limiter = SlidingWindowLimiter(max_requests_per_second, window=1.0 + jitter_margin)
        self._session = requests.Session()
        self._session.headers.update(
            {
                "User-Agent": check_user_agent(user_agent),
                "Accept-Encoding": "gzip, deflate",
            }
        )
        self._on_status = on_status or (lambda status: None)
        self._on_latency = on_latency or (lambda kind, seconds: None)
        self._sleep = sleep
        self._rng = rng or random.Random()

    def close(self) -> None:
        self._session.close()

    def get(self, path: str, kind: str = "document", max_bytes: int | None = None) -> bytes:
        """The body of base_url + path (at most `max_bytes`, else the client's limit);
        FetchError when the retry budget is spent, the body is too large, or a redirect
        leads off the host."""
        url = self.base_url + path
        attempt = 0
        cap = min(self.max_bytes, max_bytes) if max_bytes is not None else self.max_bytes
        while True:
            status, body, retry_after, detail = self._follow(url, kind, cap)
            attempt += 1
            if status == 200:
                if body is None:  # over the size limit: asking again gets the same answer
                    raise FetchError(url, status, attempt, detail)
                return body
            self._on_status(str(status) if status is not None else "connection")
            budget = self.retry.not_found_attempts if status == 404 else self.retry.attempts
            retryable = status is None or status == 404 or status in _RETRYABLE
            if not retryable or attempt >= budget:
                raise FetchError(url, status, attempt, detail)
            self._sleep(self.retry.backoff(attempt - 1, retry_after, self._rng))

    def _follow(
        self, url: str, kind: str, cap: int
    ) -> tuple[int | None, bytes | None, float | None, str]:
        """One attempt, following redirects on the same host (each one a request the limiter
        counts); a redirect elsewhere, or one too many, ends it as REDIRECT_REFUSED."""
        for _ in range(MAX_REDIRECTS + 1):
            status, body, retry_after, detail, location = self._attempt(url, kind, cap)
            if location is None:
                return status, body, retry_after, detail
            target = urljoin(url, location)
            if urlsplit(target)[:2] != urlsplit(self.base_url)[:2]:
                refused = f"redirect off {urlsplit(self.base_url).netloc} refused"
                return REDIRECT_REFUSED, None, None, refused
            url = target
        return REDIRECT_REFUSED, None, None, f"more than {MAX_REDIRECTS} redirects"

    def _attempt(
        self, url: str, kind: str, cap: int
    ) -> tuple[int | None, bytes | None, float | None, str, str | None]:
        self._limiter.acquire()
        started = time.perf_counter()
        try:
            with self._session.get(
                url, timeout=self.timeout, stream=True, allow_redirects=False
            ) as response:
                if response.is_redirect:
                    return (
                        response.status_code,
                        None,
                        None,
                        "redirect",
                        response.headers["Location"],
                    )
                if response.status_code != 200:
                    retry_after = retry_after_seconds(response.headers.get("Retry-After"))
                    status = response.status_code
                    return status, None, retry_after, f"HTTP {status}", None
                body = self._read_capped(response, cap)
                if body is None:
                    return 200, None, None, f"body over {cap} bytes", None
                return 200, body, None, "ok", None
        except requests.RequestException as error:
            return None, None, None, f"{type(error).__name__}: {error}", None
        finally:
            self._on_latency(kind, time.perf_counter() - started)

    def _read_capped(self, response: requests.Response, cap: int) -> bytes | None:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > cap:
            return None
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(chunk_size=256 * 1024):
            size += len(chunk)
            if size > cap:
                return None
            chunks.append(chunk)
        return b"".join(chunks)
