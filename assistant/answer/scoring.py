"""How a sentence of the retrieved passages is scored as a point of the answer: a few features, each documented
here, combined by weights fitted on the development sets (`python -m assistant.bench fit-scorer`, which prints
the fit and writes FITTED below). A sentence's score is the fitted probability that it holds a fact the question
asks for."""

from __future__ import annotations

import math

# Every feature a sentence is scored on, with what it measures. All are computed in answering._candidates.
FEATURES: dict[str, str] = {
    "words": "the question's subject words the sentence holds, each weighted by its rarity in the corpus (idf, "
             "capped at 4): lexical evidence that it speaks of what is asked",
    "coverage": "the share of the question's subject words the sentence holds (0-1)",
    "carried": "the share of the question's subject words only the sentence before it in its paragraph holds: a "
               "sentence carries on from the one before ('…opened a plant at Stepnogorsk. It would make 1,500 t')",
    "entity": "credit for naming an entity asked about, once per entity, by the name of it the sentence uses best",
    "countries": "how many words naming an asked country the sentence (or its document, about that country) holds",
    "rank": "the retrieval rank of the sentence's passage (0 = best)",
    "similarity": "the passage's similarity to the question under the shipped embedding model (meaning, not words)",
    "position": "the sentence's place in its passage (0 = first, capped at 10): openings state what a passage is about",
    "row_about": "a table row whose first cell is an asked country or entity (1/0)",
    "row_year": "such a row, in a table with a column for a year the question names (1/0)",
    "figure_asked": "a figure in a sentence answering a question of figures or of the future (1/0)",
    "future_dated": "a year in a sentence answering a question about the future: the latest dated figure (1/0)",
    "year_asked": "a year in a sentence answering a 'when' question (1/0)",
    "cause_given": "a connective of cause or purpose ('because', 'due to', 'pointed to… as the reason') in a "
                   "sentence answering a 'why' question (1/0)",
    "asked_year": "a year the question names appears in the sentence (1/0)",
    "new_names": "the sentence names something (a capitalised name) the question does not (1/0)",
    "figure": "the sentence holds a figure (1/0)",
    "defines": "asked what something is, the sentence opens with it ('An ore reserve is…') (1/0)",
    "members": "asked which things, how many of them (countries or elements) the sentence names, up to 7",
    "disagree": "the sentence is in a section on where sources disagree (1/0)",
    "overlong": "characters beyond 280, in hundreds (the fit finds that long sentences hold more of what is asked)",
}

# The fitted weights: a conditional logit over each development-set question's candidate sentences (labelled by
# whether a sentence holds one of the question's key facts), L2 1.0, calibrated so that `score` is a probability;
# `bias` is the calibration's intercept. Fit: `python -m assistant.bench fit-scorer --write` (docs/benchmarks.md).
# `cause_given` (round 6) carries the weight of a full refit with it (0.341); the other weights are the earlier fit,
# since the full refit lowered five development sets (round 6 in docs/benchmarks.md).
FITTED: dict[str, float] = {
    "bias": -3.803,
    "words": 0.083,
    "coverage": 1.373,
    "carried": 0.262,
    "entity": -0.031,
    "countries": -0.216,
    "rank": -0.163,
    "similarity": 1.391,
    "position": -0.012,
    "row_about": 1.296,
    "row_year": -0.120,
    "figure_asked": 0.258,
    "future_dated": 0.365,
    "year_asked": 1.414,
    "cause_given": 0.341,
    "asked_year": 0.478,
    "new_names": 0.320,
    "figure": 0.501,
    "defines": -0.091,
    "members": 0.078,
    "disagree": 0.024,
    "overlong": 0.254,
}


# How the scored sentences are chosen (answering.select): maximal marginal relevance over the best POOL.
MMR_RELEVANCE = 0.7  # a sentence's weight on its score, against its word overlap with the sentences chosen
NEAR_DUPLICATE = 0.75  # word overlap (relative to the shorter sentence) at which a sentence restates another
POOL = 60  # the best-scored sentences considered
MAX_POINTS = 5  # supporting points after the lead


def logit(features: dict[str, float], weights: dict[str, float] | None = None) -> float:
    w = FITTED if weights is None else weights
    return w.get("bias", 0.0) + sum(w.get(k, 0.0) * v for k, v in features.items())


def score(features: dict[str, float], weights: dict[str, float] | None = None) -> float:
    """The probability that the sentence holds what is asked (the logistic of the weighted features)."""
    z = logit(features, weights)
    return 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0


__all__ = ["FEATURES", "FITTED", "MAX_POINTS", "MMR_RELEVANCE", "NEAR_DUPLICATE", "POOL", "logit", "score"]
