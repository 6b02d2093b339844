"""The web UI's "Supply" tab: a graph of one country's supply links (what its chain takes in, from whom, and whom it
supplies), drawn as an inline SVG, and a scenario form whose result is a table, every line with its quoted source.

Everything from the corpus is escaped; nothing is fetched from outside this server.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from assistant.errors import ReeError
from assistant.types import STAGES
from assistant.views.exposure import SCENARIO_HEADINGS

if TYPE_CHECKING:
    from assistant.core import Assistant
    from assistant.service import IndexStatus
    from assistant.views.exposure import Exposure, Flow, Scenario, Source

MATERIALS = ("ore", "concentrate", "mixed_carbonate", "oxide", "compounds", "metal", "alloy", "magnet", "scrap")
SUPPLY_CSS = """
.supply-graph text { font: 12px system-ui, sans-serif; fill: #111827; }
.supply-graph .node rect { fill: #f9fafb; stroke: #6b7280; rx: 6; }
.supply-graph .node.centre rect { fill: #dbeafe; stroke: #1d4ed8; stroke-width: 2; }
.supply-graph .edge { stroke: #15803d; stroke-width: 1.6; fill: none; }
.supply-graph .edge.planned { stroke: #2563eb; stroke-dasharray: 5 4; }
.supply-graph .edge.unsourced { stroke: #9ca3af; stroke-dasharray: 2 3; }
.scen-table { width: 100%; border-collapse: collapse; font-size: .85rem; }
.scen-table th, .scen-table td { border-bottom: 1px solid #e5e7eb; padding: .25rem .4rem; text-align: left;
  vertical-align: top; overflow-wrap: anywhere; }
.scen-table tr.cat-loses td:first-child { color: #b91c1c; font-weight: 600; }
.scen-table tr.cat-alternative td:first-child { color: #15803d; font-weight: 600; }
.supply-summary { margin: .3rem 0; }
"""


def _esc(text: Any) -> str:
    return html.escape(str(text if text is not None else ""), quote=True)


def _short(text: str, n: int = 34) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _quotes(sources: list[Source]) -> dict[int, str]:
    return {s.n: f"[{s.n}] {s.quote} ({s.doc_id})" for s in sources}


def graph_svg(e: Exposure) -> str:
    """Suppliers on the left, the country in the middle, those it supplies on the right; one edge per link,
    labelled with its material (dashed: planned; dotted: supplier not sourced); a node's or edge's title holds
    the sentence that states the link."""
    quotes = _quotes(e.sources)
    inflows: list[Flow] = [f for d in e.depends_on for f in d.flows] + list(e.not_sourced)
    outflows: list[Flow] = list(e.supplies)
    left = list(dict.fromkeys(f.supplier for f in inflows))
    right = list(dict.fromkeys(f.receiver for f in outflows))
    row, top, width = 34, 30, 980
    height = top + row * max(len(left), len(right), 1) + 20
    cx, cy = width // 2, height // 2
    lx, rx, box_w = 20, width - 250, 230

    def y(i: int) -> int:
        return top + i * row

    parts = [f"<svg class='supply-graph' id='supply-graph' role='img' aria-label='Supply links of "
             f"{_esc(e.country_name)}' viewBox='0 0 {width} {height}' width='100%'>",
             f"<text x='{lx}' y='16'>Supplies {_esc(e.country_name)}</text>",
             f"<text x='{rx}' y='16'>Supplied by {_esc(e.country_name)}</text>"]
    for flows, names, x_node, inward in ((inflows, left, lx, True), (outflows, right, rx, False)):
        for f in flows:
            i = names.index(f.supplier if inward else f.receiver)
            kind = "unsourced" if f.supplier_country is None else ("planned" if f.status != "current" else "")
            x1, x2 = (x_node + box_w, cx - 90) if inward else (cx + 90, x_node)
            y1, y2 = (y(i) + 11, cy) if inward else (cy, y(i) + 11)
            tip = f"{f.supplier} → {f.receiver}: {f.material} ({f.kind}, {f.status}" + (
                f"; {f.figures}" if f.figures else "") + ") " + " ".join(quotes.get(n, "") for n in f.cites)
            parts.append(f"<path class='edge {kind}' data-link='{_esc(f.link)}' d='M{x1},{y1} C{(x1 + x2) // 2},{y1}"
                         f" {(x1 + x2) // 2},{y2} {x2},{y2}'><title>{_esc(tip)}</title></path>")
        for i, name in enumerate(names):
            parts.append(f"<g class='node'><rect x='{x_node}' y='{y(i)}' width='{box_w}' height='22'/>"
                         f"<text x='{x_node + 6}' y='{y(i) + 15}'>{_esc(_short(name))}</text>"
                         f"<title>{_esc(name)}</title></g>")
    parts.append(f"<g class='node centre'><rect x='{cx - 90}' y='{cy - 14}' width='180' height='28'/>"
                 f"<text x='{cx}' y='{cy + 5}' text-anchor='middle'>{_esc(e.country_name)}</text></g>")
    if not inflows and not outflows:
        parts.append(f"<text x='{cx}' y='{cy + 40}' text-anchor='middle'>No supply link is recorded for "
                     f"{_esc(e.country_name)}.</text>")
    parts.append("</svg>")
    return "".join(parts)


def exposure_summary_html(e: Exposure) -> str:
    from assistant.views.exposure import exposure_text


    suppliers = ", ".join(_esc(c) for c in _country_names(e.supplier_countries)) or "none recorded"
    text = exposure_text(e).split("\n\nSources:")[0]
    return (f"<p class='supply-summary' id='supply-summary'><b>{_esc(e.country_name)}</b>, chain up to "
            f"{_esc(e.target)}: {len([f for d in e.depends_on for f in d.flows])} sourced import link(s), "
            f"{len(e.not_sourced)} with no named supplier, {len(e.supplies)} export link(s). Supplier countries: "
            f"{suppliers}.</p><details><summary>As text</summary><pre>{_esc(text)}</pre></details>")


def _country_names(keys: list[str]) -> list[str]:
    from assistant.core import COUNTRIES

    return [COUNTRIES[k][0] if k in COUNTRIES else k for k in keys]


def scenario_rows(s: Scenario) -> list[dict[str, Any]]:
    """One row per affected country and link: what it loses, what it keeps, who else supplies it."""
    quotes = _quotes(s.sources)
    rows: list[dict[str, Any]] = []
    for cat in SCENARIO_HEADINGS:
        for a in getattr(s, cat):
            lines = [("cut" if cat != "outlet_lost" else "outlet lost", f) for f in a.cut]
            lines += [("alternative" if cat in ("loses", "alternative") else "supplied by", f)
                      for f in a.alternatives]
            lines += [("planned", f) for f in a.planned]
            for what, f in lines:
                rows.append({"category": cat, "country": a.country_name, "line": what,
                             "link": f"{f.supplier} → {f.receiver}", "material": f.material, "kind": f.kind,
                             "status": f.status, "figures": f.figures,
                             "source": " ".join(quotes.get(n, "") for n in f.cites)})
    return rows


def scenario_html(s: Scenario) -> str:
    what = (s.material or "every material") + (f" ({', '.join(s.elements)})" if s.elements else "")
    head = f"If {s.stop} stops supplying {what}" + (f" from the {s.stage} stage on" if s.stage else "")
    counts = "; ".join(f"{SCENARIO_HEADINGS[c]}: {', '.join(a.country_name for a in getattr(s, c)) or 'none'}"
                       for c in SCENARIO_HEADINGS)
    rows = scenario_rows(s)
    if not rows:
        return f"<p id='scen-head'>{_esc(head)}: no current supply link in the records is cut.</p>"
    cols = ("category", "country", "line", "link", "material", "kind", "status", "figures", "source")
    heads = {"category": "Outcome", "line": "Line", "source": "Source sentence"}
    body = "".join(f"<tr class='cat-{_esc(r['category'])}'>" + "".join(
        f"<td>{_esc(SCENARIO_HEADINGS[r[c]] if c == 'category' else r[c])}</td>" for c in cols) + "</tr>"
        for r in rows)
    return (f"<p id='scen-head'><b>{_esc(head)}</b>. {_esc(counts)}.</p><table class='scen-table' "
            f"id='scen-table'><thead><tr>{''.join(f'<th>{_esc(heads.get(c, c.title()))}</th>' for c in cols)}"
            f"</tr></thead><tbody>{body}</tbody></table>")


def build_supply_tab(demo: Any, assistant: Assistant, status: IndexStatus) -> None:
    """The "Supply" tab; call inside the app's gr.Blocks (`demo`)."""
    import gradio as gr

    from assistant.core import COUNTRIES

    links = assistant.supply()[0]
    keys = sorted({k for lk in links for k in (lk.to.country, lk.source.country if lk.source else None)
                   if k in COUNTRIES}, key=lambda k: COUNTRIES[k][0])
    with gr.Tab("Supply", elem_id="supply-tab"):
        gr.Markdown("Who supplies whom, from the supply links: each link rests on one quoted sentence. Hover an "
                    "edge for its sentence.")
        with gr.Row():
            country = gr.Dropdown([(COUNTRIES[k][0], k) for k in keys], value="japan" if "japan" in keys else None,
                                  label="Country", min_width=160, elem_id="supply-country")
            target = gr.Dropdown([(s, s) for s in STAGES], value="magnet", label="Chain up to", min_width=120,
                                 elem_id="supply-target")
            show = gr.Button("Show links", variant="primary", scale=0, min_width=100, elem_id="supply-show")
        graph = gr.HTML("<p>Choose a country and press Show links.</p>", elem_id="supply-graph-box")
        summary = gr.HTML("", elem_id="supply-summary-box")
        gr.Markdown("#### What if a supplier stops?")
        with gr.Row():
            stop = gr.Textbox(label="Stopped supplier (country, company or plant)", value="China", min_width=200,
                              elem_id="scen-stop")
            material = gr.Dropdown([("any", "")] + [(m, m) for m in MATERIALS], value="oxide", label="Material",
                                   min_width=120, elem_id="scen-material")
            elements = gr.Textbox(label="Elements", value="Dy Tb", placeholder="e.g. Dy Tb", min_width=100,
                                  elem_id="scen-elements")
            stage = gr.Dropdown([("any", "")] + [(s, s) for s in STAGES], value="separation", label="From stage",
                                min_width=120, elem_id="scen-stage")
            run = gr.Button("Run scenario", variant="primary", scale=0, min_width=110, elem_id="scen-run")
        result = gr.HTML("", elem_id="scen-result")

        def render(key: str, t: str) -> tuple[str, str]:
            if not key:
                return "<p>Choose a country.</p>", ""
            try:
                e = assistant.exposure(key, t or "magnet")
            except ReeError as exc:
                raise gr.Error(str(exc)) from None
            return graph_svg(e), exposure_summary_html(e)

        def run_scenario(who: str, mat: str, els: str, st: str) -> str:
            if not status.ready:
                return f"<p>{_esc(status.message)}</p>"
            try:
                s = assistant.scenario(who, mat or None, [e for e in (els or "").replace(",", " ").split() if e],
                                       st or None)
            except ReeError as exc:
                raise gr.Error(str(exc)) from None
            return scenario_html(s)

        show.click(render, [country, target], [graph, summary], api_visibility="private")
        country.change(render, [country, target], [graph, summary], api_visibility="private")
        run.click(run_scenario, [stop, material, elements, stage], [result], api_visibility="private")


__all__ = ["SUPPLY_CSS", "build_supply_tab", "exposure_summary_html", "graph_svg", "scenario_html", "scenario_rows"]
