"""`ree` commands that manage the corpus and the index (index, ingest, remove) and score it (eval)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from assistant.frontends.cli_common import JsonOpt, fail, index_with_progress, make_console, open_assistant, ready


def index(rebuild: Annotated[bool, typer.Option("--rebuild", help="Build beside the live index, then switch.")] = False,
          device: Annotated[str | None, typer.Option(help="Embedding device (cpu, cuda).")] = None,
          json_out: JsonOpt = False) -> None:
    """Build or update the index from the corpus folder (incremental)."""
    try:
        report = index_with_progress(open_assistant(), rebuild, device)
    except Exception as exc:  # noqa: BLE001
        fail(exc)
        return
    _print_report(report, json_out)


def _write(change: Callable[[Any], Any], json_out: bool) -> Any:
    """Run one change to the index (ingest, remove) on a ready assistant and print its report; None on failure
    (said in one line)."""
    try:
        assistant = open_assistant()
        ready(assistant)
        report = change(assistant)
    except Exception as exc:  # noqa: BLE001
        fail(exc)
        return None
    _print_report(report, json_out)
    return report


def ingest(paths: list[Path], json_out: JsonOpt = False) -> None:
    """Add files or folders (md, txt, html, pdf) to the index."""
    report = _write(lambda a: a.ingest(paths), json_out)
    if report is not None and report.errors and not (report.added or report.updated or report.unchanged):
        raise typer.Exit(1)


def remove(doc_id: str, json_out: JsonOpt = False) -> None:
    """Take an ingested document out of the index (its doc_id from `ree sources`); an uploaded file is deleted."""
    _write(lambda a: a.remove(doc_id), json_out)


def _print_report(report: Any, json_out: bool) -> None:
    if json_out:
        print(json.dumps(report.model_dump(), indent=2))
        return
    for err in report.errors:
        print(f"ree: skipped {err}", file=sys.stderr)
    print(f"added {len(report.added)}, updated {len(report.updated)}, removed {len(report.removed)}, "
          f"unchanged {report.unchanged}; {report.chunks_embedded} chunks embedded in {report.seconds:.1f}s"
          + (f"; {len(report.errors)} file(s) skipped" if report.errors else ""))


def eval_cmd(json_out: JsonOpt = False,
             file: Annotated[Path | None, typer.Option(help="One questions YAML (default: every set in corpus/eval).")]
             = None) -> None:
    """Score every development set in corpus/eval, each on its own against its gates (n/a where a set gives a
    metric nothing to count); exits non-zero when a gate fails."""
    try:
        from assistant.evaluation import evaluate, render

        assistant = open_assistant()
        ready(assistant)
        folder = assistant.settings.paths.corpus / "eval"
        # Every development set in corpus/eval, the gold set first; not the labelled intent examples, and not the
        # sealed set, which is scored only at the start and the end of a round (`--file corpus/eval/sealed.yaml`).
        names = sorted((p.stem for p in folder.glob("*.yaml") if p.stem not in ("intents", "sealed")),
                       key=lambda n: (n != "questions", n != "paraphrases", n))
        paths = {"file": file} if file else {name: folder / f"{name}.yaml" for name in names}
        results = {name: evaluate(assistant, path) for name, path in paths.items()}
    except Exception as exc:  # noqa: BLE001
        fail(exc)
        return
    if json_out:
        print(json.dumps(results["file"] if file else results, ensure_ascii=False, indent=2))
    else:
        for name, result in results.items():
            make_console().print(f"[bold]{'gold set' if name == 'questions' else name}[/]")
            render(make_console(), result)
    if not all(r["passed"] for r in results.values()):
        raise typer.Exit(1)
