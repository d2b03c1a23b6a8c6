"""A single-node Apache Kafka (KRaft, broker+controller) for development, tests and the demo.

The jars come from Maven Central (org.apache.kafka:kafka_2.13) resolved by Maven into a cache
dir, or from an existing KAFKA_HOME / unpacked Kafka tarball; they run on the machine's Java.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from consumers.kafka.local_process import (
    CACHE_ROOT,
    LocalServiceError,
    ServiceHome,
    accepts,
    free_port,
    java,
)

KAFKA_VERSION = os.environ.get("FORM4_KAFKA_VERSION", "4.1.1")
DEFAULT_HOME = Path(os.environ.get("FORM4_BROKER_DIR", CACHE_ROOT / "kafka"))
# Start-up is JVM boot + KRaft election: seconds normally, far longer on a loaded CI core.
READY_TIMEOUT_SECONDS = 120.0

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>form4stream</groupId><artifactId>kafka-runtime</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId>
      <version>{version}</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId>
      <version>{version}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId>
      <version>2.24.3</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId>
      <version>2.24.3</version></dependency>
  </dependencies>
</project>
"""

_LOG4J2 = """Configuration:
  status: warn
  Appenders:
    File:
      name: file
      fileName: "{log}"
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: WARN
      AppenderRef:
        - ref: file
    Logger:
      - name: kafka.server.KafkaServer
        level: INFO
"""


@dataclass(frozen=True)
class BrokerPaths:
    home: Path

    @property
    def service(self) -> ServiceHome:
        return ServiceHome(self.home, "broker")

    @property
    def classpath_file(self) -> Path:
        """Shared by every broker home: resolving the jars is the slow part, done once."""
        return DEFAULT_HOME / f"classpath-{KAFKA_VERSION}.txt"

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def config(self) -> Path:
        return self.home / "server.properties"

    @property
    def log(self) -> Path:
        return self.home / "broker.log"


class BrokerError(LocalServiceError):
    """The local broker could not be provided; the message says what is missing."""


def resolve_classpath(paths: BrokerPaths) -> str:
    """Kafka's jars: KAFKA_HOME/libs if set, else Maven-resolved (cached after the first run)."""
    kafka_home = os.environ.get("KAFKA_HOME")
    if kafka_home:
        libs = Path(kafka_home) / "libs"
        if not libs.is_dir():
            raise BrokerError(f"KAFKA_HOME={kafka_home} has no libs/ directory")
        return str(libs / "*")
    if paths.classpath_file.exists():
        return paths.classpath_file.read_text().strip()
    mvn = shutil.which("mvn")
    if mvn is None:
        raise BrokerError("no Maven (mvn) to fetch Kafka and no KAFKA_HOME; install one of them")
    build = DEFAULT_HOME / "maven"
    build.mkdir(parents=True, exist_ok=True)
    (build / "pom.xml").write_text(_POM.format(version=KAFKA_VERSION))
    result = subprocess.run(
        [
            mvn,
            "-q",
            "-B",
            "dependency:build-classpath",
            f"-Dmdep.outputFile={paths.classpath_file}",
        ],
        cwd=build,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0 or not paths.classpath_file.exists():
        raise BrokerError(f"Maven could not resolve Kafka {KAFKA_VERSION}: {result.stdout[-2000:]}")
    return paths.classpath_file.read_text().strip()


def _server_properties(paths: BrokerPaths, port: int, controller_port: int) -> str:
    return "\n".join(
        [
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.bootstrap.servers=127.0.0.1:{controller_port}",
            f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
            "controller.listener.names=CONTROLLER",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "inter.broker.listener.name=PLAINTEXT",
            f"log.dirs={paths.data}",
            "num.partitions=3",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=3",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "transaction.state.log.num.partitions=3",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            # Filings (PDFs above all) exceed 1 MB: raise the limit on the broker as on clients.
            "message.max.bytes=20971520",
            "replica.fetch.max.bytes=20971520",
            "auto.create.topics.enable=true",
            "",
        ]
    )


def new_cluster_id() -> str:
    """A random KRaft cluster id (URL-safe base64 of 16 bytes) that never starts with "-":
    kafka-storage would take "-t -Xy..." for a flag and refuse to format, 1 start in 64. Kafka's
    own Uuid.randomUuid() redraws for the same reason."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


def start(home: Path = DEFAULT_HOME) -> str:
    """Start (or reuse) the local broker; return its bootstrap address once it serves requests."""
    paths = BrokerPaths(home)
    paths.home.mkdir(parents=True, exist_ok=True)
    running = paths.service.running_address()
    if running is not None:
        return running
    shutil.rmtree(paths.data, ignore_errors=True)
    port, controller_port = free_port(), free_port()
    paths.config.write_text(_server_properties(paths, port, controller_port))
    (paths.home / "log4j2.yaml").write_text(_LOG4J2.format(log=paths.log))
    jvm = _jvm(paths)
    cluster_id = new_cluster_id()
    formatted = subprocess.run(
        [
            *jvm,
            "kafka.tools.StorageTool",
            "format",
            "--standalone",
            "-t",
            cluster_id,
            "-c",
            str(paths.config),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if formatted.returncode != 0:
        raise BrokerError(f"kafka storage format failed: {formatted.stderr[-2000:]}")
    address = f"127.0.0.1:{port}"
    _launch(paths, jvm, address)
    return address


def _jvm(paths: BrokerPaths) -> list[str]:
    log4j = paths.home / "log4j2.yaml"
    classpath = resolve_classpath(paths)
    return [java(), "-Xms256m", "-Xmx1g", f"-Dlog4j2.configurationFile={log4j}", "-cp", classpath]


def _launch(paths: BrokerPaths, jvm: list[str], address: str) -> None:
    process = paths.service.launch([*jvm, "kafka.Kafka", str(paths.config)])
    _wait_ready(address, process, paths)
    paths.service.address_file.write_text(address)


def restart(home: Path = DEFAULT_HOME) -> str:
    """Stop the broker and start it again on the same port and data (a broker restart as an
    operator does one: committed data and transactions survive it)."""
    paths = BrokerPaths(home)
    address = paths.service.address_file.read_text().strip()
    stop(home)
    _launch(paths, _jvm(paths), address)
    return address


def _wait_ready(address: str, process: subprocess.Popen, paths: BrokerPaths) -> None:
    """Ready = the broker answers a metadata request with itself as a live broker."""
    from confluent_kafka.admin import AdminClient

    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    admin = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BrokerError(
                f"broker exited with {process.returncode}; see {paths.service.console}"
            )
        if accepts(address):
            admin = admin or AdminClient({"bootstrap.servers": address})
            try:
                if admin.list_topics(timeout=2).brokers:
                    return
            except Exception:
                pass
        time.sleep(0.5)
    stop(paths.home)
    raise BrokerError(f"broker did not become ready within {READY_TIMEOUT_SECONDS:.0f}s")


def stop(home: Path = DEFAULT_HOME) -> bool:
    """Stop the local broker (SIGTERM, then SIGKILL); True when one was running."""
    return BrokerPaths(home).service.stop()
