"""The HTTP API and the mounted UI, against the real app served by uvicorn on loopback (a private copy of the
shipped-corpus index, so uploads here never leak into other tests)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ROOT, make_settings, serving


@pytest.fixture(scope="module")
def live(corpus_indexes: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    from assistant.core import Assistant
    from assistant.frontends.api import create_app

    indexes = tmp_path_factory.mktemp("api-indexes")
    shutil.copytree(corpus_indexes, indexes, symlinks=True, dirs_exist_ok=True)
    assistant = Assistant(make_settings(ROOT / "corpus", indexes))
    with serving(create_app(assistant)) as url:
        yield url, assistant


@pytest.fixture
def client(live: tuple[str, Any]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live[0], timeout=60) as c:
        yield c


def assert_problem(r: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert set(body) == {"type", "title", "status", "detail", "field"}
    assert body["status"] == status and body["detail"]
    assert "Traceback" not in r.text
    if field is not None:
        assert body["field"] == field, body
    return body


def test_ask_returns_the_answer_json_contract(client: httpx.Client, corpus_assistant: Any) -> None:
    r = client.post("/api/ask", json={"question": "Can Kazakhstan make magnets?"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body == corpus_assistant.ask("Can Kazakhstan make magnets?").to_json()  # same as `ree ask --json`
    assert body["checklist"]["country"] == "Kazakhstan" and body["checklist"]["verdict"] == "no"
    assert body["citations"] and "[1]" in body["answer"]


def test_follow_up_uses_the_conversation(client: httpx.Client) -> None:
    first = client.post("/api/ask", json={"question": "Can Kazakhstan make magnets?", "conversation_id": "c-api"})
    assert first.status_code == 200
    r = client.post("/api/ask", json={"question": "And Japan?", "conversation_id": "c-api"})
    assert r.status_code == 200, r.text
    assert r.json()["checklist"]["country"] == "Japan"
    assert r.json()["conversation_id"] == "c-api"


def test_search_gaps_sources_health(client: httpx.Client) -> None:
    hits = client.get("/api/search", params={"q": "NdFeB magnet plant", "k": 3}).json()
    assert len(hits) == 3 and {"doc_id", "text", "score", "section"} <= set(hits[0])
    gaps = client.get("/api/gaps/Kazakhstan", params={"target": "separation"}).json()
    assert gaps["checklist"]["target"] == "separation"
    assert [s["stage"] for s in gaps["checklist"]["stages"]][-1] == "recycling"  # the whole chain is shown
    docs = client.get("/api/sources").json()
    assert any(d["doc_id"] == "profiles/kazakhstan.md" for d in docs)
    health = client.get("/api/health").json()
    assert health["status"] == "ok" and health["chunks"] > 0
    spec = client.get("/openapi.json").json()
    assert {"/api/ask", "/api/search", "/api/gaps/{country}", "/api/ingest", "/api/sources", "/api/feedback",
            "/api/health"} <= set(spec["paths"])


def test_bad_input_gets_a_problem_naming_the_field(client: httpx.Client) -> None:
    assert_problem(client.post("/api/ask", json={}), 422, "question")
    assert_problem(client.post("/api/ask", json={"question": ""}), 422, "question")
    assert_problem(client.post("/api/ask", json={"question": "   "}), 422)
    assert_problem(client.post("/api/ask", json={"question": "x" * 5000}), 422, "question")
    assert_problem(client.post("/api/ask", json={"question": "magnets?", "filters": {"stage": "baking"}}), 422,
                   "stage")
    assert_problem(client.post("/api/ask", json={"question": "magnets?", "filters": {"date_from": "soon"}}), 422,
                   "date_from")
    assert_problem(client.post("/api/ask", content=b"{not json", headers={"content-type": "application/json"}),
                   422)
    assert_problem(client.get("/api/search"), 422, "q")
    assert_problem(client.get("/api/search", params={"q": "x", "k": 0}), 422, "k")
    body = assert_problem(client.get("/api/gaps/Narnia"), 404, "country")
    assert "Narnia" in body["detail"] and "Kazakhstan" in body["detail"]
    assert_problem(client.get("/api/gaps/Japan", params={"target": "baking"}), 422, "target")
    assert_problem(client.get("/api/no-such-thing"), 404)
    assert_problem(client.post("/api/feedback", json={"question": "q", "rating": 5}), 422, "rating")


def test_feedback_is_stored(client: httpx.Client, live: tuple[str, Any]) -> None:
    from assistant.state.feedback import FeedbackStore

    r = client.post("/api/feedback", json={"question": "Can Kazakhstan make magnets?", "answer": "No.",
                                           "rating": -1, "comment": "missing SARECO", "conversation_id": "c1"})
    assert r.status_code == 201, r.text
    rows = FeedbackStore(live[1].settings.paths.feedback_path).all()
    row = next(x for x in rows if x["id"] == r.json()["id"])
    assert (row["rating"], row["comment"], row["source"], row["conversation_id"]) == (-1, "missing SARECO", "api",
                                                                                       "c1")


def test_upload_bad_file_is_named_and_the_rest_ingested(client: httpx.Client, live: tuple[str, Any]) -> None:
    uploads = live[1].settings.paths.uploads_path
    files = [
        ("files", ("zorblax-notes.md", b"# Zorblax notes\n\nThe zorblax separation pilot makes NdPr oxide.\n",
                   "text/markdown")),
        ("files", ("blob.txt", bytes(range(256)) * 40, "text/plain")),
        ("files", ("../../escape.md", b"# Escape\n\nA path traversal attempt about rare-earth magnets.\n",
                   "text/markdown")),
        ("files", ("photo.exe", b"MZ\x00\x00", "application/octet-stream")),
    ]
    r = client.post("/api/ingest", files=files)
    assert r.status_code == 200, r.text
    report = r.json()
    assert any("zorblax-notes" in d for d in report["added"]) and any("escape" in d for d in report["added"])
    assert len(report["errors"]) == 2
    assert any(e.startswith("blob.txt") for e in report["errors"])
    assert any(e.startswith("photo.exe") and "unsupported" in e for e in report["errors"])
    assert str(uploads) not in " ".join(report["errors"])  # no server paths leak
    assert (uploads / "escape.md").is_file() and not (uploads.parent.parent / "escape.md").exists()
    hits = client.get("/api/search", params={"q": "zorblax separation pilot", "k": 3}).json()
    assert "zorblax" in hits[0]["text"].lower()


def test_oversized_upload_is_refused_with_413(client: httpx.Client, live: tuple[str, Any]) -> None:
    settings = live[1].settings
    before = settings.max_upload_bytes
    settings.max_upload_bytes = 1000
    try:
        r = client.post("/api/ingest", files=[("files", ("big.md", b"# Big\n\n" + b"word " * 1000, "text/markdown"))])
    finally:
        settings.max_upload_bytes = before
    assert "big.md" in assert_problem(r, 413)["detail"]
    assert not (settings.paths.uploads_path / "big.md").exists()


def test_unexpected_errors_leave_as_a_500_problem_without_internals(tmp_path: Path, mini_assistant: Any) -> None:
    from assistant.frontends.api import create_app

    (tmp_path / "db-is-a-folder").mkdir()
    mini_assistant.settings.paths.feedback_db = tmp_path / "db-is-a-folder"  # sqlite cannot open a folder
    with serving(create_app(mini_assistant, ui=False)) as url:
        r = httpx.post(url + "/api/feedback", json={"question": "q", "rating": 1})
    assert_problem(r, 500)
    assert "sqlite" not in r.text.lower() and "db-is-a-folder" not in r.text


def test_gradio_client_round_trip(live: tuple[str, Any]) -> None:
    from gradio_client import Client

    client = Client(live[0] + "/", verbose=False)
    result = client.predict("Kazakhstan vs Vietnam", [], "", "", "", "", "", api_name="/ask")
    chat, verdict, checklist, sources, markdown = result[:5]
    assert "Vietnam" in checklist and checklist.count('class="cl-card"') == 2  # side by side
    assert 'class="verdict' in verdict
    assert 'id="src-1"' in sources and "<mark>" in sources
    assert markdown.startswith("## Kazakhstan vs Vietnam") and "| magnet |" in markdown
    assert chat[-1]["role"] == "assistant" and 'class="cite"' in str(chat[-1]["content"])


def test_rendering_escapes_document_markup() -> None:
    from assistant.frontends.web_html import answer_html, answer_markdown, checklist_html, sources_html
    from assistant.types import Answer, Checklist, Citation, StageRow

    evil = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    cite = Citation(n=1, doc_id="ext/evil.md", chunk_id="c", title=evil, publisher=evil, url='javascript:alert(3)',
                    date="2025", section=evil, quote=f"quote {evil}", context=f"before quote {evil} after")
    cl = Checklist(country=evil, target="magnet", verdict="no", binding_gap="deposit",
                   stages=[StageRow(stage="deposit", status="none", detail=evil, as_of="2025", citations=[1])])
    answer = Answer(question=evil, answer=f"{evil} [1]", answerable=True, citations=[cite], checklist=cl)
    for html in (answer_html(answer), checklist_html(answer), sources_html(answer)):
        assert "<script" not in html and "<img" not in html and "javascript:" not in html
        assert "&lt;script&gt;" in html
    assert "<mark>quote &lt;script&gt;" in sources_html(answer)
    assert '<a class="cite" href="#src-1">[1]</a>' in answer_html(answer)
    assert "| deposit | none |" in answer_markdown(answer)
