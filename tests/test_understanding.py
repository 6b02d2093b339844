"""Question understanding and answer composition, each tried with several wordings: names (folding, acronyms,
typos), intent, follow-ups against the conversation, scope, and the shape of a composed answer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import ROOT

from assistant.answer.answering import select
from assistant.answer.citations import plain
from assistant.answer.refusal import NOT_FACTS, documents_silent
from assistant.answer.rows import _cell, row_sentence
from assistant.understand.names import NameIndex, fold, load_entities

CAPABILITY = [
    "Can Kazakhstan make magnets?",
    "Is Kazakhstan capable of producing rare-earth magnets?",
    "Does Kazakhstan manufacture NdFeB magnets?",
    "What is Kazakhstan missing to make magnets?",
    "How far along the magnet chain does Kazakhstan get?",
    "What would it take for Kazakhstan to build permanent magnets?",
    "does kazakhstan have the capacity to make magnets",
    "Can Kazakstan make magnets?",  # misspelt
]


@pytest.fixture(scope="module")
def names() -> NameIndex:
    return NameIndex(load_entities(ROOT / "corpus" / "entities.yaml"))


def test_fold_removes_case_and_diacritics() -> None:
    assert fold("Bastnäsite") == "bastnasite" and fold("TÜRKIYE") == "turkiye"


@pytest.mark.parametrize(("question", "entity"), [
    ("What is LAMP?", "Lynas Malaysia"),
    ("who is silmet", "NPM Silmet"),
    ("What is bastnasite?", "Bastnäsite"),
    ("What was MOFCOM?", None),  # any entity: an acronym alone is recognised
])
def test_entities_by_other_names(names: NameIndex, question: str, entity: str | None) -> None:
    found = names.find(question)
    assert found.entities, question
    if entity:
        assert found.entities[0].name == entity


@pytest.mark.parametrize("question", ["Can Kazakhstan make magnets?", "And Kazakhstan?", "Laos rare earth output",
                                      "in Mongolia", "China's export controls"])
def test_a_country_name_is_not_read_as_a_similar_entity(names: NameIndex, question: str) -> None:
    found = names.find(question)
    assert found.countries and not found.corrected, (found.countries, found.corrected)


@pytest.mark.parametrize(("question", "country"), [("Can Kazakstan make magnets?", "kazakhstan"),
                                                   ("Does Austrailia separate?", "australia"),
                                                   ("what about viet nam", "vietnam"),
                                                   ("Can Türkiye make magnets?", "turkey")])
def test_countries_with_typos_and_other_spellings(names: NameIndex, question: str, country: str) -> None:
    assert country in names.find(question).countries


def test_ordinary_words_are_not_acronyms(names: NameIndex) -> None:
    assert not names.find("turn on the lamp please").entities


@pytest.mark.parametrize("question", CAPABILITY)
def test_capability_in_any_wording_gets_verdict_and_checklist(corpus_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask(question)
    assert answer.answerable and answer.checklist is not None, question
    assert answer.checklist.country == "Kazakhstan" and answer.checklist.verdict == "no"
    assert answer.answer.startswith("No: Kazakhstan cannot"), answer.answer


@pytest.mark.parametrize(("question", "kind"), [
    ("How much did Thailand mine in 2024?", "numeric"),
    ("How much NdPr oxide did Lynas produce in the March 2025 quarter?", "numeric"),
    ("Why is solvent extraction so hard to copy?", "explanation"),
    ("How does solvent extraction separate rare earths?", "explanation"),
    ("Who is JOGMEC?", "entity"),
    ("Japan vs Vietnam: which is further along the magnet chain?", "comparison"),
    ("Write a limerick about samarium", "out_of_scope"),
    ("Should I buy rare-earth stocks this year?", "out_of_scope"),
])
def test_intent_from_meaning(corpus_assistant, question: str, kind: str) -> None:  # type: ignore[no-untyped-def]
    assert corpus_assistant._reader().understand(question).type == kind


@pytest.mark.parametrize(("turns", "expect"), [
    (["How much did Thailand mine in 2024?", "And in 2023?"], "How much did Thailand mine in 2023?"),
    (["Can Kazakhstan make magnets?", "Can it make metal?"], "Can Kazakhstan make rare-earth metal?"),
    (["Can Kazakhstan make magnets?", "Why not?"], "Why can Kazakhstan not make rare-earth magnets?"),
    (["Can Kazakhstan make magnets?", "How does Japan compare?"], "Compare Kazakhstan and Japan"),
    (["Can Kazakhstan make magnets?", "And Japan and Vietnam?"], "Compare Japan and Vietnam"),
    (["Can Kazakhstan make magnets?", "What about Japan?"], "Can Japan make rare-earth magnets?"),
    (["Can Japan make magnets?", "And without China?"], "Can Japan make rare-earth magnets?"),
    (["Can Japan make magnets?", "what about the koreans?"], "Can South Korea make rare-earth magnets?"),
    # asked whether a kind of site exists, the site the answer names is what "it" stands for next
    (["Is there a separation plant in Malaysia?", "How much can it produce?"], "How much can Lynas Malaysia"),
    (["Is there a magnet plant in Vietnam?", "Who owns it?"], "Who owns Shin-Etsu Magnetic Materials Vietnam"),
    (["Where is Iluka's refinery?", "When will it open?"], "When will Eneabba refinery"),
    # an element named alone asks the previous question of it
    (["What did NdPr oxide cost in 2024?", "what about dysprosium?"], "What did dysprosium oxide cost in 2024?"),
    # a question that ended on a country's possession was about that thing, not the country
    (["Tell me about Brazil's magnet pilot line", "Who paid for it?"], "Who paid for Brazil's magnet pilot line"),
    (["Describe Kazakhstan's separation ambitions", "How realistic are they?"],
     "How realistic are Kazakhstan's separation ambitions"),
])
def test_follow_ups_resolve_against_the_conversation(corpus_assistant, turns: list[str], expect: str) -> None:  # type: ignore[no-untyped-def]
    conv = "conv-" + re.sub(r"\W+", "-", " ".join(turns))[:60]
    for turn in turns[:-1]:
        corpus_assistant.ask(turn, conversation_id=conv)
    answer = corpus_assistant.ask(turns[-1], conversation_id=conv)
    assert answer.answerable
    assert answer.resolved_question and answer.resolved_question.startswith(expect), answer.resolved_question
    if expect.startswith("Compare"):
        assert isinstance(answer.checklist, list) and len(answer.checklist) == 2


def test_why_not_explains_the_last_verdict(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    corpus_assistant.ask("Can Kazakhstan make magnets?", conversation_id="why")
    answer = corpus_assistant.ask("Why not?", conversation_id="why")
    assert "because the chain breaks at the deposit stage" in answer.answer


@pytest.mark.parametrize("question", ["Write a limerick about samarium", "Give me a recipe for neodymium soup",
                                      "Write a Python function that fetches dysprosium prices from an API",
                                      "could you draft an email to Lynas asking for a quote",
                                      "Should I invest in Lynas shares?", "What is the price of gold today?",
                                      # about a country no document mentions
                                      "Which chip fabs in Taiwan use EUV lithography?",
                                      "What do tourists usually visit in Uruguay?"])
def test_requests_that_are_not_for_facts_or_off_topic_are_refused(corpus_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask(question)
    assert not answer.answerable and not answer.citations, answer.answer


@pytest.mark.parametrize("question", ["Write a short summary of Vietnam's rare earth industry",
                                      "Please draft a list of the magnet plants outside China"])
def test_a_request_for_what_the_assistant_writes_is_answered(corpus_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    """A request to write an answer, summary, list or table is a question of fact; to write a script, an email or
    a poem is a task the assistant does not do."""
    answer = corpus_assistant.ask(question)
    assert answer.answerable and answer.citations, answer.answer


@pytest.mark.parametrize("question", ["How much will a new separation plant cost to build?",
                                      "How will the US price floor work?",
                                      "What will NdPr oxide cost next year?"])
def test_real_questions_that_sound_like_forecasts_are_answered(corpus_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask(question)
    assert answer.answerable and answer.citations, answer.answer
    assert answer.answer != NOT_FACTS


def test_a_future_value_gets_the_latest_figure_and_says_there_is_no_forecast(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("What will NdPr oxide cost next year?")
    assert re.search(r"\$\d", answer.answer) and "do not forecast" in answer.answer


@pytest.mark.parametrize("question", ["Can Kazakhstan make magnets?", "Can Japan make magnets?",
                                      "How much did Thailand mine in 2024?", "What was SARECO?",
                                      "Why is separation the bottleneck?"])
def test_composed_answers_are_short_plain_and_cited(corpus_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask(question)
    sentences = [s for s in re.split(r"(?<=[.!?\]])\s+(?=[A-Z])", answer.answer) if s.strip()]
    # a verdict (at most three sentences) or a lead, then at most 5 points; a point may carry the sentence it refers
    # back to
    assert len(sentences) <= 9, sentences
    limits = corpus_assistant.settings.answer
    assert len({c.n for c in answer.citations}) <= limits.max_citations + limits.max_checklist_citations
    assert "**" not in answer.answer and not re.search(r"(^|\n)\s*- ", answer.answer)
    assert not re.search(r"(^|[.!?]\s+)(Its|This|These|Those|They)\b", answer.answer.split("[", 1)[0])
    for c in answer.citations:
        assert "[S" not in c.quote and not c.quote.lstrip().startswith("|")


def test_table_row_answers_as_a_sentence(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("How much did Thailand mine in 2024?")
    assert "13,000" in answer.answer.split("[1]")[0], answer.answer


def test_row_sentence_labels_cells_by_header_and_puts_the_asked_year_first() -> None:
    text = "| Country | 2023 (t REO) | 2024 (t REO) |\n|---|---|---|\n| Thailand | 3,600 | 13,000 |\n"
    assert row_sentence("| Thailand | 3,600 | 13,000 |", text, [2024]) == \
        "Thailand: 13,000 t REO in 2024; 3,600 t REO in 2023"


def test_a_cell_reads_with_its_column_unit_and_year() -> None:
    assert _cell("2024 (t REO)", "13,000") == "13,000 t REO in 2024"
    assert _cell("2022 (MCS 2024)", "12,000") == "2022 (MCS 2024): 12,000"  # an edition, not a unit
    assert _cell("Note", "estimated") == "Note: estimated"


@pytest.mark.parametrize(("question", "first", "second"), [
    ("Who mined more rare earths in 2024, Myanmar or Australia?", "31,000", "13,000"),
    ("How much did Australia and Myanmar mine in 2024?", "31,000", "13,000"),
    ("Nigeria, Thailand and Madagascar - which of them produced the most rare earths in 2024?", "13,000", "2,000"),
])
def test_figures_for_several_countries_come_side_by_side_from_one_table(corpus_assistant, question: str,
                                                                       first: str, second: str) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask(question)
    lead = answer.answer.split("\n\n")[0]
    assert answer.checklist is None and first in lead and second in lead, answer.answer
    assert lead.index(first) < lead.rindex(second) and lead.count("[") >= 2  # largest first, each row cited
    cited = {c.n: c for c in answer.citations}
    for n in re.findall(r"\[(\d+)\]", lead):
        assert cited[int(n)].doc_id == "data/world-mine-production-2024.md"


def test_without_a_year_the_latest_column_is_compared(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    lead = corpus_assistant.ask("How much rare earth do Vietnam and India hold in reserves?").answer.split("\n\n")[0]
    # Vietnam's reserves were cut to 3.5 Mt in MCS 2025, below India's 6.9 Mt; older editions had 22 Mt.
    assert "MCS 2025" in lead and lead.index("India") < lead.index("Vietnam") and "3,500,000" in lead, lead


@pytest.mark.parametrize("question", ["What share of world separation does China hold?",
                                      "How much separation capacity does Malaysia have?",
                                      "What percentage of the world's magnets does Japan make?"])
def test_a_question_for_an_amount_about_a_country_gets_figures_not_a_verdict(corpus_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    assert corpus_assistant._reader().understand(question).type == "numeric"
    answer = corpus_assistant.ask(question)
    assert answer.answerable and answer.checklist is None and re.search(r"\d", answer.answer), answer.answer


@pytest.mark.parametrize("question", ["Does Germany recycle magnets?", "Can Germany recycle rare-earth magnets?"])
def test_a_recycling_verdict_rests_on_recycling_not_on_deposits(corpus_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask(question)
    cl = answer.checklist
    assert cl is not None and cl.target == "recycling"
    recycling = next(r for r in cl.stages if r.stage == "recycling")
    assert cl.binding_gap in (None, "recycling") and [s.stage for s in cl.next_steps] in ([], ["recycling"])
    assert "deposit stage" not in answer.answer and "recycling stage itself" in answer.answer, answer.answer
    assert (cl.verdict == "yes") == (recycling.status == "at_scale")


@pytest.mark.parametrize(("question", "primer"), [
    ('What does "cracking" mean in rare-earth processing?', "primers/cracking.md"),
    ("What is solvent-extraction separation?", "primers/separation.md"),
    ("Explain how rare-earth metal is made from oxide", "primers/metal.md"),
])
def test_what_a_stage_is_is_answered_from_its_primer(corpus_assistant, question: str, primer: str) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask(question)
    assert answer.answerable and primer in [c.doc_id for c in answer.citations[:3]], answer.answer


def test_plain_drops_markers_emphasis_bullets_and_pipes() -> None:
    assert plain("- **Japan.** Lynas supplies it [S8].") == "Japan: Lynas supplies it."
    assert plain("| deposit | emerging | none [S1] |") == "deposit; emerging; none"


def test_near_duplicates_are_dropped() -> None:
    from assistant.answer.answering import Candidate

    def cand(text: str, score: float) -> Candidate:
        from assistant.answer.citations import terms

        return Candidate(score, 0, text, text, None, frozenset(terms(text)))  # type: ignore[arg-type]

    a = cand("NPM Silmet at Sillamae runs a separation plant of about 3,000 t/yr.", 10)
    b = cand("NPM Silmet at Sillamae operates a separation plant of about 3,000 t/yr, the only one in Europe.", 9)
    c = cand("Neo Performance Materials opened a magnet plant at Narva in 2025.", 5)
    assert [x.sent for x in select([a, b, c], 3)] == [a.sent, c.sent]


def test_according_to_a_publisher_says_when_none_of_its_documents_is_indexed(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("According to the Financial Times, what share of refining does China hold?")
    assert answer.answerable
    assert any("Financial Times" in n and "itself is indexed" in n for n in answer.notices), answer.notices


def test_ingested_primary_source_is_preferred(tmp_path: Path, model_cache: Path) -> None:
    """With the USGS PDF ingested beside a note that restates it, "according to the USGS" cites the PDF."""
    import hashlib
    import shutil

    from conftest import SHARED, _share_models, make_settings

    from assistant.core import Assistant

    corpus = tmp_path / "corpus"
    (corpus / "data").mkdir(parents=True)
    shutil.copy(ROOT / "corpus" / "data" / "world-mine-production-2024.md", corpus / "data")
    shutil.copy(next((SHARED / "data" / "usgs").glob("*rare*earth*.pdf")), corpus / "mcs2025-rare-earths.pdf")
    indexes = tmp_path / "indexes"
    _share_models(indexes, model_cache)
    # The PDF says it is the USGS's; it is the USGS's primary source because its checksum is vouched for.
    checksum = hashlib.sha256((corpus / "mcs2025-rare-earths.pdf").read_bytes()).hexdigest()
    assistant = Assistant(make_settings(corpus, indexes, primary_sources={checksum: "U.S. Geological Survey"}))
    assistant.index()
    answer = assistant.ask("According to the USGS, how much rare earth did Burma mine in 2024?")
    assert answer.citations[0].doc_id == "mcs2025-rare-earths.pdf", [c.doc_id for c in answer.citations]
    assert answer.citations[0].publisher == "U.S. Geological Survey"


# --- rules added with the second held-out set (corpus/eval/fresh2.yaml) ------------------------------------------

@pytest.mark.parametrize("question", ["Will China lift the April 2025 export controls next year?",
                                      "Is Beijing likely to drop Announcement No. 18 soon?",
                                      "According to Rare Earth Exchanges, why is Kazakhstan not a quick fix?"])
def test_a_question_about_a_named_policy_or_source_without_a_stage_gets_no_verdict(corpus_assistant,  # type: ignore[no-untyped-def]
                                                                                   question: str) -> None:
    answer = corpus_assistant.ask(question)
    assert answer.answerable and answer.checklist is None, answer.answer
    assert not re.match(r"(Yes|No|Partly)\b", answer.answer), answer.answer


@pytest.mark.parametrize("question", ["Which countries have separation plants outside China?",
                                      "What nations apart from China can make magnets?"])
def test_which_countries_asks_for_a_set_not_a_verdict_on_the_one_named(corpus_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    from assistant.knowledge.taxonomy import find_countries

    answer = corpus_assistant.ask(question)
    assert answer.answerable and answer.checklist is None, answer.answer
    assert len(set(find_countries(answer.answer)) - {"china"}) >= 2, answer.answer


@pytest.mark.parametrize("question", ["What targets does the EU's CRMA set for 2030?",
                                      "What are the Critical Raw Materials Act benchmarks?"])
def test_a_sentence_that_introduces_a_table_is_shown_with_it(corpus_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask(question)
    assert all(f in answer.answer for f in ("10%", "40%", "25%", "65%")), answer.answer


def test_introduced_reads_a_list_or_table_after_a_colon() -> None:
    from assistant.answer.rows import _introduced

    table = ("Intro text.\nThe plan has three parts [S1]:\n\n| Part | Size |\n|---|---|\n| A | 1 t |\n| B | 2 t |\n"
             "\nAfter.")
    span, shown = _introduced(table, "The plan has three parts [S1]:")  # type: ignore[misc]
    assert span.endswith("| B | 2 t |") and shown == "The plan has three parts: A, 1 t; B, 2 t."
    bullets = "It needs:\n- **money**\n- time\nNext paragraph."
    assert _introduced(bullets, "It needs:") == ("It needs:\n- **money**\n- time", "It needs: money; time.")
    assert _introduced("It needs:\nno list here.", "It needs:") is None


@pytest.mark.parametrize("question", ["Name the seven medium and heavy rare earths China controlled in April 2025",
                                      "Which rare earths fall under China's April 2025 export licensing?"])
def test_asked_which_elements_the_sentence_naming_them_is_given(corpus_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask(question)
    assert all(e in answer.answer.lower() for e in ("samarium", "lutetium", "yttrium")), answer.answer


def test_members_asked_needs_an_interrogative_and_a_plural_noun() -> None:
    from assistant.understand.query import members_asked

    assert members_asked("Which seven rare earths are controlled?") == "earths"
    assert members_asked("What countries mine rare earths?") == "countries"
    assert members_asked("What does Lynas do?") is None and members_asked("What is NdPr?") is None
    assert members_asked("Can Japan make magnets?") is None


def test_a_stage_is_named_by_any_inflection_of_its_words() -> None:
    from assistant.knowledge.taxonomy import find_stages

    assert find_stages("Does it produce separated heavy rare earths?") == ["separation"]
    assert find_stages("Who refined it, and where was it mined?") == ["mining", "separation"]
    assert find_stages("the recyclers and magnet makers") == ["magnet", "recycling"]
    assert find_stages("Why is market concentration a risk?") == []


@pytest.mark.parametrize("question", ["Why do people keep calling dysprosium and terbium the real chokepoint?",
                                      "why does everyone say terbium is the real problem"])
def test_a_question_naming_elements_is_answered_whatever_its_everyday_wording(corpus_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask(question)
    assert answer.answerable and answer.citations, answer.answer


def test_of_several_names_the_most_specific_is_what_is_asked_about(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("What was MOFCOM's Announcement No. 70 about?")
    assert answer.answer.startswith("Announcement No. 70") and "10 November 2026" in answer.answer, answer.answer


def test_a_future_value_leads_with_a_dated_figure_not_a_definition(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("What will NdPr oxide be trading at in 2030?")
    lead = answer.answer.split(". ")[0]
    assert re.search(r"\d", lead) and re.search(r"20\d\d", lead) and "do not forecast" in answer.answer, answer.answer


def test_a_status_row_reads_with_its_country_and_the_status_as_written_everywhere() -> None:
    text = "| Stage | Status | Detail |\n|---|---|---|\n| mining | at_scale | Mine A [S1] |"
    assert row_sentence("| mining | at_scale | Mine A [S1] |", text, [], about="Greenland") == \
        "Greenland, mining: Status: at scale; Detail: Mine A"
    rows = "| Country | 2024 |\n|---|---|\n| Thailand | 13,000 |"
    assert row_sentence("| Thailand | 13,000 |", rows, [], about="Greenland").startswith("Thailand:")  # type: ignore[union-attr]


def test_an_entity_summary_drawn_from_several_sections_is_cited_to_all_of_them(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    from assistant.evaluation import unsupported

    answer = corpus_assistant.ask("What is Lofdal?")
    lead = answer.answer.split("\n\n")[0]
    assert "JOGMEC" in lead and "Kunene" in lead, lead
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", lead)}
    quotes = " ".join(c.quote for i, c in enumerate(answer.citations, 1) if i in cited)
    assert not unsupported(lead, quotes), (lead, quotes)


@pytest.mark.parametrize(("question", "name"), [("What is Stepnogorsk?", "SARECO"), ("What is Codemge?", "SENAI")])
def test_an_entity_summary_is_cited_to_a_sentence_for_each_name_it_gives(corpus_assistant, question: str,  # type: ignore[no-untyped-def]
                                                                         name: str) -> None:
    """A name written in capitals ("SARECO") is a name the summary gives, which its citations must hold."""
    answer = corpus_assistant.ask(question)
    lead = answer.answer.split("\n\n")[0]
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", lead)}
    assert name in lead and name in " ".join(c.quote for c in answer.citations if c.n in cited), answer.answer


@pytest.mark.parametrize(("question", "developer"), [
    ("Who is developing Lofdal in Namibia?", "Namibia Critical Metals"),
    ("Who runs the Kalgoorlie plant in Australia?", "Lynas"),
])
def test_who_about_a_named_deposit_or_plant_is_answered_by_who_is_behind_it(corpus_assistant, question: str,  # type: ignore[no-untyped-def]
                                                                             developer: str) -> None:
    answer = corpus_assistant.ask(question)
    assert answer.checklist is None and developer in answer.answer.split("\n\n")[0], answer.answer


@pytest.mark.parametrize(("question", "figure"), [("How big is the REEtec separation plant in Norway?", "720"),
                                                  ("What annual capacity was Kazakhstan's SARECO plant meant to have?",
                                                   "1,500"),
                                                  # an agency that runs a plant has figures too
                                                  ("What tonnage of metal did the Saskatchewan Research Council "
                                                   "produce in 2025?", "100 t")])
def test_a_figure_about_a_named_plant_is_read_from_every_passage_of_its_document(corpus_assistant, question: str,  # type: ignore[no-untyped-def]
                                                                                 figure: str) -> None:
    answer = corpus_assistant.ask(question)
    assert figure in answer.answer, answer.answer


@pytest.mark.parametrize(("text", "country"), [("can the brazilians separate?", "brazil"),
                                               ("what are the south koreans missing", "south_korea"),
                                               ("do Kazakhstanis mine rare earths", "kazakhstan")])
def test_a_people_is_named_in_the_plural_too(text: str, country: str) -> None:
    from assistant.knowledge.taxonomy import find_countries

    assert find_countries(text) == [country]


@pytest.mark.parametrize(("question", "countries", "kind"), [
    ("Can Japan make magnets without China?", ["japan"], "capability"),
    ("can the brazilians separate their own rare earths or does it all go to china", ["brazil"], "capability"),
    ("Can Japan and Korea make magnets without China?", ["japan", "south_korea"], "comparison"),
    ("How does Japan compare to China?", ["japan", "china"], "comparison"),
    ("Does Vietnam depend on Chinese processing?", ["vietnam"], "capability"),
    ("Can Korea and Japan make magnets?", ["south_korea", "japan"], "comparison"),
    ("Is Chinese separation capacity bigger than Japan's?", ["china", "japan"], "comparison"),
    ("What became of Brazil's rare-earth mining in 2024?", ["brazil"], None),  # a possessive owns, never places
])
def test_a_country_that_only_places_the_question_is_not_asked_about(corpus_assistant, question: str,  # type: ignore[no-untyped-def]
                                                                    countries: list[str], kind: str) -> None:
    intent = corpus_assistant._reader().understand(question)
    assert intent.countries == countries and intent.type == (kind or intent.type), (intent.countries, intent.type)


@pytest.mark.parametrize("question", ["How long did China's 2010 embargo on Japan last?",
                                      "When did Estonia start making magnets?",
                                      "since when has china dominated separation"])
def test_a_question_for_a_time_gets_no_verdict(corpus_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask(question)
    assert answer.answerable and answer.checklist is None, answer.answer
    assert re.search(r"\b(19|20)\d\d\b", answer.answer), answer.answer


@pytest.mark.parametrize("question", ["USGS versus IEA: why do their figures for China's mining share differ?",
                                      "NdFeB vs SmCo magnets for high temperatures"])
def test_two_named_things_compared_are_not_a_country_verdict(corpus_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask(question)
    assert answer.answerable and answer.checklist is None, answer.answer


@pytest.mark.parametrize("question", ["difference between a resource and a reserve",
                                      "What's the difference between a mineral resource and an ore reserve?"])
def test_the_difference_between_two_terms_leads_with_a_definition(corpus_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    lead = re.sub(r"\s*\[\d+\]", "", corpus_assistant.ask(question).answer.split(". ")[0])
    assert re.search(r"\b(reserve|resource)s?\b.*\b(is|are)\b", lead, re.I) and not re.search(r"\d", lead), lead


@pytest.mark.parametrize("question", ["Does India export rare earths?",
                                      "Did Japan restrict rare-earth imports from China?"])
def test_a_yes_no_question_about_trade_or_policy_gets_no_verdict(corpus_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    intent = corpus_assistant._reader().understand(question)
    assert intent.type not in ("capability", "comparison"), intent.scores


@pytest.mark.parametrize(("turns", "kind"), [
    (["Can Kazakhstan make magnets?", "What is solvent extraction and why is it hard?"], "explanation"),
    (["Can Kazakhstan make magnets?", "Why is it so hard to separate rare earths?"], "explanation"),
    (["Can Japan make magnets?", "How is a rare-earth deposit turned into concentrate, and what does it cost?"],
     None),
    # an earlier part names what a later part's pronoun stands for, by a word general English rarely uses
    (["Does Estonia separate rare earths?", "Explain strip casting, and why do alloy makers rely on it?"], None),
    # "does it (usually) take" stands for what follows
    (["Who owns Tanbreez?", "How long does it usually take to build a separation plant?"], None),
    # the "it" of a cleft stands for the clause after "that"
    (["Can Brazil make magnets?", "What is it that makes an ore reserve different from a resource?"], None),
    (["Can Chile make magnets?", "What is it about samarium-cobalt magnets that makes armies prize them?"], None),
])
def test_a_question_complete_on_its_own_is_a_new_question(corpus_assistant, turns: list[str],
                                                          kind: str | None) -> None:  # type: ignore[no-untyped-def]
    """A topic switch is answered as itself: a pronoun whose antecedent is in the question (or the "it" of "is it
    hard to…") does not make a follow-up."""
    conv = "switch-" + re.sub(r"\W+", "-", turns[-1])[:40]
    corpus_assistant.ask(turns[0], conversation_id=conv)
    answer = corpus_assistant.ask(turns[1], conversation_id=conv)
    assert answer.answerable and answer.resolved_question is None, answer.resolved_question
    assert answer.checklist is None, "a country's checklist for a question that names no country"
    intent, resolved = corpus_assistant._reader().resolve(turns[1], corpus_assistant._reader().understand(turns[0]))
    assert resolved == turns[1] and not intent.followup and not intent.countries
    if kind:
        assert intent.type == kind


@pytest.mark.parametrize(("turns", "says", "not_says"), [
    # "there" stands for a place, which an adjective of nationality is not
    (["What is Caremag building at Lacq?", "Who is the Japanese investor there?"], "Lacq", None),
    # a demonstrative before a noun of kind is the thing named; before another noun, it owns that noun
    (["What is Caremag building at Lacq?", "How much did that plant cost?"], "Caremag's plant", "that"),
    (["Who owns the Saltend refinery?", "Why was that plant dropped?"], "Saltend", "that"),
    # "it" stands for an organisation where the turn before named no country
    (["What does the Saskatchewan Research Council do with rare earths?", "How much metal did it make?"],
     "Saskatchewan Research Council", " it "),
])
def test_a_pronoun_or_demonstrative_takes_the_thing_it_agrees_with(corpus_assistant, turns: list[str], says: str,
                                                                  not_says: str | None) -> None:  # type: ignore[no-untyped-def]
    reader = corpus_assistant._reader()
    intent, resolved = reader.resolve(turns[1], reader.understand(turns[0]))
    assert intent.followup and says in resolved, resolved
    assert not_says is None or not_says not in f" {resolved} ", resolved


@pytest.mark.parametrize(("turns", "says", "asked"), [
    # after a question of fact, a pronoun may stand for what its answer said: the question is read beside it
    (["How many tonnes of rare earths did China mine in 2024?", "What fraction of global output does that make?"],
     "China", "fraction"),
    (["Who runs the rare earth mines of Kachin State?", "and how much do they levy per tonne these days?"],
     "Kachin", "levy"),
    # after a verdict, the pronoun is the country, also where the question names another after it
    (["Is Kazakhstan mining rare earths?", "Did it sign a deal with the United States?"], "Kazakhstan", "deal"),
    (["Can Japan produce rare-earth magnets?", "Where does it buy its heavy rare earths?"], "Japan", "buy"),
    # "the" and a kind of thing ("the concentrate") is the thing the conversation is about
    (["What is Lindian doing in Malawi?", "who buys the concentrate?"], "Lindian", "buys"),
])
def test_a_follow_up_keeps_what_it_asks(corpus_assistant, turns: list[str], says: str, asked: str) -> None:  # type: ignore[no-untyped-def]
    """A whole question that needs the conversation is read with what the conversation named and keeps its own
    words; it is not replaced by the question before it."""
    reader = corpus_assistant._reader()
    intent, resolved = reader.resolve(turns[1], reader.understand(turns[0]))
    assert intent.followup and says in resolved and asked in resolved, resolved


def test_a_verdict_names_the_stages_a_country_lacks(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """"None of the stages after it" says which: a deposit is not a supply chain, and the reader sees why."""
    lead = corpus_assistant.ask("Is Kazakhstan able to produce NdFeB magnets?").answer.split("\n\n")[0]
    assert "none of the stages after it (mining," in lead and "separation" in lead, lead


def test_countries_compared_in_the_chain_are_compared_stage_by_stage(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """A figure mentioned on the way ("one has big reserves") does not make a comparison of chains a ranking."""
    answer = corpus_assistant.ask("Brazil versus Vietnam: one has big reserves and one makes magnets; compare their "
                                  "places in the chain")
    assert answer.query is None and isinstance(answer.checklist, list) and len(answer.checklist) == 2


def test_a_comparison_of_countries_gives_a_point_about_each(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("Germany vs France: who is closer to making magnets?")
    points = answer.answer.split("\n\n")[-1]
    cited = {c.doc_id for c in answer.citations if f"[{c.n}]" in points}
    assert {"profiles/germany.md", "profiles/france.md"} <= cited, (cited, points)


def test_a_participle_before_an_infinitive_is_phrasing_not_a_subject(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """"supposed to open" phrases the question; no document using "supposed" does not make it unanswerable."""
    conv = "participle"
    corpus_assistant.ask("What has Turkey found at Beylikova?", conversation_id=conv)
    answer = corpus_assistant.ask("and when is the industrial plant supposed to open?", conversation_id=conv)
    assert answer.answerable and "2027" in answer.answer, answer.answer


def test_what_a_countrys_thing_is_is_not_a_verdict(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """"What is India's new rare earth magnet scheme?" asks what the scheme is, not whether India makes magnets."""
    answer = corpus_assistant.ask("What is India's new rare earth magnet scheme?")
    assert answer.checklist is None and "7,280" in answer.answer, answer.answer


def test_a_demonstrative_subject_after_an_auxiliary_is_a_statement_not_a_thing(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """"When did that start?" asks about what the turn before said: it takes the rest from that turn."""
    reader = corpus_assistant._reader()
    intent, resolved = reader.resolve("When did that start?", reader.understand("Does Malaysia separate heavy rare "
                                                                                 "earths?"))
    assert intent.followup and intent.countries == ["malaysia"] and "that" not in resolved.split(), resolved


def test_a_question_of_several_parts_gets_a_sentence_for_each(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """Each part of "Who owns X, and what does it aim to produce?" is answered, not only the first."""
    from assistant.understand.grammar import question_parts

    assert question_parts("Who owns Tanbreez, and when does mining start? I read it was delayed.") == [
        "Who owns Tanbreez", "when does mining start?", "I read it was delayed."]
    assert question_parts("What did MOFCOM Announcement No. 70 do?") == ["What did MOFCOM Announcement No. 70 do?"]
    assert question_parts("Which firms mine and separate rare earths?") == ["Which firms mine and separate rare "
                                                                             "earths?"]
    answer = corpus_assistant.ask("Who owns Khalzan Buregtei, and what does it aim to produce by 2028?")
    assert "Trade and Development Bank" in answer.answer and "mixed rare-earth oxides" in answer.answer, answer.answer


def test_a_pronoun_is_resolved_to_the_last_thing_named(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = None
    for turn in ("Can Malawi separate rare earths?", "Where does its concentrate go?"):
        answer = corpus_assistant.ask(turn, conversation_id="pronoun-malawi")
    assert answer is not None and answer.resolved_question == "Where does Malawi's concentrate go?"
    assert answer.citations and answer.citations[0].doc_id.endswith("malawi.md")


def test_a_question_that_carries_on_and_names_its_subject_keeps_it(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """"So where does Songwe's product go?" after a Malawi question is asked about Songwe, not Malawi's
    separation again, and is read among Malawi's documents (Songwe Hill is in Malawi)."""
    corpus_assistant.ask("Can Malawi separate rare earths?", conversation_id="songwe")
    answer = corpus_assistant.ask("So where does Songwe's product go?", conversation_id="songwe")
    assert answer.answerable and answer.resolved_question is None and answer.checklist is None
    assert "Songwe" in answer.answer
    assert answer.citations[0].doc_id == "profiles/malawi.md", [c.doc_id for c in answer.citations]


def test_songwe_product_goes_to_poland(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """The sentence that says Mkango will separate Songwe's carbonate in Poland names Songwe: read because it names
    the thing asked about, it is in the answer (issue 20 part 3; an expected failure until round 10)."""
    corpus_assistant.ask("Can Malawi separate rare earths?", conversation_id="songwe-poland")
    answer = corpus_assistant.ask("So where does Songwe's product go?", conversation_id="songwe-poland")
    assert "Poland" in answer.answer, answer.answer


@pytest.mark.parametrize(("question", "country"), [
    ("Can Japn make neodymium magnets?", "japan"), ("does japn make magnets", "japan"),
    ("Can Chad mine rare earths?", "chad"), ("Does Peru have rare-earth deposits?", "peru"),
])
def test_a_four_letter_typo_of_a_country_is_read_as_the_country(question: str, country: str) -> None:
    names = NameIndex(load_entities(ROOT / "corpus" / "entities.yaml"))
    assert names.find(question, known_word=lambda w: False).countries == [country]


@pytest.mark.parametrize("question", ["What is the main stage?", "Is that plan open?", "What does a mine cost?",
                                      "Is iron ore a rare earth?"])
def test_an_english_word_is_never_read_as_a_misspelt_country(question: str) -> None:
    """'main', 'plan', 'mine', 'iron' are close to Mali, Iran… but general English uses them (word frequencies)."""
    names = NameIndex(load_entities(ROOT / "corpus" / "entities.yaml"))
    found = names.find(question, known_word=lambda w: False)
    assert not found.countries and not found.corrected, found


def test_a_misspelt_country_keeps_its_checklist(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("Can Japn make neodymium magnets?")
    assert answer.answerable and answer.checklists() and answer.checklists()[0].country == "Japan"


def test_wording_is_measured_not_listed() -> None:
    """The words that phrase a question are the ones general English uses commonly; a stage or element word and a
    rare word are what it asks about."""
    from assistant.answer.answering import wording
    from assistant.answer.citations import terms

    q = "Does the US guarantee a price floor for NdPr oxide made by MP Materials, and who will separate it?"
    subject = terms(q) - wording(q)
    assert {"ndpr", "oxid", "separ"} <= subject
    assert not subject & terms("does the guarantee a price for made by and who will")


def test_a_question_in_general_words_is_answered_not_refused(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """Its subject ("project", "production") is general English, not a word fitted to a list: the mining primer's
    16-year average answers it."""
    answer = corpus_assistant.ask("How long does it usually take to bring a new rare earth project into production?")
    assert answer.answerable and "16 years" in answer.answer, answer.answer


def test_the_verdict_says_what_exists_and_what_is_missing(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """For every profiled country, the verdict sentence on magnets names each stage of the chain that exists (at
    scale, emerging or planned) with its status in words, and a chain with missing stages says what is missing."""
    from assistant.answer.leads import _scope

    for key in sorted(p.stem for p in (ROOT / "corpus" / "value_chain").glob("*.yaml")):
        answer = corpus_assistant.gaps(key)
        cl = answer.checklists()[0]
        if cl.verdict == "yes" or cl.binding_gap is None:
            continue
        verdict = answer.answer.split("\n\n")[0].split(". ")[0]
        scope = _scope(cl)
        present = [r for r in scope if r.status in ("at_scale", "emerging", "planned")]
        for r in present:
            assert f"{r.stage} ({r.label.removeprefix(r.stage + ', ')}" in verdict, (key, verdict)
        if not present:
            assert "none of the stages" in verdict, (key, verdict)
        elif len(present) < len(scope):
            assert "none of the stages after" in verdict or "missing:" in verdict, (key, verdict)


def test_cached_example_vectors_are_found_without_masking_again(tmp_path: Path) -> None:
    """With a mask key, a second start reads the examples' vectors from the cache and masks none of them; a
    changed key (another registry, other masking code) embeds them again."""
    import numpy as np

    from assistant.understand.intent import IntentClassifier

    examples = [("Can Japan make magnets?", "capability"), ("Who won the cup?", "out_of_scope")]
    masked: list[str] = []

    def mask(text: str) -> str:
        masked.append(text)
        return text.replace("Japan", "Country")

    def embed(texts: list[str]) -> np.ndarray:
        return np.array([[len(t), t.count("a") + 1.0, 1.0] for t in texts], dtype=np.float32)

    first = IntentClassifier(examples, embed, mask, cache=tmp_path, mask_key="k1")
    assert len(masked) == 2
    masked.clear()
    again = IntentClassifier(examples, embed, mask, cache=tmp_path, mask_key="k1")
    assert masked == [] and np.allclose(first.vectors, again.vectors)
    IntentClassifier(examples, embed, mask, cache=tmp_path, mask_key="k2")
    assert len(masked) == 2


@pytest.mark.parametrize("turns", [
    ("What is the Nolans project?", "When is it scheduled to start production?"),
    ("Tell me about the Narva magnet plant.", "Is it expected to expand?"),
])
def test_the_it_of_a_raising_participle_points_back(corpus_assistant, turns: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    """"Is it expected to…" is about the thing named before ("it" is expected), unlike the "it" of "is it hard
    to…", which stands for the clause that follows."""
    conv = f"raised-{turns[0]}"
    corpus_assistant.ask(turns[0], conversation_id=conv)
    answer = corpus_assistant.ask(turns[1], conversation_id=conv)
    assert answer.answerable and answer.citations
    named = turns[0].split("the ")[-1].split(" project")[0].split(" magnet")[0].rstrip("?.")
    assert named.lower() in (answer.answer + " ".join(c.quote for c in answer.citations)).lower()
    fresh = corpus_assistant.read("Is it hard to separate terbium from dysprosium?", conv)
    assert not fresh.intent.followup and named.lower() not in fresh.resolved.lower()


@pytest.mark.parametrize("question", [
    "What's dysprosium oxide trading at today?",
    "live terbium oxide price please",
    "What is the spot price for NdPr oxide this week?",
])
def test_a_price_at_this_moment_is_a_live_quote_no_document_holds(corpus_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask(question)
    assert not answer.answerable and answer.refusal == "off_subject"
    assert "live market prices" in answer.answer


def test_a_dated_price_is_answered(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("What was the spot price of dysprosium oxide in 2024?")
    assert answer.answerable and answer.citations


@pytest.mark.parametrize(("turns", "names"), [
    (["What is the Kangankunde project?", "Who is building it?"], ["Kangankunde"]),
    (["Tell me about Iluka's Eneabba refinery.", "When do they expect to finish it?"], ["Iluka", "Eneabba"]),
    (["What does Lynas do in Malaysia?", "how much do they produce there"], ["Lynas", "Malaysia"]),
])
def test_each_pronoun_takes_the_last_thing_named_that_it_agrees_with(corpus_assistant, turns: list[str],
                                                                      names: list[str]) -> None:  # type: ignore[no-untyped-def]
    """'it' stands for a plant, mine or project (else a company), 'they' for a company or agency, 'there' for a
    place: the turn is read with the names in the pronouns' places, and keeps what it asks."""
    conv = "agree-" + re.sub(r"\W+", "-", turns[0])[:40]
    corpus_assistant.ask(turns[0], conversation_id=conv)
    answer = corpus_assistant.ask(turns[1], conversation_id=conv)
    resolved = answer.resolved_question or ""
    assert all(n.lower() in resolved.lower() for n in names), resolved
    assert not re.search(r"\b(it|they|there)\b", resolved, re.I), resolved
    asked = turns[1].split()[0].lower()
    assert resolved.lower().startswith(asked), resolved  # what the turn asks is kept, not the previous question


def test_a_pronoun_for_a_figure_takes_the_rest_from_the_previous_turn(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """'it' after a question about a country's figure stands for the figure, not for anything named: the turn is
    read with the previous turn's subject rather than with a name in the pronoun's place."""
    previous = corpus_assistant._reader().understand("How big are Brazil's reserves according to the USGS?")
    intent, resolved = corpus_assistant._reader().resolve("and what was it a year earlier?", previous)
    assert intent.followup and intent.countries == ["brazil"], (intent, resolved)
    # no name in the pronoun's place: the turn is read beside the previous question, or takes it whole
    assert "what was it a year earlier" in resolved or resolved.startswith("How big"), resolved
    assert "Brazil's reserves" in resolved, resolved


@pytest.mark.parametrize(("question", "stage"), [
    ("can vietnam seperate rare earths?", "separation"),
    ("Does Germany have any magnet recyling?", "recycling"),
    ("is brazil refinning its own ore", "separation"),
])
def test_a_misspelt_stage_word_is_read_as_the_stage(corpus_assistant, question: str, stage: str) -> None:  # type: ignore[no-untyped-def]
    """A word general English does not use, a letter or two off a stage word, is that word."""
    intent = corpus_assistant._reader().understand(question)
    assert stage in intent.stages and intent.corrected, (intent.stages, intent.corrected)


def test_an_english_word_is_never_read_as_a_misspelt_stage(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    intent = corpus_assistant._reader().understand("Is a desperate rush for minerals sensible?")
    assert not intent.stages and not intent.corrected, (intent.stages, intent.corrected)


@pytest.mark.parametrize(("question", "says"), [
    ("How much will terbium oxide cost in 2064?", "not forecasts"),
    ("What was the world's rare-earth output in 1961?", "No document gives anything for 1961"),
])
def test_a_year_no_document_mentions_is_refused_with_that_reason(corpus_assistant, question: str,
                                                                 says: str) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask(question)
    assert not answer.answerable and answer.refusal == "weak_evidence" and says in answer.answer, answer.answer


@pytest.mark.parametrize("question", ["any breaking rare-earth headlines this morning?",
                                      "What is the news on rare earths right now?"])
def test_live_news_is_out_of_scope(corpus_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask(question)
    assert not answer.answerable and answer.refusal == "off_subject" and "live news" in answer.answer


def test_the_latest_developments_the_documents_report_are_answered(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("What is the latest news on Lynas?")
    assert answer.answerable and answer.citations, answer.answer


@pytest.mark.parametrize("question", ["who was Karl Strnat", "Who is Gracelin Baskaran?"])
def test_a_question_about_someone_the_documents_name_is_answered(corpus_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    """Every name known to the documents and a passage naming them all: answered, however far the wording."""
    answer = corpus_assistant.ask(question)
    assert answer.answerable and answer.citations, answer.answer
    last = question.rstrip("?").split()[-1]
    assert last in answer.answer and last in answer.citations[0].quote


def test_a_pronoun_after_a_who_question_stands_for_the_name_answered(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """'Which company runs X?' is answered with a name; 'they' in the next turn stands for it."""
    conv = "answered-name"
    first = corpus_assistant.ask("Which company runs the Tsuruga metal plant?", conversation_id=conv)
    answer = corpus_assistant.ask("where else do they operate?", conversation_id=conv)
    resolved = answer.resolved_question or ""
    assert resolved.startswith("where else do ") and " they " not in f" {resolved} ", resolved
    name = resolved.removeprefix("where else do ").removesuffix(" operate?")
    assert name and name.split()[0] in first.answer.split(". ")[0], (name, first.answer[:200])


@pytest.mark.parametrize("question", ["Is there rare-earth separation in Estonia?", "can vietnam make ndfeb magnets"])
def test_a_verdict_says_what_is_at_the_target_stage_clause_by_cited_clause(corpus_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    """The target stage's record, each clause shown only with a sentence of its evidence that holds every figure
    and name in it."""
    answer = corpus_assistant.ask(question)
    cl = answer.checklists()[0]
    row = next(r for r in cl.stages if r.stage == cl.target)
    assert row.detail_cited and row.detail_cited in answer.answer, (row.detail_cited, answer.answer)
    for clause in row.detail_cited.split("; "):
        n = int(re.search(r"\[(\d+)\]$", clause).group(1))  # type: ignore[union-attr]
        quote = answer.citations[n - 1].quote.replace(",", "")
        for figure in re.findall(r"\d[\d,.]*\d|\d", clause.rsplit("[", 1)[0]):
            assert figure.replace(",", "") in quote, (figure, quote)


def test_a_magnet_type_named_one_way_finds_sentences_that_name_it_another(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """'NdFeB', 'neodymium magnet' and 'Nd2Fe14B' are one thing: a sentence using any of them holds the word."""
    answer = corpus_assistant.ask("By weight, how much of an NdFeB magnet is rare earths?")
    assert re.search(r"29\.0-32\.5|28-35", answer.answer), answer.answer


@pytest.mark.parametrize("question", ["Can Japan make magnets without relying on China?",
                                      "Could Germany build NdFeB magnets without buying from China at all?"])
def test_a_country_after_without_and_a_gerund_places_the_question(corpus_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    intent = corpus_assistant._reader().understand(question)
    assert intent.type == "capability" and intent.countries and "china" not in intent.countries, intent


def test_a_pronoun_for_a_named_company_holds_with_a_country_after_it(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """'its Malaysian plant' after a question about Lynas: the country qualifies the plant, 'its' is Lynas's."""
    previous = corpus_assistant._reader().understand("Tell me about Lynas Rare Earths.")
    intent, resolved = corpus_assistant._reader().resolve("where is its Malaysian plant?", previous)
    assert intent.followup and "Lynas" in resolved and " its " not in f" {resolved} ", resolved
    # a demonstrative before a noun ("that rule") with its own subject named is a new question
    intent, resolved = corpus_assistant._reader().resolve("What's that 0.1% rule China announced in October 2025?",
                                                          previous)
    assert not intent.followup and resolved.startswith("What's that"), resolved


@pytest.mark.parametrize(("question", "word"), [
    ("What does Malaysia charge in income tax on a teacher's salary?", "teacher"),
    ("Is Estonia a good place for a skiing holiday?", "skiing"),
    ("Which airline flies to Kalgoorlie from Perth?", "airline"),
])
def test_a_question_about_what_no_document_mentions_is_refused_wherever_it_is_placed(
        corpus_assistant, question: str, word: str) -> None:  # type: ignore[no-untyped-def]
    """A known place does not bring a question into the corpus: one that names no entity, element or stage and
    no word of the domain, asking about what no document mentions, is refused with the words it could not find."""
    from assistant.answer.refusal import unused_words

    answer = corpus_assistant.ask(question)
    assert not answer.answerable, answer.answer[:200]
    assert answer.refusal != "unknown_names" or word in answer.answer.lower(), answer.answer
    # the words no document uses are found whichever rule refuses first
    assert word in unused_words(question, corpus_assistant._snapshot().keywords.knows)


@pytest.mark.parametrize("question", [
    "ok so what has Estonia got going on, folks?",
    "Just curious, who runs things at Gebeng?",
    "I'm wondering what Greenland has in the ground",
])
def test_words_that_frame_a_question_do_not_make_it_off_subject(corpus_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    """An aside before the question, a closing vocative or the words before an embedded question are framing,
    however rare: the question proper is what is judged."""
    from assistant.answer.citations import terms
    from assistant.answer.refusal import question_proper, unused_words

    known = corpus_assistant._snapshot().keywords.knows
    framing = question.replace(question_proper(question), " ")
    assert any(terms(w) and not any(known(t) for t in terms(w)) for w in framing.replace(",", " ").split()), \
        "the framing holds no word the documents do not use"
    assert unused_words(question, known) == []
    answer = corpus_assistant.ask(question)
    assert answer.answerable and answer.citations, answer.answer[:200]


def test_a_name_with_a_capital_inside_a_word_is_a_name(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """'iPhone' is a name no document holds: a product of the domain beside it does not place the question."""
    answer = corpus_assistant.ask("How much dysprosium goes into an iPad?")
    assert not answer.answerable and answer.refusal == "unknown_names" and "iPad" in answer.answer, answer.answer


def test_a_record_query_about_an_unprofiled_country_is_refused_not_answered_none(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """No profile, no records: 'zero projects' would be a finding the documents never made."""
    answer = corpus_assistant.ask("Which rare-earth mines does Bolivia operate?")
    assert not answer.answerable and answer.refusal == "unknown_names" and "Bolivia" in answer.answer, answer.answer
    profiled = corpus_assistant.ask("Which rare-earth mines does Laos have?")
    assert profiled.answerable, profiled.answer[:200]


def test_an_it_in_a_question_that_names_nothing_points_back(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """'is it expected to…', 'is it meant to…': with nothing named for the 'it' to stand for, it stands for the
    last thing the previous turn named; with a subject of its own ('is it hard to separate terbium?') it does not."""
    previous = corpus_assistant._reader().understand("Tell me about the Songwe Hill project")
    intent, resolved = corpus_assistant._reader().resolve("When is it meant to begin mining?", previous)
    assert "Songwe" in resolved and intent.followup, resolved
    intent, resolved = corpus_assistant._reader().resolve("Is it hard to separate terbium from dysprosium?", previous)
    assert "Songwe" not in resolved and not intent.followup, resolved


def test_a_point_about_an_entity_may_carry_on_from_the_sentence_naming_it(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """'Longonjo lies in Huambo… Pensana holds 84% of Ozango Minerais…': the second sentence speaks of Longonjo
    though it does not name it, so an answer about Longonjo's owners may give it."""
    answer = corpus_assistant.ask("Who owns Longonjo?")
    assert "Ozango" in answer.answer and "84%" in answer.answer, answer.answer


def test_a_question_naming_nothing_is_read_in_the_conversation_before_it_is_refused(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """'How long does the offtake run?' alone is no question the documents answer; after a turn about Kangankunde
    it is read about Kangankunde, and the answer says how it was read. An off-topic turn is still refused."""
    conv = "placed-kangankunde"
    corpus_assistant.ask("Tell me about the Kangankunde deposit", conversation_id=conv)
    answer = corpus_assistant.ask("How long does the offtake run?", conversation_id=conv)
    assert answer.answerable and "Kangankunde" in (answer.resolved_question or ""), answer.answer[:200]
    assert "Iluka" in answer.answer, answer.answer
    off = corpus_assistant.ask("Who won the 2018 Tour de France?", conversation_id=conv)
    assert not off.answerable


@pytest.mark.parametrize("question", ["what is the Japanese government stockpiling in rare earths?",
                                      "what are the US defence agencies buying in rare earths?"])
def test_a_question_about_something_in_a_country_is_no_verdict_on_its_chain(corpus_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    """A question that names no stage and does not ask whether the country does something asks about something
    else in it: it gets no capability checklist, whatever its nearest examples."""
    intent = corpus_assistant._reader().understand(question)
    assert intent.type not in ("capability", "comparison"), (intent.type, intent.scores)
    assert corpus_assistant._reader().understand("Can Japan separate rare earths?").type == "capability"


def test_a_why_question_gets_the_sentence_that_gives_the_cause(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """A sentence with a connective of cause ("pointed to … as the reason") answers "why"; without the feature
    the answer told only what happened."""
    from assistant.answer.scoring import FITTED

    assert FITTED["cause_given"] > 0
    answer = corpus_assistant.ask("Why did Pensana move its refinery plans from the UK to the US?")
    assert "purchase guarantees" in answer.answer, answer.answer


def test_a_question_about_several_named_things_gets_a_sentence_about_each(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """Ampasindava's planned oxide output (about 4,000 t a year) is said; without a sentence for each named thing
    it was left out."""
    answer = corpus_assistant.ask("On current plans, which of Makuutu, Lofdal and Ampasindava would make the most "
                                  "oxide each year?")
    assert "4,000" in answer.answer, answer.answer


def test_a_question_naming_two_years_gets_a_sentence_for_each(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("Set China's 2021 rare-earth mining quota beside its 2024 quota.")
    assert "168,000" in answer.answer and "270,000" in answer.answer, answer.answer


@pytest.mark.parametrize(("question", "name"), [
    # each word is known to the documents; the name they make is not
    ("What grade does the Round Top project report?", "Round Top"),
    # a name holding a word nobody uses, beside a capitalised word that spells a stage ("Metals")
    ("When will Hastings Technology Metals start mining at Yangibana?", "Yangibana"),
])
def test_a_name_no_document_holds_is_refused_by_that_name(corpus_assistant, question: str, name: str) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask(question)
    assert not answer.answerable and answer.refusal == "unknown_names" and name in answer.answer, answer.answer


def test_a_name_of_known_words_the_documents_hold_is_answered(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """The same rule lets a name through that the retrieved passages hold, and a publisher the claim is
    attributed to, and a month beside a country ("China's October 2025 rules") is no name of two words."""
    for question in ("Where is the Mountain Pass mine?",
                     "According to the Financial Times, how much of the world's magnets does China make?",
                     "What did China's October 2025 rules say about foreign-made magnets?"):
        answer = corpus_assistant.ask(question)
        assert answer.answerable, (question, answer.answer)


def test_a_capitalised_superlative_inside_a_sentence_is_part_of_a_name() -> None:
    from assistant.understand.grammar import asks_degree, asks_extreme

    assert not asks_extreme("How big is the Round Top deposit?")
    assert not asks_degree("Who owns the Largest Nugget claim?")
    assert asks_extreme("Which is the top producing country?") and asks_extreme("Top producing country?")


def test_a_word_english_uses_is_not_a_misspelt_name(names: NameIndex) -> None:
    """'Hastings' is a word of English, a letter or two off a registered company ("Hasetins"): it is not read as
    that company."""
    found = names.find("What does Hastings plan?", known_word=lambda w: False)
    assert not found.entities and not found.corrected


def test_a_slip_of_the_keys_on_a_common_word_is_no_subject(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    from assistant.understand.words import misspells_common

    assert misspells_common("wat", 5.0) and misspells_common("hwo", 5.0)
    assert not misspells_common("hotel", 5.0) and not misspells_common("crypto", 5.0)
    answer = corpus_assistant.ask("wat did China require licences for in April 2025?")
    assert answer.answerable and "dysprosium" in answer.answer, answer.answer


@pytest.mark.parametrize("question", ["What is Lynas trading at this afternoon?",
                                      "Any news on rare earths this morning?"])
def test_a_quote_or_news_of_this_moment_is_out_of_scope(corpus_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask(question)
    assert not answer.answerable and answer.refusal == "off_subject", answer.answer


def test_a_question_asking_for_companies_or_sites_gets_no_verdict_on_a_country(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    reader = corpus_assistant._reader()
    for question in ("Which magnet firms in Japan received state loans?", "What plants in Brazil got US money?"):
        assert reader.understand(question).type not in ("capability", "comparison"), question
    assert reader.understand("Which stages of the chain can Japan run?").type == "capability"


def test_where_a_kind_of_deposit_is_found_names_each_profile_that_discusses_it(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """A thing placed in no one country, asked for by place, is answered by the profiles that discuss it, each
    with its own cited sentence; the countries left out by a list after "besides" are all left out."""
    answer = corpus_assistant.ask("Besides China and Myanmar, which countries have ion-adsorption clay deposits?")
    line = answer.answer.split("\n\n")[0]
    assert answer.checklist is None, answer.answer
    assert all(c in line for c in ("Brazil", "Chile", "Uganda")) and "Myanmar:" not in line, line
    assert "Myanmar" not in line.split(":")[-1] and "China" not in line.split(":")[-1], line
    assert len(answer.citations) >= 3, answer.answer


def test_countries_joined_to_an_excluded_one_are_excluded_too() -> None:
    from assistant.knowledge.taxonomy import country_spans
    from assistant.understand.grammar import excluded_countries

    question = "Other than Japan, China or Vietnam, who sinters magnets?"
    spans = [(k, a) for a, _, k in country_spans(question)]
    assert excluded_countries(question, spans) == ["japan", "china", "vietnam"]
    question = "Outside China, does Brazil separate rare earths?"
    assert excluded_countries(question, [(k, a) for a, _, k in country_spans(question)]) == ["china"]


def test_a_stage_done_abroad_is_said_with_the_link_that_sends_the_material(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """Australia does not separate at scale: its Kalgoorlie carbonate goes to Lynas Malaysia, which the supply
    links state and cite; a stage run at scale at home gets no such paragraph."""
    answer = corpus_assistant.ask("Are Australia's rare earths separated in Australia?")
    abroad = answer.answer.split("\n\n")[-1]
    assert abroad.startswith("Abroad:") and "Lynas Malaysia" in abroad and re.search(r"\[\d+\]", abroad), abroad
    assert "Abroad:" not in corpus_assistant.ask("Can China separate rare earths?").answer


def test_there_after_a_which_country_question_is_the_country_answered(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    corpus_assistant.ask("Which country has the second-largest rare-earth reserves?", conversation_id="answered")
    answer = corpus_assistant.ask("Are any rare earths mined there today?", conversation_id="answered")
    assert "Brazil" in (answer.resolved_question or ""), answer.resolved_question


def test_a_demonstrative_before_a_noun_nothing_named_keeps_the_noun_in_the_same_place(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """'that pilot centre' names no registered thing of the turn before: the question keeps its own words and is
    placed in Brazil (it was read as the turn before, 'Can Brazil make magnets?', and lost what it asked)."""
    corpus_assistant.ask("Can Brazil make rare-earth magnets?", conversation_id="centre")
    answer = corpus_assistant.ask("Who funded that research centre?", conversation_id="centre")
    assert (answer.resolved_question or "").startswith("Who funded that research centre (Brazil)"), \
        answer.resolved_question


def test_a_pronoun_after_a_site_placed_in_its_country_stands_for_the_site(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    corpus_assistant.ask("Any news on Ngualla in Tanzania?", conversation_id="site-in-country")
    answer = corpus_assistant.ask("Who is going to buy its concentrate?", conversation_id="site-in-country")
    assert "Ngualla" in (answer.resolved_question or ""), answer.resolved_question


def test_a_name_no_document_holds_is_refused_beside_a_known_country(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """A country and a stage bring a checklist, but the question asks about a plant no document names: the
    checklist would answer a question it did not ask. The same question about a named plant is answered."""
    answer = corpus_assistant.ask("Has Acme Magnetics' Riverton plant in the US started making magnets?")
    assert not answer.answerable and answer.refusal == "unknown_names" and "Riverton" in answer.answer, answer.answer
    known = corpus_assistant.ask("Has Noveon's plant in the US started making magnets?")
    assert known.answerable, known.answer[:200]


@pytest.mark.parametrize(("question", "name"), [
    ("Has BHP invested in rare earths?", "BHP"),  # a name written in capitals
    ("Is BYD building a magnet plant?", "BYD"),
    ("Does Lynas sell NdPr to Mexico?", "Mexico"),  # a country no document names, beside a known company
    ("does hyproMag have a plant in Spain?", "Spain"),
    ("Which projects has Tesla funded?", "Tesla"),  # a query over the records about what no document names
    ("List the magnet plants of Glencore", "Glencore"),
])
def test_a_name_no_document_holds_is_refused_however_it_is_written_or_asked(corpus_assistant, question: str,  # type: ignore[no-untyped-def]
                                                                            name: str) -> None:
    answer = corpus_assistant.ask(question)
    assert not answer.answerable and answer.refusal == "unknown_names" and name in answer.answer, answer.answer


@pytest.mark.parametrize("question", ["Which projects has the DFC funded?", "How many tonnes of REO did the PRC mine "
                                      "in 2024?", "Can the USA make magnets?", "Does Lynas sell NdPr to Japan?"])
def test_names_in_capitals_and_known_countries_beside_a_company_are_answered(corpus_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask(question)
    assert answer.answerable, answer.answer[:200]


@pytest.mark.parametrize(("kind", "text", "silent"), [
    ("numeric", "As a result, no official 2025 output figure is available in the sources checked [1]. More [2].", True),
    ("numeric", "Our sources do not give the plant's cost [3].", True),
    # a figure in the main clause answers; the sources' silence in a later clause qualifies it
    ("numeric", "The plant cost $30 million; our sources do not say what it cost later [1].", False),
    ("numeric", "Output was 120 t in 2024, and no later figure appears in our sources [1].", False),
    ("numeric", "November 2025: the package was suspended; our sources do not say what followed [1].", False),
    # asked for anything but a figure, 'none in our sources' is a finding, not silence
    ("lookup", "No metal plant exists in Angola in our sources [1].", False),
])
def test_a_question_of_figures_answered_by_the_sources_silence_is_refused(kind: str, text: str, silent: bool) -> None:
    from assistant.answer.citations import CitationBook
    from assistant.understand.intent_model import Intent

    refusal = documents_silent(Intent(question="How much?", type=kind), text, [], CitationBook())
    assert (refusal is not None) == silent, refusal
    if refusal is not None:
        assert refusal.reason == "documents_silent" and text.split(" [")[0] in refusal.text


@pytest.mark.parametrize(("texts", "silent"), [
    (["The Kestrel plant opened in 2024 [S1]. The sources found give no capital cost for it."], True),
    # a figure for what is asked, anywhere in the passages read, answers it
    (["The Kestrel plant opened in 2024 [S1]. The sources found give no capital cost for it.",
      "Kestrel's owner put its capital cost at $40 million [S2]."], False),
    # silence about one of the words asked is a finding about it, not silence about what is asked
    (["The Kestrel plant opened in 2024 [S1]. The sources found give no cost breakdown for it."], False),
])
def test_a_passage_saying_its_sources_hold_nothing_of_what_is_asked_refuses(texts: list[str], silent: bool) -> None:
    """A sentence of the passages read that says the sources give none of what the question asks (two or more of
    its words), with no sentence giving it with a figure, refuses the question with that sentence, cited."""
    from assistant.answer.citations import CitationBook
    from assistant.types import Chunk, Passage
    from assistant.understand.intent_model import Intent

    passages = [Passage(Chunk(id=f"c{i}", doc_id=f"d{i}.md", text=t, start=0, end=len(t), section="S", page=None),
                        1.0) for i, t in enumerate(texts)]
    book = CitationBook()
    refusal = documents_silent(Intent(question="What was the Kestrel plant's capital cost?", type="lookup"),
                               "Kestrel opened in 2024 [1].", passages, book)
    assert (refusal is not None) == silent, refusal
    if refusal is not None:
        assert "no capital cost" in refusal.text and refusal.cites and book.items[0].chunk_id == "c0"


def test_a_country_inside_a_name_is_part_of_the_name(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """'the US International Development Finance Corporation' names an agency; it places nothing in the US, so the
    projects it backs abroad are found, not 'zero projects in the United States'."""
    reading = corpus_assistant.read("How many projects does the US International Development Finance Corporation "
                                    "support?", records=True)
    assert "united_states" not in reading.intent.countries
    assert reading.query is not None and not reading.query.countries, reading.query
    answer = corpus_assistant.ask("How many projects does the US International Development Finance Corporation "
                                  "support?")
    assert "Pela Ema" in answer.answer, answer.answer[:300]


def test_a_checklist_with_few_citations_cites_its_target_first(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """Side by side, each checklist has room for a few citations: they go to the target and the stages nearest
    it (what the verdict turns on), not to the deposit and the mine; with room for all, stages are cited in order."""
    from assistant.answer.citations import CitationBook

    builder = corpus_assistant._snapshot().builder
    tight = builder.build("india", "magnet", CitationBook(limit=3))
    rows = {r.stage: r for r in tight.stages}
    assert rows["magnet"].citations and rows["magnet"].facilities, rows["magnet"]
    assert not rows["deposit"].citations
    roomy = builder.build("india", "magnet", CitationBook(limit=30))
    cited = [r.citations[0] for r in roomy.stages if r.citations]
    assert cited == sorted(cited) and roomy.stages[0].citations


@pytest.mark.parametrize(("question", "kind"), [
    ("What is the Tanbreez project in Greenland?", "entity"), ("What was the SARECO plant in Kazakhstan?", "entity"),
    # a word that asks for something about it (its output, its owner) asks that, not what it is
    ("What is the output of the Tanbreez project?", "numeric"),
])
def test_what_is_a_named_thing_in_its_place_asks_what_it_is(corpus_assistant, question: str, kind: str) -> None:  # type: ignore[no-untyped-def]
    """Its kind of site and its country add nothing to the question: it is read as 'What is Tanbreez?'."""
    assert corpus_assistant.read(question).intent.type == kind


def test_a_question_about_a_named_thing_reads_every_passage_that_names_it(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """The passage that says why Kvanefjeld is stuck (the uranium law's 100 ppm limit) is not among the passages
    a search finds for this wording; read because it names Kvanefjeld, it is in the answer."""
    answer = corpus_assistant.ask("What law stops Kvanefjeld from being mined?")
    assert "100 ppm" in answer.answer, answer.answer


@pytest.mark.parametrize("question", ["why cant Kvanefjeld go ahead?", "How is Longonjo being paid for?",
                                      "bonded NdFeB versus sintered NdFeB: which is stronger?"])
def test_why_how_or_when_about_a_named_thing_is_not_what_it_is(corpus_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    """What a named thing is is asked with who or what; asked why, how or when, the answer is a cause, a manner or
    a date, and two things set side by side are asked how they differ, not for one thing's profile."""
    assert corpus_assistant.read(question).intent.type != "entity"


def test_a_sentence_speaks_of_what_its_section_heading_names() -> None:
    """Under the heading "Acid baking", a sentence about the acid speaks of acid baking: the heading's words count
    as carried to it, as the words of the sentence before it do."""
    from assistant.answer.answering import _candidates
    from assistant.types import Chunk, Passage
    from assistant.understand.intent_model import Intent

    text = "Sulphuric acid is mixed with the concentrate at 200-600 °C."
    intent = Intent(question="What temperature does acid baking use?", type="lookup")
    found = {}
    for section in ("Cracking > Acid baking", "Cracking"):
        chunk = Chunk(id="c", doc_id="primers/x.md", text=text, start=0, end=len(text), section=section, page=None)
        found[section] = _candidates(intent, [Passage(chunk, 1.0)], None)[0].features["carried"]
    assert found["Cracking > Acid baking"] > found["Cracking"] == 0, found


def test_a_profile_lead_does_not_hide_what_its_sources_say_besides(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """A thing's profile (its registry summary) is a summary in other words: the sentence it cites may say more
    (who controls the project), so it may still be a point of the answer."""
    answer = corpus_assistant.ask("Who controls the Khalzan Buregtei project?")
    assert "MNREC" in answer.answer or "Mongolian National Rare Earth" in answer.answer, answer.answer
