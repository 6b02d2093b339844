"""Access control and admission over real HTTP on loopback: the Bearer token on writes (and reads when asked),
refusal to listen beyond loopback without one, CORS closed by default, per-client rate limits, and a 503 with
Retry-After when every worker is busy."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from conftest import ROOT
from pydantic import SecretStr

QUESTION = "How many mixer-settler stages does the Zorblax process use?"
TOKEN = "s3cret-token-for-tests"


@contextmanager
def served(assistant: Any, **api: Any) -> Iterator[httpx.Client]:
    from conftest import serving

    from assistant.core import Assistant
    from assistant.frontends.api import create_app
    from assistant.settings import ApiSettings

    token = api.pop("token", None)
    settings = assistant.settings.model_copy(update={"api": ApiSettings(**api),
                                                     "api_token": SecretStr(token) if token else None})
    app = create_app(Assistant(settings), ui=False)
    with serving(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        client.app = app  # type: ignore[attr-defined]
        yield client


def _auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()


def test_token_guards_writes_and_feedback_returns_only_its_id(mini_assistant: Any) -> None:
    feedback = {"question": QUESTION, "answer": "412", "rating": 1, "comment": "private note"}
    with served(mini_assistant, token=TOKEN) as client:
        r = client.post("/api/feedback", json=feedback)
        _problem(r, 401)
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
        _problem(client.post("/api/feedback", json=feedback, headers=_auth("wrong")), 401)
        _problem(client.post("/api/feedback", json=feedback, headers={"Authorization": f"Basic {TOKEN}"}), 401)
        ok = client.post("/api/feedback", json=feedback, headers=_auth())
        assert ok.status_code == 201 and set(ok.json()) == {"id"}  # nobody's comments come back
        assert client.get("/api/feedback").status_code in (404, 405)  # there is no way to list feedback
        files = {"files": ("note.md", b"# Note\n\nThe Vexmoor plant roasts bastnaesite concentrate.\n")}
        _problem(client.post("/api/ingest", files=files), 401)
        up = client.post("/api/ingest", files=files, headers=_auth())
        assert up.status_code == 200 and up.json()["added"], up.text
        # Reads stay open unless REE_API__PROTECT_READS is set.
        assert client.post("/api/ask", json={"question": QUESTION}).status_code == 200


def test_protect_reads_needs_the_token_on_reads(mini_assistant: Any) -> None:
    with served(mini_assistant, token=TOKEN, protect_reads=True) as client:
        _problem(client.post("/api/ask", json={"question": QUESTION}), 401)
        _problem(client.get("/api/search", params={"q": "Zorblax"}), 401)
        _problem(client.get("/api/sources"), 401)
        r = client.post("/api/ask", json={"question": QUESTION}, headers=_auth())
        assert r.status_code == 200 and "412" in r.json()["answer"]
        assert client.get("/api/sources", headers=_auth()).status_code == 200


def test_no_token_configured_leaves_writes_open_on_loopback(mini_assistant: Any) -> None:
    with served(mini_assistant) as client:
        r = client.post("/api/feedback", json={"question": QUESTION, "rating": -1})
        assert r.status_code == 201


def test_refuses_a_non_loopback_host_without_a_token(mini_assistant: Any) -> None:
    from assistant.errors import InputError
    from assistant.frontends.auth import check_exposure
    from assistant.settings import ApiSettings

    s = mini_assistant.settings
    for host in ("127.0.0.1", "::1", "localhost", "127.0.0.2"):
        check_exposure(s, host)
    with pytest.raises(InputError, match="REE_API_TOKEN"):
        check_exposure(s, "0.0.0.0")
    check_exposure(s.model_copy(update={"api_token": SecretStr(TOKEN)}), "0.0.0.0")
    check_exposure(s.model_copy(update={"api": ApiSettings(open=True)}), "0.0.0.0")
    # The real command says so in one line and exits before binding anything.
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "REE_PATHS__CORPUS": str(s.paths.corpus),
           "REE_PATHS__INDEXES": str(s.paths.indexes), "HF_HUB_OFFLINE": "1"}
    res = subprocess.run([sys.executable, "-m", "assistant.frontends.cli", "serve", "--host", "0.0.0.0", "--port", "1"],
                         env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert res.returncode != 0
    assert "Refusing to listen on 0.0.0.0" in res.stdout + res.stderr
    assert "Traceback" not in res.stdout + res.stderr


def test_cors_is_closed_by_default_and_opens_to_listed_origins(mini_assistant: Any) -> None:
    preflight = {"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"}
    with served(mini_assistant) as client:
        r = client.options("/api/ask", headers=preflight)
        assert "access-control-allow-origin" not in r.headers
        r = client.post("/api/ask", json={"question": QUESTION}, headers={"Origin": "https://elsewhere.example"})
        assert "access-control-allow-origin" not in r.headers
    with served(mini_assistant, cors_origins=["https://ok.example"]) as client:
        r = client.options("/api/ask", headers={**preflight, "Origin": "https://ok.example"})
        assert r.headers.get("access-control-allow-origin") == "https://ok.example"
        r = client.options("/api/ask", headers=preflight)
        assert r.headers.get("access-control-allow-origin") != "https://elsewhere.example"


def test_rate_limit_answers_429_with_retry_after(mini_assistant: Any) -> None:
    with served(mini_assistant, rate_ask="3/minute", rate_ingest="1/minute") as client:
        codes = [client.post("/api/ask", json={"question": QUESTION}).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        r = client.post("/api/ask", json={"question": QUESTION})
        body = _problem(r, 429)
        assert body["type"] == "/problems/rate-limited" and int(r.headers["Retry-After"]) > 0
        files = {"files": ("a.md", b"# A\n\nThe Zintor mill grinds ore.\n")}
        assert client.post("/api/ingest", files=files).status_code == 200
        _problem(client.post("/api/ingest", files=files), 429)
        assert client.get("/api/search", params={"q": "Zorblax"}).status_code == 200  # not limited


def test_busy_workers_answer_503_with_retry_after(mini_assistant: Any) -> None:
    with served(mini_assistant, workers=1, queue=0, retry_after_s=7) as client:
        gate = client.app.state.gate  # type: ignore[attr-defined]
        with gate:  # the one worker is taken
            r = client.post("/api/ask", json={"question": QUESTION})
            body = _problem(r, 503)
            assert body["type"] == "/problems/busy" and r.headers["Retry-After"] == "7"
        assert client.post("/api/ask", json={"question": QUESTION}).status_code == 200


def test_v1_and_mcp_share_the_worker_gate(mini_assistant: Any) -> None:
    """The OpenAI-compatible and MCP front ends are bounded by the same gate as /api: none runs past it."""
    chat = {"model": "ree-assistant", "messages": [{"role": "user", "content": QUESTION}]}
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "search",
                                                                          "arguments": {"query": "Zorblax"}}}
    mcp = {"Accept": "application/json, text/event-stream"}
    with served(mini_assistant, workers=1, queue=0, retry_after_s=7) as client:
        init = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}
        session = client.post("/mcp", json=init, headers=mcp).headers.get("mcp-session-id")
        headers = {**mcp, **({"mcp-session-id": session} if session else {})}
        with client.app.state.gate:  # type: ignore[attr-defined] # the one worker is taken
            r = client.post("/v1/chat/completions", json=chat)
            assert r.status_code == 503 and r.headers["Retry-After"] == "7", r.text
            assert r.json()["error"]["message"].startswith("All workers are busy")
            busy = client.post("/mcp", json=call, headers=headers)
            assert "All workers are busy" in busy.text and '"isError":true' in busy.text.replace(" ", ""), busy.text
        assert client.post("/v1/chat/completions", json=chat).status_code == 200
        done = client.post("/mcp", json=call, headers=headers)
        assert done.status_code == 200 and "Zorblax" in done.text and "All workers are busy" not in done.text


def test_a_refusal_reads_the_same_on_every_front_end(mini_assistant: Any) -> None:
    with served(mini_assistant, token=TOKEN) as client:
        api = _problem(client.post("/api/feedback", json={"question": "q", "rating": 1}), 401)
        mcp = _problem(client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"}), 401)
        assert api["type"] == mcp["type"] == "/problems/auth" and api["title"] == mcp["title"]
