"""The local JVM services behind development, tests and the demo (the Kafka broker, the Schema
Registry): each runs detached in its own process group from a home directory holding its pid
and address, so `start` finds one already running and `stop` takes its whole group down."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

CACHE_ROOT = Path.home() / ".cache" / "form4-stream"


class LocalServiceError(RuntimeError):
    """A local service could not be provided; the message says what is missing."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    found = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if not found:
        raise LocalServiceError("no Java runtime found (install Java 17+ or set JAVA_HOME)")
    return found


def accepts(address: str) -> bool:
    """A TCP connection to host:port succeeds."""
    host, port = address.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class ServiceHome:
    """Where one local service keeps its pid, its address and its console output."""

    home: Path
    name: str

    @property
    def pid_file(self) -> Path:
        return self.home / f"{self.name}.pid"

    @property
    def address_file(self) -> Path:
        return self.home / f"{self.name}.address"

    @property
    def console(self) -> Path:
        return self.home / f"{self.name}.out"

    def running_pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text())
            os.kill(pid, 0)
        except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
            return None
        return pid

    def running_address(self) -> str | None:
        """The address of the service already running here, when it still answers."""
        if self.running_pid() is None or not self.address_file.exists():
            return None
        address = self.address_file.read_text().strip()  # host:port, or a URL
        return address if accepts(urlsplit(address).netloc or address) else None

    def launch(self, command: list[str]) -> subprocess.Popen:
        """Start `command` detached (its own session and process group), output to console."""
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.console, "ab") as out:
            process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.pid_file.write_text(str(process.pid))
        return process

    def stop(self, grace_seconds: float = 30.0) -> bool:
        """SIGTERM to the group, SIGKILL after `grace_seconds`; True when one was running."""
        pid = self.running_pid()
        if pid is None:
            return False
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_seconds
        while time.monotonic() < deadline and self.running_pid():
            time.sleep(0.2)
        if self.running_pid():
            os.killpg(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        self.address_file.unlink(missing_ok=True)
        return True
