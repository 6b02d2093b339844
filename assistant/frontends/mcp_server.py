"""The MCP server (official `mcp` SDK): a thin front end over `Assistant` for AI clients.

    tools      ask, search, gap_checklist, compare, list_sources, capability_map: each returns the typed result as
               structuredContent and a readable Markdown rendering with [n] citations
    resources  ree://sources, ree://doc/{doc_id}, ree://value-chain/{country}
    prompts    country_brief, compare_countries

Transports: stdio (`ree mcp`, for desktop clients) and streamable HTTP, mounted at /mcp on the app server by
`mount_mcp` behind the app's one access rule (frontends/auth.py). Errors are tool errors carrying the
same one-line message as the CLI, never a traceback.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field, ValidationError

from assistant.errors import InputError, ReeError
from assistant.frontends.plaintext import plain_json, plain_text
from assistant.frontends.problems import cut
from assistant.types import KINDS, STAGES, Answer, Filters, SourceInfo
from assistant.views.capmap import CapabilityMap
from assistant.views.exposure import Exposure, Scenario, exposure_text, scenario_text
from assistant.views.rendering import (
    SearchResult,
    answer_text,
    dumps,
    search_hits,
    search_text,
    sources_list_text,
)

if TYPE_CHECKING:
    from fastapi import FastAPI

    from assistant.core import Assistant

log = logging.getLogger("ree.mcp")
# What a tool or resource runs inside: a context that refuses or bounds the call (a no-op over stdio).
Admit = Callable[[], AbstractContextManager[Any]]

INSTRUCTIONS = (
    "REE Assistant answers questions about rare-earth-element supply chains from a sourced corpus, with "
    "numbered citations [n] that quote the documents. Use `ask` for questions, `gap_checklist` for what a "
    "country can and cannot do from deposit to magnet, `compare` for two countries side by side, "
    "`capability_map` for every country at once, `search` for raw passages and `list_sources` for what is "
    "indexed. Keep the [n] markers and the Sources when you answer."
)
TARGET_HELP = f"The last value-chain stage to check, one of: {', '.join(STAGES)} (default magnet)."

Question = Annotated[str, Field(description="The question in plain words, e.g. 'Can Kazakhstan make magnets?'.")]
ConversationId = Annotated[str | None, Field(
    description="Any id you choose; reuse it so follow-ups like 'And Japan?' refer to the earlier question.",
    max_length=200)]
FiltersArg = Annotated[Filters | None, Field(
    description="Optional metadata filters: country, stage, kind, date_from/date_to (YYYY-MM-DD).")]
Target = Annotated[str, Field(description=TARGET_HELP)]


def _one_line(exc: BaseException) -> str:
    """The CLI's message for an error: ReeError text as is, anything else named by its type."""
    if isinstance(exc, ReeError):
        return cut(str(exc))
    return cut(f"unexpected error: {type(exc).__name__}: {exc}".splitlines()[0])


def _call(name: str, work: Callable[[], CallToolResult], admit: Admit) -> CallToolResult:
    """Run one tool body once admitted; a failure becomes a tool error whose text is the CLI's one-line message."""
    try:
        with admit():
            return work()
    except ReeError as exc:
        message = _one_line(exc)
    except Exception as exc:  # noqa: BLE001 - logged here, one line to the client
        log.exception("tool %s failed", name)
        message = _one_line(exc)
    return CallToolResult(content=[TextContent(type="text", text=message)], is_error=True)


def _validation_line(exc: ValidationError) -> str:
    parts = [f"{'.'.join(str(p) for p in e.get('loc', ())) or 'arguments'}: {e.get('msg', 'invalid')}"
             for e in exc.errors()[:5]]
    return "Invalid arguments: " + "; ".join(parts) + "."


class _Server(MCPServer):
    """MCPServer whose argument errors read as one line, like every other error here."""

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError):
                raise ToolError(_validation_line(exc.__cause__)) from exc.__cause__
            raise


def _answer_result(answer: Answer) -> Any:
    return CallToolResult(content=[TextContent(type="text", text=plain_text(answer_text(answer)))],
                          structured_content=plain_json(answer.to_json()))


def document_text(assistant: Assistant, doc_id: str) -> str:
    """A document's header (title, source, as-of) and its text as indexed (Assistant.document); only indexed
    documents can be read."""
    info = next((s for s in assistant.sources() if s.doc_id == doc_id), None)
    if info is None:
        raise ResourceNotFoundError(f"No indexed document '{doc_id[:120]}'; the list is at ree://sources.")
    head = [f"doc_id: {info.doc_id}", f"title: {info.title}", f"kind: {info.kind}"]
    head += [f"{k}: {v}" for k, v in (("publisher", info.publisher), ("date", info.date), ("as_of", info.as_of)) if v]
    if info.countries:
        head.append(f"countries: {', '.join(info.countries)}")
    try:
        body = assistant.document(doc_id).text
    except ReeError as exc:
        body = f"(The document could not be read: {exc})"
    return plain_text("\n".join(head) + "\n\n" + body.strip() + "\n")


def build_server(assistant: Assistant, admit: Admit = contextlib.nullcontext) -> MCPServer:
    """The MCP server for one Assistant: tools, resources and prompts. Nothing heavy happens until a call.

    Each tool or resource runs inside `admit()`, which the web app uses to refuse calls while the index is being
    built and to bound them by the same worker gate as its other endpoints."""
    check = admit
    server: MCPServer = _Server("ree-assistant", title="REE Assistant", version="0.1.0",
                                  instructions=INSTRUCTIONS, log_level="WARNING")
    read_only = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                                open_world_hint=False)

    def tool(fn: Callable[..., CallToolResult]) -> Callable[..., CallToolResult]:
        """Register a read-only tool; its docstring, on one line, is the description a model reads."""
        server.add_tool(fn, description=" ".join((fn.__doc__ or "").split()), annotations=read_only)
        return fn

    @tool
    def ask(question: Question, conversation_id: ConversationId = None,
            filters: FiltersArg = None) -> Annotated[CallToolResult, Answer]:
        """Answer a question about rare-earth supply chains (mining, separation, metals, magnets, recycling,
        policy, trade, countries and companies) with numbered citations quoted from the corpus. Capability
        questions ('Can X make magnets?') also return the country's stage-by-stage gap checklist. Use this first
        for any rare-earth question; pass the same conversation_id for follow-ups."""
        return _call("ask", lambda: _answer_result(assistant.ask(question, conversation_id=conversation_id,
                                                                 filters=filters)), check)

    @tool
    def search(query: Annotated[str, Field(description="Search words, e.g. 'solvent extraction stages'.")],
               k: Annotated[int, Field(ge=1, le=50, description="How many passages (default 8).")] = 8,
               filters: FiltersArg = None) -> Annotated[CallToolResult, SearchResult]:
        """Find the passages in the rare-earth corpus that match a query (hybrid keyword + semantic search), each
        numbered [n] with its document, section and source. Use it to read the evidence yourself, or when `ask`
        does not cover what you need."""
        def work() -> CallToolResult:
            result = SearchResult(query=query, passages=search_hits(assistant.search(query, k=k, filters=filters)))
            return CallToolResult(content=[TextContent(type="text", text=plain_text(search_text(result)))],
                                  structured_content=plain_json(result.model_dump(mode="json")))

        return _call("search", work, check)

    @tool
    def gap_checklist(country: Annotated[str, Field(description="A country name, e.g. 'Kazakhstan'.")],
                      target: Target = "magnet") -> Annotated[CallToolResult, Answer]:
        """The stage-by-stage value-chain checklist of one country from deposit up to the target stage: each
        stage's status (at_scale, emerging, planned, none, unknown) with cited evidence, the verdict, the binding
        gap and what would close it. Use it for 'can country X make Y?' and 'what is X missing?'."""
        return _call("gap_checklist", lambda: _answer_result(assistant.gaps(country, target=target)), check)

    @tool
    def compare(countries: Annotated[list[str], Field(description="Exactly two country names.")],
                target: Target = "magnet") -> Annotated[CallToolResult, Answer]:
        """Two countries' value-chain checklists side by side, deposit up to the target stage, with citations.
        Use it to compare where two countries stand or which is closer to making magnets."""
        def work() -> CallToolResult:
            if len(countries) != 2:
                raise InputError(f"compare takes exactly two countries (got {len(countries)}).", field="countries")
            return _answer_result(assistant.compare(countries[0], countries[1], target=target))

        return _call("compare", work, check)

    @tool
    def supply_exposure(country: Annotated[str, Field(description="A country name, e.g. 'South Korea'.")],
                        target: Target = "magnet") -> Annotated[CallToolResult, Exposure]:
        """What a country's chain, deposit up to the target stage, takes in from abroad: by stage and material,
        with each supplier and its country, 'supplier not sourced' where the documents name none, and whom the
        country supplies; every line cites its sentence. Use it for 'who supplies X?' and 'what does X depend on?'."""
        def work() -> CallToolResult:
            result = assistant.exposure(country, target)
            return CallToolResult(content=[TextContent(type="text", text=exposure_text(result))],
                                  structured_content=result.model_dump(mode="json"))

        return _call("supply_exposure", work, check)

    @tool
    def supply_scenario(stop: Annotated[str, Field(description="The country, company or facility that stops "
                                                               "supplying, e.g. 'China' or 'Lynas Malaysia'.")],
                        material: Annotated[str | None, Field(description="ore, concentrate, mixed_carbonate, oxide, "
                                                                          "compounds, metal, alloy, magnet or scrap; "
                                                                          "omit for every material.")] = None,
                        elements: Annotated[list[str], Field(description="Elements it concerns, e.g. ['Dy', 'Tb'].")]
                        = [],  # noqa: B006 - a pydantic field default, copied per call
                        stage: Annotated[str | None, Field(description="The supplier's stage it stops from.")]
                        = None) -> Annotated[CallToolResult, Scenario]:
        """What if a supplier stops: which countries lose a sourced supply, which keep a sourced alternative, which
        are unaffected, which import without a named supplier and whose outlet is lost, each line cited. Use it for
        'what if China stops exporting dysprosium?' or 'what if Myanmar's mines close?'."""
        def work() -> CallToolResult:
            result = assistant.scenario(stop, material, elements, stage)
            return CallToolResult(content=[TextContent(type="text", text=scenario_text(result))],
                                  structured_content=result.model_dump(mode="json"))

        return _call("supply_scenario", work, check)

    @tool
    def list_sources(kind: Annotated[str | None, Field(description=f"Only this kind: {', '.join(KINDS)}.")] = None,
                     country: Annotated[str | None, Field(description="Only documents about this country.")] = None,
                     ) -> Annotated[CallToolResult, list[SourceInfo]]:
        """List the indexed documents (doc_id, title, kind, publisher, dates, countries). Read one in full as the
        resource ree://doc/{doc_id}."""
        def work() -> CallToolResult:
            items = _sources(assistant, kind, country)
            return CallToolResult(content=[TextContent(type="text", text=sources_list_text(items))],
                                  structured_content={"result": [s.model_dump(mode="json") for s in items]})

        return _call("list_sources", work, check)

    @tool
    def capability_map(
            target: Target = "magnet",
            stage: Annotated[str | None, Field(description="Filter on this stage's status (with `status`).")] = None,
            status: Annotated[str | None, Field(description="Filter: at_scale, emerging, planned, none or unknown "
                                                            "(at `stage`, else at the target).")] = None,
            region: Annotated[str | None, Field(description="Filter: a region such as 'Europe', or "
                                                            "'outside China'.")] = None,
            sort: Annotated[str, Field(description="verdict, reach or country.")] = "verdict",
    ) -> Annotated[CallToolResult, CapabilityMap]:
        """Every country with value-chain data × every stage (deposit → recycling), each cell's status and as-of
        date, with each country's verdict for the target and its binding gap: the same statuses as
        `gap_checklist`. Use it for questions across countries, e.g. 'who outside China separates at scale?'
        (stage=separation, status=at_scale, region='outside China')."""
        def work() -> CallToolResult:
            cmap = assistant.capability_map(target=target, stage=stage, status=status, region=region, sort=sort)
            return CallToolResult(content=[TextContent(type="text", text=cmap.to_text())],
                                  structured_content=cmap.model_dump(mode="json"))

        return _call("capability_map", work, check)

    @tool
    def projects(
            country: Annotated[str | None, Field(description="Filter: a country.")] = None,
            region: Annotated[str | None, Field(description="Filter: a region or continent, e.g. 'Europe'.")] = None,
            stage: Annotated[str | None, Field(description="Filter: a stage the project serves.")] = None,
            phase: Annotated[str | None, Field(description="Filter: exploration, feasibility, construction, "
                                                           "commissioning, operating, suspended or closed.")] = None,
            support: Annotated[str | None, Field(description="Filter: a support programme ('CRMA', 'DFC', "
                                                             "'JOGMEC') or 'any'.")] = None,
            expected_by: Annotated[int | None, Field(description="Filter: first output in or before this year.")]
            = None,
    ) -> Annotated[CallToolResult, list[dict[str, Any]]]:
        """The registry of rare-earth projects and facilities (mines, deposits, plants at every stage) with
        country, operator, phase, capacity, first output, support and evidence. Use it for 'which projects…',
        'list the plants…', 'how many mines…' questions."""
        def work() -> CallToolResult:
            from assistant.views.projects import to_text

            rows = assistant.projects(country=country, region=region, stage=stage, phase=phase, support=support,
                                      expected_by=expected_by)
            return CallToolResult(content=[TextContent(type="text", text=to_text(rows))],
                                  structured_content={"result": rows})

        return _call("projects", work, check)

    @server.resource("ree://sources", name="sources", title="Indexed documents", mime_type="application/json",
                     description="Every indexed document with its ree://doc/ URI.")
    def sources_resource() -> str:
        with _resource_errors(), check():
            return dumps([s.model_dump(mode="json") | {"uri": f"ree://doc/{s.doc_id}"} for s in assistant.sources()])

    @server.resource("ree://doc/{+doc_id}", name="document", title="A corpus document", mime_type="text/markdown",
                     description="One indexed document in full: title, source, as-of date and text.")
    def document(doc_id: str) -> str:
        with _resource_errors(), check():
            return document_text(assistant, doc_id)

    @server.resource("ree://value-chain/{country}", name="value-chain", title="A country's value chain",
                     mime_type="application/json",
                     description="A country's value-chain data: status of every stage deposit → magnet with "
                                 "verdict, binding gap, next steps and the cited evidence (the gap checklist).")
    def value_chain(country: str) -> str:
        with _resource_errors(), check():
            return dumps(assistant.gaps(country).to_json())

    @server.prompt(name="country_brief", title="Country brief")
    def country_brief(country: Annotated[str, Field(description="The country to brief on.")]) -> str:
        """A cited brief on one country's rare-earth value chain."""
        return (f"Write a short brief on {country}'s rare-earth value chain. First call the `gap_checklist` tool "
                f"with country='{country}', then `ask` 'What is {country} doing in rare earths?'. Give the verdict "
                "and the binding gap, one line per stage with its status, and what would close the gaps. Keep "
                "every [n] citation marker and end with the numbered Sources exactly as the tools gave them.")

    @server.prompt(name="compare_countries", title="Compare two countries")
    def compare_countries(a: Annotated[str, Field(description="The first country.")],
                          b: Annotated[str, Field(description="The second country.")]) -> str:
        """Compare two countries' rare-earth value chains, stage by stage, with citations."""
        return (f"Compare {a} and {b} along the rare-earth value chain. Call the `compare` tool with "
                f"countries=['{a}', '{b}']. Say which is closer to making magnets and why, stage by stage, "
                "naming each country's binding gap. Keep every [n] citation marker and end with the numbered "
                "Sources exactly as the tool gave them.")

    _ = (ask, search, gap_checklist, compare, list_sources, capability_map, sources_resource, document, value_chain,
         country_brief, compare_countries)
    return server


@contextmanager
def _resource_errors() -> Iterator[None]:
    try:
        yield
    except ResourceError:
        raise
    except InputError as exc:
        raise ResourceNotFoundError(_one_line(exc)) from None
    except Exception as exc:  # noqa: BLE001 - logged here, one line to the client
        if not isinstance(exc, ReeError):
            log.exception("resource read failed")
        raise ResourceError(_one_line(exc)) from None


def _sources(assistant: Assistant, kind: str | None, country: str | None) -> list[SourceInfo]:
    if kind and kind not in KINDS:
        raise InputError(f"Unknown kind '{kind[:40]}'; use one of: {', '.join(KINDS)}.", field="kind")
    key = assistant.country_key(country) if country else None
    items = assistant.sources()
    if kind:
        items = [s for s in items if s.kind == kind]
    if key:
        items = [s for s in items if key in s.countries]
    return items


# -- transports -----------------------------------------------------------------------------------------------
def run_stdio(assistant: Assistant) -> None:
    """Serve MCP over stdin/stdout (what desktop clients spawn). Logs go to stderr; stdout carries only MCP."""
    build_server(assistant).run("stdio")


def mount_mcp(app: FastAPI, assistant: Assistant, path: str = "/mcp",
              admit: Admit = contextlib.nullcontext) -> Callable[[], AbstractAsyncContextManager[None]]:
    """Serve MCP over streamable HTTP at `path` on `app` (the app's Guard checks Host, origin and token).

    Returns the session manager's `run`, which the app's lifespan must enter (the transport's task group)."""
    server = build_server(assistant, admit)
    # Host, origin and token are checked in front of every door of the app, this one included (frontends/auth.py
    # Guard: 421 for a Host the server was not started for), so the SDK's own loopback-only Host check is off:
    # it would refuse the hosts REE_API__HOSTS allows.
    security = TransportSecuritySettings(enable_dns_rebinding_protection=False)
    server.streamable_http_app(streamable_http_path=path, transport_security=security)
    manager = server.session_manager

    class Endpoint:  # an ASGI app (a plain function would be taken for a GET-only request handler)
        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            await manager.handle_request(scope, receive, send)

    app.add_route(path, Endpoint(), include_in_schema=False)
    return manager.run


__all__ = ["build_server", "document_text", "mount_mcp", "run_stdio"]
