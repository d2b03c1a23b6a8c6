"""Values on the wire: single-object Avro, or Confluent framing with a Schema Registry."""

from __future__ import annotations

import logging
from typing import Any

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

from consumers.avro_codec import (
    CONFLUENT_MAGIC,
    SINGLE_OBJECT_MAGIC,
    OutputRecord,
    canonical_decimals,
    decode_single_object,
    encode_single_object,
)
from consumers.schemas import PARSE_FAILURE, TRANSACTION, schema_text

log = logging.getLogger(__name__)

_NETWORK_LIBRARIES = frozenset({"httpx", "httpx2", "requests", "urllib3", "http", "ssl"})


class RegistryUnavailable(RuntimeError):
    """The Schema Registry failed to serve a serializer; not the document's fault."""


def _is_registry_failure(exc: BaseException) -> bool:
    """A registry error or a network error anywhere in the exception's cause chain."""
    seen: BaseException | None = exc
    while seen is not None:
        module = type(seen).__module__.split(".", 1)[0]
        if isinstance(seen, SchemaRegistryError | OSError | TimeoutError):
            return True
        if module in _NETWORK_LIBRARIES:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class SchemaRefused(RuntimeError):
    """The registry refused our schema for a subject (incompatible under its rule)."""


# New fields only with defaults: readers on the new schema read everything written before.
SUBJECT_COMPATIBILITY = "BACKWARD"


def value_subject(topic: str) -> str:
    """The TopicNameStrategy subject of a topic's values (what Kafka Connect and ksqlDB use)."""
    return f"{topic}-value"


class ValueCodec:
    """Encodes what the processor produces; without a registry URL, single-object encoding."""

    def __init__(self, registry_url: str | None = None, registry_client: Any = None) -> None:
        self.uses_registry = bool(registry_url or registry_client)
        self._serializers: dict[str, AvroSerializer] = {}
        self._client = None
        if self.uses_registry:
            client = registry_client or SchemaRegistryClient({"url": registry_url})
            self._client = client
            conf = {"auto.register.schemas": True}
            self._serializers = {
                name: AvroSerializer(client, schema_text(name), conf=conf)
                for name in (TRANSACTION, PARSE_FAILURE)
            }

    def prepare_subjects(self, topics: dict[str, str]) -> None:
        """Before the first record (`topics`: contract name -> topic): a subject with no rule
        of its own gets BACKWARD (best effort: a registry that keeps its rules elsewhere still
        serves), then our schema is registered, so a schema the registry refuses stops the
        processor at start (SchemaRefused) rather than failing every batch."""
        if self._client is None:
            return
        for name, topic in topics.items():
            subject = value_subject(topic)
            self._ensure_compatibility(subject)
            try:
                self._client.register_schema(subject, Schema(schema_text(name), "AVRO"))
            except SchemaRegistryError as error:
                if error.http_status_code in (409, 422):
                    raise SchemaRefused(f"{subject}: {error}") from error
                raise RegistryUnavailable(f"{subject}: {error}") from error
            except Exception as error:
                if _is_registry_failure(error):
                    raise RegistryUnavailable(f"{subject}: {error}") from error
                raise

    def _ensure_compatibility(self, subject: str) -> None:
        if self._client is None:
            return
        try:
            try:
                self._client.get_compatibility(subject)
            except SchemaRegistryError as error:
                if error.http_status_code != 404:
                    raise
                self._client.set_compatibility(subject, SUBJECT_COMPATIBILITY)
        except Exception as error:
            log.warning(
                "subject compatibility not set", extra={"subject": subject, "error": str(error)}
            )

    def record_value(self, output: OutputRecord, topic: str) -> bytes:
        """Raises RegistryUnavailable when the registry, not the record, is at fault."""
        if not self.uses_registry:
            assert output.payload is not None
            return output.payload
        return self._serialize(TRANSACTION, output.record, topic)

    def transaction_value(self, record: dict[str, Any], topic: str) -> bytes:
        """A record dict (the current view's lines); raises RegistryUnavailable as above."""
        if not self.uses_registry:
            return encode_single_object(TRANSACTION, record)
        return self._serialize(TRANSACTION, record, topic)

    def failure_value(self, failure: dict[str, Any], topic: str) -> bytes:
        if not self.uses_registry:
            return encode_single_object(PARSE_FAILURE, failure)
        return self._serialize(PARSE_FAILURE, failure, topic)

    def _serialize(self, name: str, value: Any, topic: str) -> bytes:
        try:
            payload = self._serializers[name](
                value, SerializationContext(topic, MessageField.VALUE)
            )
        except Exception as exc:
            if _is_registry_failure(exc):
                raise RegistryUnavailable(f"{type(exc).__name__}: {exc}") from exc
            raise
        if payload is None:  # only a None value serializes to None, and we never pass one
            raise ValueError(f"{name}: the serializer returned no bytes")
        return payload


class ValueDecoder:
    """Decodes both encodings (`form4 tail`); Confluent framing needs the registry."""

    def __init__(self, registry_url: str | None = None, registry_client: Any = None) -> None:
        self._deserializer = None
        if registry_url or registry_client:
            client = registry_client or SchemaRegistryClient({"url": registry_url})
            self._deserializer = AvroDeserializer(client)

    def decode(self, value: bytes, topic: str) -> dict[str, Any]:
        if value[:2] == SINGLE_OBJECT_MAGIC:
            return decode_single_object(value)[1]
        if value[:1] == CONFLUENT_MAGIC:
            if self._deserializer is None:
                raise ValueError("Confluent-framed value: pass --schema-registry-url to decode it")
            record = self._deserializer(value, SerializationContext(topic, MessageField.VALUE))
            return canonical_decimals(record)
        raise ValueError("value is neither Avro single-object nor Confluent-framed")
