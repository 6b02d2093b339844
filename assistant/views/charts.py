"""Charts of the corpus's own figures (matplotlib, Agg, offline): SVG and PNG, data from `tables.py` only.

    mine_production   mine output by country and year (t REO), the largest producers
    reserves          reserves by country, first and latest USGS edition in the corpus (t REO)
    china_share       China's share by stage, every source's figure (sources disagree; all are shown)

`chart(corpus, name, fmt, country=None)` renders one; `chart_data(corpus, name, country)` gives the records
drawn. SVG text is drawn as paths with the DejaVu fonts that ship with matplotlib, so nothing is fetched.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import InputError
from assistant.knowledge.tables import china_share, mine_production, reserves

CHARTS: dict[str, str] = {
    "mine_production": "Rare-earth mine production by country (t REO, USGS)",
    "reserves": "Rare-earth reserves by country (t REO, USGS)",
    "china_share": "China's share of the rare-earth chain by stage (%)",
}
FORMATS = ("svg", "png")
TOP = 8  # producers shown in the all-country mine chart
COLORS = ("#1d4ed8", "#0891b2", "#15803d", "#ca8a04", "#b91c1c", "#7c3aed")
# Questions whose numeric answer a chart illustrates.
_ASKS = {
    "china_share": re.compile(r"\bchina'?s?\b.*\b(share|percent|%|dominan)|\b(share|percent)\b.*\bchina\b", re.I),
    "reserves": re.compile(r"\breserves?\b", re.I),
    "mine_production": re.compile(r"\b(mine|mining)\s+(production|output)|\bmined?\b.*\b(19|20)\d{2}\b|"
                                  r"\bproduc\w*\b.*\bt(onnes)?\s+REO\b|\bhow much\b.*\bmine", re.I),
}


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    data: list[dict[str, Any]]
    sources: list[tuple[str, str]]  # (title, url)


def check_chart(name: str, fmt: str = "svg") -> None:
    if name not in CHARTS:
        raise InputError(f"Unknown chart '{name[:40]}'. Use one of: {', '.join(CHARTS)}.", field="name")
    if fmt not in FORMATS:
        raise InputError(f"Unsupported chart format '{fmt[:20]}'. Use one of: {', '.join(FORMATS)}.", field="format")


def chart_for_question(question: str) -> str | None:
    """The chart a numeric answer to this question can attach, if any."""
    for name, pat in _ASKS.items():
        if pat.search(question or ""):
            return name
    return None


def chart_data(corpus: Path, name: str, country: str | None = None) -> Chart:
    """The records a chart draws, straight from the corpus tables (and the sources they cite)."""
    check_chart(name)
    if name == "mine_production":
        recs = [r for r in mine_production(corpus) if r.key and r.tonnes is not None]
        if country:
            recs = [r for r in recs if r.key == country]
        else:
            latest = max(r.year for r in recs)
            top = sorted((r for r in recs if r.year == latest), key=lambda r: -(r.tonnes or 0))[:TOP]
            keep = {r.key for r in top}
            recs = [r for r in recs if r.key in keep]
        data = [{"country": r.country, "key": r.key, "year": r.year, "tonnes": r.tonnes, "edition": r.edition}
                for r in recs]
        srcs = {(r.source_title, r.source_url) for r in recs}
    elif name == "reserves":
        recs = [r for r in reserves(corpus) if r.key and r.tonnes is not None]
        if country:
            recs = [r for r in recs if r.key == country]
        data = [{"country": r.country, "key": r.key, "edition": r.edition, "tonnes": r.tonnes} for r in recs]
        srcs = {(r.source_title, r.source_url) for r in recs}
    else:
        shares = china_share(corpus)
        data = [{"stage": s.stage, "label": s.label, "share_pct": s.share_pct, "year": s.year, "source": s.source}
                for s in shares]
        srcs = {(s.source_title, s.source_url) for s in shares}
    return Chart(name=name, title=CHARTS[name], data=data, sources=sorted(srcs))


def _figure(chart: Chart, country: str | None) -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.2, 3.9), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    fig.set_facecolor("white")
    if country and chart.name in ("mine_production", "reserves"):
        # one country: a bar per year (or per USGS edition), labelled with its figure
        scale, unit = (1e6, "million t REO") if chart.name == "reserves" else (1.0, "t REO")
        key = "year" if chart.name == "mine_production" else "edition"
        points = sorted(chart.data, key=lambda d: d[key])
        bars = ax.bar([str(d[key]) for d in points], [d["tonnes"] / scale for d in points], color=COLORS[0],
                      width=0.6)
        ax.bar_label(bars, labels=[f"{d['tonnes']:,.0f}" for d in points], padding=2, fontsize=8)
        ax.set_ylabel(unit)
        ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}" if scale == 1 else f"{v:g}")
        ax.margins(y=0.15)
    elif chart.name == "mine_production":
        years = sorted({d["year"] for d in chart.data})
        names = list(dict.fromkeys(d["country"] for d in sorted(chart.data, key=lambda d: -d["tonnes"])))
        value = {(d["country"], d["year"]): d["tonnes"] for d in chart.data}
        height = 0.8 / max(len(years), 1)
        for j, year in enumerate(years):
            ys = [i + j * height for i in range(len(names))]
            ax.barh(ys, [value.get((n, year), 0) for n in names], height=height, label=str(year),
                    color=COLORS[j % len(COLORS)])
        ax.set_yticks([i + height * (len(years) - 1) / 2 for i in range(len(names))], names)
        ax.invert_yaxis()
        ax.set_xlabel("t REO")
        ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}")
        ax.legend(fontsize=8, frameon=False, loc="lower right")
    elif chart.name == "reserves":
        editions = sorted({d["edition"] for d in chart.data})
        shown = [editions[0], editions[-1]] if len(editions) > 1 else editions
        names = list(dict.fromkeys(d["country"] for d in sorted(
            (d for d in chart.data if d["edition"] == editions[-1]), key=lambda d: -d["tonnes"])))
        value = {(d["country"], d["edition"]): d["tonnes"] for d in chart.data}
        height = 0.8 / len(shown)
        for j, ed in enumerate(shown):
            ys = [i + j * height for i in range(len(names))]
            ax.barh(ys, [value.get((n, ed), 0) / 1e6 for n in names], height=height, label=ed,
                    color=COLORS[(j * 2) % len(COLORS)])
        ax.set_yticks([i + height * (len(shown) - 1) / 2 for i in range(len(names))], names)
        ax.invert_yaxis()
        ax.set_xlabel("million t REO")
        ax.legend(fontsize=8, frameon=False, loc="lower right")
    else:
        labels = [f"{d['label']} ({d['source']}, {d['year']})" for d in chart.data]
        vals = [d["share_pct"] for d in chart.data]
        bars = ax.barh(range(len(vals)), vals, color=[COLORS[i % len(COLORS)] for i in range(len(vals))])
        ax.bar_label(bars, labels=[f"{v:g}%" for v in vals], padding=3, fontsize=8)
        ax.set_yticks(range(len(vals)), labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, 110)
        ax.set_xlabel("China's share, %")
    ax.tick_params(labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    title = chart.title if not country else f"{chart.title}: {chart.data[0]['country'] if chart.data else country}"
    ax.set_title(title, fontsize=10, loc="left")
    return fig


def render(chart: Chart, fmt: str = "svg", country: str | None = None) -> bytes:
    """The chart as SVG (text as paths, no fonts or scripts fetched) or PNG bytes."""
    import matplotlib

    check_chart(chart.name, fmt)
    if not chart.data:
        raise InputError(f"No figures for the '{chart.name}' chart" + (f" for {country}." if country else "."),
                         field="country")
    with matplotlib.rc_context({"font.family": "DejaVu Sans", "svg.fonttype": "path", "svg.hashsalt": "ree",
                                "axes.prop_cycle": matplotlib.cycler(color=COLORS)}):
        fig = _figure(chart, country)
        buf = io.BytesIO()
        meta = {"Date": None} if fmt == "svg" else {}
        fig.savefig(buf, format=fmt, metadata=meta)
    return buf.getvalue()


def chart(corpus: Path, name: str, fmt: str = "svg", country: str | None = None) -> bytes:
    check_chart(name, fmt)
    return render(chart_data(corpus, name, country), fmt, country)


__all__ = ["CHARTS", "FORMATS", "Chart", "chart", "chart_data", "chart_for_question", "check_chart",
           "render"]
