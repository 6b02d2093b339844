"""Supply links (corpus/supply_links.yaml + the USGS tables' trade flows): every link rests on a sentence of its
document that names its parties and holds its figures; exposure and scenarios match the expectations written from
the documents alone before the code (tests/fixtures/scenarios.yaml)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from assistant.knowledge.entities import load_entities
from assistant.knowledge.registry import load_registry
from assistant.knowledge.supply import Names, elements_missing, figures_missing, load_links

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
FIXTURE = Path(__file__).parent / "fixtures" / "scenarios.yaml"


@lru_cache(maxsize=1)
def _world():
    entities = load_entities(CORPUS / "entities.yaml")
    registry = load_registry(CORPUS / "value_chain", entities)
    return load_links(CORPUS, registry, entities), Names(registry, entities)


def _links():
    return _world()[0]


@pytest.mark.parametrize("link", _links(), ids=lambda link: link.id)
def test_evidence_sentence_names_parties_and_holds_figures(link):
    names = _world()[1]
    ev = link.evidence
    assert ev.span is not None, f"{link.id}: {ev.text!r} is not found exactly once in {ev.doc}"
    assert ev.sentence and ev.section and ev.url, link.id
    for side, party in (("from", link.source), ("to", link.to)):
        if party is not None:
            assert names.named_in(party, ev.sentence, ev.named.get(side, "")), \
                f"{link.id}: the sentence does not name {party.name} ({side}): {ev.sentence}"
    assert not figures_missing(link), f"{link.id}: {figures_missing(link)} not in: {ev.sentence}"
    assert not elements_missing(link), f"{link.id}: elements {elements_missing(link)} not in: {ev.sentence}"


def test_at_least_80_links_across_20_countries():
    named = [link for link in _links() if link.source is not None]
    countries = {p.country for link in named for p in (link.source, link.to) if p and p.country}
    assert len(named) >= 80, len(named)
    assert len(countries) >= 20, sorted(countries)


def test_table_trade_flows_equal_the_usgs_table():
    from assistant.knowledge.tables import mine_production

    rows = {(r.key, r.year): r.tonnes for r in mine_production(CORPUS) if "China's import data" in r.note}
    flows = {(link.source.country, link.volume.year): link.volume.value
             for link in _links() if link.derived == "table"}
    assert flows == rows and ("myanmar", 2024) in flows


def test_named_parties_are_resolved_not_repeated():
    raw = yaml.safe_load((CORPUS / "supply_links.yaml").read_text(encoding="utf-8"))["links"]
    for item in raw:
        assert set(item) <= {"id", "from", "to", "material", "elements", "stage", "kind", "status", "volume",
                             "share", "signed", "since", "until", "note", "evidence"}, item["id"]
    by_id = {link.id: link for link in _links()}
    assert by_id["lynas-malaysia-sojitz"].source.kind == "facility"
    assert by_id["lynas-malaysia-sojitz"].to.country == "japan"
    assert by_id["india-magnet-imports"].source is None  # "supplier not sourced"


def test_unknown_party_is_refused(tmp_path):
    (tmp_path / "supply_links.yaml").write_text(
        "links:\n  - {id: x, from: Atlantis Mining, to: china, material: ore, kind: trade_flow, status: current,\n"
        "     evidence: {doc: profiles/china.md, text: China}}\n", encoding="utf-8")
    entities = load_entities(CORPUS / "entities.yaml")
    with pytest.raises(ValueError, match="Atlantis"):
        load_links(tmp_path, load_registry(CORPUS / "value_chain", entities), entities)


def test_fixture_sentences_exist():
    """The expectations quote their documents (written before the records, so checked on their own)."""
    data = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    for sc in data["scenarios"]:
        for cat in ("loses", "alternative", "unaffected", "not_sourced", "outlet_lost"):
            for item in sc.get(cat) or []:
                evs = item["evidence"] if isinstance(item["evidence"], list) else [item["evidence"]]
                for ev in evs:
                    assert ev["sentence"] in (CORPUS / ev["doc"]).read_text(encoding="utf-8"), ev


# -- scenarios and exposure --------------------------------------------------------------------------------------
def _scenario(sc):
    from assistant.views.exposure import scenario

    entities = load_entities(CORPUS / "entities.yaml")
    registry = load_registry(CORPUS / "value_chain", entities)
    links, names = _world()
    return scenario(links, names, registry, sc["stop"], sc["material"], sc["elements"], sc["stage"])


@pytest.mark.parametrize("sc", yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))["scenarios"],
                         ids=lambda sc: sc["id"])
def test_scenario_matches_expectations_written_before_the_code(sc):
    result = _scenario(sc)
    for cat in ("loses", "alternative", "unaffected", "not_sourced", "outlet_lost"):
        got = {a.country for a in getattr(result, cat)}
        want = {item["country"] for item in sc.get(cat) or []}
        assert want <= got, f"{sc['id']} {cat}: expected {sorted(want)}, got {sorted(got)}"
        assert not set((sc.get("never") or {}).get(cat, [])) & got, f"{sc['id']} {cat}: {sorted(got)}"
    if sc["id"] != "lynas-malaysia-stops":  # every expected loss is listed, and nothing more
        assert {a.country for a in result.loses} == {i["country"] for i in sc["loses"]}
    # Every line is cited, and every number points at a sentence.
    numbers = {s.n for s in result.sources}
    for cat in ("loses", "alternative", "unaffected", "not_sourced", "outlet_lost"):
        for a in getattr(result, cat):
            for f in [*a.cut, *a.alternatives, *a.planned]:
                assert f.cites and set(f.cites) <= numbers


def test_exposure_lists_suppliers_by_stage_and_unsourced_imports():
    from assistant.views.exposure import exposure

    links = _links()
    korea = exposure(links, "south_korea", "magnet")
    stages = {d.stage: {f.supplier_country for f in d.flows} for d in korea.depends_on}
    assert {"vietnam", "united_states"} <= stages["metal"] and "china" in stages["magnet"]
    assert korea.not_sourced and korea.not_sourced[0].supplier == "supplier not sourced"
    germany = exposure(links, "germany", "magnet")
    assert {f.stage for f in germany.not_sourced} == {"metal", "alloy", "magnet"}
    myanmar = exposure(links, "myanmar", "magnet")
    assert not myanmar.depends_on and {f.receiver_country for f in myanmar.supplies} == {"china"}
    assert exposure(links, "japan", "mining").depends_on == []  # nothing is taken in before the target


def test_cli_exposure_and_scenario(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from assistant.frontends.cli import app

    monkeypatch.setenv("REE_PATHS__INDEXES", str(tmp_path))
    runner = CliRunner()
    out = runner.invoke(app, ["scenario", "--stop", "Lynas Malaysia"])
    assert out.exit_code == 0, out.output
    assert "Keep a sourced alternative: Japan, United States" in out.output and "[1]" in out.output
    out = runner.invoke(app, ["exposure", "Japan", "--json"])
    assert out.exit_code == 0 and '"supplier_countries"' in out.output
    out = runner.invoke(app, ["scenario", "--stop", "Atlantis", "--material", "oxide"])
    assert out.exit_code != 0


def test_brief_depends_on_section():
    from assistant.types import Checklist
    from assistant.views.brief import Brief, add_dependencies, to_markdown
    from assistant.views.exposure import exposure

    cl = Checklist(country="South Korea", target="magnet", verdict=None, binding_gap=None, stages=[])
    b = Brief(key="south_korea", country="South Korea", region="East Asia", target="magnet", checklist=cl, stages=cl,
              figures=[], facilities=[], sections=[], charts=[])
    md = to_markdown(add_dependencies(b, exposure(_links(), "south_korea", "magnet")))
    assert "## Depends on" in md and "magnets from China" in md and "supplier not sourced" in md
    assert "ASM's Korean Metals Plant buys its oxide" in md
