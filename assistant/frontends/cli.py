"""`ree`: quick research lookups from the command line (typer + rich). Renders what the core returns."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from assistant.errors import ReeError
from assistant.types import check_stage

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="REE Assistant: cited answers and gap checklists for rare-earth supply chains.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
STATUS_STYLE = {"at_scale": "bold green", "emerging": "yellow", "planned": "cyan", "none": "bold red",
                "unknown": "dim"}
VERDICT_STYLE = {"yes": "bold white on green", "partly": "bold black on yellow", "not yet": "bold white on blue",
                 "no": "bold white on red"}


def _assistant():  # type: ignore[no-untyped-def]
    from assistant.core import Assistant
    from assistant.settings import Settings

    return Assistant(Settings())


def _console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console()


def _fail(exc: BaseException) -> None:
    if os.environ.get("REE_DEBUG", "").lower() in ("1", "true", "yes"):
        raise exc
    msg = str(exc) if isinstance(exc, ReeError) else f"unexpected error: {type(exc).__name__}: {exc}"
    print(f"ree: error: {msg}", file=sys.stderr)
    raise typer.Exit(2 if isinstance(exc, ReeError) else 1)


def _ready(assistant: Any) -> None:
    """Build the index on first use, with a progress bar on stderr."""
    if assistant.index_exists():
        return
    print("ree: no index yet; building it from the corpus (first run only)…", file=sys.stderr)
    _index_with_progress(assistant, rebuild=False)


def _index_with_progress(assistant: Any, rebuild: bool, device: str | None = None) -> Any:
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


@app.command()
def ask(question: Annotated[str, typer.Argument(help="The question, or '-' to read one per line from stdin.")],
        json_out: JsonOpt = False,
        conversation: Annotated[str | None, typer.Option("--conversation", "-c", help="Conversation id.")] = None,
        country: Annotated[str | None, typer.Option(help="Only passages about this country.")] = None,
        stage: Annotated[str | None, typer.Option(help="Only passages about this stage.")] = None,
        kind: Annotated[str | None, typer.Option(help="primer | profile | policy | analysis | data")] = None,
        ) -> None:
    """Answer a question with cited passages (and a gap checklist for capability questions)."""
    from assistant.types import Filters

    try:
        assistant = _assistant()
        if question != "-":
            from assistant.core import clean_question

            question = clean_question(question, assistant.settings.answer.max_question_chars)
        _ready(assistant)
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
        _fail(exc)
        return
    if json_out:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        render_answer(_console(), answer)


@app.command()
def search(query: str, json_out: JsonOpt = False, k: Annotated[int, typer.Option(help="Results.")] = 8,
           mode: Annotated[str, typer.Option(help="hybrid | dense | bm25")] = "hybrid") -> None:
    """Show the passages retrieval finds for a query."""
    try:
        assistant = _assistant()
        _ready(assistant)
        hits = assistant.search(query, k=k, mode=mode)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
        return
    rows = [{"rank": i, "score": round(p.score, 5), "doc_id": p.chunk.doc_id, "chunk_id": p.chunk.id,
             "title": p.chunk.meta.get("title", ""), "section": p.chunk.section, "page": p.chunk.page,
             "text": p.chunk.text} for i, p in enumerate(hits, 1)]
    if json_out:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    console = _console()
    from rich.markup import escape

    for r in rows:
        console.print(f"[bold]{r['rank']}.[/] {escape(r['title'])} · {escape(r['section'])} "
                      f"[dim]({r['doc_id']}, score {r['score']})[/]", highlight=False)
        console.print("   " + escape(r["text"][:300].replace("\n", " ")) + "…", highlight=False)


@app.command()
def gaps(country: str, target: Annotated[str, typer.Option(help="Target stage.")] = "magnet",
         json_out: JsonOpt = False) -> None:
    """The stage-by-stage gap checklist for a country."""
    try:
        check_stage(target)
        assistant = _assistant()
        _ready(assistant)
        answer = assistant.gaps(country, target)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
        return
    if json_out:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        render_answer(_console(), answer)


@app.command()
def compare(a: str, b: str, target: Annotated[str, typer.Option(help="Target stage.")] = "magnet",
            json_out: JsonOpt = False) -> None:
    """Side-by-side checklists for two countries."""
    try:
        check_stage(target)
        assistant = _assistant()
        _ready(assistant)
        answer = assistant.compare(a, b, target)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
        return
    if json_out:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        render_answer(_console(), answer)


@app.command(name="exposure")
def exposure_cmd(country: str, target: Annotated[str, typer.Option(help="Target stage.")] = "magnet",
                 json_out: JsonOpt = False) -> None:
    """What a country's chain takes in from abroad, by stage and material, and from whom (supply links)."""
    from assistant.views.exposure import exposure_text

    try:
        result = _assistant().exposure(country, target)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
        return
    print(json.dumps(result.model_dump(), ensure_ascii=False, indent=2) if json_out else exposure_text(result))


@app.command(name="scenario")
def scenario_cmd(stop: Annotated[str, typer.Option("--stop", help="The country, company or facility that stops.")],
                 material: Annotated[str | None, typer.Option(help="ore | concentrate | mixed_carbonate | oxide | "
                                                                   "compounds | metal | alloy | magnet | scrap")]
                 = None,
                 element: Annotated[list[str] | None, typer.Option("--element", help="An element (Dy, Tb); "
                                                                                   "repeat for several.")] = None,
                 stage: Annotated[str | None, typer.Option(help="The supplier's stage it stops from.")] = None,
                 json_out: JsonOpt = False) -> None:
    """What breaks if a supplier stops: who loses a sourced supply, who has an alternative, who is unaffected."""
    from assistant.views.exposure import scenario_text

    try:
        result = _assistant().scenario(stop, material, element or [], stage)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
        return
    print(json.dumps(result.model_dump(), ensure_ascii=False, indent=2) if json_out else scenario_text(result))


@app.command(name="projects")
def projects_cmd(country: Annotated[str | None, typer.Option(help="Filter: a country.")] = None,
                 region: Annotated[str | None, typer.Option(help="Filter: a region or continent (Europe, Africa).")]
                 = None,
                 stage: Annotated[str | None, typer.Option(help="Filter: a stage the project serves.")] = None,
                 phase: Annotated[str | None, typer.Option(help="Filter: exploration | feasibility | construction | "
                                                                "commissioning | operating | suspended | closed")]
                 = None,
                 support: Annotated[str | None, typer.Option(help="Filter: a support programme (CRMA, DFC, JOGMEC) "
                                                                  "or 'any'.")] = None,
                 expected_by: Annotated[int | None, typer.Option("--expected-by", help="Filter: first output in or "
                                                                                        "before this year.")] = None,
                 json_out: JsonOpt = False,
                 csv_out: Annotated[bool, typer.Option("--csv", help="CSV, one row per project.")] = False) -> None:
    """The registry of projects and facilities: mines, deposits and plants, with phase, capacity and support."""
    try:
        assistant = _assistant()
        _ready(assistant)
        rows = assistant.projects(country=country, region=region, stage=stage, phase=phase, support=support,
                                  expected_by=expected_by)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
        return
    from assistant.views.projects import to_csv, to_text

    if json_out:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    elif csv_out:
        sys.stdout.write(to_csv(rows))
    else:
        print(to_text(rows))


@app.command(name="metrics")
def metrics_cmd(json_out: JsonOpt = False) -> None:
    """How concentrated each stage is: top country's share, top three's, China's share and the HHI, by year."""
    try:
        assistant = _assistant()
        rows = assistant.metrics()
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
        return
    from assistant.views.metrics import to_text

    if json_out:
        print(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False, indent=2))
    else:
        print(to_text(rows))


@app.command(name="map")
def capability_map(target: Annotated[str, typer.Option(help="Verdict target stage.")] = "magnet",
                   stage: Annotated[str | None, typer.Option(help="Filter: a stage (with --status).")] = None,
                   status: Annotated[str | None, typer.Option(help="Filter: at_scale | emerging | planned | none | "
                                                                 "unknown (at --stage, else the target).")] = None,
                   region: Annotated[str | None, typer.Option(help="Filter: a region, or 'outside China'.")] = None,
                   sort: Annotated[str, typer.Option(help="verdict | reach | country")] = "verdict",
                   json_out: JsonOpt = False,
                   csv_out: Annotated[bool, typer.Option("--csv", help="CSV, one row per country and stage.")] = False,
                   ) -> None:
    """Countries × stages coloured by status, with each country's verdict and binding gap."""
    try:
        check_stage(target)
        assistant = _assistant()
        _ready(assistant)
        cmap = assistant.capability_map(target=target, stage=stage, status=status, region=region, sort=sort)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
        return
    if json_out:
        print(json.dumps(cmap.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    if csv_out:
        sys.stdout.write(cmap.to_csv())
        return
    from rich.table import Table

    mark = {"at_scale": "●", "emerging": "◐", "planned": "○", "none": "✕", "unknown": "?"}
    table = Table(title=f"Capability map: verdict up to {cmap.target} · {len(cmap.rows)} of {cmap.countries_total} "
                        "countries" + (f" · {cmap.region}" if cmap.region else ""),
                  show_lines=False, box=None, padding=(0, 1))
    table.add_column("Country", no_wrap=True)
    table.add_column("Verdict", no_wrap=True)
    table.add_column("Gap", no_wrap=True)
    for stage in cmap.stages:
        table.add_column(stage[:3], justify="center", no_wrap=True)
    for r in cmap.rows:
        verdict = r.verdict or "unknown"
        table.add_row(r.country, f"[{VERDICT_STYLE.get(verdict, 'dim')}]{verdict}[/]", r.binding_gap or "-",
                      *(f"[{STATUS_STYLE[c.status]}]{mark[c.status]}[/]" for c in r.cells))
    console = _console()
    console.print(table)
    console.print("  ".join(f"[{STATUS_STYLE[k]}]{v}[/] {k}" for k, v in mark.items()), highlight=False)


@app.command()
def brief(country: str,
          fmt: Annotated[str, typer.Option("--format", "-f", help="md | html | pdf")] = "md",
          out: Annotated[Path | None, typer.Option("--out", "-o", help="File to write (pdf: default "
                                                   "ree-brief-<country>.pdf; md/html: default stdout).")] = None,
          ) -> None:
    """One country's brief: verdict, checklist, figures, charts and numbered sources."""
    try:
        from assistant.views.brief import check_format

        fmt = check_format(fmt)
        assistant = _assistant()
        key = assistant.country_key(country)
        _ready(assistant)
        data, _media = assistant.brief(key, fmt)
        if out is None and fmt == "pdf":
            out = Path(f"ree-brief-{key}.pdf")
        if out is None:
            sys.stdout.write(data.decode("utf-8"))
            return
        _write(out, data)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)


def _write(out: Path, data: bytes) -> None:
    out.write_bytes(data)
    print(f"ree: wrote {out} ({len(data):,} bytes)", file=sys.stderr)


@app.command()
def chart(name: Annotated[str, typer.Argument(help="mine_production | reserves | china_share")],
          fmt: Annotated[str, typer.Option("--format", "-f", help="svg | png")] = "svg",
          country: Annotated[str | None, typer.Option(help="Only this country.")] = None,
          out: Annotated[Path | None, typer.Option("--out", "-o", help="File (default <name>.<format>).")] = None,
          ) -> None:
    """Draw a chart of the corpus's own figures as SVG or PNG (offline)."""
    try:
        from assistant.views.charts import chart as draw
        from assistant.views.charts import check_chart

        check_chart(name, fmt)
        assistant = _assistant()
        key = assistant.country_key(country) if country else None
        data = draw(assistant.settings.paths.corpus, name, fmt, key)
        _write(out or Path(f"{name}{'-' + key if key else ''}.{fmt}"), data)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)


@app.command()
def index(rebuild: Annotated[bool, typer.Option("--rebuild", help="Build beside the live index, then switch.")] = False,
          device: Annotated[str | None, typer.Option(help="Embedding device (cpu, cuda).")] = None,
          json_out: JsonOpt = False) -> None:
    """Build or update the index from the corpus folder (incremental)."""
    try:
        report = _index_with_progress(_assistant(), rebuild, device)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
        return
    _print_report(report, json_out)


@app.command()
def ingest(paths: list[Path], json_out: JsonOpt = False) -> None:
    """Add files or folders (md, txt, html, pdf) to the index."""
    try:
        assistant = _assistant()
        _ready(assistant)
        report = assistant.ingest(paths)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
        return
    _print_report(report, json_out)
    if report.errors and not (report.added or report.updated or report.unchanged):
        raise typer.Exit(1)


@app.command()
def remove(doc_id: str, json_out: JsonOpt = False) -> None:
    """Take an ingested document out of the index (its doc_id from `ree sources`); an uploaded file is deleted."""
    try:
        assistant = _assistant()
        _ready(assistant)
        report = assistant.remove(doc_id)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
        return
    _print_report(report, json_out)


def _print_report(report: Any, json_out: bool) -> None:
    if json_out:
        print(json.dumps(report.model_dump(), indent=2))
        return
    for err in report.errors:
        print(f"ree: skipped {err}", file=sys.stderr)
    print(f"added {len(report.added)}, updated {len(report.updated)}, removed {len(report.removed)}, "
          f"unchanged {report.unchanged}; {report.chunks_embedded} chunks embedded in {report.seconds:.1f}s"
          + (f"; {len(report.errors)} file(s) skipped" if report.errors else ""))


@app.command()
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
        assistant = _assistant()
        _ready(assistant)
        if check:
            from assistant.frontends.cli_links import run_check

            run_check(assistant, json_out, show_all)
            return
        if stale is not None:
            _print_stale(assistant.stale(stale), stale, json_out)
            return
        items = assistant.sources()
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
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
    _console().print(table)


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
    _console().print(table)


@app.command(name="eval")
def eval_cmd(json_out: JsonOpt = False,
             file: Annotated[Path | None, typer.Option(help="One questions YAML (default: every set in corpus/eval).")]
             = None) -> None:
    """Score every development set in corpus/eval, each on its own against its gates (n/a where a set gives a
    metric nothing to count); exits non-zero when a gate fails."""
    try:
        from assistant.evaluation import evaluate, render

        assistant = _assistant()
        _ready(assistant)
        folder = assistant.settings.paths.corpus / "eval"
        # Every development set in corpus/eval, the gold set first; not the labelled intent examples, and not the
        # sealed set, which is scored only at the start and the end of a round (`--file corpus/eval/sealed.yaml`).
        names = sorted((p.stem for p in folder.glob("*.yaml") if p.stem not in ("intents", "sealed")),
                       key=lambda n: (n != "questions", n != "paraphrases", n))
        paths = {"file": file} if file else {name: folder / f"{name}.yaml" for name in names}
        results = {name: evaluate(assistant, path) for name, path in paths.items()}
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
        return
    if json_out:
        print(json.dumps(results["file"] if file else results, ensure_ascii=False, indent=2))
    else:
        for name, result in results.items():
            _console().print(f"[bold]{'gold set' if name == 'questions' else name}[/]")
            render(_console(), result)
    if not all(r["passed"] for r in results.values()):
        raise typer.Exit(1)


@app.command()
def slack() -> None:
    """Run the Slack bot in Socket Mode (needs SLACK_APP_TOKEN and SLACK_BOT_TOKEN)."""
    try:
        from assistant.frontends.slack import run_socket_mode

        run_socket_mode(_assistant())
    except Exception as exc:  # noqa: BLE001
        _fail(exc)


@app.command()
def mcp() -> None:
    """Serve MCP over stdio for desktop AI clients (tools: ask, search, gap_checklist, compare, list_sources)."""
    try:
        assistant = _assistant()
        _ready(assistant)
        from assistant.frontends.mcp_server import run_stdio

        run_stdio(assistant)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)


@app.command()
def serve(host: str = "127.0.0.1", port: int = 7860) -> None:
    """Serve the web chat UI and HTTP API."""
    try:
        from assistant.frontends.server import serve as run

        run(host=host, port=port)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
