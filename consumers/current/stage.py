"""`form4 current`: the records topic to the current view, exactly once, state in Kafka.

As Kafka Streams runs a stateful task: each input partition has a store (store.FilingStore)
whose every change is written to a compacted changelog topic, on the same partition number,
in the same transaction as the view's writes and the consumed offsets. At assignment the
store is rebuilt by reading its changelog partition to the end, so a replacement instance on
any machine resumes where the last committed transaction left it; what an aborted or killed
transaction wrote is never read back (read_committed).

A filing's records arrive as separate messages (one per line); a filing is applied once all
of them are here (each carries filing_line_count). The processor commits a filing's records
in one transaction, so they become visible together, but a batch may end between them: the
filing's records wait in memory for the next batch, and the partition's committed offset stays
at the filing's first record until it is applied, so a restart reads it whole again (what was
applied after it is recognised on that second read: the store holds its lines).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient

from consumers.avro_codec import (
    decode_single_object,
    encode_single_object,
    is_current_transaction,
    leading_record_id,
    with_amendment_link,
)
from consumers.current.metrics import CurrentMetrics
from consumers.current.settings import CurrentSettings
from consumers.current.store import FilingStore, decode_version, encode_version, pack_lines
from consumers.current.view import Change, version_of
from consumers.kafka.batches import FETCH_WAIT_MAX_MS, consume_ready, position
from consumers.kafka.http import ProbeState, serve
from consumers.kafka.publish import Headers
from consumers.kafka.serde import ValueCodec, ValueDecoder
from consumers.kafka.topics import ensure_topics
from consumers.kafka.txn import (
    TXN_CALL_TIMEOUT_SECONDS,
    abort_if_open,
    commit_with_offsets,
    exactly_once_consumer_config,
    produce_waiting,
    retrying,
    transactional_producer_config,
    usable,
)
from consumers.parsing.core.records import record_id_parts
from consumers.schemas import TRANSACTION

log = logging.getLogger("form4.current")

# How long a filing waits for the rest of its records before it is applied with what came (a
# producer that dies between two lines of one transaction cannot leave one, the transaction
# aborts; this bounds what a records topic written by someone else can hold back).
INCOMPLETE_WAIT_SECONDS = 30.0
RESTORE_STALL_SECONDS = 60.0  # a changelog read that stops short of its end this long: fatal


class FatalStageError(RuntimeError):
    """The stage cannot go on safely (fenced, a fatal client error, a changelog it cannot
    read to its end); exit non-zero and let the restarted instance fence this one."""


# One message to produce: topic, partition, key, value (None: a tombstone), headers.
Write = tuple[str, int, bytes, bytes | None, Headers]


@dataclass
class _Assembly:
    """One filing's records gathered so far on one partition."""

    first_offset: int
    first: dict[str, Any]  # one decoded record: the filing context every line repeats
    payloads: dict[str, bytes] = field(default_factory=dict)  # tag -> its single-object bytes
    since: float = field(default_factory=time.monotonic)

    @property
    def expected(self) -> int | None:
        count = self.first.get("filing_line_count")
        return count if isinstance(count, int) else None

    @property
    def complete(self) -> bool:
        return self.expected is not None and len(self.payloads) >= self.expected


class CurrentStage:
    def __init__(
        self,
        settings: CurrentSettings,
        metrics: CurrentMetrics | None = None,
        stop: threading.Event | None = None,
        registry_client: Any = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics or CurrentMetrics()
        self.stop = stop or threading.Event()
        self.state = ProbeState(stall_seconds=settings.max_poll_interval_ms / 1000)
        self.codec = ValueCodec(settings.schema_registry_url, registry_client)
        self.decoder = ValueDecoder(settings.schema_registry_url, registry_client)
        self.stores: dict[int, FilingStore] = {}
        self.http_server: ThreadingHTTPServer | None = None
        # Filings whose records are not all here yet, by (partition, accession): they span
        # batches, and hold their partition's committed offset at their first record.
        self._assemblies: dict[tuple[int, str], _Assembly] = {}
        self._restorer: Consumer | None = None
        # What the open batch applied, counted in the metrics once its transaction commits.
        self._counted: Counter[tuple[str, str]] = Counter()

    # -- Kafka clients ------------------------------------------------------------------------
    def _consumer_config(self) -> dict[str, Any]:
        s = self.settings
        return s.client_config(
            **exactly_once_consumer_config(s.group_id, s.transactional_id, s.max_poll_interval_ms)
        )

    def _producer_config(self) -> dict[str, Any]:
        s = self.settings
        return s.client_config(
            **transactional_producer_config(s.transactional_id, s.transaction_timeout_ms)
        )

    def prepare_topics(self) -> int:
        """The view and the changelog, compacted, with the records topic's partition count
        (created when missing); a mismatch would split a filing from its state: fatal."""
        s = self.settings
        admin = AdminClient(s.client_config())
        topics = admin.list_topics(timeout=30).topics
        source = topics.get(s.input_topic)
        if source is None or source.error is not None or not source.partitions:
            raise FatalStageError(f"input topic {s.input_topic} not found")
        count = len(source.partitions)
        ensure_topics(
            s.bootstrap_servers,
            (s.current_topic, s.changelog_topic),
            partitions=count,
            replication=s.replication,
            extra=s.kafka,
            config={"cleanup.policy": "compact", "min.compaction.lag.ms": "60000"},
        )
        topics = admin.list_topics(timeout=30).topics
        for name in (s.current_topic, s.changelog_topic):
            have = len(topics[name].partitions) if name in topics else 0
            if have != count:
                raise FatalStageError(
                    f"{name} has {have} partitions, {s.input_topic} has {count}: they must match"
                )
        return count

    # -- the loop -----------------------------------------------------------------------------
    def run(self) -> int:
        s = self.settings
        if s.metrics_port is not None:
            self.http_server = serve(
                s.metrics_host, s.metrics_port, self.metrics.registry, self.state
            )
        producer = consumer = None
        try:
            self.prepare_topics()
            self.codec.prepare_subjects({TRANSACTION: s.current_topic})
            producer = Producer(self._producer_config())
            retrying(lambda: producer.init_transactions(TXN_CALL_TIMEOUT_SECONDS))
            consumer = Consumer(self._consumer_config())
            consumer.subscribe(
                [s.input_topic],
                on_assign=self._on_assign,
                on_revoke=self._on_revoke,
                on_lost=self._on_revoke,
            )
            self.state.ready = True
            log.info("current view started", extra={"transactional_id": s.transactional_id})
            while not self.stop.is_set():
                self.state.beat()
                messages = consume_ready(consumer, s.batch_size, s.batch_wait_ms / 1000)
                batch = [m for m in messages if usable(m, FatalStageError)]
                if batch:
                    self._process(batch, consumer, producer)
            return 0
        except FatalStageError as error:
            log.error("fatal: stopping", extra={"error": str(error)})
            return 2
        finally:
            self.state.ready = False
            self._close(consumer, producer)

    def _process(self, batch: list[Message], consumer: Consumer, producer: Producer) -> None:
        try:
            writes, next_offsets = self._writes(batch)
            self._transact(writes, next_offsets, consumer, producer)
        except KafkaException as exc:
            error: KafkaError = exc.args[0]
            if error.fatal() or not error.txn_requires_abort():
                raise FatalStageError(str(error)) from exc
            log.warning("transaction aborted; rewinding", extra={"error": str(error)})
            self._abort(consumer, producer)
            return
        except Exception:  # ours: never leave the store ahead of its changelog
            log.exception("error in a batch; aborting and rewinding")
            self._abort(consumer, producer)
            raise
        for store in self.stores.values():
            store.commit()
        self._account(writes)

    def _writes(self, batch: list[Message]) -> tuple[list[Write], dict[tuple[str, int], int]]:
        """What the batch writes, and the offsets to commit: past the batch, or a partition's
        first record of a filing still waiting for the rest of its records."""
        writes: list[Write] = []
        next_offsets: dict[tuple[str, int], int] = {}
        for message in batch:
            topic, partition, offset = position(message)
            next_offsets[(topic, partition)] = offset + 1
            self._gather(message, partition, offset, writes)
        now = time.monotonic()
        for (partition, accession), assembly in list(self._assemblies.items()):
            if assembly.expected is not None and now - assembly.since < INCOMPLETE_WAIT_SECONDS:
                where = (self.settings.input_topic, partition)
                next_offsets[where] = min(
                    next_offsets.get(where, assembly.first_offset), assembly.first_offset
                )
                continue
            del self._assemblies[(partition, accession)]
            self._counted[("incomplete", "")] += 1
            log.warning(
                "filing applied without all its records",
                extra={"accession": accession, "have": len(assembly.payloads)},
            )
            self._apply(partition, assembly, writes)
        return writes, next_offsets

    def _gather(self, message: Message, partition: int, offset: int, writes: list[Write]) -> None:
        """One record into its filing's assembly; a filing complete is applied at once."""
        value = message.value()
        store = self.stores.get(partition)
        if value is None or store is None:
            return
        ours = is_current_transaction(value)
        try:
            record = None if ours else self.decoder.decode(value, self.settings.input_topic)
            record_id = leading_record_id(value) if record is None else record["record_id"]
            accession, tag = record_id_parts(record_id)
            key = (partition, accession)
            if store.holds(accession, tag):
                return  # read again after a restart or an abort
            assembly = self._assemblies.get(key)
            if assembly is None:  # only a filing's first record is decoded whole
                if record is None:
                    record = self.decoder.decode(value, self.settings.input_topic)
                assembly = self._assemblies[key] = _Assembly(offset, record)
                # Lines of a filing applied before without them (it waited too long): kept.
                assembly.payloads.update(store.payloads_of(accession))
        except Exception as error:  # a reader skips what it cannot read, loudly
            self.metrics.undecodable.inc()
            log.error("undecodable record", extra={"offset": offset, "error": str(error)})
            return
        # kept as it came when it is ours already (re-encoding costs more than the rest)
        assembly.payloads[tag] = (
            value if ours or record is None else encode_single_object(TRANSACTION, record)
        )
        if assembly.complete:
            del self._assemblies[key]
            self._apply(partition, assembly, writes)

    def _apply(self, partition: int, assembly: _Assembly, writes: list[Write]) -> None:
        s = self.settings
        store = self.stores[partition]
        content = pack_lines(list(assembly.payloads.values()))
        version = version_of(assembly.first, assembly.payloads, content)
        changes, links = store.apply(version)
        key = version.accession.encode()
        writes.append((s.changelog_topic, partition, key, encode_version(version), []))
        # each version's lines unpacked once, not once per line written
        lines = {version.accession: dict(assembly.payloads)}
        for change in changes:
            standing = change.standing
            if standing is not None and standing.accession not in lines:
                lines[standing.accession] = store.payloads_of(standing.accession)
            writes.append(self._view_write(partition, lines, change))
        self._counted[("filings", "amendment" if version.is_amendment else "original")] += 1
        link = links.get(version.accession)
        if link is not None:
            self._counted[("links", str(link.match))] += 1

    def _view_write(
        self, partition: int, lines: dict[str, dict[str, bytes]], change: Change
    ) -> Write:
        topic = self.settings.current_topic
        standing = change.standing
        if standing is None:
            return (topic, partition, change.key.encode(), None, [("change", b"tombstone")])
        payload = lines[standing.accession][standing.tag]
        match = str(standing.match) if standing.match else None
        value = (
            None
            if self.codec.uses_registry
            else with_amendment_link(payload, standing.amends, match)
        )
        if value is None:
            record = decode_single_object(payload)[1]
            record["amends_accession"] = standing.amends
            record["amendment_match"] = match
            value = self.codec.transaction_value(record, topic)
        headers: Headers = [
            ("change", b"upsert"),
            ("record_id", f"{standing.accession}:{standing.tag}".encode()),
        ]
        return (topic, partition, change.key.encode(), value, headers)

    def _transact(
        self,
        writes: list[Write],
        next_offsets: dict[tuple[str, int], int],
        consumer: Consumer,
        producer: Producer,
    ) -> None:
        producer.begin_transaction()
        for topic, partition, key, value, headers in writes:
            produce_waiting(producer, topic, key, value, headers, partition=partition)
        positions = [TopicPartition(t, p, o) for (t, p), o in next_offsets.items()]
        commit_with_offsets(producer, consumer, positions)

    def _abort(self, consumer: Consumer, producer: Producer) -> None:
        """The store as at the last commit, the transaction aborted, and every partition read
        again from its committed offset (so a filing gathered over several batches is read
        whole again: waiting filings are dropped with the rest)."""
        self.metrics.transactions.labels("aborted").inc()
        self._counted.clear()
        for store in self.stores.values():
            store.undo()
        self._assemblies.clear()
        failed = abort_if_open(producer)
        if failed is not None:
            raise FatalStageError(f"abort failed: {failed}")
        for tp in consumer.committed(consumer.assignment(), timeout=30):
            offset = tp.offset if tp.offset >= 0 else OFFSET_BEGINNING
            consumer.seek(TopicPartition(tp.topic, tp.partition, offset))

    def _account(self, writes: list[Write]) -> None:
        m = self.metrics
        m.transactions.labels("committed").inc()
        for (name, label), count in self._counted.items():
            if name == "filings":
                m.filings.labels(label).inc(count)
            elif name == "links":
                m.links.labels(label).inc(count)
            else:
                m.incomplete.inc(count)
        self._counted.clear()
        for topic, _, _, value, _ in writes:
            if topic == self.settings.current_topic:
                m.lines.labels("tombstone" if value is None else "upsert").inc()
        self._account_state()

    # -- state: restored at assignment, dropped at revocation ---------------------------------
    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        for tp in partitions:
            self.stores[tp.partition] = self.restore(tp.partition)
        self._account_state()

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        for tp in partitions:
            self.stores.pop(tp.partition, None)
        self._assemblies = {k: v for k, v in self._assemblies.items() if k[0] in self.stores}
        self._account_state()

    def _account_state(self) -> None:
        self.metrics.state_filings.set(sum(len(store) for store in self.stores.values()))
        self.metrics.state_bytes.set(sum(store.content_bytes for store in self.stores.values()))

    def restore(self, partition: int) -> FilingStore:
        """One partition's store, read from its changelog partition to the end."""
        if self._restorer is None:
            s = self.settings
            self._restorer = Consumer(
                s.client_config(
                    **{
                        "group.id": f"{s.group_id}-restore",  # assigned, never subscribed
                        "enable.auto.commit": False,
                        "isolation.level": "read_committed",
                        "fetch.wait.max.ms": FETCH_WAIT_MAX_MS,
                    }
                )
            )
        restorer = self._restorer
        started = time.perf_counter()
        store = FilingStore()
        where = TopicPartition(self.settings.changelog_topic, partition)
        low, high = restorer.get_watermark_offsets(where, timeout=30)
        if high > low:
            restorer.assign([TopicPartition(where.topic, partition, low)])
            stalled_at = time.monotonic()
            reached = low
            while reached < high:
                messages = restorer.consume(10_000, 0.5)
                for message in messages:
                    value = message.value()
                    if message.error() is None and value is not None:
                        store.load(decode_version(value))
                now_at = restorer.position([where])[0].offset
                if now_at > reached:
                    reached, stalled_at = now_at, time.monotonic()
                elif time.monotonic() - stalled_at > RESTORE_STALL_SECONDS:
                    raise FatalStageError(
                        f"changelog {where.topic}[{partition}] stopped at {reached} of {high}"
                    )
            restorer.unassign()
        seconds = time.perf_counter() - started
        self.metrics.restore_seconds.observe(seconds)
        self.metrics.restored_filings.inc(len(store))
        log.info(
            "state restored",
            extra={"partition": partition, "filings": len(store), "seconds": round(seconds, 3)},
        )
        return store

    def close_restorer(self) -> None:
        if self._restorer is not None:
            self._restorer.close()
            self._restorer = None

    def _close(self, consumer: Consumer | None, producer: Producer | None) -> None:
        self.close_restorer()
        for client in (consumer,):
            if client is None:
                continue
            try:
                client.close()
            except Exception as exc:
                log.warning("consumer close failed", extra={"error": str(exc)})
        if producer is not None:
            producer.flush(10)
        if self.http_server is not None:
            self.http_server.shutdown()
            self.http_server.server_close()
        log.info("current view stopped")
