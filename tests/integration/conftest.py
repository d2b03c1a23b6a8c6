"""A real Kafka broker over TCP: KAFKA_BOOTSTRAP_SERVERS, or one this session starts itself."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from consumers.kafka import broker


@pytest.fixture(scope="session")
def bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    existing = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if existing:
        yield existing
        return
    home = tmp_path_factory.mktemp("kafka")
    address = broker.start(home)  # raises BrokerError (a failure, not a skip) without Java/Maven
    try:
        yield address
    finally:
        broker.stop(home)


@pytest.fixture
def topics(bootstrap: str) -> dict[str, str]:
    """Fresh topic names per test, so tests never see each other's data."""
    from tests.integration.helpers import fresh_topics

    return fresh_topics(bootstrap)


@pytest.fixture(scope="session")
def registry_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Confluent-compatible Schema Registry over HTTP: SCHEMA_REGISTRY_URL, or a local
    Apicurio this session starts (a failure, not a skip, without Java or Maven Central)."""
    from consumers.kafka import registry

    existing = os.environ.get("SCHEMA_REGISTRY_URL")
    if existing:
        yield existing
        return
    home = tmp_path_factory.mktemp("registry")
    url = registry.start(home)
    try:
        yield url
    finally:
        registry.stop(home)
