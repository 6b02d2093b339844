"""What every `ree` command shares: the `--json` option, opening the assistant, one-line errors with their exit
codes, building the index on first use, and the rich rendering of an answer and its gap checklist."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from assistant.errors import ReeError

if TYPE_CHECKING:
    from rich.console import Console

    from assistant.core import Assistant

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
STATUS_STYLE = {"at_scale": "bold green", "emerging": "yellow", "planned": "cyan", "none": "bold red",
                "unknown": "dim"}
VERDICT_STYLE = {"yes": "bold white on green", "partly": "bold black on yellow", "not yet": "bold white on blue",
                 "no": "bold white on red"}


def open_assistant() -> Assistant:
    from assistant.core import Assistant
    from assistant.settings import Settings

    return Assistant(Settings())


def make_console() -> Console:
    from rich.console import Console

    return Console()


def fail(exc: BaseException) -> None:
    if os.environ.get("REE_DEBUG", "").lower() in ("1", "true", "yes"):
        raise exc
    msg = str(exc) if isinstance(exc, ReeError) else f"unexpected error: {type(exc).__name__}: {exc}"
    print(f"ree: error: {msg}", file=sys.stderr)
    raise typer.Exit(2 if isinstance(exc, ReeError) else 1)


def ready(assistant: Any) -> None:
    """Build the index on first use, with a progress bar on stderr."""
    if assistant.index_exists():
        return
    print("ree: no index yet; building it from the corpus (first run only)…", file=sys.stderr)
    index_with_progress(assistant, rebuild=False)


def index_with_progress(assistant: Any, rebuild: bool, device: str | None = None) -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("indexing", total=None)

        def progress(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total or None, description=label[:60])

        return assistant.index(rebuild=rebuild, progress=progress, device=device)


def render_checklist(console: Any, cl: Any) -> None:
    from rich.table import Table

    verdict = cl.verdict or "unknown"
    title = f"{cl.country}: deposit → {cl.target}   verdict: [{VERDICT_STYLE.get(verdict, 'bold')}] {verdict} [/]"
    if cl.binding_gap:
        title += f"   binding gap: [bold]{cl.binding_gap}[/]"
    table = Table(title=title, show_lines=False, expand=True)
    table.add_column("Stage", style="bold")
    table.add_column("Status")
    table.add_column("Detail", ratio=3)
    table.add_column("As of")
    table.add_column("Cites")
    for row in cl.stages:
        status = row.status + (" (inferred)" if row.inferred else "")
        table.add_row(row.stage, f"[{STATUS_STYLE[row.status]}]{status}[/]", row.detail, row.as_of,
                      " ".join(f"[{n}]" for n in row.citations))
    console.print(table)
    if cl.note:
        console.print(f"[dim]{cl.note}[/]")
    if cl.next_steps:
        console.print("[bold]What would close the gaps[/]")
        for step in cl.next_steps:
            cites = " ".join(f"[{n}]" for n in step.citations)
            console.print(f"  • [bold]{step.stage}[/]: {step.text} {cites}", highlight=False)


def render_answer(console: Any, answer: Any) -> None:
    from rich.markup import escape

    if answer.resolved_question:
        console.print(f"[dim]Understood as: {escape(answer.resolved_question)}[/]")
    console.print(escape(answer.answer), highlight=False)
    for notice in answer.notices:
        console.print(f"[yellow]Note:[/] {escape(notice)}")
    for cl in answer.checklists():
        console.print()
        render_checklist(console, cl)
    if answer.citations:
        console.print()
        console.print("[bold]Sources[/]")
    for c in answer.citations:
        where = c.section + (f", p. {c.page}" if c.page else "")
        console.print(f"[bold][{c.n}][/] {escape(c.title)} — {escape(c.publisher or 'REE Assistant corpus')}, "
                      f"{c.date or 'n.d.'} · {escape(where)} · {escape(c.doc_id)}", highlight=False)
        if c.url:
            console.print(f"     [link={c.url}]{escape(c.url)}[/link]", highlight=False)
        console.print(f"     [italic]“{escape(c.quote)}”[/]", highlight=False)


def render_rows(console: Any, rows: list[dict[str, Any]]) -> None:
    """The whole table a records answer rests on (the text cuts a long list at ten), one column per field."""
    from rich.markup import escape
    from rich.table import Table

    if not rows:
        console.print("[dim]No table: this answer rests on passages, not on records.[/]")
        return
    columns = [k for k in rows[0] if k not in ("key", "doc_id")]
    table = Table(title=f"{len(rows)} records", expand=True)
    for col in columns:
        table.add_column(col.replace("_", " ").capitalize())

    def cell(value: Any) -> str:
        if isinstance(value, dict):
            value = " ".join(str(v) for k, v in value.items() if v not in (None, "", "reported"))
        elif isinstance(value, list):
            value = ", ".join(map(str, value))
        elif isinstance(value, float):
            value = f"{value:,.0f}"
        return escape("" if value is None else str(value))

    for row in rows:
        table.add_row(*(cell(row.get(c)) for c in columns))
    console.print(table)


def show_answer(answer: Any, json_out: bool, table: bool = False) -> None:
    """An answer as indented JSON, or rendered for the terminal; with `table`, the whole records table after it."""
    if json_out:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
        return
    console = make_console()
    render_answer(console, answer)
    if table:
        console.print()
        render_rows(console, answer.table)
