"""/metrics, /healthz and /readyz on the configured host and port (loopback unless told)."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from consumers import limits as bounds


class ProbeState:
    """What the probes report; the stream loop updates it.

    Liveness fails when the loop has not turned for `stall_seconds`: the processor sets it to
    its consumer's max.poll.interval.ms, the bound its batches are budgeted to stay under (by
    then the group has evicted the consumer anyway)."""

    def __init__(self, stall_seconds: float = bounds.MAX_POLL_INTERVAL_MS / 1000) -> None:
        self.ready = False
        self.heartbeat = time.monotonic()
        self.stall_seconds = stall_seconds

    def beat(self) -> None:
        self.heartbeat = time.monotonic()

    @property
    def alive(self) -> bool:
        return time.monotonic() - self.heartbeat < self.stall_seconds


def serve(
    host: str, port: int, registry: CollectorRegistry, state: ProbeState
) -> ThreadingHTTPServer:
    """Start the server in a daemon thread; the bound port is `server.server_address[1]`."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._reply(200, generate_latest(registry), CONTENT_TYPE_LATEST)
            elif path == "/healthz":
                self._reply(200 if state.alive else 503, b"ok\n" if state.alive else b"stalled\n")
            elif path == "/readyz":
                self._reply(
                    200 if state.ready else 503, b"ready\n" if state.ready else b"not ready\n"
                )
            else:
                self._reply(404, b"not found\n")

        def _reply(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return  # scrapes every few seconds would drown the JSON log

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="metrics-http", daemon=True).start()
    return server
