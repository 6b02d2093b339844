"""`ree eval` on the gold set meets the thresholds in settings, and every gate fails on an answerer broken in the
way it guards against: first passage only, checklist dropped, citations shuffled, everything refused, nothing
refused."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from assistant.evaluation import GATES, citation_checks, cited_docs, evaluate
from assistant.knowledge.chunking import split_sentences
from assistant.types import Answer, Checklist, Citation


def test_gold_set_passes_thresholds(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    result = evaluate(corpus_assistant)
    m = result["metrics"]
    assert m["questions"] >= 80
    assert all(m[key] is not None for key in GATES), m  # the gold set gives every metric something to count
    assert result["passed"], ({k: ok for k, ok in result["checks"].items() if ok is False}, m, result["failures"][:5])


class Broken:
    """A real Assistant whose answers are changed on the way out."""

    def __init__(self, inner, change: Callable[[Answer], Answer]) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner
        self.settings = inner.settings
        self.change = change

    def ask(self, question: str, conversation_id: str | None = None) -> Answer:
        return self.change(self.inner.ask(question, conversation_id=conversation_id))


def _keep_citations(cl: Checklist, keep: set[int]) -> Checklist:
    return cl.model_copy(update={
        "stages": [r.model_copy(update={"citations": [n for n in r.citations if n in keep]}) for r in cl.stages],
        "next_steps": [s.model_copy(update={"citations": [n for n in s.citations if n in keep]})
                       for s in cl.next_steps]})


def first_passage_only(answer: Answer) -> Answer:
    """The answer cut to what its first cited document says: other sentences and citations dropped."""
    docs = cited_docs(answer)
    if not docs:
        return answer
    keep = {c.n for c in answer.citations if c.doc_id == docs[0]}
    text = " ".join(s for s in split_sentences(answer.answer)
                    if {int(n) for n in re.findall(r"\[(\d+)\]", s)} <= keep)
    checklist = answer.checklist
    if checklist is not None:
        checklist = ([_keep_citations(c, keep) for c in checklist] if isinstance(checklist, list)
                     else _keep_citations(checklist, keep))
    return answer.model_copy(update={"answer": text, "checklist": checklist,
                                     "citations": [c for c in answer.citations if c.n in keep]})


def checklist_dropped(answer: Answer) -> Answer:
    """No checklist; the checklist's own evidence goes with it."""
    in_text = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    return answer.model_copy(update={"checklist": None,
                                     "citations": [c for c in answer.citations if c.n in in_text]})


def citations_shuffled(answer: Answer) -> Answer:
    """Every [n] points at another passage: the citations' numbers reversed."""
    top = len(answer.citations) + 1
    return answer.model_copy(update={"citations": sorted(
        (c.model_copy(update={"n": top - c.n}) for c in answer.citations), key=lambda c: c.n)})


def refuse_all(answer: Answer) -> Answer:
    return Answer(question=answer.question, answer="The documents do not cover this.", answerable=False)


def refuse_none(answer: Answer) -> Answer:
    return answer.model_copy(update={"answerable": True})


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every third gold question, with every out-of-scope one: capability items with statuses, follow-ups,
    numeric and lookup questions and refusals, in a third of the time of the whole set. It is named like the gold
    set, so the gold set's gates judge it."""
    gold = yaml.safe_load((Path(__file__).resolve().parent.parent / "corpus/eval/questions.yaml").read_text())
    items = [q for i, q in enumerate(gold) if i % 3 == 0 or q.get("type") == "out_of_scope"]
    path = tmp_path_factory.mktemp("eval") / "questions.yaml"
    path.write_text(yaml.safe_dump(items), encoding="utf-8")
    return path


# Each broken answerer and the gates it fails (measured on the sample: the real answerer scores hit@5 0.96, MRR
# 0.87; first passage only 0.79 and 0.79; citations shuffled MRR 0.79 and citation validity 0.31).
BROKEN = {
    "first passage only": (first_passage_only, {"hit_at_5", "mrr"}),
    "checklist dropped": (checklist_dropped, {"checklist_agreement"}),
    "citations shuffled": (citations_shuffled, {"citation_validity", "mrr"}),
    "everything refused": (refuse_all, {"false_refusal_rate", "hit_at_5", "key_fact_recall"}),
    "nothing refused": (refuse_none, {"refusal_accuracy"}),
}


def test_every_gate_is_failed_by_some_broken_answerer() -> None:
    assert set().union(*(gates for _, gates in BROKEN.values())) == set(GATES)


@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_answerer_fails_its_gates(corpus_assistant, sample: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    change, gates = BROKEN[name]
    result = evaluate(Broken(corpus_assistant, change), sample)
    assert not result["passed"]
    failed = {key for key, ok in result["checks"].items() if ok is False}
    assert gates <= failed, (name, result["metrics"], result["checks"])


def test_empty_denominator_is_not_a_score(corpus_assistant, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A set with no statuses, no out-of-scope question and no facts scores those metrics n/a, not 1.0."""
    path = tmp_path / "one.yaml"
    path.write_text(yaml.safe_dump([{"id": "x", "type": "lookup", "question": "What is bastnaesite?",
                                     "docs": ["primers/deposit.md"]}]), encoding="utf-8")
    m = evaluate(corpus_assistant, path)["metrics"]
    assert m["checklist_agreement"] is None and m["refusal_accuracy"] is None and m["key_fact_recall"] is None
    assert m["false_refusal_rate"] == 0.0


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


def _masked_questions() -> tuple[dict[str, str], dict[str, str]]:
    from assistant.understand.names import NameIndex, load_entities

    corpus = Path(__file__).resolve().parent.parent / "corpus"
    names = NameIndex(load_entities(corpus / "entities.yaml"))

    def key(text: str) -> str:  # masked as the classifier masks it, then case, spacing and punctuation dropped
        return " ".join(re.sub(r"[^\w\s]", " ", names.mask(text).lower()).split())

    asked: dict[str, str] = {}
    for path in sorted((corpus / "eval").glob("*.yaml")):
        if path.stem in ("intents", "sealed", "statuses"):  # the sealed set is never read between the start and end
            # of a round; the statuses are a key of checklist statuses, not questions
            continue
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            for q in [item["question"], *(item.get("history") or [])]:
                asked.setdefault(key(q), f"{path.stem}:{item['id']}: {q}")
    examples = {}
    for path in (corpus / "eval" / "intents.yaml", corpus / "query_kinds.yaml"):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            if item.get("q"):
                examples.setdefault(key(str(item["q"])), str(item["q"]))
    return asked, examples


def test_no_evaluation_question_is_a_labelled_example() -> None:
    """The examples that teach the reader what a question asks are not the questions it is scored on: no
    question of a development set (nor an earlier turn of one), once names are masked, equals an example."""
    asked, examples = _masked_questions()
    overlap = sorted(f"{asked[k]}  ==  {examples[k]}" for k in asked.keys() & examples.keys())
    assert not overlap, overlap


STATUSES = Path(__file__).resolve().parent.parent / "corpus" / "eval" / "statuses.yaml"


class CheckerOf:
    """A real Assistant whose checklists are changed on the way out."""

    def __init__(self, inner, change: Callable[[Checklist], Checklist]) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.settings, self.change = inner, inner.settings, change

    def gaps(self, country: str, target: str = "magnet") -> Answer:
        answer = self.inner.gaps(country, target)
        return answer.model_copy(update={"checklist": self.change(answer.checklists()[0])})


def test_checklists_are_scored_against_a_key_written_from_the_prose(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """The key covers every profiled country and stage; the checklists agree with most of it, and a checklist that
    says 'unknown' everywhere, or shifts every status one stage along, fails the gate."""
    key = yaml.safe_load(STATUSES.read_text(encoding="utf-8"))
    assert len(key) >= 30 and all(len(stages) == 9 for stages in key.values())
    real = evaluate(corpus_assistant, STATUSES)
    assert real["metrics"]["checklist_agreement"] is not None and real["metrics"]["stages"] == 9 * len(key)
    assert real["passed"], (real["metrics"], real["failures"][:5])

    def unknown(cl: Checklist) -> Checklist:
        return cl.model_copy(update={"stages": [r.model_copy(update={"status": "unknown"}) for r in cl.stages]})

    def shifted(cl: Checklist) -> Checklist:
        statuses = [r.status for r in cl.stages]
        return cl.model_copy(update={"stages": [r.model_copy(update={"status": statuses[i - 1]})
                                                for i, r in enumerate(cl.stages)]})

    for change in (unknown, shifted):
        broken = evaluate(CheckerOf(corpus_assistant, change), STATUSES)  # type: ignore[arg-type]
        assert not broken["passed"], (change.__name__, broken["metrics"])
        assert broken["metrics"]["checklist_agreement"] < real["metrics"]["checklist_agreement"]
