"""The web UI's Supply tab in a real browser (Playwright drives Debian's Chromium, headless, against the app served
on loopback): a country's links drawn as an SVG graph, and a scenario whose table equals the scenario's records."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest
from conftest import LOOPBACK

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"  # docs/supply.png is copied from here



def test_supply_tab_draws_links_and_runs_a_scenario(server: tuple[str, object], browser) -> None:  # type: ignore[no-untyped-def]
    from assistant.frontends.web_supply import scenario_rows

    url, assistant = server
    page = browser.new_page(viewport={"width": 1500, "height": 1300})
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.set_default_timeout(60_000)
    page.goto(url + "/")
    page.get_by_role("tab", name="Supply").click()

    # The graph of Japan's links: one edge per link the exposure holds, Lynas among the suppliers.
    page.locator("#supply-show").click()
    page.locator("#supply-graph").wait_for()
    e = assistant.exposure("japan")  # type: ignore[attr-defined]
    edges = [f for d in e.depends_on for f in d.flows] + list(e.not_sourced) + list(e.supplies)
    assert page.locator("#supply-graph path.edge").count() == len(edges) > 0
    assert "Lynas" in page.locator("#supply-graph").inner_html()
    assert "Japan" in page.locator("#supply-summary").inner_text()

    # The scenario the form starts with (China stops Dy/Tb oxide): the table equals the scenario's rows.
    page.locator("#scen-run").click()
    page.locator("#scen-table").wait_for()
    s = assistant.scenario("China", "oxide", ["Dy", "Tb"], "separation")  # type: ignore[attr-defined]
    want = scenario_rows(s)
    cells = page.locator("#scen-table tbody tr")
    assert cells.count() == len(want) > 0
    got = [(cells.nth(i).locator("td").nth(1).inner_text(), cells.nth(i).locator("td").nth(3).inner_text())
           for i in range(cells.count())]
    assert got == [(r["country"], r["link"]) for r in want]
    text = page.locator("#scen-table").inner_text()
    assert "Lose a sourced supply" in text and "India" in text and "Japan" in text
    assert "Lynas" in text  # Japan keeps Lynas's Dy and Tb (tests/fixtures/scenarios.yaml)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "supply.png"), full_page=True)

    hosts = {urlparse(u).hostname for u in requested if u.startswith("http")}
    assert hosts <= LOOPBACK, f"requests left for outside hosts: {hosts - LOOPBACK}"
