"""The sentence scorer: every feature documented and weighted, and the fit recovers what the labels say."""

from __future__ import annotations

import random

from assistant.answer import scoring
from assistant.bench import fit_scorer


def test_every_feature_is_documented_and_fitted() -> None:
    assert set(scoring.FITTED) == {"bias", *scoring.FEATURES}
    assert all(len(doc) > 20 for doc in scoring.FEATURES.values())
    assert 0.0 < scoring.score(dict.fromkeys(scoring.FEATURES, 0.0)) < 1.0


def _rows(n: int, seed: int) -> list[dict]:
    """Questions whose fact-holding sentence has high coverage and an early rank; the other features are noise."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        feats, labels = [], []
        fact_at = rng.randrange(8)
        for i in range(8):
            holds = i == fact_at
            f = {k: rng.random() for k in scoring.FEATURES}
            f["coverage"] = rng.uniform(0.6, 1.0) if holds else rng.uniform(0.0, 0.7)
            f["rank"] = float(rng.randint(0, 3) if holds else rng.randint(0, 9))
            feats.append(f)
            labels.append(int(holds))
        rows.append({"set": "synthetic", "features": feats, "labels": labels})
    return rows


def test_the_fit_learns_the_features_that_mark_a_fact_and_ranks_unseen_questions() -> None:
    weights = fit_scorer.fit(_rows(120, 1))
    assert weights["coverage"] > 0 and weights["rank"] < 0
    assert abs(weights["coverage"]) > max(abs(weights[k]) for k in scoring.FEATURES if k not in ("coverage", "rank"))
    held = fit_scorer.quality(_rows(80, 2), weights)
    flat = fit_scorer.quality(_rows(80, 2), {k: 0.0 for k in scoring.FITTED})
    assert held["precision@1"] > 0.8 > flat["precision@1"]


def test_write_replaces_the_fitted_block(tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "scoring.py"
    target.write_text('X = 1\nFITTED: dict[str, float] = {\n    "bias": 0.0,\n}\n\nY = 2\n', encoding="utf-8")
    fit_scorer.write({"bias": -1.5, "coverage": 2.25}, target)
    text = target.read_text(encoding="utf-8")
    assert '    "bias": -1.500,\n    "coverage": 2.250,\n}' in text and "X = 1" in text and "Y = 2" in text
    fit_scorer.write({"bias": 0.5}, target)  # the block it wrote is found again
    assert '    "bias": 0.500,\n}' in target.read_text(encoding="utf-8")
