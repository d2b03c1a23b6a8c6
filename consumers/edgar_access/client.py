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
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests

from consumers.limits import EDGAR_RESPONSE_MAX_BYTES, MAX_REMEMBERED_VALIDATORS

SEC_MAX_REQUESTS_PER_SECOND = 10
MAX_REDIRECTS = 5
REDIRECT_REFUSED = 0  # the status of an attempt ended by a redirect we do not follow
NOT_MODIFIED = 304
# A response's validators and the request headers that send them back (RFC 9110 13.1).
_VALIDATOR_HEADERS = {"ETag": "If-None-Match", "Last-Modified": "If-Modified-Since"}
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


@dataclass(frozen=True, slots=True)
class _Answer:
    """One HTTP attempt: status (None: no answer; REDIRECT_REFUSED), and what came with it."""

    status: int | None
    detail: str
    body: bytes | None = None
    retry_after: float | None = None
    location: str | None = None
    validators: dict[str, str] = field(default_factory=dict)


class EdgarClient:
    """GET with the fair-access rules; `on_status` and `on_latency` feed the metrics."""

    def __init__(
        self,
        base_url: str,
        user_agent: str,
        max_requests_per_second: int = SEC_MAX_REQUESTS_PER_SECOND,
        retry: RetryPolicy | None = None,
        max_bytes: int = EDGAR_RESPONSE_MAX_BYTES,
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
        self._validators: dict[str, dict[str, str]] = {}  # url -> ETag / Last-Modified

    def close(self) -> None:
        self._session.close()

    def get(
        self,
        path: str,
        kind: str = "document",
        max_bytes: int | None = None,
        not_found_attempts: int | None = None,
    ) -> bytes:
        """The body of base_url + path (at most `max_bytes`, else the client's limit);
        FetchError when the retry budget is spent (`not_found_attempts` for a 404, else the
        policy's), the body is too large, or a redirect leads off the host."""
        body = self._get(path, kind, max_bytes, not_found_attempts, conditional=False)
        assert body is not None  # only a conditional request can come back unchanged
        return body

    def get_if_changed(self, path: str, kind: str = "feed") -> bytes | None:
        """As `get`, but None when the server answers 304 Not Modified to the validators
        (ETag, Last-Modified) of the last body it sent for this path: a poll that finds
        nothing new moves no body. A server that ignores them answers 200 as before."""
        return self._get(path, kind, None, None, conditional=True)

    def _get(
        self,
        path: str,
        kind: str,
        max_bytes: int | None,
        not_found_attempts: int | None,
        conditional: bool,
    ) -> bytes | None:
        url = self.base_url + path
        attempt = 0
        cap = min(self.max_bytes, max_bytes) if max_bytes is not None else self.max_bytes
        not_found_budget = not_found_attempts or self.retry.not_found_attempts
        validators = self._validators.get(url, {}) if conditional else {}
        while True:
            answer = self._follow(url, kind, cap, validators)
            attempt += 1
            if answer.status == NOT_MODIFIED and validators:
                return None
            if answer.status == 200:
                if answer.body is None:  # over the size limit: asking again gets the same answer
                    raise FetchError(url, answer.status, attempt, answer.detail)
                if conditional:
                    self._remember(url, answer.validators)
                return answer.body
            status = answer.status
            self._on_status(str(status) if status is not None else "connection")
            budget = not_found_budget if status == 404 else self.retry.attempts
            retryable = status is None or status == 404 or status in _RETRYABLE
            if not retryable or attempt >= budget:
                raise FetchError(url, status, attempt, answer.detail)
            self._sleep(self.retry.backoff(attempt - 1, answer.retry_after, self._rng))

    def _remember(self, url: str, validators: dict[str, str]) -> None:
        """The validators of a conditionally fetched URL (a few feed pages: bounded)."""
        self._validators.pop(url, None)
        if validators:
            self._validators[url] = validators
            while len(self._validators) > MAX_REMEMBERED_VALIDATORS:
                self._validators.pop(next(iter(self._validators)))

    def _follow(self, url: str, kind: str, cap: int, validators: dict[str, str]) -> _Answer:
        """One attempt, following redirects on the same host (each one a request the limiter
        counts); a redirect elsewhere, or one too many, ends it as REDIRECT_REFUSED."""
        for _ in range(MAX_REDIRECTS + 1):
            answer = self._attempt(url, kind, cap, validators)
            if answer.location is None:
                return answer
            target = urljoin(url, answer.location)
            if urlsplit(target)[:2] != urlsplit(self.base_url)[:2]:
                refused = f"redirect off {urlsplit(self.base_url).netloc} refused"
                return _Answer(REDIRECT_REFUSED, refused)
            url = target
        return _Answer(REDIRECT_REFUSED, f"more than {MAX_REDIRECTS} redirects")

    def _attempt(self, url: str, kind: str, cap: int, validators: dict[str, str]) -> _Answer:
        self._limiter.acquire()
        started = time.perf_counter()
        conditions = {
            header: validators[name]
            for name, header in _VALIDATOR_HEADERS.items()
            if name in validators
        }
        try:
            with self._session.get(
                url, timeout=self.timeout, stream=True, allow_redirects=False, headers=conditions
            ) as response:
                status = response.status_code
                if response.is_redirect:
                    return _Answer(status, "redirect", location=response.headers["Location"])
                if status == NOT_MODIFIED:
                    return _Answer(status, "not modified")
                if status != 200:
                    retry_after = retry_after_seconds(response.headers.get("Retry-After"))
                    return _Answer(status, f"HTTP {status}", retry_after=retry_after)
                body = self._read_capped(response, cap)
                if body is None:
                    return _Answer(200, f"body over {cap} bytes")
                kept = {
                    name: response.headers[name]
                    for name in _VALIDATOR_HEADERS
                    if name in response.headers
                }
                return _Answer(200, "ok", body=body, validators=kept)
        except requests.RequestException as error:
            return _Answer(None, f"{type(error).__name__}: {error}")
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
