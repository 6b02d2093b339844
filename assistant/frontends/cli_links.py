"""`ree sources --check`: the link check's report as a table (dead, moved, changed first) or as JSON.

Exit code 0 whenever the check ran to the end, and 0 with one line saying so when there is no network (nothing is
then reported dead); a failure of the tool itself is the CLI's usual one-line error.
"""

from __future__ import annotations

import json
import sys
from typing import Any

ORDER = {"dead": 0, "moved": 1, "changed": 2, "new": 3, "ok": 4}
STYLE = {"dead": "bold red", "moved": "yellow", "changed": "cyan", "new": "dim", "ok": "green"}


def run_check(assistant: Any, json_out: bool, show_all: bool = False) -> None:
    """Check every source address of the indexed documents and print the report (progress on stderr)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    if json_out:
        report = assistant.check_sources()
    else:
        with Progress(TextColumn("checking sources"), BarColumn(), MofNCompleteColumn(),
                      console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("check", total=None)
            report = assistant.check_sources(lambda done, total, _: bar.update(task, completed=done, total=total))
    print_report(report, json_out, show_all)


def print_report(report: Any, json_out: bool, show_all: bool = False) -> None:
    if json_out:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
        return
    if report.offline or not report.results:
        print(f"ree: {report.message}", file=sys.stderr if report.offline else sys.stdout)
        return
    from rich.console import Console
    from rich.table import Table

    shown = sorted((r for r in report.results if show_all or r.state in ("dead", "moved", "changed")),
                   key=lambda r: (ORDER[r.state], r.url))
    table = Table(caption=report.message)
    table.add_column("state", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for col, ratio in (("address", 3), ("now at / why", 2), ("documents", 1)):
        table.add_column(col, overflow="fold", ratio=ratio)
    for r in shown:
        why = r.final_url or r.error or ("content changed since the last check" if r.changed else "")
        docs = ", ".join(r.docs[:3]) + (f" +{len(r.docs) - 3}" if len(r.docs) > 3 else "")
        table.add_row(f"[{STYLE[r.state]}]{r.state}[/]", "" if r.status is None else str(r.status),
                      r.url + (" (via)" if r.role == "via" else ""), why, docs)
    Console(soft_wrap=False).print(table if shown else report.message)
