"""The layers docs/ARCHITECTURE.md promises, as pyproject.toml declares them for lint-imports:
kept by the code, and with teeth (an upward import is caught)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
    "contracts"
]


def _layers(contract: dict) -> tuple[grimp.Layer, ...]:
    """Each "a | b" is one layer of siblings that may not import each other."""
    return tuple(
        grimp.Layer(*(name.strip() for name in spec.split("|")), independent=True)
        for spec in contract["layers"]
    )


def _layer_contracts() -> list[dict]:
    return [c for c in CONTRACTS if c["type"] == "layers"]


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("consumers")


@pytest.mark.parametrize("contract", _layer_contracts(), ids=lambda c: c["name"][:40])
def test_imports_run_only_downwards(graph: grimp.ImportGraph, contract: dict) -> None:
    containers = set(contract.get("containers", ()))
    assert not graph.find_illegal_dependencies_for_layers(
        layers=_layers(contract), containers=containers
    )


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("consumers.kafka.serde", "consumers.processor.work"),  # the Kafka layer on a service
        ("consumers.parsing.grid.reader", "consumers.parsing.scan.cells"),  # grid on scan
        ("consumers.parsing.core.validation", "consumers.parsing.sniff"),  # core on a reader
        ("consumers.edgar.watcher", "consumers.alerts.engine"),  # one service on another
    ],
)
def test_an_upward_or_sideways_import_is_caught(importer: str, imported: str) -> None:
    graph = grimp.build_graph("consumers")
    graph.add_import(importer=importer, imported=imported)
    broken = [
        contract["name"]
        for contract in _layer_contracts()
        if graph.find_illegal_dependencies_for_layers(
            layers=_layers(contract), containers=set(contract.get("containers", ()))
        )
    ]
    assert broken, f"{importer} -> {imported} passed every layer contract"
