"""The reply classifier against the labelled corpus of real server replies.

``tests/corpus/replies/replies.jsonl`` holds sourced replies with the category
and transient flag they mean (labelling rules in its ``README.md``).  These
tests fail when agreement drops below the floor measured when the classifier
was reworked (issue 11); they measure accuracy, never timing.  The odd and even
halves are scored separately too, so a change tuned to one half of the corpus
shows up as a gap between them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailplug import AsyncMailer

CORPUS = Path(__file__).parent / "corpus" / "replies" / "replies.jsonl"

#: Floors (percent): raise them when the classifier gets better, never lower them quietly.
CATEGORY_FLOOR = 95.8
TRANSIENT_FLOOR = 98.9
HALF_CATEGORY_FLOOR = 95.4
#: The halves may differ by at most this much (points): a larger gap means tuning to texts.
HALF_GAP = 2.0


def _rows() -> list[dict[str, object]]:
    with CORPUS.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="module")
def scored() -> list[tuple[dict[str, object], str, bool]]:
    mailer = AsyncMailer(outbox=None, entry_points=False)
    out = []
    for row in _rows():
        err = mailer.explain(
            row["code"],  # type: ignore[arg-type]
            row.get("enhanced"),  # type: ignore[arg-type]
            str(row["text"]),
            stage=str(row.get("stage") or "rcpt"),
        )
        out.append((row, str(err.category), bool(err.transient)))
    return out


def _pct(hits: int, n: int) -> float:
    return 100.0 * hits / n


def test_corpus_is_sourced_and_large_enough() -> None:
    rows = _rows()
    assert len(rows) >= 620
    assert sum(r.get("lang") != "en" for r in rows) >= 30, "fewer than 30 non-English replies"
    assert all(str(r.get("source") or "").strip() for r in rows)
    keys = {(r["code"], r.get("enhanced"), r["text"]) for r in rows}
    assert len(keys) == len(rows), "duplicate replies in the corpus"


def test_category_agreement(scored: list[tuple[dict[str, object], str, bool]]) -> None:
    hits = [got == row["category"] for row, got, _ in scored]
    misses = [(row["id"], row["category"], got) for row, got, _ in scored if got != row["category"]]
    assert _pct(sum(hits), len(hits)) >= CATEGORY_FLOOR, misses


def test_transient_agreement(scored: list[tuple[dict[str, object], str, bool]]) -> None:
    hits = [tr == bool(row["transient"]) for row, _, tr in scored]
    misses = [row["id"] for row, _, tr in scored if tr != bool(row["transient"])]
    assert _pct(sum(hits), len(hits)) >= TRANSIENT_FLOOR, misses


@pytest.mark.parametrize("half", [0, 1], ids=["even", "odd"])
def test_both_halves_agree(scored: list[tuple[dict[str, object], str, bool]], half: int) -> None:
    part = scored[half::2]
    hits = sum(got == row["category"] for row, got, _ in part)
    assert _pct(hits, len(part)) >= HALF_CATEGORY_FLOOR


def test_halves_within_two_points(scored: list[tuple[dict[str, object], str, bool]]) -> None:
    pct = []
    for half in (0, 1):
        part = scored[half::2]
        pct.append(_pct(sum(got == row["category"] for row, got, _ in part), len(part)))
    assert abs(pct[0] - pct[1]) <= HALF_GAP, pct
