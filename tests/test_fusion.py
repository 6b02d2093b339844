"""Fusion methods on hand-made rankings, and each method through the real retriever on a real index."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from assistant.index.retrieval import Retriever, depth, fuse, weights
from assistant.settings import RetrievalSettings
from assistant.types import Filters

DENSE = [("a", 0.9), ("b", 0.7), ("c", 0.5)]
SPARSE = [("c", 12.0), ("a", 6.0), ("d", 3.0)]


def order(scores: dict[str, float]) -> list[str]:
    return [c for c, _ in sorted(scores.items(), key=lambda kv: -kv[1])]


def test_rrf_sums_weight_over_k_plus_rank() -> None:
    scores = fuse([(DENSE, 1.0), (SPARSE, 2.0)], "rrf", rrf_k=1)
    assert scores == pytest.approx({"a": 1 / 2 + 2 / 3, "b": 1 / 3, "c": 1 / 4 + 2 / 2, "d": 2 / 4})
    assert order(scores) == ["c", "a", "d", "b"]
    # Only ranks count: other scores, same order, same fusion.
    assert fuse([([(c, -i) for i, (c, _) in enumerate(DENSE)], 1.0)], "rrf", 1) == fuse([(DENSE, 1.0)], "rrf", 1)


def test_minmax_scales_each_ranking_to_0_1() -> None:
    scores = fuse([(DENSE, 0.5), (SPARSE, 0.5)], "minmax")
    assert scores == pytest.approx({"a": 0.5 * 1 + 0.5 * (6 - 3) / 9, "b": 0.5 * 0.5, "c": 0.5 * 0 + 0.5 * 1,
                                    "d": 0.0})
    assert order(scores) == ["a", "c", "b", "d"]
    # Alpha matters: with the dense side at 0.9, b (dense only) passes c (BM25's best, dense's worst).
    leaning = fuse([(DENSE, 0.9), (SPARSE, 0.1)], "minmax")
    assert order(leaning) == ["a", "b", "c", "d"]


def test_zscore_standardises_and_shifts_the_last_to_zero() -> None:
    scores = fuse([(DENSE, 0.5), (SPARSE, 0.5)], "zscore")
    sd_d = math.sqrt((0.2**2 * 2) / 3)
    sd_s = math.sqrt((5**2 + 1**2 + 4**2) / 3)
    z_d = {c: (v - 0.7) / sd_d + 0.2 / sd_d for c, v in DENSE}
    z_s = {c: (v - 7.0) / sd_s + 4.0 / sd_s for c, v in SPARSE}
    expected = {c: 0.5 * z_d.get(c, 0.0) + 0.5 * z_s.get(c, 0.0) for c in "abcd"}
    assert scores == pytest.approx(expected)
    assert scores["d"] == pytest.approx(0.0) and order(scores) == ["a", "c", "b", "d"]


@pytest.mark.parametrize("method", ["minmax", "zscore"])
def test_score_fusion_edge_cases(method: str) -> None:
    # Equal scores (or a single hit) give the full weight; an empty ranking adds nothing.
    assert fuse([([("x", 3.0), ("y", 3.0)], 0.4), ([], 0.6)], method) == pytest.approx({"x": 0.4, "y": 0.4})
    assert fuse([([("x", 1.5)], 1.0)], method) == pytest.approx({"x": 1.0})


def test_unknown_method_and_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="Unknown fusion method 'sum'"):
        fuse([(DENSE, 1.0)], "sum")
    with pytest.raises(ValidationError):
        RetrievalSettings(fusion="sum")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        RetrievalSettings(alpha=1.5)


def test_weights_and_depth_follow_the_settings() -> None:
    assert weights(RetrievalSettings(fusion="rrf", dense_weight=0.5, bm25_weight=2.0)) == (0.5, 2.0)
    assert weights(RetrievalSettings(fusion="zscore", alpha=0.3)) == pytest.approx((0.3, 0.7))
    assert depth(RetrievalSettings(candidates=40), 8) == 40 and depth(RetrievalSettings(candidates=40), 20) == 60


@pytest.mark.parametrize("method", ["rrf", "minmax", "zscore"])
def test_each_method_through_the_real_retriever(mini_assistant, method: str) -> None:  # type: ignore[no-untyped-def]
    live = mini_assistant.retriever
    cfg = live.cfg.model_copy(update={"fusion": method})
    retriever = Retriever(live.store, live.keywords, live.embedder, cfg)
    hits = retriever.search("Zorblax separation cost", k=5)
    assert hits[0].chunk.doc_id == "guide.md"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True) and hits[-1].score >= 0
    # The country boost raises the named country's passages without excluding the rest.
    plain = retriever.search("tonnes", k=8)
    boosted = retriever.search("tonnes", k=8, boost=[Filters(country="estonia")])

    def guide(hits: list) -> tuple[int, float]:  # type: ignore[type-arg]
        return next(((i, h.score) for i, h in enumerate(hits) if h.chunk.doc_id == "guide.md"), (len(hits), 0.0))

    assert guide(boosted)[0] <= guide(plain)[0] and guide(boosted)[1] > guide(plain)[1]
    assert {h.chunk.doc_id for h in boosted} - {"guide.md"}
