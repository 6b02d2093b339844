"""Supply questions through `ask`: "who supplies …" and "what if … stops" are read as typed queries over the supply
links (understand/supply.py) and answered from them (views/supply_answers.py), the direct answer first and every
line cited to the link's sentence; the typed scenario travels in the answer JSON (`query`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from assistant.knowledge.entities import load_entities
from assistant.knowledge.registry import load_registry
from assistant.knowledge.supply import Names
from assistant.knowledge.taxonomy import country_spans
from assistant.understand.supply import asks_supply, elements_of, find_parties, material_of, read_supply

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@lru_cache(maxsize=1)
def _names() -> Names:
    entities = load_entities(CORPUS / "entities.yaml")
    return Names(load_registry(CORPUS / "value_chain", entities), entities)


def _read(question: str, kind: str):  # type: ignore[no-untyped-def]
    parties = find_parties(question, country_spans(question), [], _names())
    return read_supply(question, kind, parties, None, [])


@pytest.mark.parametrize(("question", "party", "direction", "counterpart"), [
    ("Who supplies Japan with dysprosium?", "Japan", "in", None),
    ("Where does Silmet get its feed?", "NPM Silmet", "in", None),
    ("Who buys the output of Kangankunde?", "Kangankunde", "out", None),
    ("Where does Myanmar's concentrate go?", "Myanmar", "out", None),
    ("Who takes the concentrate from Kangankunde?", "Kangankunde", "out", None),
    ("Does China import carbonate from Laos?", "China", "in", "Laos"),
    ("Who sells oxide to South Korea?", "South Korea", "in", None),
])
def test_supply_slots(question: str, party: str, direction: str, counterpart: str | None) -> None:
    q = _read(question, "supply")
    assert (q.kind, q.party, q.direction, q.counterpart) == ("supply", party, direction, counterpart)


@pytest.mark.parametrize(("question", "stop"), [
    ("What if Myanmar's mines close?", "Myanmar"),
    ("What happens to Japan if Kalgoorlie shuts down?", "Kalgoorlie Rare Earths Processing Facility"),
    ("What if Lynas Malaysia stops?", "Lynas Malaysia"),
    ("If China halts exports of terbium to Japan, who is hit?", "China"),
])
def test_scenario_stopped_party(question: str, stop: str) -> None:
    assert _read(question, "scenario").stop == stop


def test_material_and_elements() -> None:
    assert material_of("monazite imports") == "concentrate"
    assert material_of("Who supplies the magnet makers with oxide?") == "oxide"
    assert material_of("compounds and metals") == "compounds"
    assert elements_of("dysprosium and terbium oxide") == ["Tb", "Dy"]
    assert elements_of("heavy rare earths") == ["HREE"]
    assert set(elements_of("NdPr oxide")) == {"Nd", "Pr"}


def test_grammar_that_asks_for_a_supplier() -> None:
    assert asks_supply("Who was supposed to supply the plant?")
    assert asks_supply("Where does the concentrate go?")
    assert not asks_supply("Which elements did China put under export licensing?")
    assert not asks_supply("Where is the Steenkampskraal mine?")
    assert not asks_supply("Does Thailand have a rare-earth magnet supply chain?")


@pytest.mark.slow
def test_ask_who_supplies_and_what_if(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    from assistant.evaluation import _DocTexts, citation_checks

    docs = _DocTexts(CORPUS)
    a = corpus_assistant.ask("Who supplies Japan with dysprosium and terbium?")
    assert a.query is not None and (a.query.kind, a.query.party, a.query.direction) == ("supply", "Japan", "in")
    assert a.answer.startswith("Japan's recorded suppliers") and "Lynas" in a.answer
    assert a.table and all(r["receiver_country"] == "japan" for r in a.table)
    valid, total, problems = citation_checks(a, docs)
    assert valid == total > 0, problems

    s = corpus_assistant.ask("What happens if China stops exporting dysprosium and terbium oxide?")
    q = s.to_json()["query"]
    assert (q["kind"], q["stop"], q["material"], sorted(q["elements"])) == ("scenario", "China", "oxide",
                                                                            ["Dy", "Tb"])
    assert s.answer.startswith("If China stops supplying separated oxide")
    assert "India" in s.answer and "Japan keeps" in s.answer
    assert {r["category"] for r in s.table} >= {"loses", "alternative"}
    valid, total, problems = citation_checks(s, docs)
    assert valid == total > 0, problems

    # A party the links do not know, or a capability question, is answered from passages.
    c = corpus_assistant.ask("Does Thailand have a rare-earth magnet supply chain?")
    assert c.query is None or c.query.kind not in ("supply", "scenario")
