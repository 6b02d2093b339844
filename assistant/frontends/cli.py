"""`ree`: quick research lookups from the command line (typer + rich). Renders what the core returns.

This module is the app, the question commands (ask, search, gaps, compare, sources) and the servers; the commands
over the structured picture are in `cli_views`, those that manage the corpus and the index in `cli_corpus`, and
what they all share in `cli_common`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

from assistant.errors import ReeError
from assistant.frontends import cli_corpus, cli_views
from assistant.frontends.cli_common import JsonOpt, fail, make_console, open_assistant, ready, show_answer
from assistant.types import check_stage

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="REE Assistant: cited answers and gap checklists for rare-earth supply chains.")


def ask(question: Annotated[str, typer.Argument(help="The question, or '-' to read one per line from stdin.")],
        json_out: JsonOpt = False,
        conversation: Annotated[str | None, typer.Option("--conversation", "-c", help="Conversation id.")] = None,
        country: Annotated[str | None, typer.Option(help="Only passages about this country.")] = None,
        stage: Annotated[str | None, typer.Option(help="Only passages about this stage.")] = None,
        kind: Annotated[str | None, typer.Option(help="primer | profile | policy | analysis | data")] = None,
        table: Annotated[bool, typer.Option("--table", help="After the answer, the whole table of records it "
                                                             "rests on (a set, ranking or count).")] = False,
        ) -> None:
    """Answer a question with cited passages (and a gap checklist for capability questions)."""
    from assistant.types import Filters

    try:
        assistant = open_assistant()
        if question != "-":
            from assistant.core import clean_question

            question = clean_question(question, assistant.settings.answer.max_question_chars)
        ready(assistant)
        filters = Filters(country=country, stage=stage, kind=kind) if (country or stage or kind) else None
        if question == "-":
            failures = 0
            for line in sys.stdin:
                if not line.strip():
                    continue
                try:
                    answer = assistant.ask(line.strip(), conversation, filters)
                    print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
                except ReeError as exc:
                    failures += 1
                    print(json.dumps({"question": line.strip(), "error": str(exc)}, ensure_ascii=False), flush=True)
            raise typer.Exit(1 if failures else 0)
        answer = assistant.ask(question, conversation, filters)
    except typer.Exit:
        raise
    except Exception as exc:  # noqa: BLE001 - one line on stderr, never a traceback
        fail(exc)
        return
    show_answer(answer, json_out, table)


def search(query: str, json_out: JsonOpt = False, k: Annotated[int, typer.Option(help="Results.")] = 8,
           mode: Annotated[str, typer.Option(help="hybrid | dense | bm25")] = "hybrid") -> None:
    """Show the passages retrieval finds for a query."""
    try:
        assistant = open_assistant()
        ready(assistant)
        hits = assistant.search(query, k=k, mode=mode)
    except Exception as exc:  # noqa: BLE001
        fail(exc)
        return
    rows = [{"rank": i, "score": round(p.score, 5), "doc_id": p.chunk.doc_id, "chunk_id": p.chunk.id,
             "title": p.chunk.meta.get("title", ""), "section": p.chunk.section, "page": p.chunk.page,
             "text": p.chunk.text} for i, p in enumerate(hits, 1)]
    if json_out:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    console = make_console()
    from rich.markup import escape

    for r in rows:
        console.print(f"[bold]{r['rank']}.[/] {escape(r['title'])} · {escape(r['section'])} "
                      f"[dim]({r['doc_id']}, score {r['score']})[/]", highlight=False)
        console.print("   " + escape(r["text"][:300].replace("\n", " ")) + "…", highlight=False)


def gaps(country: str, target: Annotated[str, typer.Option(help="Target stage.")] = "magnet",
         json_out: JsonOpt = False) -> None:
    """The stage-by-stage gap checklist for a country."""
    try:
        check_stage(target)
        assistant = open_assistant()
        ready(assistant)
        answer = assistant.gaps(country, target)
    except Exception as exc:  # noqa: BLE001
        fail(exc)
        return
    show_answer(answer, json_out)


def compare(a: str, b: str, target: Annotated[str, typer.Option(help="Target stage.")] = "magnet",
            json_out: JsonOpt = False) -> None:
    """Side-by-side checklists for two countries."""
    try:
        check_stage(target)
        assistant = open_assistant()
        ready(assistant)
        answer = assistant.compare(a, b, target)
    except Exception as exc:  # noqa: BLE001
        fail(exc)
        return
    show_answer(answer, json_out)


def sources(json_out: JsonOpt = False,
            stale: Annotated[int | None, typer.Option(
                "--stale", min=0, metavar="DAYS",
                help="List documents and value-chain stages whose newest evidence is older than DAYS.")] = None,
            check: Annotated[bool, typer.Option(
                "--check", help="Fetch every source address and report dead, moved and changed pages.")] = False,
            show_all: Annotated[bool, typer.Option("--all", help="With --check, list every address.")] = False,
            ) -> None:
    """List the indexed documents (or, with --stale DAYS, what needs fresh evidence)."""
    try:
        assistant = open_assistant()
        ready(assistant)
        if check:
            from assistant.frontends.cli_links import run_check

            run_check(assistant, json_out, show_all)
            return
        if stale is not None:
            _print_stale(assistant.stale(stale), stale, json_out)
            return
        items = assistant.sources()
    except Exception as exc:  # noqa: BLE001
        fail(exc)
        return
    if json_out:
        print(json.dumps([s.model_dump() for s in items], ensure_ascii=False, indent=2))
        return
    from rich.table import Table

    table = Table(title=f"{len(items)} documents")
    for col in ("doc_id", "kind", "title", "chunks", "as_of"):
        table.add_column(col)
    for s in items:
        table.add_row(s.doc_id, s.kind, s.title, str(s.chunks), s.as_of)
    make_console().print(table)


def _print_stale(entries: list[Any], days: int, json_out: bool) -> None:
    if json_out:
        print(json.dumps([e.model_dump() for e in entries], ensure_ascii=False, indent=2))
        return
    from rich.table import Table

    table = Table(title=f"{len(entries)} documents and stages with no evidence newer than {days} days")
    for col in ("kind", "id", "newest evidence", "age (days)"):
        table.add_column(col)
    for e in entries:
        table.add_row(e.kind, e.id, e.newest or "undated", "" if e.age_days is None else str(e.age_days))
    make_console().print(table)


def slack() -> None:
    """Run the Slack bot in Socket Mode (needs SLACK_APP_TOKEN and SLACK_BOT_TOKEN)."""
    try:
        from assistant.frontends.slack import run_socket_mode

        run_socket_mode(open_assistant())
    except Exception as exc:  # noqa: BLE001
        fail(exc)


def mcp() -> None:
    """Serve MCP over stdio for desktop AI clients (tools: ask, search, gap_checklist, compare, list_sources)."""
    try:
        assistant = open_assistant()
        ready(assistant)
        from assistant.frontends.mcp_server import run_stdio

        run_stdio(assistant)
    except Exception as exc:  # noqa: BLE001
        fail(exc)


def serve(host: str = "127.0.0.1", port: int = 7860) -> None:
    """Serve the web chat UI and HTTP API."""
    try:
        from assistant.frontends.server import serve as run

        run(host=host, port=port)
    except Exception as exc:  # noqa: BLE001
        fail(exc)


# Every command, in the order `ree --help` lists them.
COMMANDS: list[tuple[str, Callable[..., None]]] = [
    ("ask", ask), ("search", search), ("gaps", gaps), ("compare", compare),
    ("exposure", cli_views.exposure_cmd), ("scenario", cli_views.scenario_cmd), ("projects", cli_views.projects_cmd),
    ("metrics", cli_views.metrics_cmd), ("map", cli_views.capability_map), ("brief", cli_views.brief),
    ("chart", cli_views.chart),
    ("index", cli_corpus.index), ("ingest", cli_corpus.ingest), ("remove", cli_corpus.remove),
    ("sources", sources), ("eval", cli_corpus.eval_cmd),
    ("slack", slack), ("mcp", mcp), ("serve", serve),
]
for _name, _command in COMMANDS:
    app.command(name=_name)(_command)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
