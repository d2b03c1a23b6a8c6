"""Corpus-wide accuracy floors (read ../shared/corpus): accuracy may only go up."""

from __future__ import annotations

import pytest

from bench.accuracy import run_tier, tier_pairs
from bench.make_ocr_tier import make_tier
from tests.conftest import corpus_dir

pytestmark = pytest.mark.corpus

# Measured 2026-11-25 (python bench/accuracy.py); pinned a little below so noise cannot fail CI.
# "missing" is the ceiling on unexplained nulls: a value the XML has, null in the record and not
# in its unread_fields (the record would claim the form leaves it blank).
FLOORS = {
    "pdf": {"emitted": 295, "right": 0.96, "wrong": 0.001, "missing": 0.002},
    "edgar-html": {"emitted": 6, "right": 0.97, "wrong": 0.005, "missing": 0.01},
    # Up to three scans of the 25 may run past their budget with the broker and registry busy
    # (on a quiet 2-core machine none does since the in-process engine: the slowest takes
    # 10-11 s, 2026-11-30). A timeout is speed (issue 18, open), not accuracy, so it is counted
    # apart ("timeouts"); every other scan must be emitted, accuracy and wrong held.
    "pdf-ocr": {"emitted": 22, "timeouts": 3, "right": 0.81, "wrong": 0.002, "missing": 0.002},
}
LIMITS = {"pdf-ocr": 25}  # a scan takes 2-11 s to re-read; a quarter of the tier keeps CI short


@pytest.mark.parametrize("tier", list(FLOORS))
def test_tier_accuracy_floor(tier: str) -> None:
    corpus = corpus_dir("pdf").parent
    result = run_tier(tier, tier_pairs(tier, corpus)[: LIMITS.get(tier)], jobs=2)
    floor = FLOORS[tier]
    assert result.emitted >= floor["emitted"], dict(result.failures)
    timeouts = result.failures.get("parse_timeout", 0)
    assert timeouts <= floor.get("timeouts", 0)
    assert result.emitted + timeouts == result.filings, dict(result.failures)
    if result.emitted:
        assert result.field_accuracy >= floor["right"]
    assert result.wrong_rate <= floor["wrong"]  # never more wrong numbers than today
    assert result.score.missing <= floor["missing"] * result.score.total, result.missing_by_field


# The held-out scans of issue 3: corpus filings not in pdf-ocr, rendered and OCR'd here at 120
# dpi (lower than the corpus's 150). Measured with `python bench/make_ocr_tier.py --dpi 120
# --limit 20 --out /tmp/ocr120-20 && python bench/accuracy.py --ocr-dir /tmp/ocr120-20`.
HELD_OUT_FLOOR = {"emitted": 0.95, "right": 0.75, "wrong": 0.006}


def test_held_out_120dpi_scans(tmp_path) -> None:
    corpus = corpus_dir("pdf").parent
    scans = make_tier(corpus, tmp_path, dpi=120, limit=20)
    pairs = [(scan, corpus / "ownership-xml" / f"{scan.stem}.xml") for scan in scans]
    result = run_tier("ocr120", pairs, jobs=2)
    assert result.emitted >= HELD_OUT_FLOOR["emitted"] * result.filings, dict(result.failures)
    assert result.field_accuracy >= HELD_OUT_FLOOR["right"]
    assert result.wrong_rate <= HELD_OUT_FLOOR["wrong"]
    # every null is counted under its kind (bench/accuracy.py --show-missing)
    assert sum(result.missing_by_field.values()) == result.score.missing
