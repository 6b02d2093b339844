"""`ree` commands that render the structured picture: supply exposure and scenarios, the projects registry,
concentration metrics, the capability map, country briefs and charts."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from assistant.frontends.cli_common import (
    STATUS_STYLE,
    VERDICT_STYLE,
    JsonOpt,
    fail,
    make_console,
    open_assistant,
    ready,
)
from assistant.types import check_stage


def exposure_cmd(country: str, target: Annotated[str, typer.Option(help="Target stage.")] = "magnet",
                 json_out: JsonOpt = False) -> None:
    """What a country's chain takes in from abroad, by stage and material, and from whom (supply links)."""
    from assistant.views.exposure import exposure_text

    try:
        result = open_assistant().exposure(country, target)
    except Exception as exc:  # noqa: BLE001
        fail(exc)
        return
    print(json.dumps(result.model_dump(), ensure_ascii=False, indent=2) if json_out else exposure_text(result))


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
        result = open_assistant().scenario(stop, material, element or [], stage)
    except Exception as exc:  # noqa: BLE001
        fail(exc)
        return
    print(json.dumps(result.model_dump(), ensure_ascii=False, indent=2) if json_out else scenario_text(result))


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
        assistant = open_assistant()
        ready(assistant)
        rows = assistant.projects(country=country, region=region, stage=stage, phase=phase, support=support,
                                  expected_by=expected_by)
    except Exception as exc:  # noqa: BLE001
        fail(exc)
        return
    from assistant.views.projects import to_csv, to_text

    if json_out:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    elif csv_out:
        sys.stdout.write(to_csv(rows))
    else:
        print(to_text(rows))


def metrics_cmd(json_out: JsonOpt = False) -> None:
    """How concentrated each stage is: top country's share, top three's, China's share and the HHI, by year."""
    try:
        assistant = open_assistant()
        rows = assistant.metrics()
    except Exception as exc:  # noqa: BLE001
        fail(exc)
        return
    from assistant.views.metrics import to_text

    if json_out:
        print(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False, indent=2))
    else:
        print(to_text(rows))


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
        assistant = open_assistant()
        ready(assistant)
        cmap = assistant.capability_map(target=target, stage=stage, status=status, region=region, sort=sort)
    except Exception as exc:  # noqa: BLE001
        fail(exc)
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
    console = make_console()
    console.print(table)
    console.print("  ".join(f"[{STATUS_STYLE[k]}]{v}[/] {k}" for k, v in mark.items()), highlight=False)


def brief(country: str,
          fmt: Annotated[str, typer.Option("--format", "-f", help="md | html | pdf")] = "md",
          out: Annotated[Path | None, typer.Option("--out", "-o", help="File to write (pdf: default "
                                                   "ree-brief-<country>.pdf; md/html: default stdout).")] = None,
          ) -> None:
    """One country's brief: verdict, checklist, figures, charts and numbered sources."""
    try:
        from assistant.views.brief import check_format

        fmt = check_format(fmt)
        assistant = open_assistant()
        key = assistant.country_key(country)
        ready(assistant)
        data, _media = assistant.brief(key, fmt)
        if out is None and fmt == "pdf":
            out = Path(f"ree-brief-{key}.pdf")
        if out is None:
            sys.stdout.write(data.decode("utf-8"))
            return
        _write(out, data)
    except Exception as exc:  # noqa: BLE001
        fail(exc)


def _write(out: Path, data: bytes) -> None:
    out.write_bytes(data)
    print(f"ree: wrote {out} ({len(data):,} bytes)", file=sys.stderr)


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
        assistant = open_assistant()
        key = assistant.country_key(country) if country else None
        data = draw(assistant.settings.paths.corpus, name, fmt, key)
        _write(out or Path(f"{name}{'-' + key if key else ''}.{fmt}"), data)
    except Exception as exc:  # noqa: BLE001
        fail(exc)
