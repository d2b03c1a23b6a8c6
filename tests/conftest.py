"""Shared paths: the in-repo fixtures always, the ../shared corpus when it sits beside the repo."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def corpus_dir(name: str) -> Path:
    """A corpus folder, or a skip when the repo was cloned without ../shared (never in CI)."""
    path = CORPUS / name
    if not path.is_dir():
        pytest.skip(f"{path} not present (clone without ../shared)")
    return path


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test that uses the broker must say so (the `kafka` marker), so that
    `pytest -m "not kafka"`, CI's fast stage, never starts one."""
    unmarked = [
        item.nodeid
        for item in items
        if {"bootstrap", "topics", "registry_url"} & set(getattr(item, "fixturenames", ()))
        and item.get_closest_marker("kafka") is None
    ]
    if unmarked:
        raise pytest.UsageError(f"tests that use the broker lack the kafka marker: {unmarked}")
