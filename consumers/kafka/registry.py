"""A local Confluent-compatible Schema Registry for development, tests and the demo.

Apicurio Registry 3.0.x (in-memory storage; 3.0 is the last line that runs on Java 17) from
Maven Central: its `-all.tar.gz` application bundle, checked against Central's SHA-1, unpacked
once into a cache and run on the machine's Java. Clients use its Confluent API at
`/apis/ccompat/v7`, the URL `start` returns.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
import time
import urllib.request
from pathlib import Path

from consumers.kafka.local_process import (
    CACHE_ROOT,
    LocalServiceError,
    ServiceHome,
    free_port,
    java,
)

APICURIO_VERSION = os.environ.get("FORM4_APICURIO_VERSION", "3.0.9")
MAVEN_REPOSITORY = os.environ.get("FORM4_MAVEN_REPOSITORY", "https://repo.maven.apache.org/maven2")
DEFAULT_HOME = Path(os.environ.get("FORM4_REGISTRY_DIR", CACHE_ROOT / "registry"))
CONFLUENT_API = "/apis/ccompat/v7"
READY_TIMEOUT_SECONDS = 180.0  # ~10 s on a quiet core; a JVM boot on a loaded CI core is slower
_DOWNLOAD_TIMEOUT_SECONDS = 600.0


class RegistryError(LocalServiceError):
    """The local Schema Registry could not be provided; the message says what is missing."""


def _bundle_url() -> str:
    name = f"apicurio-registry-app-{APICURIO_VERSION}-all.tar.gz"
    return f"{MAVEN_REPOSITORY}/io/apicurio/apicurio-registry-app/{APICURIO_VERSION}/{name}"


def _fetch(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=_DOWNLOAD_TIMEOUT_SECONDS) as response:
            return response.read()
    except OSError as error:
        raise RegistryError(f"cannot download {url}: {error}") from error


def runner_jar() -> Path:
    """The registry's runner jar, downloaded and unpacked on first use into the shared cache
    (every registry home runs the same jar: downloading it is the slow part, done once)."""
    unpacked = DEFAULT_HOME / f"apicurio-registry-{APICURIO_VERSION}"
    jar = unpacked / f"apicurio-registry-app-{APICURIO_VERSION}-runner.jar"
    if jar.is_file():
        return jar
    bundle = _fetch(_bundle_url())
    expected = _fetch(_bundle_url() + ".sha1").decode().split()[0].strip().lower()
    # Central publishes SHA-1 digests: an integrity check of the download, not a signature.
    if hashlib.sha1(bundle, usedforsecurity=False).hexdigest() != expected:
        raise RegistryError(f"{_bundle_url()} does not match Maven Central's SHA-1")
    partial = unpacked.with_name(unpacked.name + ".partial")
    partial.mkdir(parents=True, exist_ok=True)
    archive = partial / "bundle.tar.gz"
    archive.write_bytes(bundle)
    with tarfile.open(archive) as tar:
        tar.extractall(partial, filter="data")  # refuses paths outside the directory
    archive.unlink()
    partial.rename(unpacked)
    if not jar.is_file():
        raise RegistryError(f"the bundle has no {jar.name}")
    return jar


def start(home: Path = DEFAULT_HOME) -> str:
    """Start (or reuse) the local registry; return its Confluent API URL once it answers."""
    service = ServiceHome(home, "registry")
    running = service.running_address()
    if running is not None:
        return running
    jar = runner_jar()
    port = free_port()
    process = service.launch(
        [
            java(),
            "-Xmx512m",
            "-Dquarkus.http.host=127.0.0.1",
            f"-Dquarkus.http.port={port}",
            "-Dquarkus.log.level=WARN",
            "-jar",
            str(jar),
        ]
    )
    url = f"http://127.0.0.1:{port}{CONFLUENT_API}"
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RegistryError(f"registry exited with {process.returncode}; see {service.console}")
        try:
            with urllib.request.urlopen(f"{url}/subjects", timeout=2) as response:
                if response.status == 200:
                    service.address_file.write_text(url)
                    return url
        except OSError:
            pass
        time.sleep(0.5)
    service.stop()
    raise RegistryError(f"registry did not answer within {READY_TIMEOUT_SECONDS:.0f}s")


def stop(home: Path = DEFAULT_HOME) -> bool:
    """Stop the local registry; True when one was running."""
    return ServiceHome(home, "registry").stop()
