"""A project's own figures (capacity, output, resource, reserves of each of its facilities, each citing the
sentence that states it): comparisons put them side by side, rankings of projects read them on the basis asked.

Each answer is checked against the registry itself, not against fixed lists. The wordings here are in no
evaluation set."""

from __future__ import annotations

import pytest

from assistant.answer.project_fields import figure_text, figures_of
from assistant.knowledge.registry import family
from assistant.knowledge.taxonomy import BASIS_WORDS, SITE_WORDS
from assistant.understand.grammar import basis_named


@pytest.mark.parametrize(("text", "bases"), [
    ("the largest ore reserve in contained oxide", ["REO", "oxide"]),
    ("rank the mines by ore throughput", ["ore"]),
    ("which plant makes the most carbonate", ["carbonate"]),
    ("largest projects by capacity", []),
    ("the biggest magnet plant in Europe", []),  # the kind of plant, not the basis of its figure
    ("rank the metal plants by oxide throughput", ["REO", "oxide"]),
])
def test_the_basis_asked_is_the_last_one_named(text: str, bases: list[str]) -> None:
    assert basis_named(text, BASIS_WORDS, SITE_WORDS) == bases


def _by_name(assistant, name: str):  # type: ignore[no-untyped-def]
    return next(p for p in assistant.registry() if name in p.names())


def test_every_figure_of_compared_projects_is_shown_and_cited(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("Put Ngualla and Nolans side by side.")
    q = answer.query
    assert q is not None and q.kind == "compare" and len(answer.table) == 2
    registry = corpus_assistant.registry()
    shown = 0
    for name in ("Ngualla", "Nolans"):
        fam = family(registry, _by_name(corpus_assistant, name))
        for field in ("capacity", "output", "resource", "reserves"):
            for _, f in figures_of(fam, field):
                text = figure_text(f)
                at = answer.answer.find(text)
                assert at >= 0, (name, field, text)
                # the figure is followed by its citation, and the cited passage holds the sentence that states it
                marker = answer.answer[at:].split("[", 1)[1].split("]", 1)[0]
                cited = answer.citations[int(marker) - 1]
                if f.evidence is not None:
                    assert f.evidence.text in cited.context, (name, field, cited.context[:200])
                shown += 1
    assert shown >= 3


def test_named_projects_are_ranked_by_their_own_figures(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    names = ["Kangankunde", "Ngualla", "Longonjo", "Songwe Hill"]
    answer = corpus_assistant.ask("Order Kangankunde, Ngualla, Longonjo and Songwe Hill by concentrate capacity.")
    q = answer.query
    assert q is not None and q.kind == "ranking" and q.subject == "project" and q.basis == ["concentrate"]
    registry = corpus_assistant.registry()
    best = {n: figures_of(family(registry, _by_name(corpus_assistant, n)), "capacity", ["concentrate"]) for n in names}
    want = sorted((n for n in names if best[n]), key=lambda n: -best[n][0][1].value)
    assert len(want) >= 2
    assert [r["name"] for r in answer.table] == [_by_name(corpus_assistant, n).name for n in want]
    positions = [answer.answer.find(figure_text(best[n][0][1])) for n in want]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)
    for n in names:
        if not best[n]:  # a project named without such a figure is said to have none, not left out silently
            assert _by_name(corpus_assistant, n).name in answer.answer.split("The records give no", 1)[1]


def test_deposits_ranked_by_resource_in_a_region(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("Which three deposits in Africa have the biggest resources in contained REO?")
    q = answer.query
    assert q is not None and q.subject == "project" and q.measure == "resource" and q.stage is None
    registry = corpus_assistant.registry()
    found = sorted((f.value, p.name) for p in registry if "africa" in p.region.lower()
                   and p.resource is not None and p.resource.basis == "REO" for f in [p.resource])[::-1]
    assert len(found) >= 3
    assert [r["name"] for r in answer.table][:3] == [n for _, n in found[:3]]


@pytest.mark.parametrize("question", [
    "Leaving China aside, which nation had the highest rare earth mine output in 2023?",
    "Not counting China, who was the top miner of rare earths in 2024?",
])
def test_an_extreme_names_the_runner_up_and_the_leaders_mines(corpus_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    from assistant.knowledge.sentences import doc_text

    answer = corpus_assistant.ask(question)
    q = answer.query
    assert q is not None and q.kind == "extreme" and q.subject == "country" and q.measure == "mine_production"
    assert q.exclude == ["china"]
    first, second = answer.table[0], answer.table[1]
    assert first["country"] in answer.answer.split("Next:")[0]
    assert second["country"] in answer.answer.split("Next:")[1]
    corpus = corpus_assistant.settings.paths.corpus
    mines = [p for p in corpus_assistant.registry() if p.country == first["key"] and "mining" in p.stages
             and p.phase == "operating" and not p.pilot]
    named = [p for p in mines if any(n.lower() in doc_text(corpus / d)[0].lower() for n in p.names() for d in p.docs)]
    if named:  # the leader's output is traced to the running mines its documents name
        assert any(p.name in answer.answer for p in named), answer.answer


def test_the_projects_view_carries_each_figure_with_its_sentence(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    from assistant.views.projects import project_row, to_csv

    rows = [project_row(p) for p in corpus_assistant.registry()]
    with_resource = [r for r in rows if r["resource"]]
    assert with_resource and all("resource" in r["sources"] for r in with_resource
                                 if next(p for p in corpus_assistant.registry()
                                         if p.name == r["name"]).resource.evidence is not None)
    for r in rows:
        for field, src in r["sources"].items():
            assert r[field] and src["quote"] and src["doc"], (r["name"], field)
    header = to_csv(rows).splitlines()[0].split(",")
    assert {"project", "output", "resource", "reserves"} <= set(header)


def test_the_projects_tab_shows_each_figure_with_its_sentence_on_hover(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    import html

    from assistant.frontends.web_projects import projects_table_html
    from assistant.views.projects import project_row

    p = next(p for p in corpus_assistant.registry() if p.reserves is not None and p.reserves.evidence is not None)
    table = projects_table_html([project_row(p)])
    assert "<th>Resource / reserve</th>" in table
    assert html.escape(p.reserves.evidence.sentence, quote=True) in table and f"{p.reserves.value:,.0f}" in table


def test_two_projects_set_side_by_side_by_a_comparative_are_compared(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """'Which is bigger, A or B?' names two projects and compares them; 'Per' in a name is not 'per USGS'."""
    from assistant.understand.publishers import named_publisher

    question = "Which holds more rare earths, Per Geijer or Kvanefjeld?"
    assert named_publisher(question) is None and named_publisher("reserves per USGS") == "USGS"
    answer = corpus_assistant.ask(question)
    assert answer.query is not None and answer.query.kind == "compare" and len(answer.table) == 2
    for name in ("Per Geijer", "Kvanefjeld"):
        assert name in answer.answer
