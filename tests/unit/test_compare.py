"""The accuracy score's three outcomes: right, missing (null, for review) and wrong."""

from decimal import Decimal

from bench.scoring import Score


def test_score_counts_null_as_missing_and_names_it() -> None:
    score = Score()
    score.add("shares", Decimal("100"), Decimal("100"))
    score.add("price_per_share", Decimal("3.15"), None)
    score.add("transaction_code", "S", "G")
    score.add("remarks", None, None)  # on neither side: not scored

    assert (score.right, score.missing, score.wrong, score.total) == (1, 1, 1, 3)
    assert score.missing_fields == ["price_per_share"]
    assert score.wrong_fields == ["transaction_code: want 'S' got 'G'"]


def test_score_compares_text_with_whitespace_squeezed() -> None:
    score = Score()
    score.add("name", "Dillon  Matthew\nS.", "Dillon Matthew S.")
    score.add("remarks", "", None)  # empty text is null

    assert (score.right, score.missing, score.wrong) == (1, 0, 0)
