"""The MCP server, driven by the official MCP SDK client: over stdio (spawning `ree mcp`) and over streamable
HTTP at /mcp on the real app on loopback. Tools, structured output, resources, prompts, one-line tool errors,
and the bearer token."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from conftest import ROOT, make_settings, serving
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

TOOLS = {"ask", "search", "gap_checklist", "compare", "list_sources", "capability_map", "projects", "supply_exposure",
         "supply_scenario"}
QUESTION = "Can Kazakhstan make magnets?"


def _app(indexes: Path, **extra: Any) -> Any:
    from assistant.core import Assistant
    from assistant.frontends.api import create_app

    return create_app(Assistant(make_settings(ROOT / "corpus", indexes, **extra)), ui=False)


async def _exercise(client: Client) -> None:
    """What every transport must do: the same calls, the same answers."""
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert len(tool.description or "") > 80 and tool.input_schema["type"] == "object" and tool.output_schema
        assert tool.annotations and tool.annotations.read_only_hint
    assert tools["ask"].input_schema["required"] == ["question"]
    assert set(tools["ask"].output_schema["properties"]) >= {"answer", "citations", "checklist"}

    result = await client.call_tool("ask", {"question": QUESTION, "conversation_id": "mcp-1"})
    assert not result.is_error
    answer = result.structured_content
    assert answer["checklist"]["verdict"] == "no" and answer["checklist"]["country"] == "Kazakhstan"
    text = result.content[0].text
    numbers = {int(n) for n in re.findall(r"\[(\d+)\]", text)}
    assert numbers and numbers <= {c["n"] for c in answer["citations"]} and "Sources:" in text

    follow = await client.call_tool("ask", {"question": "And Japan?", "conversation_id": "mcp-1"})
    assert follow.structured_content["checklist"]["country"] == "Japan"

    hits = await client.call_tool("search", {"query": "solvent extraction stages", "k": 3})
    passages = hits.structured_content["passages"]
    assert [p["n"] for p in passages] == [1, 2, 3] and hits.content[0].text.startswith("[1] ")

    duo = await client.call_tool("compare", {"countries": ["Kazakhstan", "Vietnam"], "target": "separation"})
    assert [cl["country"] for cl in duo.structured_content["checklist"]] == ["Kazakhstan", "Vietnam"]

    listed = await client.call_tool("list_sources", {"kind": "profile", "country": "Kazakhstan"})
    assert "profiles/kazakhstan.md" in {s["doc_id"] for s in listed.structured_content["result"]}

    doc = await client.read_resource("ree://doc/profiles/kazakhstan.md")
    body = doc.contents[0].text
    assert body.startswith("doc_id: profiles/kazakhstan.md") and "Kazakhstan" in body and len(body) > 2000
    chain = await client.read_resource("ree://value-chain/kazakhstan")
    assert '"verdict": "no"' in chain.contents[0].text

    for name, args, message in [
        ("gap_checklist", {"country": "Atlantis"}, "Unknown country 'Atlantis'. Profiled countries:"),
        ("ask", {"question": "   "}, "The question is empty"),
        ("compare", {"countries": ["Japan"]}, "compare takes exactly two countries (got 1)."),
        ("gap_checklist", {"country": "Japan", "target": "toaster"}, "Unknown stage"),
        ("search", {"query": "magnets", "k": 0}, "Invalid arguments: k:"),
    ]:
        bad = await client.call_tool(name, args)
        assert bad.is_error and bad.structured_content is None, (name, bad)
        line = bad.content[0].text
        assert line.startswith(message) and "\n" not in line and "Traceback" not in line, line

    prompts = {p.name for p in (await client.list_prompts()).prompts}
    assert prompts == {"country_brief", "compare_countries"}
    brief = await client.get_prompt("compare_countries", {"a": "Japan", "b": "Vietnam"})
    assert "compare" in brief.messages[0].content.text and "Vietnam" in brief.messages[0].content.text


def test_stdio_spawning_ree_mcp(corpus_indexes: Path) -> None:
    env = {"PYTHONPATH": str(ROOT), "REE_PATHS__INDEXES": str(corpus_indexes), "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", "PATH": os.environ.get("PATH", "")}
    params = StdioServerParameters(command=sys.executable, args=["-m", "assistant.frontends.cli", "mcp"], env=env,
                                    cwd=ROOT)

    async def main() -> None:
        async with Client(params) as client:
            await _exercise(client)

    anyio.run(main)


@pytest.fixture(scope="module")
def base_url(corpus_indexes: Path) -> Iterator[str]:
    with serving(_app(corpus_indexes)) as url:
        yield url


def test_streamable_http_at_slash_mcp(base_url: str) -> None:
    async def main() -> None:
        async with Client(f"{base_url}/mcp") as client:
            await _exercise(client)

    anyio.run(main)


def test_http_refuses_a_foreign_host_header_without_a_token(base_url: str) -> None:
    """No token: loopback only, and DNS-rebinding protection refuses other Host headers."""
    r = httpx2.post(f"{base_url}/mcp", headers={"Host": "evil.example", "Accept": "application/json"},
                    json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, timeout=10)
    assert r.status_code in (400, 421), r.text


def test_the_api_token_is_enforced(corpus_indexes: Path) -> None:
    with serving(_app(corpus_indexes, api_token="s3cret-token")) as url:
        bare = httpx2.post(f"{url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, timeout=10)
        assert bare.status_code == 401 and bare.headers["www-authenticate"].startswith("Bearer")
        assert bare.json()["detail"].startswith("Missing bearer token")

        async def connect(token: str) -> Any:
            http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60)
            async with http, Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client:
                result = await client.call_tool("gap_checklist", {"country": "Kazakhstan"})
                return result.structured_content["checklist"]["verdict"]

        assert anyio.run(connect, "s3cret-token") == "no"
        with pytest.raises(BaseExceptionGroup) as err:  # the SDK reports the refused session from its task group
            anyio.run(connect, "wrong")
        assert err.group_contains(MCPError, match="error response")
        wrong = httpx2.post(f"{url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, timeout=10,
                            headers={"Authorization": "Bearer wrong"})
        assert wrong.status_code == 401 and wrong.json()["detail"] == "Wrong bearer token."
