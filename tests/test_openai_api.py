"""The OpenAI-compatible endpoint, driven by the official `openai` client against the real app on loopback:
plain, streaming, a follow-up from earlier messages, OpenAI-style errors, and the bearer token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from conftest import ROOT, make_settings, serving
from pydantic import SecretStr

QUESTION = "Can Kazakhstan make magnets?"


def _app(indexes: Path, **extra: Any) -> Any:
    from assistant.core import Assistant
    from assistant.frontends.api import create_app

    return create_app(Assistant(make_settings(ROOT / "corpus", indexes, **extra)), ui=False)


@pytest.fixture(scope="module")
def base_url(corpus_indexes: Path) -> Iterator[str]:
    with serving(_app(corpus_indexes)) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{base_url}/v1", api_key="unused", max_retries=0, timeout=60)


def _cited(content: str, answer: dict[str, Any]) -> None:
    """Every [n] in the text is a citation of the answer JSON, and the Sources list names them all."""
    numbers = {int(n) for n in re.findall(r"\[(\d+)\]", content)}
    cited = {c["n"] for c in answer["citations"]}
    assert numbers and numbers <= cited, (numbers, cited)
    assert "Sources:" in content
    for c in answer["citations"]:
        assert f"[{c['n']}] {c['title']}" in content


def test_models_lists_ree_assistant(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["ree-assistant"]
    assert client.models.retrieve("ree-assistant").id == "ree-assistant"


def test_plain_chat_answers_with_citations_and_the_answer_json(client: openai.OpenAI) -> None:
    done = client.chat.completions.create(model="ree-assistant", messages=[{"role": "user", "content": QUESTION}])
    assert done.object == "chat.completion" and done.model == "ree-assistant"
    choice = done.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    answer = done.model_extra["ree_answer"]
    assert answer["question"] == QUESTION and answer["checklist"]["verdict"] == "no"
    assert answer["checklist"]["country"] == "Kazakhstan"
    content = choice.message.content or ""
    assert content.startswith(answer["answer"].strip()[:60])
    assert "verdict: **no**" in content and "- separation: none" in content
    _cited(content, answer)


def test_streaming_sends_openai_chunks_then_done(client: openai.OpenAI, base_url: str) -> None:
    stream = client.chat.completions.create(model="ree-assistant", stream=True,
                                            messages=[{"role": "user", "content": QUESTION}])
    chunks = list(stream)
    assert len(chunks) >= 4 and all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks][-1] == "stop"
    assert all(c.choices[0].finish_reason is None for c in chunks[:-1])
    content = "".join(c.choices[0].delta.content or "" for c in chunks)
    answer = chunks[-1].model_extra["ree_answer"]
    assert answer["checklist"]["verdict"] == "no"
    _cited(content, answer)
    raw = httpx.post(f"{base_url}/v1/chat/completions", timeout=60, json={
        "model": "ree-assistant", "stream": True, "messages": [{"role": "user", "content": QUESTION}]})
    assert raw.headers["content-type"].startswith("text/event-stream")
    assert raw.text.rstrip().endswith("data: [DONE]")


def _follow_up(client: openai.OpenAI) -> dict[str, Any]:
    first = client.chat.completions.create(model="ree-assistant", messages=[{"role": "user", "content": QUESTION}])
    done = client.chat.completions.create(model="ree-assistant", messages=[
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": [{"type": "text", "text": "And Japan?"}]},
    ])
    return done.model_extra["ree_answer"]


def test_a_follow_up_uses_the_earlier_messages(client: openai.OpenAI) -> None:
    answer = _follow_up(client)
    assert answer["question"] == "And Japan?"
    assert "japan" in (answer["resolved_question"] or "").lower()
    assert answer["checklist"]["country"] == "Japan" and answer["citations"]


def test_a_follow_up_survives_a_restart(client: openai.OpenAI, corpus_indexes: Path, tmp_path: Path) -> None:
    """A server that never saw the first turn (its own, empty conversation store) rebuilds the context from the
    transcript."""
    first = client.chat.completions.create(model="ree-assistant", messages=[{"role": "user", "content": QUESTION}])
    empty = SecretStr(f"sqlite:///{tmp_path / 'restarted.sqlite3'}")
    with serving(_app(corpus_indexes, database_url=empty)) as url:
        fresh = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=60)
        done = fresh.chat.completions.create(model="ree-assistant", messages=[
            {"role": "user", "content": QUESTION},
            {"role": "assistant", "content": first.choices[0].message.content},
            {"role": "user", "content": "And Japan?"},
        ])
    assert done.model_extra["ree_answer"]["checklist"]["country"] == "Japan"
    assert "japan" in (done.model_extra["ree_answer"]["resolved_question"] or "").lower()


def test_bad_requests_get_openai_error_bodies(client: openai.OpenAI, base_url: str) -> None:
    with pytest.raises(openai.NotFoundError) as err:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": QUESTION}])
    assert err.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError, match="last message must be the user"):
        client.chat.completions.create(model="ree-assistant", messages=[{"role": "assistant", "content": "hi"}])
    with pytest.raises(openai.BadRequestError, match="not supported"):
        client.chat.completions.create(model="ree-assistant", messages=[{"role": "user", "content": QUESTION}],
                                       tools=[{"type": "function", "function": {"name": "f", "parameters": {}}}])
    with pytest.raises(openai.BadRequestError, match="n=1"):
        client.chat.completions.create(model="ree-assistant", n=2, messages=[{"role": "user", "content": QUESTION}])
    ignored = client.chat.completions.create(model="ree-assistant", temperature=0.2, max_tokens=50, top_p=0.9,
                                             messages=[{"role": "user", "content": QUESTION}])
    assert ignored.choices[0].message.content
    for body, status in [({"messages": []}, 400), ({"model": "ree-assistant"}, 400),
                         ({"messages": [{"role": "user", "content": "x" * 5000}]}, 422),
                         ({"messages": [{"role": "user", "content": "   "}]}, 400)]:
        r = httpx.post(f"{base_url}/v1/chat/completions", json=body, timeout=60)
        assert r.status_code == status, (body, r.text)
        error = r.json()["error"]
        assert set(error) == {"message", "type", "param", "code"} and "\n" not in error["message"]
        assert "Traceback" not in r.text
    r = httpx.get(f"{base_url}/v1/nowhere", timeout=10)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_the_api_token_is_enforced(corpus_indexes: Path) -> None:
    with serving(_app(corpus_indexes, api_token="s3cret-token")) as url:
        wrong = openai.OpenAI(base_url=f"{url}/v1", api_key="nope", max_retries=0, timeout=60)
        with pytest.raises(openai.AuthenticationError) as err:
            wrong.models.list()
        assert err.value.code == "invalid_api_key"
        with pytest.raises(openai.AuthenticationError):
            wrong.chat.completions.create(model="ree-assistant", messages=[{"role": "user", "content": QUESTION}])
        bare = httpx.get(f"{url}/v1/models", timeout=10)
        assert bare.status_code == 401 and bare.headers["www-authenticate"].startswith("Bearer")
        assert "Missing bearer token" in bare.json()["error"]["message"]
        right = openai.OpenAI(base_url=f"{url}/v1", api_key="s3cret-token", max_retries=0, timeout=60)
        done = right.chat.completions.create(model="ree-assistant", messages=[{"role": "user", "content": QUESTION}])
        assert done.model_extra["ree_answer"]["checklist"]["verdict"] == "no"


def test_without_a_token_only_loopback_clients_get_in() -> None:
    from pydantic import SecretStr

    from assistant.frontends.auth import AuthError, NotLoopbackError, check_access, is_loopback
    from assistant.settings import Settings

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("::ffff:127.0.0.1")
    assert not is_loopback("10.0.0.5") and not is_loopback("2001:db8::1")
    open_settings = Settings()
    check_access(open_settings, None, "127.0.0.1")
    with pytest.raises(NotLoopbackError, match="set REE_API_TOKEN"):
        check_access(open_settings, None, "10.0.0.5")
    locked = Settings(api_token=SecretStr("t0ken"))
    check_access(locked, "Bearer t0ken", "10.0.0.5")
    check_access(locked, "bearer   t0ken ", "10.0.0.5")
    for header in (None, "", "Basic t0ken", "Bearer", "Bearer t0ken2", "t0ken"):
        with pytest.raises(AuthError):
            check_access(locked, header, "127.0.0.1")
