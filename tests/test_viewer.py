"""The document viewer (frontends/web_viewer.py, `GET /doc/{doc_id}`): an uploaded document full of HTML and script
payloads is shown as text, never markup; the cited span is marked; only indexed documents can be opened."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import serving

from assistant.errors import UnknownDocumentError

PAYLOAD = """---
title: "Evil <img src=x onerror=alert(1)> report"
kind: analysis
sources:
  - publisher: "<script>alert('pub')</script> Press"
    title: "</li></ol><iframe src=//evil.example></iframe>"
    url: "javascript:alert(1)"
    via: "https://copy.example/a?x=1&y=2"
  - publisher: "Quote"
    url: "https://q.example/\\"onmouseover=alert(4)"
  - publisher: "Honest Agency"
    title: "Real data"
    url: "https://agency.example/data"
    date: 2025-02-03
---
# Zorblax payload notes

The Zorblax cascade output <script>alert("text")</script> doubled in 2025 according to the agency [S2].
A second line carries </div><img src=x onerror="alert(2)"> and <b onmouseover="alert(3)">bold</b> markup [S1].
"""


@pytest.fixture
def evil(mini_assistant: Any) -> tuple[Any, str]:
    """The payload uploaded through the service's ingest path (as the web UI and the API upload)."""
    from assistant.service import ingest_files

    report = ingest_files(mini_assistant, [("evil.md", PAYLOAD.encode())], channel="web")
    assert len(report.added) == 1, report
    return mini_assistant, report.added[0]


def _no_markup_from_the_document(html: str) -> None:
    lowered = html.lower()
    for bad in ("<script", "<iframe", "<img", "<b onmouseover", 'onerror="', 'href="javascript'):
        assert bad not in lowered, bad  # only the escaped forms may appear


def test_the_viewer_escapes_an_uploaded_document(evil: tuple[Any, str]) -> None:
    from assistant.frontends.web_viewer import cited_source, viewer_html, viewer_page

    assistant, doc_id = evil
    doc = assistant.document(doc_id)
    assert doc.complete and doc.uploaded.startswith("uploaded via web")
    start = doc.text.index("The Zorblax cascade output")
    end = doc.text.index("[S2].") + len("[S2]")
    html = viewer_html(doc, (start, end))
    _no_markup_from_the_document(html)
    _no_markup_from_the_document(viewer_page(doc, (start, end)))
    assert "&lt;script&gt;alert(&quot;text&quot;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in html
    assert "Evil &lt;img src=x onerror=alert(1)&gt; report" in html  # the title
    assert "&lt;script&gt;alert(&#x27;pub&#x27;)&lt;/script&gt; Press" in html  # a source's publisher
    assert 'href="https://copy.example/a?x=1&amp;y=2"' in html  # an http(s) address, escaped
    assert "https://q.example/&quot;onmouseover=alert(4)" in html and 'href="https://q.example' not in html
    marked = re.search(r'<mark class="dv-cited" id="cited">(.*?)</mark>', html, re.S)
    assert marked and marked.group(1).startswith("The Zorblax cascade output &lt;script&gt;")
    assert cited_source(doc, (start, end)) == 2  # the [S2] in the span: Honest Agency
    assert 'class="dv-cited-source">Cited source [S2] (as the upload names it)' in html
    assert "claimed, not checked" in html and "2025-02-03" in html and "undated" in html


def test_only_indexed_documents_open(mini_assistant: Any) -> None:
    for doc_id in ("../../etc/passwd", "guide.md/../../../pyproject.toml", "ext/x/../../settings.py", "nope.md"):
        with pytest.raises(UnknownDocumentError):
            mini_assistant.document(doc_id)
    guide = mini_assistant.document("guide.md")
    assert guide.title.startswith("Test guide") and guide.sources[0]["publisher"] == "Test Publisher"


@pytest.fixture
def served(evil: tuple[Any, str]) -> Iterator[tuple[str, Any, str]]:
    from assistant.frontends.api import create_app

    assistant, doc_id = evil
    with serving(create_app(assistant)) as url:
        yield url, assistant, doc_id


def test_the_route_goes_through_the_guard_and_the_core(served: tuple[str, Any, str]) -> None:
    from assistant.frontends.web_html import doc_href

    url, assistant, doc_id = served
    doc = assistant.document(doc_id)
    start = doc.text.index("A second line")
    href = doc_href(doc_id, (start, start + 40))
    assert href == f"/doc/{doc_id}?span={start}-{start + 40}#cited"
    with httpx.Client(base_url=url, timeout=60) as http:
        page = http.get(href.split("#")[0])
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]  # the Guard's headers
        assert page.text.startswith("<!doctype html>")
        assert '<mark class="dv-cited" id="cited">A second line' in page.text
        _no_markup_from_the_document(page.text.split("<body>", 1)[1])
        fragment = http.get(href.split("#")[0] + "&embed=1")
        assert fragment.text.startswith('<article class="doc-view"')

        assert http.get("/doc/guide.md?span=5-1&embed=1").text.count("not in this version of the document") == 1
        bad = http.get("/doc/guide.md?span=abc")
        assert bad.status_code == 422 and bad.json()["field"] == "span"
        for missing in ("/doc/nope.md", "/doc/..%2F..%2Fpyproject.toml", "/doc/ext%2F..%2F..%2Fapp.py"):
            r = http.get(missing)
            assert r.status_code == 404 and r.json()["type"].endswith("unknown-document"), missing
        assert http.get("/doc/guide.md", headers={"Host": "evil.example"}).status_code == 421  # DNS rebinding


def test_a_citation_links_to_its_span_in_the_document(mini_assistant: Any) -> None:
    from assistant.frontends.web_html import sources_html, sources_table

    answer = mini_assistant.ask("How many mixer-settler stages does the Zorblax cascade have?")
    c = answer.citations[0]
    assert f'<a class="doc-open" href="/doc/{c.doc_id}?span={c.span[0]}-{c.span[1]}#cited">' in sources_html(answer)
    assert mini_assistant.document(c.doc_id).text[c.span[0]:c.span[1]] == c.verbatim
    assert '<a class="doc-open" href="/doc/guide.md">' in sources_table(mini_assistant.sources())
