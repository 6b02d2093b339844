"""The country brief: one document per country, as Markdown, self-contained HTML or PDF (reportlab).

Contents: the verdict for magnets, the checklist deposit → recycling with as-of dates, the binding gap and next
steps; key figures (mine output, reserves, facilities); the profile's summary, latest developments and where
sources disagree; the charts that concern the country; numbered sources with their addresses.

`collect(...)` gathers a `Brief` from typed results (checklists and their citations, the corpus tables and the
country profile); `to_markdown`, `to_html` and `to_pdf` only render it. The HTML loads nothing: CSS inline, charts
as inline SVG, the only URLs are the sources' own links.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import InputError
from assistant.types import STATUS_LABEL, Checklist, Citation
from assistant.views.rendering import cites

if TYPE_CHECKING:
    from assistant.core import Assistant

FORMATS = {"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8", "pdf": "application/pdf"}
PROFILE_SECTIONS = ("Summary", "Latest developments", "Where sources disagree")
STATUS_COLOR = {"at_scale": "#bbf7d0", "emerging": "#fef08a", "planned": "#bfdbfe", "none": "#fecaca",
                "unknown": "#e5e7eb"}
_MARK = re.compile(r"\[S(\d+)\]")


@dataclass
class Source:
    n: int
    title: str
    publisher: str
    date: str
    url: str
    where: str = ""  # section / page for a quoted passage
    quote: str = ""


@dataclass
class Brief:
    key: str
    country: str
    region: str
    target: str
    checklist: Checklist  # deposit → target: verdict, binding gap, next steps
    stages: Checklist  # deposit → recycling: every stage's row
    figures: list[tuple[str, str, list[int]]]  # (label, value, source numbers)
    facilities: list[tuple[str, str]]  # (stage, "name (operator), phase")
    sections: list[tuple[str, str]]  # (heading, text with [n] markers)
    charts: list[str]  # chart names that concern the country
    sources: list[Source] = field(default_factory=list)
    generated: str = ""
    depends_on: list[tuple[str, list[int]]] = field(default_factory=list)  # (line, source numbers)


def check_format(fmt: str) -> str:
    fmt = (fmt or "").strip().lower()
    if fmt not in FORMATS:
        raise InputError(f"Unsupported brief format '{fmt[:20]}'. Use one of: {', '.join(FORMATS)}.",
                         field="format")
    return fmt


class _Book:
    """The brief's one numbering: the checklist's citations first, then every other source by URL."""

    def __init__(self, citations: list[Citation]) -> None:
        self.items = [Source(n=c.n, title=c.title, publisher=c.publisher, date=c.date, url=c.url,
                             where=c.section + (f", p. {c.page}" if c.page else ""), quote=c.quote)
                      for c in citations]
        self._by_url: dict[str, int] = {}

    def add(self, title: str, publisher: str, date: str, url: str) -> int:
        key = url or title
        if key in self._by_url:
            return self._by_url[key]
        n = len(self.items) + 1
        self.items.append(Source(n=n, title=title, publisher=publisher, date=str(date or ""), url=url))
        self._by_url[key] = n
        return n


def _profile(corpus: Path, key: str) -> tuple[dict[str, str], list[dict[str, Any]]]:
    from assistant.knowledge.tables import _front_matter

    path = corpus / "profiles" / f"{key}.md"
    if not path.exists():
        return {}, []
    meta, body = _front_matter(path.read_text(encoding="utf-8"))
    sections: dict[str, str] = {}
    for part in re.split(r"^## ", body, flags=re.M)[1:]:
        head, _, text = part.partition("\n")
        sections[head.strip()] = text.strip()
    return sections, [s or {} for s in meta.get("sources") or []]


def _facilities(corpus: Path, key: str) -> list[tuple[str, str]]:
    """Named facilities, where the value-chain file records them (the facts schema)."""
    import yaml

    path = corpus / "value_chain" / f"{key}.yaml"
    if not path.exists():
        return []
    raw = yaml.load(path.read_text(encoding="utf-8"),  # noqa: S506 - a safe loader
                    Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    out: list[tuple[str, str]] = []
    for stage, facts in (raw.get("stages") or {}).items():
        for f in (facts or {}).get("facilities") or []:
            if isinstance(f, dict) and f.get("name"):
                who = f" ({f['operator']})" if f.get("operator") else ""
                out.append((stage, f"{f['name']}{who}, {f.get('phase', '')}".rstrip(", ")))
    return out


def collect(key: str, checklist: Checklist, stages: Checklist, citations: list[Citation], corpus: Path,
            region: str) -> Brief:
    from assistant.knowledge.tables import mine_production, reserves
    from assistant.views.charts import chart_data

    book = _Book(citations)
    figures: list[tuple[str, str, list[int]]] = []
    for r in [r for r in mine_production(corpus) if r.key == key and r.tonnes is not None][-2:]:
        n = book.add(r.source_title, "U.S. Geological Survey", "", r.source_url)
        figures.append((f"Mine production {r.year} ({r.edition})", f"{r.tonnes:,.0f} t REO", [n]))
    res = [r for r in reserves(corpus) if r.key == key and r.tonnes is not None]
    if res:
        r = max(res, key=lambda r: r.edition)
        n = book.add(r.source_title, "U.S. Geological Survey", "", r.source_url)
        figures.append((f"Reserves ({r.edition})", f"{r.tonnes:,.0f} t REO", [n]))
    else:
        figures.append(("Reserves", "no USGS reserve figure in the corpus tables", []))
    sections_raw, profile_sources = _profile(corpus, key)

    def renumber(text: str) -> str:
        def sub(m: re.Match[str]) -> str:
            i = int(m.group(1))
            if not 0 < i <= len(profile_sources):
                return ""
            s = profile_sources[i - 1]
            return f"[{book.add(str(s.get('title', '')), str(s.get('publisher', '')), str(s.get('date', '')), str(s.get('url', '')))}]"  # noqa: E501
        return _MARK.sub(sub, text)

    sections = [(h, renumber(sections_raw[h])) for h in PROFILE_SECTIONS if sections_raw.get(h)]
    datas = {name: chart_data(corpus, name, key) for name in ("mine_production", "reserves")}
    if key == "china":
        datas["china_share"] = chart_data(corpus, "china_share", None)
    charts = [name for name, d in datas.items() if d.data or name == "china_share"]
    for name in charts:
        for title, url in datas[name].sources:
            book.add(title, "", "", url)
    return Brief(key=key, country=checklist.country, region=region, target=checklist.target, checklist=checklist,
                 stages=stages, figures=figures, facilities=_facilities(corpus, key), sections=sections,
                 charts=charts, sources=book.items, generated=dt.date.today().isoformat())


# -- renderers ----------------------------------------------------------------------------------------------------
def _verdict_line(b: Brief) -> str:
    v = b.checklist.verdict or "unknown (no structured data)"
    gap = f"; binding gap: {b.checklist.binding_gap}" if b.checklist.binding_gap else ""
    return f"Verdict (deposit → {b.target}): {v}{gap}"


def _md_cell(text: str) -> str:
    return str(text or "").replace("|", "\\|").replace("\n", " ")


def to_markdown(b: Brief) -> str:
    out = [f"# {b.country}: rare-earth value-chain brief", "",
           f"*Region: {b.region} · generated {b.generated} by REE Assistant from its sourced corpus.*", "",
           f"**{_verdict_line(b)}**", ""]
    if b.checklist.note:
        out += [f"*{b.checklist.note}*", ""]
    out += ["## Checklist", "", "| Stage | Status | Detail | As of | Sources |", "|---|---|---|---|---|"]
    out += [f"| {r.stage} | {STATUS_LABEL[r.status]}{' (inferred)' if r.inferred else ''} | {_md_cell(r.detail)} | "
            f"{r.as_of} | {cites(r.citations)} |" for r in b.stages.stages]
    if b.checklist.next_steps:
        out += ["", "## Next steps", ""]
        out += [f"{i}. **{s.stage}**: {s.text} {cites(s.citations)}".rstrip()
                for i, s in enumerate(b.checklist.next_steps, 1)]
    out += ["", "## Key figures", ""]
    out += [f"- {label}: {value} {cites(ns)}".rstrip() for label, value, ns in b.figures]
    if b.facilities:
        out += ["", "Facilities:", ""] + [f"- {stage}: {text}" for stage, text in b.facilities]
    if b.depends_on:
        out += ["", "## Depends on", ""] + [f"- {text} {cites(ns)}".rstrip() for text, ns in b.depends_on]
    for head, text in b.sections:
        out += ["", f"## {head}", "", text]
    if b.charts:
        out += ["", "## Charts", "", "The HTML and PDF briefs draw these charts: " + ", ".join(b.charts) + "."]
    out += ["", "## Sources", ""]
    for s in b.sources:
        bits = ", ".join(x for x in (s.publisher, s.date, s.where) if x)
        quote = f" “{s.quote}”" if s.quote else ""
        out.append(f"{s.n}. {s.title}" + (f" — {bits}" if bits else "") + f".{quote} {s.url}".rstrip())
    return "\n".join(out).strip() + "\n"


def _esc(text: Any) -> str:
    return html.escape(str(text or ""), quote=True)


def _inline_svg(svg: bytes) -> str:
    """matplotlib's SVG, inlined: no XML prologue, DOCTYPE, metadata or namespace URLs (HTML5 needs none)."""
    text = svg.decode("utf-8")
    text = re.sub(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>", "", text)
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    text = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", text)
    return text.strip()


def _safe_url(url: str) -> str | None:
    return url if re.match(r"^https?://[^\s\"'<>]+$", url or "") else None


CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 60rem; margin: 2rem auto;
  padding: 0 1rem; color: #111; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 1.6rem; }
.meta { opacity: .75; font-size: .9rem; }
.verdict { font-size: 1.1rem; font-weight: 700; padding: .4rem .6rem; border-left: 5px solid #1d4ed8;
  background: #eff6ff; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { border-bottom: 1px solid #e5e7eb; padding: .3rem .4rem; text-align: left; vertical-align: top; }
.st { display: inline-block; padding: .05rem .45rem; border-radius: .3rem; font-weight: 600; white-space: nowrap; }
.chart svg { max-width: 100%; height: auto; } td.nw { white-space: nowrap; }
ol.sources li { margin: .3rem 0; overflow-wrap: anywhere; } .quote { font-style: italic; opacity: .85; }
"""


def to_html(b: Brief, corpus: Path) -> str:
    from assistant.views.charts import chart

    def refs(ns: list[int]) -> str:
        return "".join(f'<a href="#s{n}">[{n}]</a>' for n in ns)

    def linked(text: str) -> str:
        body = _esc(text)
        body = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", body)
        return re.sub(r"\[(\d+)\]", lambda m: f'<a href="#s{m.group(1)}">[{m.group(1)}]</a>', body)

    rows = "".join(
        f"<tr><td><b>{_esc(r.stage)}</b></td><td><span class='st' style='background:{STATUS_COLOR[r.status]}'>"
        f"{_esc(STATUS_LABEL[r.status])}</span>{' (inferred)' if r.inferred else ''}</td><td>{_esc(r.detail)}</td>"
        f"<td class='nw'>{_esc(r.as_of)}</td><td>{refs(r.citations)}</td></tr>" for r in b.stages.stages)
    steps = "".join(f"<li><b>{_esc(s.stage)}</b>: {_esc(s.text)} {refs(s.citations)}</li>"
                    for s in b.checklist.next_steps)
    figures = "".join(f"<li>{_esc(label)}: <b>{_esc(value)}</b> {refs(ns)}</li>" for label, value, ns in b.figures)
    facilities = "".join(f"<li>{_esc(stage)}: {_esc(text)}</li>" for stage, text in b.facilities)
    sections = "".join(
        f"<h2>{_esc(h)}</h2>" + "".join(f"<p>{linked(p.lstrip('- '))}</p>" for p in text.split("\n") if p.strip())
        for h, text in b.sections)
    charts = "".join(
        f'<figure class="chart">{_inline_svg(chart(corpus, n, "svg", None if n == "china_share" else b.key))}</figure>'
        for n in b.charts)
    sources = []
    for s in b.sources:
        url = _safe_url(s.url)
        link = f' <a href="{_esc(url)}">{_esc(url)}</a>' if url else ""
        bits = ", ".join(_esc(x) for x in (s.publisher, s.date, s.where) if x)
        quote = f'<div class="quote">“{_esc(s.quote)}”</div>' if s.quote else ""
        sources.append(f'<li id="s{s.n}">{_esc(s.title)}{" — " + bits if bits else ""}.{link}{quote}</li>')
    note = f"<p><em>{_esc(b.checklist.note)}</em></p>" if b.checklist.note else ""
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{_esc(b.country)}: "
        f"rare-earth value-chain brief</title><style>{CSS}</style></head><body>"
        f"<h1>{_esc(b.country)}: rare-earth value-chain brief</h1>"
        f"<p class='meta'>Region: {_esc(b.region)} · generated {_esc(b.generated)} by REE Assistant from its sourced "
        f"corpus.</p><p class='verdict'>{_esc(_verdict_line(b))}</p>{note}"
        "<h2>Checklist</h2><table><thead><tr><th>Stage</th><th>Status</th><th>Detail</th><th>As of</th>"
        f"<th>Sources</th></tr></thead><tbody>{rows}</tbody></table>"
        + (f"<h2>Next steps</h2><ol>{steps}</ol>" if steps else "")
        + f"<h2>Key figures</h2><ul>{figures}</ul>"
        + (f"<p>Facilities:</p><ul>{facilities}</ul>" if facilities else "")
        + ("<h2>Depends on</h2><ul>" + "".join(f"<li>{_esc(t)} {refs(ns)}</li>" for t, ns in b.depends_on)
           + "</ul>" if b.depends_on else "")
        + sections
        + (f"<h2>Charts</h2>{charts}" if charts else "")
        + f"<h2>Sources</h2><ol class='sources'>{''.join(sources)}</ol></body></html>")


def _pdf_font() -> str:
    """DejaVu Sans (shipped with matplotlib) for the PDF: covers →, ≥, “ ” and accented names."""
    from matplotlib import get_data_path
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        fonts = Path(get_data_path()) / "fonts" / "ttf"
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(fonts / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(fonts / "DejaVuSans-Bold.ttf")))
        from reportlab.lib.fonts import addMapping

        addMapping("DejaVuSans", 0, 0, "DejaVuSans")
        addMapping("DejaVuSans", 1, 0, "DejaVuSans-Bold")
    return "DejaVuSans"


def to_pdf(b: Brief, corpus: Path) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, ListFlowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from assistant.views.charts import chart

    font = _pdf_font()
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName=font, fontSize=9, leading=12)
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5)
    h1 = ParagraphStyle("h1", parent=base["Heading1"], fontName="DejaVuSans-Bold", fontSize=16)
    h2 = ParagraphStyle("h2", parent=base["Heading2"], fontName="DejaVuSans-Bold", fontSize=12)
    verdict = ParagraphStyle("verdict", parent=body, fontName="DejaVuSans-Bold", fontSize=11, leading=14,
                             backColor=colors.HexColor("#eff6ff"), borderPadding=4)

    def p(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(_esc(text), style)

    story: list[Any] = [p(f"{b.country}: rare-earth value-chain brief", h1),
                        p(f"Region: {b.region} · generated {b.generated} by REE Assistant from its sourced corpus.",
                          small), Spacer(1, 4 * mm), p(_verdict_line(b), verdict), Spacer(1, 3 * mm)]
    if b.checklist.note:
        story.append(p(b.checklist.note, small))
    story.append(p("Checklist", h2))
    data = [[p("Stage", small), p("Status", small), p("Detail", small), p("As of", small), p("Sources", small)]]
    style = [("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#d1d5db")), ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3f4f6"))]
    for i, r in enumerate(b.stages.stages, 1):
        data.append([p(r.stage, small), p(STATUS_LABEL[r.status] + (" (inferred)" if r.inferred else ""), small),
                     p(r.detail, small), p(r.as_of, small), p(cites(r.citations), small)])
        style.append(("BACKGROUND", (1, i), (1, i), colors.HexColor(STATUS_COLOR[r.status])))
    table = Table(data, colWidths=[22 * mm, 20 * mm, 90 * mm, 20 * mm, 20 * mm], repeatRows=1)
    table.setStyle(TableStyle(style))
    story.append(table)
    if b.checklist.next_steps:
        story.append(p("Next steps", h2))
        story.append(ListFlowable([p(f"{s.stage}: {s.text} {cites(s.citations)}") for s in b.checklist.next_steps],
                                  bulletType="1", bulletFontName=font, bulletFontSize=9))
    story.append(p("Key figures", h2))
    story.append(ListFlowable([p(f"{label}: {value} {cites(ns)}") for label, value, ns in b.figures],
                              bulletType="bullet", bulletFontName=font))
    if b.facilities:
        story.append(p("Facilities:"))
        story.append(ListFlowable([p(f"{stage}: {text}") for stage, text in b.facilities], bulletType="bullet",
                                  bulletFontName=font))
    if b.depends_on:
        story.append(p("Depends on", h2))
        story.append(ListFlowable([p(f"{t} {cites(ns)}") for t, ns in b.depends_on], bulletType="bullet",
                                  bulletFontName=font))
    for head, text in b.sections:
        story.append(p(head, h2))
        for para in (x for x in text.split("\n") if x.strip()):
            story.append(p(re.sub(r"\*\*(.+?)\*\*", r"\1", para.lstrip("- "))))
    if b.charts:
        story.append(p("Charts", h2))
        for name in b.charts:
            png = chart(corpus, name, "png", None if name == "china_share" else b.key)
            img = Image(io.BytesIO(png))
            scale = 170 * mm / img.imageWidth
            img.drawWidth, img.drawHeight = img.imageWidth * scale, img.imageHeight * scale
            story += [img, Spacer(1, 3 * mm)]
    story.append(p("Sources", h2))
    for s in b.sources:
        bits = ", ".join(x for x in (s.publisher, s.date, s.where) if x)
        story.append(p(f"[{s.n}] {s.title}" + (f" — {bits}" if bits else "") + (f". {s.url}" if s.url else ""),
                       small))
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=15 * mm, title=f"{b.country}: rare-earth value-chain brief",
                            author="REE Assistant", creator="REE Assistant", invariant=1)
    doc.build(story)
    return buf.getvalue()


def add_dependencies(b: Brief, exp: Any) -> Brief:
    """The "Depends on" lines of an Exposure (views/exposure.py), its sentences added to the brief's sources."""
    numbers: dict[int, int] = {}
    for src in exp.sources:
        n = len(b.sources) + 1
        b.sources.append(Source(n=n, title=src.title, publisher=src.publisher, date=src.date, url=src.url,
                                where=f"{src.doc_id} › {src.section}", quote=src.quote))
        numbers[src.n] = n
    for dep in exp.depends_on:
        for f in dep.flows:
            status = "" if f.status == "current" else f" ({f.status})"
            figures = f"; {f.figures}" if f.figures else ""
            b.depends_on.append((f"{dep.stage}: {f.material} from {f.supplier}{status}{figures}",
                                 [numbers[c] for c in f.cites]))
    for f in exp.not_sourced:
        b.depends_on.append((f"{f.stage}: {f.material}, supplier not sourced", [numbers[c] for c in f.cites]))
    return b


def render_brief(assistant: Assistant, key: str, fmt: str = "md") -> tuple[bytes, str]:
    """(bytes, media type) of one country's brief; `key` is a country key from `Assistant.country_key`."""
    fmt = check_format(fmt)
    b = assistant.brief_data(key)
    corpus = assistant.settings.paths.corpus
    if fmt == "md":
        return to_markdown(b).encode("utf-8"), FORMATS[fmt]
    if fmt == "html":
        return to_html(b, corpus).encode("utf-8"), FORMATS[fmt]
    return to_pdf(b, corpus), FORMATS[fmt]


__all__ = ["FORMATS", "Brief", "add_dependencies", "check_format", "collect", "render_brief", "to_html", "to_markdown",
           "to_pdf"]
