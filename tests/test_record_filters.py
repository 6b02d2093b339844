"""Filters a question sets on records: amounts of tonnes, a change between two years, the company that runs the
sites, a licence held, plants that produce while being commissioned, and which end of a ranking comes first.

Each answer is checked against the tables and the registry themselves, not against fixed lists. The wordings
here are in no evaluation set."""

from __future__ import annotations

import pytest

from assistant.knowledge.tables import mine_production, reserves
from assistant.types import STAGES
from assistant.understand.grammar import amount_bounds


@pytest.mark.parametrize(("text", "bounds"), [
    ("countries that mined more than 20,000 t in 2023", (20000.0, None)),
    ("reserves below 2 million tonnes", (None, 2e6)),
    ("at least 500 tonnes but no more than 5 kt", (500.0, 5000.0)),
    ("plants opened after 2020", (None, None)),  # a year, not an amount
    ("more than two countries", (None, None)),
])
def test_amounts_of_tonnes_are_read_as_bounds(text: str, bounds: tuple[float | None, float | None]) -> None:
    assert amount_bounds(text) == bounds


def _table_rows(assistant, measure: str, year: int | None = None) -> list:  # type: ignore[no-untyped-def]
    corpus = assistant.settings.paths.corpus
    if measure == "reserves":
        rows = reserves(corpus)
        newest = max(r.edition for r in rows)
        return [r for r in rows if r.edition == newest and r.key and r.tonnes is not None]
    return [r for r in mine_production(corpus) if r.year == year and r.key and r.tonnes is not None]


def test_countries_above_an_amount_come_from_the_table(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("Which nations produced over 20,000 tonnes of rare earths in 2023?")
    q = answer.query
    assert q is not None and q.subject == "country" and q.measure == "mine_production" and q.at_least == 20000
    want = {r.country for r in _table_rows(corpus_assistant, "mine_production", 2023) if r.tonnes >= 20000}
    assert want and {r["country"] for r in answer.table} == want
    assert all(name in answer.answer for name in want)
    assert answer.answer.split(":")[0].lower().startswith(("two", "three", "four", "five"))


def test_a_count_of_the_countries_a_table_gives_a_figure_for(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("In how many countries does the USGS report a rare-earth reserve?")
    q = answer.query
    assert q is not None and q.kind == "count" and q.measure == "reserves"
    assert {r["country"] for r in answer.table} == {r.country for r in _table_rows(corpus_assistant, "reserves")}


def test_reserves_under_an_amount_ranked_largest_first(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("Sort the countries with reserves below 2 million tonnes from largest to smallest.")
    q = answer.query
    assert q is not None and q.at_most == 2e6 and not q.ascending
    rows = sorted((r for r in _table_rows(corpus_assistant, "reserves") if r.tonnes <= 2e6), key=lambda r: -r.tonnes)
    assert [r["country"] for r in answer.table] == [r.country for r in rows]


@pytest.mark.parametrize(("question", "relative", "falls"), [
    ("Which country's rare-earth mining shrank the most from 2022 to 2023?", False, True),
    ("Rank the countries by percentage growth in mine output between 2022 and 2024.", True, False),
])
def test_a_ranking_across_two_years_ranks_the_change(corpus_assistant, question: str, relative: bool,  # type: ignore[no-untyped-def]
                                                     falls: bool) -> None:
    answer = corpus_assistant.ask(question)
    q = answer.query
    assert q is not None and q.change == ("relative" if relative else "absolute") and q.ascending == falls
    a, b = q.years
    before = {r.key: r.tonnes for r in _table_rows(corpus_assistant, "mine_production", a)}
    after = {r.key: r.tonnes for r in _table_rows(corpus_assistant, "mine_production", b)}

    def change(key: str) -> float:
        return (after[key] - before[key]) / before[key] if relative else after[key] - before[key]

    keys = [k for k in after if before.get(k)]
    best = (min if falls else max)(keys, key=change)
    assert answer.table[0]["key"] == best
    assert [change(r["key"]) for r in answer.table] == sorted(map(change, keys), reverse=not falls)


def test_the_sites_a_company_runs(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("What plants does Lynas operate, and where are they?")
    q = answer.query
    assert q is not None and q.kind == "set" and q.subject == "project" and q.operators
    want = {p.name for p in corpus_assistant.registry() if "lynas" in p.operator.lower()}
    assert len(want) >= 2 and {r["name"] for r in answer.table} == want


def test_projects_holding_a_licence(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("Which projects in Africa have been granted a mining licence?")
    q = answer.query
    assert q is not None and q.milestone == "licence" and q.region == "africa"
    region = {p.name for p in corpus_assistant.registry() if "africa" in p.region.lower()
              and any(m.kind == "licence" and m.done for m in p.milestones)}
    assert region and {r["name"] for r in answer.table} == region


def test_a_plant_producing_while_commissioned_counts_as_operating(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("Which magnet factories in Europe are up and running?")
    q = answer.query
    assert q is not None and q.phases == ["operating"]
    names = {r["name"]: r["phase"] for r in answer.table}
    producing = [p for p in corpus_assistant.registry() if p.phase == "commissioning" and p.first_output
                 and "magnet" in p.stages and "europe" in p.region.lower()]
    assert producing and all(names.get(p.name) == "commissioning" for p in producing)
    not_yet = [p.name for p in corpus_assistant.registry() if p.phase == "commissioning" and not p.first_output]
    assert not set(not_yet) & set(names)


@pytest.mark.parametrize(("question", "programme"), [
    ("Which projects have Pentagon backing?", "US DoD"),
    ("Name the projects that the Export-Import Bank of the United States has shown interest in.", "US EXIM"),
])
def test_a_backer_named_by_any_of_its_names_filters_by_its_programme(corpus_assistant, question: str,  # type: ignore[no-untyped-def]
                                                                     programme: str) -> None:
    answer = corpus_assistant.ask(question)
    assert answer.query is not None and answer.query.programmes == [programme]
    want = {p.name for p in corpus_assistant.registry() if any(s.programme == programme for s in p.support)}
    assert want and {r["name"] for r in answer.table} == want


def test_general_words_name_no_programme(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    q = corpus_assistant.ask("Which projects got loans from a state lender?").query
    assert q is not None and q.supported and q.programmes == []


@pytest.mark.parametrize(("question", "country", "first"), [
    ("How many stages of the chain does Japan have at scale?", "japan", "at_scale"),
    ("Which steps of the value chain are still emerging in the United States?", "united_states", "emerging"),
    ("Which parts of the supply chain does Brazil lack?", "brazil", None),
])
def test_one_countrys_stages_come_from_its_checklist(corpus_assistant, question: str, country: str,  # type: ignore[no-untyped-def]
                                                    first: str | None) -> None:
    answer = corpus_assistant.ask(question)
    q = answer.query
    assert q is not None and q.subject == "stage" and q.countries == [country]
    cmap = corpus_assistant.capability_map(target="recycling")  # the Map tab, every stage
    row = next(r for r in cmap.rows if r.key == country)
    statuses = {stage: row.cell(stage).status for stage in STAGES}
    assert {r["stage"]: r["status"] for r in answer.table} == statuses
    if first is not None:
        group = [s for s, st in statuses.items() if st == first]
        assert answer.answer.split(":")[0].endswith(first.replace("_", " "))
        assert all(s in answer.answer.split(".")[0] for s in group)


@pytest.mark.parametrize(("question", "kind", "limit", "ascending"), [
    ("Which nation holds the smallest reserve figure?", "extreme", 1, True),
    ("Which countries produced the least rare earths in 2022?", "ranking", None, True),
    ("Which countries hold the most reserves?", "ranking", None, False),
])
def test_superlatives_of_a_set_ask_for_an_order(corpus_assistant, question: str, kind: str,  # type: ignore[no-untyped-def]
                                                limit: int | None, ascending: bool) -> None:
    answer = corpus_assistant.ask(question)
    q = answer.query
    assert q is not None and q.kind == kind and q.subject == "country" and q.ascending == ascending
    assert q.limit == limit
    tonnes = [r["tonnes"] for r in answer.table]
    assert tonnes == sorted(tonnes, reverse=not ascending)


def test_a_split_vote_leaves_the_kind_to_grammar(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("What is the largest alloy plant outside China?")
    q = answer.query
    assert q is not None and q.kind == "extreme" and q.subject == "project" and q.limit == 1
    capacities = [r["capacity"]["value"] for r in answer.table if r["capacity"]]
    assert capacities and capacities[0] == max(capacities)


def test_ree_ask_table_prints_every_record_past_the_ten_written_out(corpus_indexes, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from assistant.frontends.cli import app

    monkeypatch.setenv("REE_PATHS__INDEXES", str(corpus_indexes))
    monkeypatch.setenv("COLUMNS", "160")
    runner = CliRunner()
    question = "Which countries does the USGS give a reserve figure for?"
    out = runner.invoke(app, ["ask", question, "--table"])
    assert out.exit_code == 0, out.output
    body, _, table = out.output.rpartition(" records")
    assert "more (the full table is in the answer)" in body  # the text cuts the list at ten
    listed = [line.split("│")[1].strip() for line in table.splitlines() if line.startswith("│")]
    assert len(listed) > 10 and "Thailand" in listed  # the table holds them all
    plain = runner.invoke(app, ["ask", question])
    assert " records" not in plain.output.split("Sources")[-1]


def test_what_a_question_sets_its_subject_against_is_not_a_filter(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("Which countries make rare-earth metal commercially, as opposed to only planning it?")
    q = answer.query
    assert q is not None and q.stage == "metal" and q.statuses == ["at_scale"], q


@pytest.mark.parametrize(("question", "oldest"), [
    ("Which Asian magnet factory has been running the longest?", True),
    ("name the most recent separation plants to start up outside China", False),
])
def test_sites_ranked_by_when_their_output_began(corpus_assistant, question: str, oldest: bool) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask(question)
    q = answer.query
    assert q is not None and q.measure == "first_output" and q.ascending == oldest, q
    years = [r["first_output"] for r in answer.table]
    assert years and all(years) and years == sorted(years, reverse=not oldest)
    assert f"producing since {years[0]}" in answer.answer


def test_an_element_a_question_leaves_out_does_not_make_it_about_that_element(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("Excluding China, which countries run separation at commercial scale? "
                                  "Leave out scandium by-products.")
    q = answer.query
    assert q is not None and q.subject == "country" and q.stage == "separation" and q.exclude == ["china"], q
    data = corpus_assistant._snapshot().builder.data
    want = {data.get(k).country for k in data.keys() if k != "china" and data.get(k).status("separation") == "at_scale"}
    assert want and all(c in answer.answer for c in want)


@pytest.mark.parametrize(("question", "measure"), [
    ("Which has bigger rare-earth reserves, India or Australia?", "reserves"),
    ("Set Nigeria's 2024 mine output against Thailand's.", "mine_production"),
])
def test_countries_set_side_by_side_by_a_table_figure_are_ranked_by_it(corpus_assistant, question: str,
                                                                        measure: str) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask(question)
    q = answer.query
    assert q is not None and q.kind == "ranking" and q.subject == "country" and q.measure == measure, q
    assert len(answer.table) == 2 and len(q.countries) == 2
    tonnes = [r["tonnes"] for r in answer.table]
    assert tonnes == sorted(tonnes, reverse=True) and answer.answer.startswith("Of the countries asked")


def test_the_companies_running_a_kind_of_site_are_asked_for_by_their_sites(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """"Which firms are running or planning separation plants in Australia?" asks for the sites, each with its
    operator; a status said beside a phase ('running or planned') is one more phase, not a second filter."""
    answer = corpus_assistant.ask("Which firms are running or planning separation plants in Australia?")
    q = answer.query
    assert q is not None and q.kind == "set" and q.subject == "project" and q.stage == "separation", q
    assert "operating" in q.phases and "construction" in q.phases, q.phases
    want = {p.name for p in corpus_assistant.registry() if p.country == "australia" and "separation" in p.stages
            and p.phase in q.phases}
    assert want and want <= {r["name"] for r in answer.table}, (want, answer.table)
    quotas = corpus_assistant.ask("How many firms hold China's mining quotas?")
    assert quotas.query is None  # no sites named: the companies are what is asked about, from the passages
