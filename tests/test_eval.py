"""`ree eval` on the gold set meets the thresholds in settings (the bar issue 4 sets), and a broken answerer
would fail it."""

from __future__ import annotations

from assistant.evaluation import citation_checks, evaluate
from assistant.types import Answer, Citation


def test_gold_set_passes_thresholds(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    result = evaluate(corpus_assistant)
    m = result["metrics"]
    assert m["questions"] >= 80
    assert m["citation_validity"] == 1.0 and m["refusal_accuracy"] == 1.0, result["failures"][:5]
    assert m["checklist_agreement"] == 1.0 and m["false_refusal_rate"] <= 0.02
    assert result["passed"], (m, [f for f in result["failures"] if f["problems"]][:10])


def test_citation_check_catches_forged_quotes_and_markers(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    from assistant.evaluation import _DocTexts

    docs = _DocTexts(corpus_assistant.settings.paths.corpus)
    forged = Answer(question="q", answer="Kazakhstan makes 9,000 t of magnets a year. [1] Also this. [2]",
                    answerable=True, citations=[Citation(
                        n=1, doc_id="profiles/kazakhstan.md", chunk_id="x", title="t", publisher="p", url="",
                        date="", section="s", quote="Kazakhstan makes 9,000 t of magnets a year.")])
    valid, total, problems = citation_checks(forged, docs)
    assert (valid, total) == (0, 1)
    assert any("is not the verbatim range" in p for p in problems) and any("[2] is used" in p for p in problems)
