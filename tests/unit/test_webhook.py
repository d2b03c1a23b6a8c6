"""The webhook sink's edges, against a local HTTP server: redirects only on the same host,
answers read only so far, the URL (and its token) never in a log, a refusal reported with its
reason and attempts."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from consumers.alerts.sinks import Delivery, WebhookSink, redact_url

ALERT = {"alert_id": "a1", "rule": "large_trade"}


class Server:
    """Answers POST by path: /ok 200, /moved 307 to /ok, /away 308 to another host,
    /endless 200 with a body that never ends, /down 500; counts requests per path."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                path = self.path.split("?")[0]
                server.hits[path] = server.hits.get(path, 0) + 1
                if path == "/moved":
                    self._answer(307, {"Location": "/ok?token=t"})
                elif path == "/away":
                    self._answer(308, {"Location": "http://198.51.100.9/steal"})
                elif path == "/endless":
                    self.send_response(200)
                    self.end_headers()
                    try:
                        while True:
                            self.wfile.write(b"x" * 65536)
                    except OSError:
                        return
                else:
                    self._answer(200 if path == "/ok" else 500, {})

            def _answer(self, status: int, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.http.server_address[1]}"


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.http.shutdown()


def _sink(url: str) -> WebhookSink:
    return WebhookSink(url, attempts=3, base_seconds=0.001, timeout=5)


def test_a_307_on_the_same_host_is_followed(server: Server) -> None:
    assert _sink(server.base + "/moved").deliver(ALERT) == Delivery(True, 1)
    assert server.hits == {"/moved": 1, "/ok": 1}


def test_a_redirect_to_another_host_is_refused_at_once(server: Server) -> None:
    delivery = _sink(server.base + "/away").deliver(ALERT)
    assert not delivery.delivered and delivery.attempts == 1
    assert "another host" in delivery.reason


def test_an_endless_answer_is_read_only_so_far(server: Server) -> None:
    assert _sink(server.base + "/endless").deliver(ALERT).delivered


def test_a_failing_webhook_reports_reason_and_attempts_and_logs_no_url(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="form4")
    caplog.set_level(logging.WARNING, logger="urllib3")  # what logs.configure sets, always
    delivery = _sink(server.base + "/down?token=secret").deliver(ALERT)
    assert delivery == Delivery(False, 3, "HTTP 500")
    assert server.hits == {"/down": 3}
    assert "secret" not in caplog.text


def test_urls_are_redacted_to_scheme_and_host() -> None:
    assert redact_url("https://user:pw@hooks.example.com:8443/T0/B1?token=x") == (
        "https://hooks.example.com:8443/…"
    )
    assert redact_url("http://127.0.0.1/a/b") == "http://127.0.0.1/…"


def test_logging_never_lets_urllib3_print_request_lines() -> None:
    from consumers.kafka import logs

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        logs.configure("DEBUG")
        assert logging.getLogger("urllib3").getEffectiveLevel() == logging.WARNING
    finally:
        root.handlers[:], root.level = handlers, level
