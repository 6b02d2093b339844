"""Status words that mean what they say: absence recorded as a finding ("none found", with the sources checked),
`unknown` kept for what the sources conflict on or do not cover (each with its reason), and stage-specific labels
from the one rule (knowledge/valuechain.py, docs/corpus-guide.md)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from conftest import ROOT

from assistant.knowledge.valuechain import (
    Evidence,
    Facility,
    Figure,
    StageFacts,
    derive_status,
    load_country,
    status_label,
)
from assistant.types import STAGES

FACTS = {p.stem: load_country(p) for p in sorted((ROOT / "corpus" / "value_chain").glob("*.yaml"))}
CELLS = [(key, stage, facts.stages[stage], facts.status(stage)) for key, facts in FACTS.items() for stage in STAGES]


def test_unknown_cells_are_at_most_a_tenth_of_the_map() -> None:
    unknown = [(k, s) for k, s, _, status in CELLS if status == "unknown"]
    assert len(unknown) / len(CELLS) <= 0.10, (len(unknown), len(CELLS), unknown)


def test_every_unknown_says_why() -> None:
    """`unknown` is kept for a stage the sources conflict on or do not cover, and its detail says which."""
    bad = [(k, s, row.detail) for k, s, row, status in CELLS if status == "unknown"
           and not re.match(r"Unknown: .{30,}", row.detail)]
    assert not bad, bad


def test_absence_is_a_finding_with_the_sources_checked() -> None:
    """A stage recorded as none found says so and names the sources checked."""
    bad = [(k, s, row.detail) for k, s, row, _ in CELLS if row.none_found
           and not (row.detail.startswith("None found: ") and "checked" in row.detail)]
    assert not bad, bad
    labels = {FACTS[k].label(s) for k, s, row, status in CELLS if row.none_found and status == "none"}
    assert labels == {"none found"}


def test_ionic_clay_leaching_is_one_stage_everywhere() -> None:
    """Desorption leaching of ionic clays belongs to the concentrate stage in every country; cracking never holds
    a leaching facility."""
    for key, facts in FACTS.items():
        for fac in facts.stages["cracking"].facilities:
            assert not re.search(r"ionic|ion-adsorption|desorption", f"{fac.name} {fac.note}", re.I), (key, fac)
        if re.search(r"ionic|ion-adsorption", facts.stages["cracking"].detail, re.I):
            assert facts.status("cracking") in ("none", "unknown"), key


def test_first_output_is_never_a_report_year_in_the_detail() -> None:
    """`first_output` is the year output began: a detail that dates its evidence as "(2021 report)" has no
    first_output from that report."""
    for key, facts in FACTS.items():
        for stage, row in facts.stages.items():
            for year in re.findall(r"\((\d{4}) report\)", row.detail):
                assert row.first_output != int(year), (key, stage, row.detail)


# --- the rule and its labels ------------------------------------------------------------------------------------

def _ev(date: str = "2025-06-01") -> list[Evidence]:
    return [Evidence(doc="profiles/x.md", section="s", date=dt.date.fromisoformat(date))]


def _facts(phases: tuple[str, ...] = (), **kw) -> StageFacts:  # type: ignore[no-untyped-def]
    pilot, byproduct = kw.pop("pilot", False), kw.pop("byproduct", False)
    facs = [Facility(name=f"f{i}", phase=p, pilot=pilot, byproduct=byproduct) for i, p in enumerate(phases)]  # type: ignore[arg-type]
    return StageFacts(facilities=facs, detail="d", evidence=kw.pop("evidence", _ev()), **kw)


def _fig(value: float, **kw) -> Figure:  # type: ignore[no-untyped-def]
    return Figure(value=value, unit="t", basis=kw.pop("basis", "REO"), **kw)


@pytest.mark.parametrize(("stage", "facts", "mined", "status", "label"), [
    # a deposit at scale is either mined at scale or a reserve nobody mines yet
    ("deposit", _facts(reserves=_fig(3_500_000)), False, "at_scale", "reserves, unmined"),
    ("deposit", _facts(reserves=_fig(3_500_000)), True, "at_scale", "mined at scale"),
    ("deposit", _facts(("operating",), output=_fig(31000, year=2024, estimate="trade_inferred")), False,
     "at_scale", "mined at scale"),
    # a reserve whose study or permit has lapsed does not count
    ("deposit", _facts(("feasibility",), reserves=_fig(23_500_000, basis="ore", historic=True)), False,
     "emerging", "historic reserve, not current"),
    ("deposit", _facts(("exploration",), resource=_fig(20_000_000, basis="ore")), False, "emerging",
     "resource, no reserve"),
    ("deposit", _facts(("exploration",)), False, "emerging", "deposit, no reserve"),
    # by-product recovery with no published volume is at most emerging, and flagged
    ("separation", _facts(("operating",), byproduct=True, first_output=2019), False, "emerging",
     "by-product, no published volume"),
    ("separation", _facts(("operating",), byproduct=True, output=_fig(7.5, year=2024)), False, "at_scale",
     "at scale"),
    ("mining", _facts(("operating",), output=_fig(130, estimate="trade_inferred")), False, "emerging", "trace only"),
    ("separation", _facts(("operating",), pilot=True, output=_fig(40)), False, "emerging", "pilot only"),
    ("cracking", _facts(("commissioning",)), False, "emerging", "commissioning"),
    ("magnet", _facts(("operating",), first_output=2012), False, "at_scale", "at scale"),
    ("separation", _facts(("construction",)), False, "planned", "planned"),
    ("magnet", _facts(none_found=True), False, "none", "none found"),
    ("cracking", _facts(("closed",)), False, "none", "closed"),
    ("magnet", _facts(), False, "unknown", "unknown"),
])
def test_status_labels_are_stage_specific(stage: str, facts: StageFacts, mined: bool, status: str,
                                          label: str) -> None:
    assert derive_status(stage, facts) == status
    assert status_label(stage, facts, mined=mined) == label


def test_country_labels_read_the_mining_stage_for_the_deposit() -> None:
    """Australia's reserves are mined; a country with a reserve and no mine shows "reserves, unmined"."""
    assert FACTS["australia"].label("deposit") == "mined at scale"
    unmined = [k for k, f in FACTS.items() if f.status("deposit") == "at_scale" and f.status("mining") != "at_scale"]
    assert unmined and all(FACTS[k].label("deposit") == "reserves, unmined" for k in unmined)


def test_checklist_and_map_carry_the_label() -> None:
    from assistant.answer.checklist import ChecklistBuilder, ValueChainData
    from assistant.answer.citations import CitationBook

    class _NoPassages:
        metas: list = []
        texts: list = []

    builder = ChecklistBuilder(ValueChainData(ROOT / "corpus" / "value_chain"), _NoPassages())  # type: ignore[arg-type]
    builder._section_chunks = lambda doc, section: []  # type: ignore[method-assign]
    cl = builder.build("malawi", "magnet", CitationBook())
    labels = {r.stage: r.label for r in cl.stages}
    assert labels["magnet"] == "none found" and labels["deposit"] == FACTS["malawi"].label("deposit")


def test_next_steps_give_a_stage_its_own_cost_or_none_sourced(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """The "typical cost and time" of a stage comes from a sentence that names that stage; a cracking plant's cost
    is never given for separation, metal or alloy."""
    from assistant.answer.checklist import _STAGE_SPEAKS

    for country in ("australia", "kazakhstan", "malawi"):
        cl = corpus_assistant.gaps(country, target="magnet").checklist
        assert cl.next_steps
        for step in cl.next_steps:
            if "Typical cost and time: " not in step.text:
                continue  # sourced, but the answer's citations were used up
            cost = step.text.split("Typical cost and time: ", 1)[1]
            assert cost == "none sourced." or _STAGE_SPEAKS[step.stage].search(cost), (country, step.stage, cost)
            if step.stage in ("separation", "metal", "alloy"):
                assert "Kalgoorlie cracking" not in cost, (country, step.stage, cost)


def test_a_verdict_names_who_runs_the_plant_it_rests_on_where_its_sentence_does(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """A stage's facility is shown with its operator (whole name, initials or distinctive first word) when the
    sentence cited for the stage names the operator and the facility's own name does not: every such operator
    appears in that row's cited quotes."""
    shown = 0
    for country in ("south_korea", "united_kingdom", "france", "malawi"):
        answer = corpus_assistant.gaps(country)
        cl = answer.checklist
        quotes = {c.n: c.quote for c in answer.citations}
        for row in cl.stages:
            for name in row.facilities:
                if "'s " in name:
                    who = name.split("'s ")[0]
                    assert any(who in quotes.get(n, "") for n in row.citations), (country, row.stage, name)
                    shown += 1
    assert shown >= 2, "no operator was named beside its facility"


def test_a_single_verdict_names_the_plant_where_the_chain_stops(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """A 'no' names who runs the furthest stage reached at scale (by the plant's name, or by its operator where the
    stage's sentences name only the operator), each name held by that stage's cited quotes."""
    answer = corpus_assistant.ask("Is Malaysia able to produce NdFeB magnets?")
    cl = answer.checklist
    row = next(r for r in cl.stages if r.stage == "separation")
    assert row.status == "at_scale" and row.facilities, row
    quotes = " ".join(c.quote for c in answer.citations if c.n in row.citations)
    assert all(name.split("'s ")[0] in quotes for name in row.facilities), (row.facilities, quotes)
    assert row.facilities[0] in answer.answer


def test_a_verdict_says_what_the_chain_once_had(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """A stage whose plant closed is said with that plant ('there was cracking (closed: …Stepnogorsk)'), cited to
    a sentence that names it; a stage that never ran (a study) is not."""
    answer = corpus_assistant.ask("Would Kazakhstan be able to supply NdFeB magnets?")
    row = next(r for r in answer.checklist.stages if r.stage == "cracking")
    assert row.label.startswith("closed") and row.facilities, row
    assert "there was cracking (closed: " in answer.answer and row.facilities[0] in answer.answer, answer.answer
    quotes = " ".join(c.quote for c in answer.citations if c.n in row.citations)
    assert "Stepnogorsk" in quotes
    assert "there was mining" not in answer.answer
