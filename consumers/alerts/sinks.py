"""Where alerts go: JSON lines on a stream, a webhook (POST with retries), a Kafka topic."""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable
from typing import Any, Protocol, TextIO

import requests
from confluent_kafka import Producer

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


class WebhookSink:
    """POST each alert as JSON; retry 429/5xx and connection errors with jittered backoff.

    The body carries `alert_id`, and so does the `Idempotency-Key` header: a receiver that saw
    a POST whose answer was lost can drop the retry.
    """

    def __init__(
        self,
        url: str,
        attempts: int = 5,
        base_seconds: float = 0.5,
        timeout: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
        on_result: Callable[[str], None] | None = None,
    ) -> None:
        self.url = url
        self.attempts = attempts
        self.base_seconds = base_seconds
        self.timeout = timeout
        self._sleep = sleep
        self._session = requests.Session()
        self._on_result = on_result or (lambda outcome: None)

    def send(self, alert: dict[str, Any]) -> None:
        body = alert_json(alert).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": alert["alert_id"]}
        for attempt in range(self.attempts):
            try:
                response = self._session.post(
                    self.url, data=body, headers=headers, timeout=self.timeout
                )
                if response.status_code < 300:
                    self._on_result("delivered")
                    return
                retryable = response.status_code == 429 or response.status_code >= 500
                detail = f"HTTP {response.status_code}"
            except requests.RequestException as error:
                retryable, detail = True, f"{type(error).__name__}: {error}"
            if not retryable:
                break
            if attempt + 1 < self.attempts:
                self._sleep(random.uniform(0, self.base_seconds * 2**attempt))
        self._on_result("failed")
        log.error(
            "webhook delivery failed",
            extra={"alert_id": alert["alert_id"], "url": self.url, "error": detail},
        )

    def flush(self) -> None:
        return


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
