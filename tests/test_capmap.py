"""The capability map, the charts' data and the country briefs, over the shipped corpus and its real index.

The map must equal the checklist cell for cell; the tables the charts draw must equal USGS's own data releases in
`../shared/data/usgs` (CSV for MCS 2023 and MCS 2024, the MCS 2025 PDF's text for the 2025 edition).
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SHARED, make_settings, serving

from assistant.errors import InputError, UnknownCountryError
from assistant.types import STAGES

USGS = SHARED / "data" / "usgs"
CORPUS = ROOT / "corpus"
# USGS's country names → the corpus tables' row labels
USGS_NAMES = {"Burma": "Burma (Myanmar)"}


def _csv(name: str) -> list[dict[str, str]]:
    with (USGS / name).open(encoding="utf-8-sig") as fh:
        return [r for r in csv.DictReader(fh) if r.get("Country")]


def _num(text: str) -> float | None:
    text = (text or "").strip().replace(",", "")
    return None if text in ("", "NA") else float(text)


# -- the table loader against USGS -------------------------------------------------------------------------------
@pytest.mark.parametrize(("csv_name", "edition"), [("mcs2023-raree_world.csv", "MCS 2023"),
                                                   ("mcs2024-raree_world.csv", "MCS 2024")])
def test_reserves_table_equals_usgs_csv(csv_name: str, edition: str) -> None:
    from assistant.knowledge.tables import reserves

    ours = {r.country: r.tonnes for r in reserves(CORPUS) if r.edition == edition}
    checked = 0
    for row in _csv(csv_name):
        name = USGS_NAMES.get(row["Country"], row["Country"])
        if name not in ours or name == "Other countries":
            continue
        assert ours[name] == _num(row["Reserves_t"]), f"{edition} reserves of {name}"
        checked += 1
    assert checked >= 12  # every country the corpus table lists, and the world total


@pytest.mark.parametrize(("csv_name", "column", "year", "edition"), [
    ("mcs2023-raree_world.csv", "Prod_t_2021", 2021, "MCS 2023"),
    ("mcs2024-raree_world.csv", "Prod_t_est_2022", 2022, "MCS 2024"),
])
def test_mine_production_table_equals_usgs_csv(csv_name: str, column: str, year: int, edition: str) -> None:
    from assistant.knowledge.tables import mine_production

    ours = {r.country: r for r in mine_production(CORPUS) if r.year == year}
    assert ours and all(r.edition == edition for r in ours.values())
    usgs = {USGS_NAMES.get(r["Country"], r["Country"]): _num(r[column]) for r in _csv(csv_name)}
    for name, rec in ours.items():
        if rec.tonnes is None:  # "NA": no row in that edition
            assert name not in usgs
            continue
        assert usgs[name] == rec.tonnes, f"{year} mine production of {name}"
    assert {"China", "United States", "World total (rounded)"} <= set(ours)


def _mcs2025_text() -> str:
    import pypdf

    return "\n".join(p.extract_text() for p in pypdf.PdfReader(str(USGS / "mcs2025-rare-earths.pdf")).pages)


def test_mcs2025_tables_equal_the_usgs_pdf() -> None:
    """2023-2024 mine output and MCS 2025 reserves: each figure is on its country's line of the PDF's table
    (footnote numbers are glued to some figures there, so a figure is matched as it is printed)."""
    from assistant.knowledge.tables import mine_production, reserves

    text = _mcs2025_text()
    lines = {}
    for line in text.splitlines():
        m = re.match(r"^(United States|Australia|Brazil|Burma|Canada|China|Greenland|India|Madagascar|Malaysia|"
                     r"Nigeria|Russia|South Africa|Tanzania|Thailand|Vietnam|World total \(rounded\)) ", line)
        if m:
            lines[USGS_NAMES.get(m.group(1), m.group(1))] = line
    checked = 0
    for rec in mine_production(CORPUS):
        if rec.edition != "MCS 2025" or rec.country not in lines:
            continue
        printed = "—" if rec.tonnes == 0 else f"{rec.tonnes:,.0f}"
        assert printed in lines[rec.country], f"{rec.year} mine production of {rec.country}: {printed}"
        checked += 1
    for rec in reserves(CORPUS):
        if rec.edition != "MCS 2025" or rec.country not in lines:
            continue
        printed = "NA" if rec.tonnes is None else (">" if rec.lower_bound else "") + f"{rec.tonnes:,.0f}"
        assert lines[rec.country].rstrip().endswith(printed), f"MCS 2025 reserves of {rec.country}"
        checked += 1
    assert checked >= 35  # 13 producers x 2 years, 13 reserve rows


def test_us_salient_table_equals_the_usgs_pdf() -> None:
    from assistant.knowledge.tables import us_salient

    text = _mcs2025_text()
    concentrate = re.search(r"Mineral concentrates2 ([\d, —]+)", text)
    assert concentrate
    usgs = [_num(x) for x in concentrate.group(1).split()]
    ours = [s.value for s in us_salient(CORPUS) if s.item.startswith("Mine production")]
    assert ours == usgs == [39000, 42400, 42500, 41600, 45000]


def test_parse_number_cells() -> None:
    from assistant.knowledge.tables import parse_number

    assert parse_number("255,000") == (255000.0, False)
    assert parse_number("—") == (0.0, False)
    assert parse_number("NA") == (None, False)
    assert parse_number(">90,000,000") == (90000000.0, True)
    assert parse_number("") == (None, False)


# -- charts ---------------------------------------------------------------------------------------------------------
def test_chart_data_equals_usgs_figures() -> None:
    """What the charts draw is what USGS published, edition by edition."""
    from assistant.views.charts import chart_data

    mine = chart_data(CORPUS, "mine_production")
    by = {(d["country"], d["year"]): d["tonnes"] for d in mine.data}
    assert by[("China", 2021)] == 168000 and by[("China", 2022)] == 210000  # MCS 2023, MCS 2024
    assert by[("China", 2023)] == 255000 and by[("China", 2024)] == 270000  # MCS 2025
    for row in _csv("mcs2024-raree_world.csv"):
        name = USGS_NAMES.get(row["Country"], row["Country"])
        if (name, 2022) in by:
            assert by[(name, 2022)] == _num(row["Prod_t_est_2022"]), name
    res = chart_data(CORPUS, "reserves")
    rby = {(d["country"], d["edition"]): d["tonnes"] for d in res.data}
    for csv_name, edition in (("mcs2023-raree_world.csv", "MCS 2023"), ("mcs2024-raree_world.csv", "MCS 2024")):
        for row in _csv(csv_name):
            name = USGS_NAMES.get(row["Country"], row["Country"])
            if (name, edition) in rby:
                assert rby[(name, edition)] == _num(row["Reserves_t"]), (name, edition)
    assert rby[("Vietnam", "MCS 2023")] == 22_000_000 and rby[("Vietnam", "MCS 2025")] == 3_500_000
    share = chart_data(CORPUS, "china_share")
    assert {(d["stage"], d["share_pct"]) for d in share.data} >= {("mining", 69.0), ("mining", 61.0),
                                                                  ("separation", 91.0), ("magnet", 94.0)}
    assert any("usgs.gov" in url for _title, url in mine.sources)


def test_charts_render_offline_svg_and_png() -> None:
    from assistant.views.charts import chart

    for name in ("mine_production", "reserves", "china_share"):
        svg = chart(CORPUS, name, "svg")
        png = chart(CORPUS, name, "png")
        assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg
        assert not re.search(rb"(href|src)=\"https?://", svg) and b"@import" not in svg and b"<script" not in svg
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert chart(CORPUS, "mine_production", "png", "united_states").startswith(b"\x89PNG")
    with pytest.raises(InputError, match="Unsupported chart format 'gif'"):
        chart(CORPUS, "reserves", "gif")
    with pytest.raises(InputError, match="Unknown chart 'pie'"):
        chart(CORPUS, "pie", "svg")


def test_chart_for_question() -> None:
    from assistant.views.charts import chart_for_question

    assert chart_for_question("How much did Myanmar mine in 2024?") == "mine_production"
    assert chart_for_question("What are Brazil's rare-earth reserves?") == "reserves"
    assert chart_for_question("What is China's share of magnet making?") == "china_share"
    assert chart_for_question("Can Kazakhstan make magnets?") is None


# -- the map --------------------------------------------------------------------------------------------------------
def test_every_map_cell_equals_the_checklist(corpus_assistant: Any) -> None:
    from assistant.views.capmap import value_chain_keys

    cmap = corpus_assistant.capability_map(target="magnet")
    keys = value_chain_keys(CORPUS / "value_chain")
    assert sorted(r.key for r in cmap.rows) == keys and cmap.countries_total == len(keys) >= 20
    for row in cmap.rows:
        full = corpus_assistant.gaps(row.key, target="recycling").checklist
        assert [c.stage for c in row.cells] == list(STAGES)
        for cell, srow in zip(row.cells, full.stages, strict=True):
            assert (cell.stage, cell.status, cell.as_of, cell.detail) == (srow.stage, srow.status, srow.as_of,
                                                                          srow.detail), row.country
        magnet = corpus_assistant.gaps(row.key, target="magnet").checklist
        assert (row.verdict, row.binding_gap, row.country) == (magnet.verdict, magnet.binding_gap, magnet.country)
    for target in ("separation", "metal"):
        for row in corpus_assistant.capability_map(target=target).rows:
            cl = corpus_assistant.gaps(row.key, target=target).checklist
            assert (row.verdict, row.binding_gap) == (cl.verdict, cl.binding_gap), (target, row.country)


def test_map_filters_sorts_and_errors(corpus_assistant: Any) -> None:
    sep = corpus_assistant.capability_map(stage="separation", status="at_scale", region="outside China")
    assert sep.rows and all(r.cell("separation").status == "at_scale" and r.key != "china" for r in sep.rows)
    everyone = corpus_assistant.capability_map()
    want = {r.key for r in everyone.rows if r.cell("separation").status == "at_scale" and r.key != "china"}
    assert {r.key for r in sep.rows} == want
    europe = corpus_assistant.capability_map(region="Europe")
    assert europe.rows and {r.region for r in europe.rows} == {"Europe"}
    order = ["yes", "partly", "not yet", "no", None]
    ranks = [order.index(r.verdict) for r in everyone.rows]
    assert ranks == sorted(ranks) and everyone.rows[0].key == "china"
    reach = corpus_assistant.capability_map(sort="reach").rows
    idx = [STAGES.index(r.reach) if r.reach else -1 for r in reach]
    assert idx == sorted(idx, reverse=True)
    for kwargs, message in (({"status": "booming"}, "Unknown status 'booming'"),
                            ({"stage": "smelting", "status": "none"}, "Unknown stage 'smelting'"),
                            ({"region": "Atlantis"}, "Unknown region 'Atlantis'"),
                            ({"target": "toaster"}, "Unknown stage 'toaster'"),
                            ({"sort": "size"}, "Unknown sort 'size'")):
        with pytest.raises(InputError, match=message):
            corpus_assistant.capability_map(**kwargs)


def test_map_exports_one_row_per_country_and_stage(corpus_assistant: Any) -> None:
    cmap = corpus_assistant.capability_map()
    rows = list(csv.DictReader(io.StringIO(cmap.to_csv())))
    assert len(rows) == len(cmap.rows) * len(STAGES) == len(cmap.records())
    kz = {r["stage"]: r for r in rows if r["key"] == "kazakhstan"}
    assert kz["separation"]["status"] == "none" and kz["separation"]["verdict"] == "no"
    assert kz["deposit"]["as_of"] and kz["deposit"]["source_urls"].startswith("https://")
    assert set(rows[0]) == {"country", "key", "region", "target", "verdict", "binding_gap", "stage", "status", "label",
                            "as_of", "detail", "inferred", "source_urls"}
    assert kz["separation"]["label"] == "none found" and kz["deposit"]["label"] == "resource, no reserve"
    text = cmap.to_text()
    assert f"{len(cmap.rows)} of {cmap.countries_total} countries" in text and "Kazakhstan" in text


def test_map_region_from_the_yaml_or_the_table(tmp_path: Path) -> None:
    from assistant.views.capmap import region_of

    (tmp_path / "a.yaml").write_text("country: A\nregion: Arctic\nstages: {}\n")
    (tmp_path / "kazakhstan.yaml").write_text("country: Kazakhstan\nstages: {}\n")
    assert region_of(tmp_path, "a") == "Arctic" and region_of(tmp_path, "kazakhstan") == "Central Asia"


def test_parse_filter() -> None:
    from assistant.views.capmap import parse_filter

    assert parse_filter("separation at_scale") == {"stage": "separation", "status": "at_scale"}
    assert parse_filter("separation at_scale outside China") == {"stage": "separation", "status": "at_scale",
                                                                 "region": "outside China"}
    assert parse_filter("metal") == {"target": "metal"}
    assert parse_filter("target=alloy Europe") == {"target": "alloy", "region": "Europe"}


# -- briefs ---------------------------------------------------------------------------------------------------------
def _pdf_text(data: bytes) -> str:
    import pypdf

    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_cli_map_chart_and_brief_formats_as_the_readme_shows(corpus_indexes: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """`ree map`, `ree chart` and `ree brief --format html --out` with the README's options."""
    from typer.testing import CliRunner

    from assistant.frontends.cli import app

    monkeypatch.setenv("REE_PATHS__CORPUS", str(CORPUS))
    monkeypatch.setenv("REE_PATHS__INDEXES", str(corpus_indexes))
    run = CliRunner().invoke
    csv = run(app, ["map", "--stage", "separation", "--status", "at_scale", "--region", "outside China", "--csv"])
    assert csv.exit_code == 0, csv.output
    rows = csv.stdout.strip().splitlines()
    assert rows[0].startswith("country,key,region,target,verdict") and len(rows) > 1
    assert not any(",china," in r for r in rows[1:])
    listed = json.loads(run(app, ["map", "--json"]).stdout)
    assert len(listed["rows"]) == listed["countries_total"] >= 20
    svg = tmp_path / "chart.svg"
    drawn = run(app, ["chart", "mine_production", "--format", "svg", "--country", "Myanmar", "--out", str(svg)])
    assert drawn.exit_code == 0 and svg.read_bytes().lstrip().startswith((b"<?xml", b"<svg")), drawn.output
    html = tmp_path / "brief.html"
    made = run(app, ["brief", "Kazakhstan", "--format", "html", "--out", str(html)])
    assert made.exit_code == 0 and "Kazakhstan" in html.read_text() and "<script" not in html.read_text()


def test_cli_brief_kazakhstan_pdf(corpus_indexes: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from assistant.frontends.cli import app

    monkeypatch.setenv("REE_PATHS__CORPUS", str(CORPUS))
    monkeypatch.setenv("REE_PATHS__INDEXES", str(corpus_indexes))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["brief", "Kazakhstan", "--format", "pdf"])
    assert result.exit_code == 0, result.output
    data = (tmp_path / "ree-brief-kazakhstan.pdf").read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    text = _pdf_text(data)
    assert "Verdict (deposit → magnet): no" in text and "binding gap: deposit" in text
    for stage in STAGES:
        assert re.search(rf"\b{stage}\b", text), stage
    assert "Sources" in text and "https://pubs.usgs.gov/periodicals/mcs2025/mcs2025-rare-earths.pdf" in text

    bad = CliRunner().invoke(app, ["brief", "Atlantis", "--format", "pdf"])
    assert bad.exit_code == 2 and "Unknown country 'Atlantis'" in bad.output
    bad = CliRunner().invoke(app, ["brief", "Kazakhstan", "--format", "docx"])
    assert bad.exit_code == 2 and "Unsupported brief format 'docx'. Use one of: md, html, pdf." in bad.output


def test_html_brief_is_self_contained(corpus_assistant: Any) -> None:
    from assistant.views.brief import collect  # noqa: F401 - the module the brief comes from

    for country in ("China", "Kazakhstan", "United States"):
        data, media = corpus_assistant.brief(country, "html")
        page = data.decode("utf-8")
        assert media.startswith("text/html")
        b = corpus_assistant.brief_data(country)
        source_urls = {s.url for s in b.sources if s.url}
        found = set(re.findall(r"https?://[^\s\"'<>]+", html.unescape(page)))
        assert found and found <= {u for u in source_urls}, found - source_urls
        assert not re.search(r"<(script|link|iframe|img)\b", page, re.I)
        assert "@import" not in page and not re.search(r"url\((?!#)", page)  # only the SVG's own #clip ids
        assert "Verdict (deposit → magnet)" in page and all(f"<b>{s}</b>" in page for s in STAGES)
        # every cited number has its numbered source with its address
        for n in {int(x) for x in re.findall(r'href="#s(\d+)"', page)}:
            assert f'id="s{n}"' in page
    china = corpus_assistant.brief("China", "html")[0].decode()
    assert china.count("<svg") == 3  # mine output, reserves, China's share


def test_markdown_brief_and_errors(corpus_assistant: Any) -> None:
    md = corpus_assistant.brief("united states", "md")[0].decode()
    assert md.startswith("# United States: rare-earth value-chain brief")
    assert "Mine production 2024 (MCS 2025): 45,000 t REO" in md and "Reserves (MCS 2025): 1,900,000 t REO" in md
    assert "## Sources" in md and "## Next steps" in md
    with pytest.raises(UnknownCountryError, match="Unknown country 'Narnia'"):
        corpus_assistant.brief("Narnia", "md")
    with pytest.raises(InputError, match="Unsupported brief format 'odt'"):
        corpus_assistant.brief("Kazakhstan", "odt")


# -- HTTP -----------------------------------------------------------------------------------------------------------
def test_api_map_brief_chart(corpus_indexes: Path) -> None:
    import httpx

    from assistant.core import Assistant
    from assistant.frontends.api import create_app

    assistant = Assistant(make_settings(CORPUS, corpus_indexes))
    with serving(create_app(assistant, ui=False)) as url, httpx.Client(base_url=url, timeout=60) as http:
        r = http.get("/api/map", params={"target": "magnet"})
        assert r.status_code == 200
        body = r.json()
        assert body["target"] == "magnet" and len(body["rows"]) == body["countries_total"] >= 20
        assert len(body["records"]) == len(body["rows"]) * len(STAGES)
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            assert http.get("/api/map", params={"target": "magnet"}).status_code == 200
            times.append(time.perf_counter() - t0)
        print(f"\nGET /api/map?target=magnet: median {sorted(times)[2] * 1000:.0f} ms over 5 calls")
        r = http.get("/api/map", params={"stage": "separation", "status": "at_scale", "region": "outside China"})
        assert r.status_code == 200 and all(row["key"] != "china" for row in r.json()["rows"])
        r = http.get("/api/map", params={"format": "csv"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert r.text.splitlines()[0].startswith("country,key,region,target,verdict")
        r = http.get("/api/map", params={"status": "booming"})
        assert r.status_code == 422 and r.json()["field"] == "status"

        r = http.get("/api/brief/Kazakhstan", params={"format": "pdf"})
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        assert "Verdict (deposit → magnet): no" in _pdf_text(r.content)
        r = http.get("/api/brief/kazakhstan", params={"format": "html"})
        assert r.status_code == 200 and "<svg" not in r.text and "Kazakhstan" in r.text
        r = http.get("/api/brief/Atlantis")
        assert r.status_code == 404 and "Unknown country 'Atlantis'" in r.json()["detail"]
        r = http.get("/api/brief/Kazakhstan", params={"format": "docx"})
        assert r.status_code == 422 and r.json()["field"] == "format"

        r = http.get("/api/chart/reserves", params={"format": "png"})
        assert r.status_code == 200 and r.content.startswith(b"\x89PNG")
        r = http.get("/api/chart/mine_production", params={"country": "Myanmar"})
        assert r.status_code == 200 and r.headers["content-type"] == "image/svg+xml"
        assert http.get("/api/chart/pie").status_code == 422


def test_mcp_capability_map_tool(corpus_assistant: Any) -> None:
    import asyncio

    from assistant.frontends.mcp_server import build_server

    server = build_server(corpus_assistant)
    tools = {t.name: t for t in asyncio.run(server.list_tools())}
    assert "rows" in (tools["capability_map"].output_schema or {}).get("properties", {})
    result = asyncio.run(server.call_tool("capability_map", {"stage": "separation", "status": "at_scale",
                                                             "region": "outside China"}))
    assert not result.is_error
    want = corpus_assistant.capability_map(stage="separation", status="at_scale", region="outside China")
    assert result.structured_content == want.model_dump(mode="json")
    assert result.content[0].text == want.to_text()
    bad = asyncio.run(server.call_tool("capability_map", {"region": "Atlantis"}))
    assert bad.is_error and bad.content[0].text.startswith("Unknown region 'Atlantis'")


def test_numeric_answer_attaches_its_chart() -> None:
    from assistant.frontends.web_map import answer_chart_html

    shown = answer_chart_html({"question": "How much did Myanmar mine in 2024?", "answerable": True})
    assert 'src="/api/chart/mine_production?format=svg"' in shown
    assert answer_chart_html({"question": "How much did Myanmar mine in 2024?", "answerable": False}) == ""
    assert answer_chart_html({"question": "Can Kazakhstan make magnets?", "answerable": True}) == ""
