"""The web UI's "Projects" tab: the registry of mines, deposits and plants as a filterable table, and a timeline of
its dated milestones, one row per project (filled: done; hollow: expected; coloured by kind: licence, financing,
construction start, commissioning, first output, suspension, closure). Everything from the corpus is escaped."""

from __future__ import annotations

import datetime as dt
import html
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import ReeError
from assistant.types import STAGES

if TYPE_CHECKING:
    from assistant.core import Assistant
    from assistant.service import IndexStatus

PHASES = ("exploration", "feasibility", "construction", "commissioning", "operating", "suspended", "closed")
PROJECTS_CSS = """
.proj-table { width: 100%; border-collapse: collapse; font-size: .85rem; }
.proj-table th, .proj-table td { border-bottom: 1px solid #e5e7eb; padding: .25rem .4rem; text-align: left;
  vertical-align: top; overflow-wrap: anywhere; }
.proj-count { font-weight: 600; margin: .3rem 0; }
.timeline text { font: 11px system-ui, sans-serif; fill: currentColor; }
"""


def _esc(text: Any) -> str:
    return html.escape(str(text if text is not None else ""), quote=True)


def projects_table_html(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p class='proj-count'>No project matches these filters.</p>"
    from assistant.views.projects import milestone_text

    head = "".join(f"<th>{h}</th>" for h in ("Project", "Country", "Stages", "Operator", "Phase", "Capacity",
                                             "Resource / reserve", "First output", "Milestones", "Support"))

    def figure(r: dict[str, Any], *fields: str) -> str:
        """The figures as text, each cell's tooltip the sentences that state them."""
        shown = [f"{k}: {r[k]}" if len(fields) > 1 else r[k] for k in fields if r.get(k)]
        quotes = " | ".join(dict.fromkeys(src["quote"] for k in fields if (src := r.get("sources", {}).get(k))))
        return f"<td title='{_esc(quotes)}'>{_esc('; '.join(shown) or '–')}</td>"

    body = "".join(
        "<tr>" + "".join(f"<td>{_esc(v)}</td>" for v in (
            r["name"], r["country"], ", ".join(r["stages"]), r["operator"],
            r["phase"] + (" (pilot)" if r["pilot"] else "")))
        + figure(r, "capacity") + figure(r, "resource", "reserves") + "".join(f"<td>{_esc(v)}</td>" for v in (
            r["first_output"] or "–", "; ".join(milestone_text(m) for m in r.get("milestones", [])) or "–",
            ", ".join(r["support"]) or "–")) + "</tr>" for r in rows)
    return (f"<p class='proj-count' id='proj-count'>{len(rows)} project(s)</p>"
            f"<table class='proj-table' id='proj-table'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


# One colour per kind of milestone (filled: done; hollow: expected).
KIND_COLOURS = {"licence": "#7c3aed", "financing": "#b45309", "construction_start": "#0369a1",
                "commissioning": "#0d9488", "first_output": "#15803d", "suspension": "#dc2626", "closure": "#6b7280"}


def timeline_svg(milestones: list[dict[str, Any]]) -> str:
    """One row per project on a year axis, a dot per milestone coloured by its kind; a filled dot is done, a
    hollow one expected. Each dot's tooltip gives the milestone, its date and the sentence that states it."""
    if not milestones:
        return "<p>No dated milestones among these projects.</p>"
    rows: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for m in milestones:
        rows.setdefault((m["name"], m["country"]), []).append(m)
    years = [m["year"] for m in milestones]
    lo, hi = min(years) - 1, max(years) + 1
    left, width, row = 260, 520, 16
    height = 46 + row * len(rows)

    def x(year: int, date: str = "") -> float:
        month = int(date[5:7]) if len(date) >= 7 else 7  # a bare year sits mid-year
        return left + (year - lo + (month - 0.5) / 12) / max(1, hi - lo + 1) * width

    parts = [f"<svg class='timeline' id='proj-timeline' role='img' aria-label='Milestones by year' "
             f"viewBox='0 0 {left + width + 20} {height}' width='100%'>"]
    legend = "".join(f"<circle cx='{14 + i * 112}' cy='8' r='4' fill='{c}'/>"
                     f"<text x='{21 + i * 112}' y='12'>{_esc(k.replace('_', ' '))}</text>"
                     for i, (k, c) in enumerate(KIND_COLOURS.items()))
    parts.append(f"<g class='tl-legend'>{legend}</g>")
    step = next(s for s in (1, 2, 5, 10, 20, 50) if (hi - lo) / s <= 12)  # at most a dozen labelled years
    for year in range(lo - lo % step + (step if lo % step else 0), hi + 1, step):
        parts.append(f"<line x1='{x(year, f'{year}-01'):.0f}' y1='30' x2='{x(year, f'{year}-01'):.0f}' "
                     f"y2='{height}' stroke='#e5e7eb'/>"
                     f"<text x='{x(year, f'{year}-01'):.0f}' y='26' text-anchor='middle'>{year}</text>")
    for i, ((name, country), ms) in enumerate(rows.items()):
        y = 42 + i * row
        label = f"{name[:28]}{'…' if len(name) > 28 else ''} ({country})"
        parts.append(f"<text x='{left - 8}' y='{y + 4}' text-anchor='end'>{_esc(label)}</text>")
        for m in ms:
            colour = KIND_COLOURS.get(m.get("kind", ""), "#15803d")
            fill = colour if m["done"] else "none"
            tip = f"{m['milestone']} {m.get('date') or m['year']}: {'done' if m['done'] else 'expected'}"
            tip += f" ({m['note']})" if m.get("note") else ""
            tip += f". {m['quote']}" if m.get("quote") else ""
            parts.append(f"<circle cx='{x(m['year'], m.get('date', '')):.0f}' cy='{y}' r='5' fill='{fill}' "
                         f"stroke='{colour}' stroke-width='2' data-kind='{_esc(m.get('kind', ''))}'>"
                         f"<title>{_esc(tip)}</title></circle>")
    parts.append("</svg>")
    return "".join(parts)


def build_projects_tab(demo: Any, assistant: Assistant, status: IndexStatus) -> None:
    """The "Projects" tab; call inside the app's gr.Blocks (`demo`)."""
    import gradio as gr

    from assistant.views.projects import timeline, to_csv

    with gr.Tab("Projects", elem_id="projects-tab"):
        with gr.Row():
            region = gr.Textbox(label="Region", placeholder="e.g. Europe, Africa", min_width=120,
                                elem_id="proj-region")
            stage = gr.Dropdown([("any", "")] + [(s, s) for s in STAGES], value="", label="Stage", min_width=120,
                                elem_id="proj-stage")
            phase = gr.Dropdown([("any", "")] + [(p, p) for p in PHASES], value="", label="Phase", min_width=120,
                                elem_id="proj-phase")
            support = gr.Textbox(label="Support", placeholder="CRMA, DFC, JOGMEC or any", min_width=120,
                                 elem_id="proj-support")
            by = gr.Textbox(label="Expected by (year)", placeholder="e.g. 2027", min_width=100, elem_id="proj-by")
            show = gr.Button("Show", variant="primary", scale=0, min_width=80, elem_id="proj-show")
        table = gr.HTML("<p>Choose filters and press Show.</p>", elem_id="proj-results")
        csv_btn = gr.DownloadButton("Export CSV", size="sm", elem_id="proj-csv")
        with gr.Accordion("Timeline of milestones", open=True):
            chart = gr.HTML("", elem_id="proj-chart")

        def render(r: str, s: str, p: str, sup: str, year: str) -> tuple[str, str, Any]:
            if not status.ready:
                return f"<p>{_esc(status.message)}</p>", "", None
            try:
                by_year = int(year) if (year or "").strip() else None
            except ValueError:
                raise gr.Error("Expected by is a year, such as 2027.") from None
            try:
                rows = assistant.projects(region=(r or "").strip() or None, stage=s or None, phase=p or None,
                                          support=(sup or "").strip() or None, expected_by=by_year)
            except ReeError as exc:
                raise gr.Error(str(exc)) from None
            path = Path(tempfile.mkdtemp(prefix="ree-projects-")) / "projects.csv"
            path.write_text(to_csv(rows), encoding="utf-8")
            return projects_table_html(rows), timeline_svg(timeline(rows, dt.date.today().year)), str(path)

        inputs = [region, stage, phase, support, by]
        show.click(render, inputs, [table, chart, csv_btn])
        demo.load(render, inputs, [table, chart, csv_btn])


__all__ = ["PROJECTS_CSS", "build_projects_tab", "projects_table_html", "timeline_svg"]
