"""The web UI's "Map" tab: the capability grid coloured by status (hover: as-of and detail; click: the country's
checklist with its citations), filters, CSV/JSON export, charts of the corpus's figures, and the country brief.

Everything shown is HTML-escaped; charts and exports come from this server's own API (no outside host).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import ReeError
from assistant.types import STAGES

if TYPE_CHECKING:
    from assistant.core import Assistant
    from assistant.service import IndexStatus
    from assistant.views.capmap import CapabilityMap

SHORT = {"at_scale": "at scale", "emerging": "emerging", "planned": "planned", "none": "none", "unknown": "?"}
MAP_CSS = """
.map-table { border-collapse: collapse; font-size: .82rem; width: 100%; }
.map-table th, .map-table td { border: 1px solid #e5e7eb; padding: .2rem .35rem; text-align: center;
  white-space: nowrap; }
.map-table th.country, .map-table td.country { text-align: left; }
.map-table td.mc { cursor: pointer; font-weight: 600; }
.map-table td.mc:hover, .map-table td.country:hover { outline: 2px solid #1d4ed8; }
.map-table td.country { cursor: pointer; font-weight: 700; }
.mc.st-at_scale { background: #bbf7d0; color: #14532d; } .mc.st-emerging { background: #fef08a; color: #713f12; }
.mc.st-planned { background: #bfdbfe; color: #1e3a8a; } .mc.st-none { background: #fecaca; color: #7f1d1d; }
.mc.st-unknown { background: #f3f4f6; color: #6b7280; }
.mc.target { box-shadow: inset 0 -3px 0 #111; }
.map-legend span { display: inline-block; margin-right: .6rem; padding: 0 .4rem; border-radius: .25rem; }
.map-charts img { max-width: 100%; border: 1px solid #e5e7eb; border-radius: .4rem; margin: .3rem 0; }
.ree-hidden { display: none !important; }
#map-sources { max-height: 40rem; overflow-y: auto; }
"""
# A click on a map cell or a country name puts the country key in the hidden #map-pick box and presses #map-open.
MAP_JS = """
<script>
document.addEventListener('click', function (e) {
  var cell = e.target && e.target.closest ? e.target.closest('#map-grid [data-key]') : null;
  if (!cell) return;
  var box = document.querySelector('#map-pick textarea, #map-pick input');
  var btn = document.querySelector('#map-open');
  if (!box || !btn) return;
  box.value = cell.getAttribute('data-key');
  box.dispatchEvent(new Event('input', {bubbles: true}));
  setTimeout(function () { btn.click(); }, 50);
}, true);
</script>
"""


def _esc(text: Any) -> str:
    import html

    return html.escape(str(text or ""), quote=True)


def map_html(cmap: CapabilityMap) -> str:
    """The grid: one row per country, one coloured cell per stage; the title attribute carries the as-of date."""
    head = "".join(f"<th>{_esc(s)}</th>" for s in cmap.stages)
    rows = []
    for r in cmap.rows:
        cells = []
        for c in r.cells:
            target = " target" if c.stage == cmap.target else ""
            tip = f"{r.country} · {c.stage}: {c.status} · as of {c.as_of or 'n/a'} · {c.detail}"
            cells.append(f'<td class="mc st-{_esc(c.status)}{target}" data-key="{_esc(r.key)}" '
                         f'data-stage="{_esc(c.stage)}" data-as-of="{_esc(c.as_of)}" title="{_esc(tip)}">'
                         f"{_esc(SHORT[c.status])}</td>")
        verdict = r.verdict or "unknown"
        vclass = (r.verdict or "none").replace(" ", "-")
        rows.append(f'<tr data-country="{_esc(r.country)}"><td class="country" data-key="{_esc(r.key)}" '
                    f'title="Open the checklist of {_esc(r.country)}">{_esc(r.country)}</td><td>{_esc(r.region)}</td>'
                    f'<td><span class="verdict v-{_esc(vclass)}">{_esc(verdict)}</span></td>'
                    f"<td>{_esc(r.binding_gap or '–')}</td>{''.join(cells)}</tr>")
    legend = "".join(f'<span class="mc st-{k}">{_esc(v if v != "?" else "unknown")}</span>' for k, v in SHORT.items())
    filt = []
    if cmap.stage and cmap.status:
        filt.append(f"{cmap.stage} {cmap.status}")
    elif cmap.status:
        filt.append(f"{cmap.target} {cmap.status}")
    if cmap.region:
        filt.append(cmap.region)
    shown = f"{len(cmap.rows)} of {cmap.countries_total} countries" + (f" · filter: {', '.join(filt)}" if filt else "")
    if not cmap.rows:
        return f'<p id="map-count">{_esc(shown)}</p><p>No country matches these filters.</p>'
    return (f'<p id="map-count">{_esc(shown)} · verdict up to <b>{_esc(cmap.target)}</b> · hover a cell for its '
            f'as-of date, click it for the checklist</p><p class="map-legend">{legend}</p>'
            '<table class="map-table"><thead><tr><th class="country">Country</th><th>Region</th>'
            f"<th>Verdict</th><th>Binding gap</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def charts_html() -> str:
    from assistant.views.charts import CHARTS

    parts = []
    for name, title in CHARTS.items():
        parts.append(f'<figure><img alt="{_esc(title)}" src="/api/chart/{name}?format=svg" loading="lazy">'
                     f'<figcaption>{_esc(title)} · <a href="/api/chart/{name}?format=svg" download>SVG</a> · '
                     f'<a href="/api/chart/{name}?format=png" download>PNG</a></figcaption></figure>')
    return f'<div class="map-charts">{"".join(parts)}</div>'


def answer_chart_html(answer: dict[str, Any] | None) -> str:
    """A chart for a numeric answer about one of the charted series (mine output, reserves, China's share)."""
    from assistant.views.charts import CHARTS, chart_for_question

    if not answer or not answer.get("answerable"):
        return ""
    name = chart_for_question(str(answer.get("question", "")))
    if not name:
        return ""
    return (f'<div class="map-charts"><img alt="{_esc(CHARTS[name])}" src="/api/chart/{name}?format=svg">'
            f'<div><a href="/api/chart/{name}?format=png" download>PNG</a> · '
            f'<a href="/api/chart/{name}?format=svg" download>SVG</a></div></div>')


def _export(data: str | bytes, suffix: str) -> str:
    """A download file named by its content: the same export is written once, not once per render."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    folder = Path(tempfile.gettempdir()) / "ree-exports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"ree-{hashlib.sha1(raw).hexdigest()[:12]}-{suffix}"
    if not path.exists():
        tmp = path.with_suffix(path.suffix + f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(raw)
        os.replace(tmp, path)
    return str(path)


def build_map_tab(demo: Any, assistant: Assistant, status: IndexStatus) -> None:
    """The "Map" tab; call inside the app's gr.Blocks (`demo`)."""
    import gradio as gr

    from assistant.frontends.web_html import checklist_html, sources_html
    from assistant.views.brief import to_html, to_pdf
    from assistant.views.capmap import parse_filter, region_of, value_chain_keys

    folder = assistant.settings.paths.corpus / "value_chain"
    regions = sorted({region_of(folder, k) for k in value_chain_keys(folder)})
    with gr.Tab("Map", elem_id="map-tab"):
        with gr.Row():
            target = gr.Dropdown([(s, s) for s in STAGES], value="magnet", label="Verdict up to", min_width=120,
                                 elem_id="map-target")
            region = gr.Dropdown([("any", ""), ("outside China", "outside China")] + [(r, r) for r in regions],
                                 value="", label="Region", min_width=140, elem_id="map-region")
            sort = gr.Radio(["verdict", "reach", "country"], value="verdict", label="Sort by", elem_id="map-sort")
            filt = gr.Textbox(label="Filter", placeholder="e.g. separation at_scale   ·   magnet emerging Europe",
                              scale=2, elem_id="map-filter")
            show = gr.Button("Show", variant="primary", scale=0, min_width=80, elem_id="map-show")
        grid = gr.HTML("<p>Loading the map…</p>", elem_id="map-grid")
        with gr.Row():
            csv_btn = gr.DownloadButton("Export CSV", size="sm", elem_id="map-csv")
            json_btn = gr.DownloadButton("Export JSON", size="sm", elem_id="map-json")
        pick = gr.Textbox(elem_id="map-pick", elem_classes=["ree-hidden"], show_label=False)
        open_btn = gr.Button("open", elem_id="map-open", elem_classes=["ree-hidden"])
        with gr.Row():
            brief_pdf = gr.DownloadButton("Download brief (PDF)", size="sm", elem_id="brief-pdf", visible=False)
            brief_html = gr.DownloadButton("Download brief (HTML)", size="sm", elem_id="brief-html", visible=False)
        with gr.Row(equal_height=False):
            with gr.Column(scale=6):
                checklist = gr.HTML("", elem_id="map-checklist")
            with gr.Column(scale=5):
                sources = gr.HTML("", elem_id="map-sources")
        with gr.Accordion("Charts of the corpus's figures (USGS, IEA)", open=False):
            gr.HTML(charts_html(), elem_id="charts")

        def render(t: str, r: str, s: str, f: str) -> tuple[str, Any, Any]:
            if not status.ready:
                return f"<p>{_esc(status.message)}</p>", None, None
            args: dict[str, str] = {"target": t or "magnet", "region": r or "", "sort": s or "verdict"}
            args |= {k: v for k, v in parse_filter(f or "").items() if v}
            try:
                cmap = assistant.capability_map(**args)
            except ReeError as exc:
                raise gr.Error(str(exc)) from None
            data = json.dumps(cmap.model_dump(mode="json") | {"records": cmap.records()}, ensure_ascii=False,
                              indent=1)
            return map_html(cmap), _export(cmap.to_csv(), "map.csv"), _export(data, "map.json")

        def open_country(key: str, t: str) -> tuple[str, str, Any, Any]:
            if not key:
                return gr.skip(), gr.skip(), gr.skip(), gr.skip()
            try:
                answer = assistant.gaps(key, t or "magnet")
                brief = assistant.brief_data(key)  # gathered once, rendered twice
                corpus = assistant.settings.paths.corpus
                pdf, page = to_pdf(brief, corpus), to_html(brief, corpus).encode("utf-8")
            except ReeError as exc:
                raise gr.Error(str(exc)) from None
            # the Ask tab uses src-N ids too: give this tab's sources their own
            return (checklist_html(answer).replace('href="#src-', 'href="#msrc-'),
                    sources_html(answer).replace('id="src-', 'id="msrc-'),
                    gr.DownloadButton(value=_export(pdf, f"brief-{key}.pdf"), visible=True),
                    gr.DownloadButton(value=_export(page, f"brief-{key}.html"), visible=True))

        inputs = [target, region, sort, filt]
        outputs = [grid, csv_btn, json_btn]
        show.click(render, inputs, outputs, api_visibility="private")
        filt.submit(render, inputs, outputs, api_visibility="private")
        for comp in (target, region, sort):
            comp.change(render, inputs, outputs, api_visibility="private")
        open_btn.click(open_country, [pick, target], [checklist, sources, brief_pdf, brief_html],
                       api_visibility="private")
        demo.load(render, inputs, outputs, api_visibility="private")
