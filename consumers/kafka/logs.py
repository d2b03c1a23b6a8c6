"""Structured logs: one JSON object per line, extra fields merged in."""

from __future__ import annotations

import json
import logging
import sys
import time

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


# librdkafka's own log lines (broker connection errors and the like) go through this logger,
# as JSON like ours, instead of raw to stderr: every client config carries it.
LIBRDKAFKA_LOGGER = logging.getLogger("form4.librdkafka")


def with_client_logger(config: dict) -> dict:
    """A librdkafka client config whose log goes through the project's logging."""
    return {"logger": LIBRDKAFKA_LOGGER, **config}


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # urllib3 logs whole request lines at DEBUG: a webhook's token, an EDGAR query. Never ours.
    logging.getLogger("urllib3").setLevel(logging.WARNING)
