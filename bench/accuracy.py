"""Accuracy of the rendered-form parsers against each filing's XML, tier by tier.

    python bench/accuracy.py [--tier pdf|pdf-ocr|edgar-html] [--limit N] [--show-wrong] [--jobs N]
                             [--show-missing]
    python bench/accuracy.py --ocr-dir DIR   # a held-out scan tier from bench/make_ocr_tier.py
    python bench/accuracy.py --families DIR  # DIR/<family>: bench/make_scan_tier.py --family

For each tier: filings, how many parsed, failures by reason, the share of contract fields
right (of every field the XML or the rendering has), wrong (a different value), unread (null
and marked so in the record's unread_fields), missing (null with no mark: the record claims the
form leaves it blank, which the contract does not allow for a printed value), and of the
values marked unverified, how many and how many of those wrong; then the share of filings with
every field right. --by-field breaks wrong / unread / missing down by field kind.

--families reads each subfolder of DIR as one noise family's tier of the same filings (made
with the same --seed and --limit), the held-out families apart, and gives each family's share
of fields right as a share of what the `clean` subfolder (the same filings, no noise) gets.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.make_scan_tier import HELD_OUT_FAMILIES  # noqa: E402
from bench.scoring import Score, compare_filings, field_kind  # noqa: E402
from consumers.parsing import ParseError, parse_document  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"


@dataclass
class TierResult:
    name: str
    filings: int = 0
    emitted: int = 0
    perfect: int = 0
    failures: Counter = field(default_factory=Counter)
    score: Score = field(default_factory=Score)
    missing_by_field: Counter = field(default_factory=Counter)
    wrong_by_field: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def field_accuracy(self) -> float:
        return self.score.right / self.score.total if self.score.total else 0.0

    @property
    def wrong_rate(self) -> float:
        return self.score.wrong / self.score.total if self.score.total else 0.0


def tier_pairs(tier: str, corpus: Path = CORPUS) -> list[tuple[Path, Path]]:
    """(rendering, its ownership XML) pairs of a tier."""
    if tier in ("pdf", "pdf-ocr"):
        return [
            (p, corpus / "ownership-xml" / f"{p.stem}.xml")
            for p in sorted((corpus / tier).glob("*.pdf"))
        ]
    if tier == "edgar-html":
        pairs = []
        for xml in sorted((corpus / "edgar-html").glob("*.xml")):
            for ext in (".pdf", ".html"):
                rendering = xml.with_suffix(ext)
                if rendering.exists():
                    pairs.append((rendering, xml))
        return pairs
    raise ValueError(tier)


def score_pair(pair: tuple[Path, Path]) -> tuple[ParseError | None, Score | None]:
    """(the failure, None) or (None, the rendering's score against its XML)."""
    rendering, xml = pair
    truth = parse_document(xml.read_bytes())
    try:
        got = parse_document(rendering.read_bytes())
    except ParseError as error:
        return error, None
    return None, compare_filings(truth, got)


def run_tier(
    name: str, pairs: list[tuple[Path, Path]], show_wrong: bool = False, jobs: int = 1
) -> TierResult:
    result = TierResult(name)
    started = time.perf_counter()
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            outcomes = list(pool.map(score_pair, pairs))
    else:
        outcomes = [score_pair(pair) for pair in pairs]
    for (rendering, _), (error, score) in zip(pairs, outcomes, strict=True):
        result.filings += 1
        if score is None:
            assert error is not None
            result.failures[str(error.reason)] += 1
            if show_wrong:
                print(f"  {name} {rendering.name}: failed, {error}")
            continue
        result.emitted += 1
        result.score.merge(score)
        result.missing_by_field.update(field_kind(name) for name in score.missing_fields)
        result.wrong_by_field.update(
            field_kind(name.split(":", 1)[0]) for name in score.wrong_fields
        )
        if score.wrong == 0 and score.missing == 0 and score.unread == 0:
            result.perfect += 1
        if show_wrong and score.wrong_fields:
            print(f"  {name} {rendering.name}: " + "; ".join(score.wrong_fields[:6]))
    result.seconds = time.perf_counter() - started
    return result


def print_table(results: list[TierResult]) -> None:
    print(
        f"{'tier':12} {'filings':>7} {'emitted':>7} {'perfect':>8} {'fields':>7} "
        f"{'right':>7} {'wrong':>7} {'unread':>7} {'missing':>8} {'unverif':>8} "
        f"{'(wrong)':>8}  failures"
    )
    for r in results:
        total = r.score.total or 1
        print(
            f"{r.name:12} {r.filings:7d} {r.emitted:7d} {r.perfect / max(r.emitted, 1):8.1%} "
            f"{r.score.total:7d} {r.field_accuracy:7.2%} {r.wrong_rate:7.2%} "
            f"{r.score.unread / total:7.2%} {r.score.missing / total:8.2%} "
            f"{r.score.unverified / total:8.2%} {r.score.unverified_wrong:8d}  {dict(r.failures)}"
        )


_CATEGORIES = ("right", "wrong", "unread", "missing", "unverified")


def print_by_field(result: TierResult) -> None:
    """Per field kind: how many right, wrong, unread, missing (unmarked null), unverified."""
    kinds = sorted({kind for kind, _ in result.score.by_field})
    print(f"{result.name} by field:")
    print(f"  {'field':40}" + "".join(f"{c:>11}" for c in _CATEGORIES))
    for kind in kinds:
        counts = [result.score.by_field[(kind, c)] for c in _CATEGORIES]
        print(f"  {kind:40}" + "".join(f"{n:>11d}" for n in counts))


def _scan_pairs(folder: Path, limit: int | None) -> list[tuple[Path, Path]]:
    pairs = [(p, CORPUS / "ownership-xml" / f"{p.stem}.xml") for p in sorted(folder.glob("*.pdf"))]
    return pairs[:limit]


def report_families(folder: Path, limit: int | None, show_wrong: bool, jobs: int) -> None:
    """Each family's tier, the tuned ones first and the held-out ones apart; right as a share
    of the clean tier's right on the same filings."""
    tiers = {d.name: d for d in sorted(folder.iterdir()) if d.is_dir()}
    results = {
        name: run_tier(name, _scan_pairs(tiers[name], limit), show_wrong, jobs) for name in tiers
    }
    clean = results.get("clean")
    for title, names in (
        ("tuned on", [n for n in results if n not in HELD_OUT_FAMILIES]),
        ("held out (never tuned on)", [n for n in results if n in HELD_OUT_FAMILIES]),
    ):
        if not names:
            continue
        print(f"-- {title}")
        print_table([results[n] for n in names])
        for name in names:
            if clean is not None and name != "clean" and clean.field_accuracy:
                ratio = results[name].field_accuracy / clean.field_accuracy
                print(f"   {name}: right {ratio:.1%} of the clean scan's")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tier", action="append")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--show-wrong", action="store_true")
    parser.add_argument(
        "--show-missing",
        "--by-field",
        action="store_true",
        help="count the wrong and the unexplained null fields by kind",
    )
    parser.add_argument(
        "--ocr-dir",
        type=Path,
        help="a held-out OCR tier: PDFs named by accession (bench/make_ocr_tier.py makes one)",
    )
    parser.add_argument(
        "--families",
        type=Path,
        help="a folder of noise-family tiers of the same filings (bench/make_scan_tier.py "
        "--family F --out DIR/F), `clean` among them",
    )
    parser.add_argument("--jobs", type=int, default=1, help="parse in this many processes")
    args = parser.parse_args()
    if args.families:
        report_families(args.families, args.limit, args.show_wrong, args.jobs)
        return
    tiers = args.tier or ([] if args.ocr_dir else ["edgar-html", "pdf", "pdf-ocr"])
    results = []
    for tier in tiers:
        pairs = tier_pairs(tier)[: args.limit]
        results.append(run_tier(tier, pairs, args.show_wrong, args.jobs))
    if args.ocr_dir:
        pairs = [
            (p, CORPUS / "ownership-xml" / f"{p.stem}.xml")
            for p in sorted(args.ocr_dir.glob("*.pdf"))
        ][: args.limit]
        results.append(run_tier(args.ocr_dir.name, pairs, args.show_wrong, args.jobs))
    print_table(results)
    if args.show_missing:
        for r in results:
            counts = ", ".join(f"{kind} {n}" for kind, n in r.missing_by_field.most_common())
            print(f"{r.name} missing (unmarked null): {counts or 'none'}")
            counts = ", ".join(f"{kind} {n}" for kind, n in r.wrong_by_field.most_common())
            print(f"{r.name} wrong: {counts or 'none'}")
            print_by_field(r)


if __name__ == "__main__":
    main()
