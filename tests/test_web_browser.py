"""End to end in a real browser: Playwright drives Debian's Chromium (headless) against the real app served by
uvicorn on loopback, on a private copy of the shipped-corpus index."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from conftest import LOOPBACK, ROOT, make_settings, serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="module")
def server(corpus_indexes: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, object]]:
    from assistant.core import Assistant
    from assistant.frontends.api import create_app

    indexes = tmp_path_factory.mktemp("web-indexes")
    shutil.copytree(corpus_indexes, indexes, symlinks=True, dirs_exist_ok=True)  # uploads must not leak
    assistant = Assistant(make_settings(ROOT / "corpus", indexes))
    with serving(create_app(assistant)) as url:
        yield url, assistant



def _open(browser, url: str, width: int, height: int) -> tuple[Any, list[str]]:  # type: ignore[no-untyped-def]
    """A page on the app, recording every URL it requests."""
    page = browser.new_page(viewport={"width": width, "height": height})
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.set_default_timeout(60_000)
    page.goto(url + "/")
    return page, requested


def _assert_loopback_only(requested: list[str]) -> None:
    hosts = {urlparse(u).hostname for u in requested if u.startswith("http")}
    assert hosts <= LOOPBACK, f"requests left for outside hosts: {hosts - LOOPBACK}"


def test_ask_follow_up_upload_in_chromium(server: tuple[str, object], browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url, assistant = server
    page, requested = _open(browser, url, 1400, 1000)

    # Ask; the streamed answer ends with a verdict badge, citation markers, sources and the checklist.
    page.locator("#question textarea").fill("Can Kazakhstan make magnets?")
    page.locator("#ask").click()
    page.locator("#checklist .cl-card").first.wait_for()
    chat = page.locator("#chat")
    assert "Kazakhstan" in chat.inner_text()
    assert chat.locator(".verdict").count() >= 1
    assert chat.locator("a.cite").count() >= 2
    card = page.locator("#checklist .cl-card")
    assert card.count() == 1 and "Kazakhstan" in card.first.inner_text()
    rows = card.first.locator("tbody tr")
    assert rows.count() >= 7
    assert "magnet" in card.first.inner_text() and card.first.locator(".st-none").count() >= 1
    assert page.locator("#sources .src mark").count() >= 2
    first_src = page.locator("#sources #src-1")
    assert first_src.locator("a[href^='http']").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ask-kazakhstan.png"))

    # Clicking a marker brings its source into view and opens its document in the viewer (tests/test_web_viewer.py).
    chat.locator("a.cite").first.click()
    assert page.url.rstrip("/") == url  # no navigation away from the app
    page.locator("#doc-viewer mark.dv-cited").wait_for()
    page.keyboard.press("Escape")
    page.locator("#doc-viewer").wait_for(state="hidden")

    # Follow-up in the same conversation.
    page.locator("#question textarea").fill("And Japan?")
    page.locator("#ask").click()
    page.locator("#checklist .cl-card[data-country='Japan']").wait_for()
    assert "Japan" in page.locator("#checklist .cl-card[data-country='Japan']").inner_text()

    # Feedback.
    page.locator("#fb-comment textarea").fill("useful")
    page.locator("#fb-up").click()
    page.get_by_text("feedback #").wait_for()

    # Upload: a good document and a binary one; the good one goes in, the bad one is named.
    good = tmp_path / "kz-notes.md"  # poisoned: markup in the title and the text must render as text
    good.write_text("# Zorblax notes <img src=x onerror=window.__pwned=1>\n\n"
                    "The zorblax rare-earth separation pilot <script>window.__pwned=2</script> makes NdPr oxide "
                    "for magnets.\n")
    bad = tmp_path / "blob.txt"
    bad.write_bytes(bytes(range(256)) * 20)
    page.get_by_role("tab", name="Upload documents").click()
    page.locator("#upload input[type=file]").set_input_files([str(good), str(bad)])
    page.locator("#ingest").click()
    result = page.locator("#ingest-result")
    result.get_by_text("Ingested").wait_for()
    text = result.inner_text()
    assert "kz-notes.md" in text and "blob.txt" in text and "Rejected 1" in text
    assert any("kz-notes" in s.doc_id for s in assistant.sources())
    page.get_by_role("tab", name="Sources browser").click()
    assert "<img src=x onerror" in page.locator("#sources-browser").inner_text()

    assert page.evaluate("window.__pwned") is None
    assert page.locator("#sources-browser img").count() == 0

    _assert_loopback_only(requested)


def test_map_tab_filter_click_opens_checklist(server: tuple[str, object], browser) -> None:  # type: ignore[no-untyped-def]
    """The Map tab: the grid equals the map, a typed filter narrows it, a click opens that country's checklist."""
    url, assistant = server
    page, requested = _open(browser, url, 1500, 1100)
    page.get_by_role("tab", name="Map").click()
    grid = page.locator("#map-grid")
    grid.locator("table.map-table").wait_for()
    full = assistant.capability_map()  # type: ignore[attr-defined]
    rows = grid.locator("tbody tr")
    assert rows.count() == full.countries_total == len(full.rows) >= 20
    kz = grid.locator("td.mc[data-key='kazakhstan'][data-stage='separation']")
    assert "st-none" in (kz.get_attribute("class") or "")
    tip = kz.get_attribute("title") or ""
    assert "as of 20" in tip and "separation: none" in tip  # the hover text carries the as-of date
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map.png"))  # docs/map.png is a copy of it, refreshed by hand

    page.locator("#map-filter textarea").fill("separation at_scale")
    page.locator("#map-show").click()
    page.wait_for_function("() => (document.querySelector('#map-count') || {innerText: ''}).innerText"
                           ".includes('filter: separation at_scale')")
    want = assistant.capability_map(stage="separation", status="at_scale")  # type: ignore[attr-defined]
    assert 0 < rows.count() == len(want.rows) < full.countries_total
    assert [rows.nth(i).get_attribute("data-country") for i in range(rows.count())] == [r.country for r in want.rows]
    assert grid.locator("td.mc[data-stage='separation']:not(.st-at_scale)").count() == 0

    pick = want.rows[-1]
    grid.locator(f"td.mc[data-key='{pick.key}'][data-stage='separation']").click()
    card = page.locator(f"#map-checklist .cl-card[data-country='{pick.country}']")
    card.wait_for()
    answer = assistant.gaps(pick.key)  # type: ignore[attr-defined]
    assert card.locator("tbody tr").count() == len(answer.checklist.stages)
    assert card.locator("a.cite").count() >= 1
    assert page.locator("#map-sources .src").count() == len(answer.citations) >= 1
    page.locator("#brief-pdf").wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map-checklist.png"), full_page=True)

    _assert_loopback_only(requested)


def test_projects_tab_filters_the_registry_and_draws_its_timeline(server: tuple[str, object], browser) -> None:  # type: ignore[no-untyped-def]
    """The Projects tab: the table equals the registry for the filters, and the timeline marks done and expected."""
    url, assistant = server
    page, requested = _open(browser, url, 1500, 1100)
    page.get_by_role("tab", name="Projects").click()
    page.locator("#proj-table").wait_for()
    everything = assistant.projects()  # type: ignore[attr-defined]
    assert page.locator("#proj-table tbody tr").count() == len(everything) > 150

    page.locator("#proj-region textarea").fill("Europe")
    page.locator("#proj-show").click()
    want = assistant.projects(region="Europe")  # type: ignore[attr-defined]
    page.wait_for_function(f"() => (document.querySelector('#proj-count') || {{innerText: ''}}).innerText"
                           f".startsWith('{len(want)} project')")
    names = [page.locator("#proj-table tbody tr").nth(i).locator("td").first.inner_text()
             for i in range(page.locator("#proj-table tbody tr").count())]
    assert names == [r["name"] for r in want]
    import datetime as dt

    from assistant.views.projects import timeline

    marks = timeline(want, dt.date.today().year)  # their milestones, and first outputs no milestone dates
    dots = page.locator("#proj-timeline circle[data-kind]")
    assert dots.count() == len(marks) > 0
    hollow = page.locator("#proj-timeline circle[data-kind][fill='none']").count()
    assert hollow == sum(1 for m in marks if not m["done"]) > 0 and hollow < len(marks)  # expected hollow, done filled
    assert page.locator("#proj-timeline circle[data-kind='closure']").count() >= 1  # Saltend, abandoned in 2025
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "projects.png"), full_page=True)
    _assert_loopback_only(requested)
