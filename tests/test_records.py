"""Questions over the structured picture: sets, counts, rankings, extremes, comparisons and changes are answered
from the registry, the map's statuses and the tables, agree with the Map tab, and cite every item.

The wordings here are in no evaluation set."""

from __future__ import annotations

import re

import pytest

from assistant.knowledge.tables import mine_production, reserves


@pytest.fixture
def ask(corpus_assistant):  # type: ignore[no-untyped-def]
    return corpus_assistant.ask


def _map_count(assistant, stage: str, status: str, exclude: tuple[str, ...] = ()) -> set[str]:  # type: ignore[no-untyped-def]
    cmap = assistant.capability_map(target="magnet")
    return {r.country for r in cmap.rows if r.cell(stage).status == status and r.key not in exclude}


@pytest.mark.parametrize(("question", "stage"), [
    ("how many nations manufacture rare-earth magnets at scale", "magnet"),
    ("Which countries run commercial-scale separation today?", "separation"),
    ("What countries produce rare earth metal at scale?", "metal"),
])
def test_a_set_of_countries_equals_the_map(corpus_assistant, stage: str, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask(question)
    assert answer.query is not None and answer.query.subject == "country" and answer.query.stage == stage
    expected = _map_count(corpus_assistant, stage, "at_scale")
    named = {r["country"] for r in answer.table if r["status"] == "at_scale"}
    assert named == expected
    assert answer.query.matched >= len(expected)
    # the direct answer first, with the map's count
    number = re.match(r"^(\w+) of the", answer.answer)
    assert number is not None
    # every country written out is cited: a sentence that names it carries a marker
    for country in sorted(expected)[:10]:
        assert re.search(re.escape(country) + r" \(" + stage + r" at scale\)\. [^\[]+\[\d+\]", answer.answer), country


def test_countries_after_outside_are_left_out(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("which countries apart from China make magnets at scale?")
    assert answer.query is not None and answer.query.exclude == ["china"]
    assert "China" not in {r["country"] for r in answer.table}
    assert {r["country"] for r in answer.table if r["status"] == "at_scale"} == _map_count(
        corpus_assistant, "magnet", "at_scale", exclude=("china",))


@pytest.mark.parametrize("question", ["Who were the biggest rare-earth miners of 2024 after China?",
                                      "Which nations mined the most rare earths in 2024, after China?"])
def test_after_a_country_beside_a_superlative_ranks_the_others(corpus_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    """"The biggest miners after China" leaves China out and ranks the rest, as "outside China" does; "after
    China's ban" is a time, and leaves nothing out."""
    answer = corpus_assistant.ask(question)
    assert answer.query is not None and answer.query.kind == "ranking" and answer.query.exclude == ["china"]
    assert "China" not in {r["country"] for r in answer.table} and len(answer.table) >= 3, answer.table
    from assistant.understand.grammar import excluded_countries

    assert excluded_countries("What did Japan do after China's ban?", [("japan", 18), ("china", 33)]) == []


def test_how_long_something_takes_is_no_query_for_members(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """"first production" is when output starts, not the first of several sites: the lead times are answered."""
    answer = corpus_assistant.ask("How long does a new mine take from discovery to first production?")
    assert answer.query is None and "16" in answer.answer, answer.answer


def test_a_ranking_follows_the_usgs_table(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("Give me the three countries with the biggest rare-earth reserves")
    assert answer.query is not None and answer.query.measure == "reserves" and answer.query.limit == 3
    latest = max(r.edition for r in reserves(corpus_assistant.settings.paths.corpus))
    table = sorted((r for r in reserves(corpus_assistant.settings.paths.corpus)
                    if r.edition == latest and r.key and r.tonnes), key=lambda r: -(r.tonnes or 0))
    top = [r.country for r in table[:3]]
    assert top == ["China", "Brazil", "India"]
    positions = [answer.answer.index(c) for c in top]
    assert positions == sorted(positions)
    for c in answer.citations:  # each cited line is a table row naming one of the countries
        assert any(name in c.quote for name in top)
    assert len(answer.citations) == 3


def test_mine_output_ranking_for_a_year(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("Rank the leading rare earth mining countries in 2023")
    assert answer.query is not None and answer.query.measure == "mine_production"
    rows = [r for r in mine_production(corpus_assistant.settings.paths.corpus) if r.year == 2023 and r.key]
    best = max(rows, key=lambda r: r.tonnes or 0)
    assert answer.table[0]["country"] == best.country
    assert "2023" in answer.answer


def test_a_set_of_projects_from_the_registry(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("Which recycling plants are there in Europe?")
    assert answer.query is not None and answer.query.subject == "project" and answer.query.region == "europe"
    expected = {p.name for p in corpus_assistant.registry() if "recycling" in p.stages and "europe" in p.region.lower()}
    assert expected and {r["name"] for r in answer.table} == expected
    assert len(answer.citations) >= min(len(expected), 10)


@pytest.mark.parametrize(("question", "stage", "place"), [
    ("Who makes sintered magnets outside China?", "magnet", ("exclude", ["china"])),
    ("Who produces strip-cast NdFeB alloy in Europe?", "alloy", ("region", "europe")),
])
def test_who_works_a_stage_across_places_asks_for_the_sites(corpus_assistant, question: str, stage: str,
                                                             place: tuple[str, object]) -> None:  # type: ignore[no-untyped-def]
    """"Who" asked of a stage across a region or outside named countries is the set of sites at that stage (the
    stage named last: "NdFeB alloy" is alloy), each with who runs it."""
    answer = corpus_assistant.ask(question)
    assert answer.query is not None and answer.query.kind == "set" and answer.query.subject == "project"
    assert answer.query.stage == stage and getattr(answer.query, place[0]) == place[1]
    assert answer.table and all(r["operator"] for r in answer.table)
    shown = [r for r in answer.table if r["name"] in answer.answer]
    assert shown and all(r["operator"].split(" (")[0] in answer.answer for r in shown)


@pytest.mark.parametrize("question", ["Who invented the NdFeB magnet?", "Who makes rare-earth metal in the UK?",
                                      "Who is the only commercial separator of heavy rare earths outside China?",
                                      "Who separates heavy rare earths outside China?"])
def test_who_about_one_thing_or_particular_elements_is_answered_from_passages(corpus_assistant,
                                                                             question: str) -> None:  # type: ignore[no-untyped-def]
    assert corpus_assistant.read(question, records=True).query is None


def test_whose_before_a_figure_of_the_country_tables_asks_which_countrys(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    whose = corpus_assistant.read("Whose rare-earth reserves are the smallest?", records=True).query
    which = corpus_assistant.read("Which country's rare-earth reserves are the smallest?", records=True).query
    assert whose is not None and whose.subject == "country" and whose.measure == "reserves"
    assert whose == which


def test_two_projects_side_by_side(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("How does Mountain Pass stack up against Mt Weld?")
    assert answer.query is not None and answer.query.kind == "compare"
    assert len(answer.table) == 2
    for row in answer.table:
        assert row["name"] in answer.answer and row["phase"] in answer.answer
    # each project: its record's evidence, each of its figures' and milestones' sentences, then the sentence about it
    assert len(answer.citations) >= 4


def test_a_question_about_one_country_is_not_a_query_over_records(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("Can Kazakhstan make magnets?")
    assert answer.query is None and answer.checklist is not None


def test_nothing_matching_says_so_and_shows_the_query(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("Which magnet plants in South America are under construction?")
    assert answer.query is not None and answer.query.matched == 0
    assert "Nothing in the records matches" in answer.answer
    assert answer.to_json()["query"]["region"] == "south america"


@pytest.mark.parametrize("question", [
    "Rank the recycling plants in Oceania by capacity.",
    "Which five magnet plants in South America have the largest capacity?",
    "How many separation plants are under construction in Central Asia?",
])
def test_an_empty_result_of_any_kind_is_said_plainly(corpus_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask(question)
    assert answer.answerable and answer.answer.strip()
    if answer.query is not None and answer.query.matched == 0:
        assert "Nothing in the records matches" in answer.answer


def test_every_project_has_a_country_a_stage_and_evidence(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    registry = corpus_assistant.registry()
    assert len(registry) > 150
    for p in registry:
        assert p.country and p.stages and p.evidence, p.name
    names = [p.name for p in registry]
    assert len(names) == len(set(zip(names, [p.country for p in registry], strict=True)))


# -- the Projects view and the concentration figures: CLI, API, Slack, MCP --------------------------------------
def test_projects_cli_table_json_and_csv(corpus_indexes, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import csv
    import io
    import json

    from typer.testing import CliRunner

    from assistant.frontends.cli import app

    monkeypatch.setenv("REE_PATHS__INDEXES", str(corpus_indexes))
    runner = CliRunner()
    out = runner.invoke(app, ["projects", "--region", "europe", "--stage", "magnet", "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert rows and all("magnet" in r["stages"] and "europe" in r["region"].lower() for r in rows)
    out = runner.invoke(app, ["projects", "--region", "europe", "--stage", "magnet", "--csv"])
    table = list(csv.DictReader(io.StringIO(out.output)))
    assert [r["name"] for r in table] == [r["name"] for r in rows]
    out = runner.invoke(app, ["projects", "--phase", "dreaming"])
    assert out.exit_code != 0 and "Unknown phase" in out.output
    out = runner.invoke(app, ["projects", "--expected-by", "2027", "--json"])
    rows = json.loads(out.output)
    assert all((r["first_output"] or r["expected_output"]) <= 2027 for r in rows)
    assert any(r["first_output"] is None for r in rows)  # expected, not yet begun (a first-output milestone)
    assert all("milestones" in r for r in rows)


def test_projects_support_filter_names_the_programme(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    rows = corpus_assistant.projects(support="CRMA")
    assert rows and all(any("crma" in s.lower() for s in r["support"]) for r in rows)
    assert len(corpus_assistant.projects(support="any")) >= len(rows)


def test_projects_and_metrics_over_http(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    import httpx

    from assistant.frontends.api import create_app
    from tests.conftest import serving

    with serving(create_app(corpus_assistant, ui=False)) as url:
        r = httpx.get(f"{url}/api/projects", params={"stage": "separation", "phase": "operating"})
        assert r.status_code == 200
        body = r.json()
        assert body["count"] == len(body["projects"]) > 0
        assert all(p["phase"] == "operating" and "separation" in p["stages"] for p in body["projects"])
        r = httpx.get(f"{url}/api/projects", params={"stage": "smelting"})
        assert r.status_code == 422 and "Unknown stage" in r.json()["detail"]
        r = httpx.get(f"{url}/api/projects", params={"format": "csv", "country": "Japan"})
        assert r.headers["content-type"].startswith("text/csv") and "Japan" in r.text
        metrics = httpx.get(f"{url}/api/metrics").json()["metrics"]
    mining = [m for m in metrics if m["stage"] == "mining" and m["hhi"] is not None]
    assert mining and all(0 < m["top_share"] <= m["top3_share"] <= 100 for m in mining)


def test_hhi_is_the_sum_of_squared_shares(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    from assistant.knowledge.tables import mine_production

    rows = [r for r in mine_production(corpus_assistant.settings.paths.corpus) if r.year == 2024]
    world = next(r.tonnes for r in rows if r.key is None and "world" in r.country.lower())
    # shares of the world total, or of the countries' sum where the rounded world total falls below it
    base = max(world, sum(r.tonnes for r in rows if r.key and r.tonnes))
    expected = sum((100 * r.tonnes / base) ** 2 for r in rows if r.key and r.tonnes)
    m = next(m for m in corpus_assistant.metrics() if m.stage == "mining" and m.year == "2024")
    assert abs(m.hhi - expected) <= 1 and m.hhi > 2500
    assert m.china_share == round(100 * next(r.tonnes for r in rows if r.key == "china") / base, 1)


def test_concentration_question_is_answered_from_the_figures(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("How concentrated is magnet making?")
    assert answer.query is not None and answer.query.kind == "concentration" and answer.query.stage == "magnet"
    assert "China" in answer.answer and "%" in answer.answer and answer.citations


def test_slack_projects_command_arguments() -> None:
    from assistant.errors import InputError
    from assistant.frontends.slack import projects_args

    assert projects_args("projects region=Europe stage=magnet expected_by=2027") == {
        "region": "Europe", "stage": "magnet", "expected_by": 2027}
    with pytest.raises(InputError):
        projects_args("projects colour=red")
    with pytest.raises(InputError):
        projects_args("projects expected_by=soon")


# -- milestones: what changed at a project, and projects by a dated milestone (issue 19) ---------------------------
def _window_ok(date: str, lo: int | None, hi: int | None) -> bool:
    year = int(date[:4])
    return (lo is None or year >= lo) and (hi is None or year <= hi)


def _order_key(date: str) -> str:
    return date if len(date) > 4 else f"{date}-13"


@pytest.mark.parametrize(("question", "name", "lo", "hi"), [
    ("Walk me through what changed at the Eneabba refinery between 2021 and 2026", "Eneabba", 2021, 2026),
    ("What has become of the Songwe Hill project since 2022?", "Songwe Hill", 2022, None),
    ("Tell me how Ngualla has moved on since its 2023 licence", "Ngualla", 2023, None),
    ("How has Tanbreez changed since 2023?", "Tanbreez", 2023, None),
])
def test_a_change_at_a_project_lists_its_milestones_in_date_order(corpus_assistant, question: str, name: str,  # type: ignore[no-untyped-def]
                                                                  lo: int, hi: int | None) -> None:
    answer = corpus_assistant.ask(question)
    q = answer.query
    assert q is not None and q.kind == "change" and q.measure == "milestone", question
    assert any(name in n for n in q.names) and (q.year_from, q.year_to) == (lo, hi)
    rows = answer.table
    assert rows and all(_window_ok(r["date"], lo, hi) for r in rows)
    assert [_order_key(r["date"]) for r in rows] == sorted(_order_key(r["date"]) for r in rows)
    # every milestone of the project in the window is there, each cited to the sentence that states it
    project = next(p for p in corpus_assistant.registry() if name in p.name)
    want = {(m.kind, m.date) for m in project.milestones if _window_ok(m.date, lo, hi)}
    got = {(r["kind"], r["date"]) for r in rows if r["kind"] != "report"}
    assert want <= got
    for r in rows:
        assert r["citation"] is not None, r
        cited = answer.citations[r["citation"] - 1]
        assert cited.quote.rstrip(" .") in answer.answer
        if r["kind"] != "report":  # the sentence its evidence points at
            milestone = next(m for p in corpus_assistant.registry() if p.name == r["project"] for m in p.milestones
                             if (m.kind, m.date) == (r["kind"], r["date"]))
            assert milestone.evidence.text in cited.context
    assert ("done" in answer.answer) or ("expected" in answer.answer)


def test_what_happened_to_a_project_without_years_gives_all_its_milestones(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("Whatever happened to the Saltend refinery?")
    assert answer.query is not None and answer.query.kind == "change"
    kinds = [r["kind"] for r in answer.table if r["kind"] != "report"]
    assert kinds == ["construction_start", "closure"]
    assert "closure, done" in answer.answer and "16 October 2025" in answer.answer


def test_a_change_in_a_country_lists_its_projects_milestones(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("What changed in Uganda's rare-earth projects between 2022 and 2024?")
    q = answer.query
    assert q is not None and q.kind == "change" and q.countries == ["uganda"] and not q.names
    want = sorted((m.date, m.kind) for p in corpus_assistant.registry() if p.country == "uganda"
                  for m in p.milestones if 2022 <= m.year <= 2024)
    assert sorted((r["date"], r["kind"]) for r in answer.table) == want and len(want) >= 3
    assert all(r["country"] == "Uganda" and r["citation"] for r in answer.table)
    assert answer.answer.startswith("Projects in Uganda: 3 dated milestones (3 done, 0 expected) between 2022 and 2024")


def test_a_company_and_its_country_limit_a_change_to_the_companys_projects(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("What changed for Lynas in Malaysia after 2024?")
    q = answer.query
    assert q is not None and q.kind == "change" and q.operators == ["Lynas Rare Earths"] and q.year_from == 2025
    assert {r["project"] for r in answer.table} <= {"Lynas Malaysia", "Lynas Malaysia cracking and leaching, Gebeng"}
    assert {r["kind"] for r in answer.table} >= {"first_output", "licence"}


@pytest.mark.parametrize(("question", "years", "lo", "hi"), [
    ("Which facilities should begin producing in 2026?", [2026], None, None),
    ("List the projects due to start output in 2027", [2027], None, None),
    ("Name the facilities whose output began before 2014.", [], None, 2013),
])
def test_projects_by_the_year_of_their_first_output(corpus_assistant, question: str, years: list[int],  # type: ignore[no-untyped-def]
                                                    lo: int | None, hi: int | None) -> None:
    answer = corpus_assistant.ask(question)
    q = answer.query
    assert q is not None and q.kind in ("set", "count") and q.milestone == "first_output", question
    assert (q.years, q.year_from, q.year_to) == (years, lo, hi)

    def began(p):  # type: ignore[no-untyped-def]
        dates = [m for m in p.milestones if m.kind == "first_output"]
        found = [m.year for m in dates if (not years or m.year in years) and _window_ok(m.date, lo, hi)]
        if p.first_output and not any(m.done for m in dates):
            found += [y for y in [p.first_output] if (not years or y in years) and _window_ok(str(y), lo, hi)]
        return found

    want = {p.name for p in corpus_assistant.registry() if began(p)}
    assert want and {r["name"] for r in answer.table} == want
    dates = [_order_key(r["date"]) for r in answer.table]
    assert dates == sorted(dates)  # earliest first
    future = [r for r in answer.table if not r["done"]]
    assert (not future) or "expected" in answer.answer
    assert len(re.findall(r"\[\d+\]", answer.answer)) >= min(len(want), 10)  # every item written out is cited


def test_projects_by_a_licence_or_a_financing_year(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("Which projects were granted a licence before 2022?")
    q = answer.query
    assert q is not None and q.milestone == "licence" and q.year_to == 2021 and q.stage is None
    assert {"Lofdal", "Khotgor", "Norra Kärr"} <= {r["name"] for r in answer.table}
    answer = corpus_assistant.ask("Which projects raised financing in 2025?")
    assert answer.query is not None and answer.query.milestone == "financing" and answer.query.years == [2025]
    assert {"Longonjo", "Pela Ema", "Nolans"} <= {r["name"] for r in answer.table}
    assert all(r["date"].startswith("2025") for r in answer.table)


def test_year_bounds_read_from_prepositions() -> None:
    from assistant.understand.grammar import milestone_named, year_bounds

    assert year_bounds("what changed between 2019 and early 2024") == (2019, 2024, {2019, 2024})
    assert year_bounds("from 2021 to 2023, what happened")[:2] == (2021, 2023)
    assert year_bounds("progress since 2022")[:2] == (2022, None)
    assert year_bounds("output began before 2014")[:2] == (None, 2013)
    assert year_bounds("running after 2026")[:2] == (2027, None)
    assert year_bounds("expected by the end of 2027")[:2] == (None, 2027)
    assert year_bounds("first output in 2026") == (None, None, set())
    assert milestone_named("began construction to produce in 2027") == "construction_start"
    assert milestone_named("granted a mining licence") == "licence"
    assert milestone_named("which plants produce oxide") == "first_output"


def test_project_rows_and_the_timeline_carry_the_milestones() -> None:
    from assistant.frontends.web_projects import timeline_svg
    from assistant.knowledge.entities import load_entities
    from assistant.knowledge.registry import load_registry
    from assistant.views.projects import project_row, timeline, to_csv, to_text
    from tests.conftest import ROOT

    corpus = ROOT / "corpus"
    registry = load_registry(corpus / "value_chain", load_entities(corpus / "entities.yaml"))
    rows = [project_row(p) for p in registry if p.country in ("angola", "united_kingdom")]
    longonjo = next(r for r in rows if r["name"] == "Longonjo")
    assert [m["kind"] for m in longonjo["milestones"]] == ["financing", "financing", "construction_start",
                                                            "first_output"]
    assert longonjo["expected_output"] == 2027 and longonjo["milestones"][-1]["done"] is False
    assert all(m["quote"] and m["doc"] for r in rows for m in r["milestones"])
    marks = timeline(rows, 2026)
    assert len(marks) == sum(len(r["milestones"]) for r in rows) + sum(
        1 for r in rows if r["first_output"] and not any(m["kind"] == "first_output" for m in r["milestones"]))
    svg = timeline_svg(marks)
    assert svg.count("<circle") == len(marks) + 7  # one dot a milestone, and the legend's seven kinds
    assert svg.count("fill='none'") == sum(1 for m in marks if not m["done"])
    assert "first output 2027 (expected)" in to_csv(rows)
    assert "construction start 2025 → first output 2027 expected" in to_text(rows)


@pytest.mark.parametrize("question", [
    "Which country mined the most rare earths in 2023?",
    "what country produced the most rare-earth ore in 2023, going by USGS",
])
def test_a_superlative_after_the_verb_asks_for_the_top_country(corpus_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    """Asked for one country with a superlative anywhere in the question, the records rank the countries by the
    measure and the answer leads with the top one of the USGS table for that year."""
    from assistant.knowledge.tables import mine_production

    answer = corpus_assistant.ask(question)
    q = answer.query
    assert q is not None and q.kind in ("ranking", "extreme") and q.subject == "country" and q.years == [2023]
    assert q.measure == "mine_production"
    rows = [r for r in mine_production(corpus_assistant.settings.paths.corpus) if r.year == 2023 and r.key]
    top = max(rows, key=lambda r: r.tonnes or 0)
    assert top.country in answer.answer.split(". ")[0], answer.answer[:300]


@pytest.mark.parametrize(("question", "to"), [
    ("What has changed at Eneabba since the government loan was agreed in 2022?", None),
    ("What changed at Eneabba in 2022?", 2022),
])
def test_since_an_event_in_a_year_runs_to_now(corpus_assistant, question: str, to: int | None) -> None:  # type: ignore[no-untyped-def]
    query = corpus_assistant.read(question, records=True).query
    assert query is not None and query.kind == "change" and (query.year_from, query.year_to) == (2022, to)


def test_equal_figures_are_level_in_an_order(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """Countries with the same figure share a place: none is put ahead of another, and a cut-off does not split
    them (USGS gives Australia, Nigeria and Thailand 13,000 t each for 2024)."""
    answer = corpus_assistant.ask("Order India, Thailand and Nigeria by their 2024 mine production of rare earths.")
    text = answer.answer
    assert "(level) ahead of India" in text and "Nigeria ahead of" not in text and "Thailand ahead of" not in text, text
    assert "1=." in text and "3. India" in text, text
    answer = corpus_assistant.ask("Give me the top four rare-earth mining countries in 2024.")
    assert all(c in answer.answer for c in ("Australia", "Nigeria", "Thailand")) and "are level" in answer.answer, \
        answer.answer


def test_a_country_named_as_a_backer_names_its_programmes_not_a_place(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """'a US or Japanese government agency' backs: the projects its programmes support are listed, wherever they
    are, and neither country filters them as a place."""
    from assistant.understand.grammar import backing_countries

    assert backing_countries("Did African mines get Japanese or US government loans?") == ["japan", "united_states"]
    assert backing_countries("Which projects in Brazil have state support?") == []
    answer = corpus_assistant.ask("Which projects in Africa have had funding from Japanese or US government agencies?")
    assert answer.query is not None and answer.query.supported and not answer.query.countries, answer.query
    assert "Lofdal" in answer.answer and "Phalaborwa" in answer.answer, answer.answer


def test_a_country_before_a_company_noun_or_an_agency_backs(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """'Japanese firms' paying and 'the US EXIM' lending are backers, not places; a country before an agency's
    acronym is the agency's own, so the agency alone names the programme."""
    from assistant.understand.grammar import backing_countries

    assert backing_countries("Which mines overseas did Korean firms invest in?") == ["south_korea"]
    assert backing_countries("What has the US EXIM financed abroad?") == ["united_states"]
    answer = corpus_assistant.ask("Which overseas rare-earth projects has the US DFC lent money to?")
    assert answer.query is not None and answer.query.programmes == ["US DFC"] and not answer.query.countries, \
        answer.query
    assert "Pela Ema" in answer.answer, answer.answer


def test_an_ordinal_before_a_superlative_asks_for_that_place(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """'the second-largest' is the second, not the first; it answered China, 'Next: Brazil'."""
    answer = corpus_assistant.ask("Which country has the 2nd largest rare-earth reserves according to USGS?")
    assert answer.query is not None and answer.query.rank == 2, answer.query
    assert answer.answer.startswith("The second largest") and "is Brazil" in answer.answer, answer.answer
    answer = corpus_assistant.ask("Which is the third-biggest separation plant outside China by capacity?")
    assert "the third largest" in answer.answer, answer.answer


def test_a_list_of_names_holding_a_comma_is_split_by_semicolons() -> None:
    from assistant.answer.record_text import _names

    assert _names(["Mt Weld", "Caremag, Lacq", "Lofdal"]) == "Mt Weld; Caremag, Lacq and Lofdal"
    assert _names(["Mt Weld", "Lofdal"]) == "Mt Weld and Lofdal"
