"""The document viewer in a real browser (Playwright drives Debian's Chromium, headless, against the app served on
loopback): a citation in an answer opens its document inside the app with the cited words marked and in view, and
the sources browser opens the same viewer."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from conftest import LOOPBACK

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"  # docs/viewer.png is copied from here


def _words(text: str) -> str:
    return " ".join(text.split())


def test_a_citation_opens_its_document_with_the_span_marked(server: tuple[str, object], browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    url, assistant = server
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.set_default_timeout(60_000)
    page.goto(url + "/")

    page.locator("#question textarea").fill("Can Kazakhstan make magnets?")
    page.locator("#ask").click()
    page.locator("#checklist .cl-card").first.wait_for()
    chat = page.locator("#chat")
    marker = chat.locator("a.cite").first
    n = (marker.get_attribute("href") or "").removeprefix("#src-")
    href = page.locator(f"#sources #src-{n} a.doc-open").get_attribute("href") or ""
    m = re.fullmatch(r"/doc/(.+)\?span=(\d+)-(\d+)#cited", href)
    assert m, href
    doc_id, start, end = unquote(m.group(1)), int(m.group(2)), int(m.group(3))

    marker.click()  # the citation in the answer
    viewer = page.locator("#doc-viewer")
    mark = viewer.locator("mark.dv-cited")
    mark.wait_for()
    expect(mark).to_be_in_viewport()
    doc = assistant.document(doc_id)  # type: ignore[attr-defined]
    assert _words(mark.inner_text()) == _words(doc.text[start:end])
    assert viewer.locator("h2").inner_text() == doc.title
    sources = viewer.locator("ol.dv-sources li")
    assert sources.count() == len(doc.sources) > 0
    assert viewer.locator(".dv-cited-source a[href^='https://']").count() >= 1  # the original link
    assert page.url.rstrip("/") == url  # still in the app
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "viewer.png"))

    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()

    # The sources browser opens the same viewer, at the top of the document.
    page.get_by_role("tab", name="Sources browser").click()
    row = page.locator("#sources-browser a.doc-open", has_text="profiles/kazakhstan.md")
    row.click()
    expect(viewer.locator("h2")).to_have_text(assistant.document("profiles/kazakhstan.md").title)  # type: ignore[attr-defined]
    assert viewer.locator("mark.dv-cited").count() == 0
    assert viewer.locator("ol.dv-sources li").count() == len(assistant.document("profiles/kazakhstan.md").sources)  # type: ignore[attr-defined]
    viewer.locator(".dv-close").click()
    expect(viewer).to_be_hidden()

    hosts = {urlparse(u).hostname for u in requested if u.startswith("http")}
    assert hosts <= LOOPBACK, f"requests left for outside hosts: {hosts - LOOPBACK}"
