"""Where alerts go: JSON lines on a stream, a Kafka topic, and a webhook (POST with retries, off
the consume loop, with a dead-letter topic for what it will not take)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TextIO
from urllib.parse import urljoin, urlsplit

import requests
from confluent_kafka import KafkaException, Producer

from consumers.limits import WEBHOOK_RESPONSE_MAX_BYTES

log = logging.getLogger("form4.alerts")


def alert_json(alert: dict[str, Any]) -> str:
    return json.dumps(alert, sort_keys=True, default=str)


class AlertSink(Protocol):
    def send(self, alert: dict[str, Any]) -> None: ...

    def flush(self) -> None: ...


class StreamSink:
    def __init__(self, out: TextIO) -> None:
        self.out = out

    def send(self, alert: dict[str, Any]) -> None:
        self.out.write(alert_json(alert) + "\n")

    def flush(self) -> None:
        self.out.flush()


MAX_WEBHOOK_REDIRECTS = 3


def redact_url(url: str) -> str:
    """What logs and metrics may say of a URL: scheme and host, never the path, query or
    credentials (webhook URLs often carry a token)."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or '?'}{port}/…"


@dataclass(frozen=True)
class Delivery:
    """How one alert's delivery ended: delivered, or not (with why, after how many tries)."""

    delivered: bool
    attempts: int
    reason: str = ""


class WebhookSink:
    """POST one alert as JSON; retry 429/5xx and connection errors with jittered back-off.

    The body carries `alert_id`, and so does the `Idempotency-Key` header: a receiver that saw
    a POST whose answer was lost can drop the retry. Redirects: 307/308 to the same host only
    (a re-POST elsewhere would hand the alert, and any token, to another server). Answers are
    read up to WEBHOOK_RESPONSE_MAX_BYTES.
    """

    def __init__(
        self,
        url: str,
        attempts: int = 5,
        base_seconds: float = 0.5,
        timeout: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = url
        self.attempts = attempts
        self.base_seconds = base_seconds
        self.timeout = timeout
        self._sleep = sleep
        self._session = requests.Session()

    def deliver(self, alert: dict[str, Any]) -> Delivery:
        body = alert_json(alert).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": alert["alert_id"]}
        reason = ""
        for attempt in range(1, self.attempts + 1):
            retryable, reason = self._post(body, headers)
            if not reason:
                return Delivery(True, attempt)
            if not retryable:
                return Delivery(False, attempt, reason)
            if attempt < self.attempts:
                self._sleep(random.uniform(0, self.base_seconds * 2 ** (attempt - 1)))
        return Delivery(False, self.attempts, reason)

    def _post(self, body: bytes, headers: dict[str, str]) -> tuple[bool, str]:
        """(retryable, reason); reason "" when delivered."""
        url = self.url
        for _ in range(MAX_WEBHOOK_REDIRECTS + 1):
            try:
                with self._session.post(
                    url,
                    data=body,
                    headers=headers,
                    timeout=self.timeout,
                    allow_redirects=False,
                    stream=True,
                ) as response:
                    _drain(response)
                    status = response.status_code
                    location = response.headers.get("Location")
            except requests.RequestException as error:
                return True, f"{type(error).__name__}"
            if status in (307, 308) and location:
                target = urljoin(url, location)
                if urlsplit(target)[:2] != urlsplit(self.url)[:2]:
                    return False, f"redirect to another host refused (HTTP {status})"
                url = target
                continue
            if status < 300:
                return False, ""
            return status == 429 or status >= 500, f"HTTP {status}"
        return False, "too many redirects"


def _drain(response: requests.Response) -> None:
    """Read at most WEBHOOK_RESPONSE_MAX_BYTES of an answer (we need only its status)."""
    read = 0
    for chunk in response.iter_content(chunk_size=8192):
        read += len(chunk)
        if read >= WEBHOOK_RESPONSE_MAX_BYTES:
            break


class AlertDeadLetters:
    """Alerts the webhook would not take, on a Kafka topic with the reason and attempt count."""

    def __init__(self, producer: Producer, topic: str) -> None:
        self.producer = producer
        self.topic = topic

    def put(self, alert: dict[str, Any], delivery: Delivery, target: str) -> None:
        """Produced and flushed; raises RuntimeError when Kafka did not take it."""
        entry = {
            "alert": alert,
            "reason": delivery.reason,
            "attempts": delivery.attempts,
            "target": target,
            "dead_lettered_at": dt.datetime.now(dt.UTC).isoformat(),
        }
        self.producer.produce(
            self.topic,
            key=alert["alert_id"].encode(),
            value=alert_json(entry).encode(),
            headers=[
                ("alert-id", alert["alert_id"].encode()),
                ("reason", delivery.reason.encode()),
            ],
        )
        if self.producer.flush(30):
            raise RuntimeError(f"alert dead letter not delivered to {self.topic} within 30 s")


class WebhookDelivery:
    """The webhook off the consume loop: alerts queue here and one worker delivers them in
    order; an alert the webhook will not take within its retry budget goes to the dead
    letters. Either way `settled` is called, and only then may the record's offset be
    committed; an alert is never dropped. If the dead letters cannot be written either, the
    worker retries (and the alert stays unsettled) until they can or the process stops."""

    def __init__(
        self,
        sink: WebhookSink,
        dead_letters: AlertDeadLetters,
        on_result: Callable[[str, dict[str, Any]], None] | None = None,
        retry_seconds: float = 5.0,
    ) -> None:
        self.sink = sink
        self.dead_letters = dead_letters
        self._on_result = on_result or (lambda outcome, alert: None)
        self._retry_seconds = retry_seconds
        self._queue: queue.Queue[tuple[dict[str, Any], Callable[[], None]] | None] = queue.Queue()
        self._closing = threading.Event()
        self._worker = threading.Thread(target=self._work, name="webhook", daemon=True)
        self._worker.start()

    def submit(self, alert: dict[str, Any], settled: Callable[[], None]) -> None:
        self._queue.put((alert, settled))

    def close(self) -> None:
        """Stop after the alert in hand; alerts not settled stay uncommitted (re-read later)."""
        self._closing.set()
        self._queue.put(None)
        self._worker.join(timeout=self.sink.timeout * 2 + 5)

    def _work(self) -> None:
        target = redact_url(self.sink.url)
        while not self._closing.is_set():
            item = self._queue.get()
            if item is None:
                return
            alert, settled = item
            delivery = self.sink.deliver(alert)
            if delivery.delivered:
                self._on_result("delivered", alert)
            else:
                self._on_result("failed", alert)
                log.error(
                    "webhook refused an alert; dead-lettering it",
                    extra={
                        "alert_id": alert["alert_id"],
                        "webhook": target,
                        "reason": delivery.reason,
                        "attempts": delivery.attempts,
                    },
                )
                if not self._dead_letter(alert, delivery, target):
                    return  # closing: the alert stays unsettled and is re-read after restart
                self._on_result("dead_lettered", alert)
            settled()

    def _dead_letter(self, alert: dict[str, Any], delivery: Delivery, target: str) -> bool:
        while not self._closing.is_set():
            try:
                self.dead_letters.put(alert, delivery, target)
                return True
            except (RuntimeError, KafkaException, BufferError) as error:
                log.error("alert dead letter failed; retrying", extra={"error": str(error)})
                self._closing.wait(self._retry_seconds)
        return False


class TopicSink:
    """Alerts as JSON values keyed by issuer on a Kafka topic (idempotent producer)."""

    def __init__(self, producer: Producer, topic: str) -> None:
        self.producer = producer
        self.topic = topic

    def send(self, alert: dict[str, Any]) -> None:
        key = (alert.get("issuer_cik") or alert["alert_id"]).encode()
        self.producer.produce(
            self.topic,
            key=key,
            value=alert_json(alert).encode(),
            headers=[("alert-id", alert["alert_id"].encode())],
        )
        self.producer.poll(0)

    def flush(self) -> None:
        if self.producer.flush(30):
            raise RuntimeError(f"alerts not delivered to {self.topic} within 30 s")
