"""Mutated and truncated real documents end as records or a clean ParseError, never a crash."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consumers.parsing import ParseError, Reason, parse_document
from consumers.parsing.core.records import filing_records
from tests.conftest import FIXTURES

SEEDS = [
    (FIXTURES / "xml" / "form4-10b5one-dutchbros.xml").read_bytes(),
    (FIXTURES / "submissions" / "0000842517-24-000086.txt").read_bytes(),
    (FIXTURES / "submissions" / "0001562180-25-000280.nc").read_bytes(),
]


def _outcome(data: bytes) -> None:
    try:
        filing = parse_document(data)
    except ParseError as error:
        assert error.reason != Reason.INTERNAL_ERROR, error.message
        return
    assert filing_records(filing, fallback_id="h")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(SEEDS), cut=st.floats(0, 1))
def test_truncated_documents(seed: bytes, cut: float) -> None:
    _outcome(seed[: int(len(seed) * cut)])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(SEEDS), data=st.data())
def test_mutated_documents(seed: bytes, data: st.DataObject) -> None:
    mutated = bytearray(seed)
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(mutated) - 1))
        choice = data.draw(st.sampled_from(["flip", "delete", "insert"]))
        if choice == "flip":
            mutated[position] = data.draw(st.integers(0, 255))
        elif choice == "delete":
            del mutated[position : position + data.draw(st.integers(1, 40))]
        else:
            mutated[position:position] = data.draw(
                st.sampled_from([b"<", b">", b"&", b"]]>", b"<value>x</value>", b"\x00", b"\xff"])
            )
    _outcome(bytes(mutated))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(data: bytes) -> None:
    _outcome(data)
