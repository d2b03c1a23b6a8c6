"""Corpus-wide accuracy floors (read ../shared/corpus): accuracy may only go up."""

from __future__ import annotations

import pytest

from bench.accuracy import run_tier, tier_pairs
from tests.conftest import corpus_dir

pytestmark = pytest.mark.corpus

# Measured 2026-11-25 (python bench/accuracy.py); pinned a little below so noise cannot fail CI.
FLOORS = {
    "pdf": {"emitted": 295, "right": 0.96, "wrong": 0.001},
    "edgar-html": {"emitted": 6, "right": 0.97, "wrong": 0.005},
    "pdf-ocr": {"emitted": 0, "right": 0.0, "wrong": 0.0},
}
LIMITS = {"pdf-ocr": 25}  # OCR text extraction is slow; a quarter of the tier keeps CI short


@pytest.mark.parametrize("tier", list(FLOORS))
def test_tier_accuracy_floor(tier: str) -> None:
    corpus = corpus_dir("pdf").parent
    result = run_tier(tier, tier_pairs(tier, corpus)[: LIMITS.get(tier)])
    floor = FLOORS[tier]
    assert result.emitted >= floor["emitted"], dict(result.failures)
    if result.emitted:
        assert result.field_accuracy >= floor["right"]
    assert result.wrong_rate <= floor["wrong"]  # never more wrong numbers than today
