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


def test_two_projects_side_by_side(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("How does Mountain Pass stack up against Mt Weld?")
    assert answer.query is not None and answer.query.kind == "compare"
    assert len(answer.table) == 2
    for row in answer.table:
        assert row["name"] in answer.answer and row["phase"] in answer.answer
    assert 2 <= len(answer.citations) <= 6  # each project: its record's evidence, then the sentence about it


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
    out = runner.invoke(app, ["projects", "--expected-by", "2024", "--json"])
    assert all(r["first_output"] <= 2024 for r in json.loads(out.output))


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
