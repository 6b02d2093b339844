"""The one loader for the corpus's Markdown tables of figures: a table → typed records, parsed, never retyped.

    read_tables(path)          every pipe table of a Markdown document, with the heading it sits under
    mine_production(corpus)    MineOutput per country and year (t REO), from `data/world-mine-production-*.md`
    reserves(corpus)           Reserve per country and USGS edition (t REO), from `data/world-reserves-2024.md`
    china_share(corpus)        StageShare per stage (%), from `analysis/china-share-by-stage.md`
    us_salient(corpus)         SalientStat per item and year, from `data/us-salient-statistics.md`
    document_figures(doc)      the same records from any loaded document's tables (an ingested PDF's, whose
                               tables `pdftext.py` wrote as pipe tables), each with its page

Cells: "255,000" → 255000; "—" (USGS's zero) → 0; "NA" or empty → None; ">90,000,000" → 90000000 marked as a
lower bound; "about 69% (...)" → 69.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from assistant.knowledge.loading import Document
from assistant.knowledge.taxonomy import find_countries

MINE_DOCS = ("data/world-mine-production-2021-2022.md", "data/world-mine-production-2024.md")
RESERVES_DOC = "data/world-reserves-2024.md"
SHARE_DOC = "analysis/china-share-by-stage.md"
SALIENT_DOC = "data/us-salient-statistics.md"
# Tables whose columns carry no edition of their own take the edition of the document's first source.
_EDITION = re.compile(r"MCS\s*(\d{4})")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
_NUM = re.compile(r"^(?P<gt>[>≥])?\s*(?P<n>\d[\d,]*(?:\.\d+)?)")
# Which stage each row label of the China-share table speaks to.
_SHARE_STAGE = {"mining": "mining", "refining": "separation", "separation": "separation", "magnet": "magnet",
                "metal": "metal", "alloy": "alloy"}


@dataclass(frozen=True)
class MdTable:
    doc_id: str
    section: str
    header: list[str]
    rows: list[list[str]]
    sources: list[dict[str, str]] = field(default_factory=list)
    offset: int = 0  # where the header line starts in the text it was read from

    def column(self, pattern: str) -> int:
        """Index of the first column whose header matches `pattern` (case-insensitive)."""
        for i, name in enumerate(self.header):
            if re.search(pattern, name, re.I):
                return i
        raise KeyError(f"{self.doc_id} › {self.section}: no column matching {pattern!r} in {self.header}")


class Figure(BaseModel):
    """Where a number comes from: its document, the table's section and the source it cites."""

    doc_id: str
    section: str
    source_url: str = ""
    source_title: str = ""
    page: int | None = None  # the PDF page the table is on


class MineOutput(Figure):
    country: str
    key: str | None  # the taxonomy key; None for "Other countries" and "World total"
    year: int
    tonnes: float | None
    edition: str  # "MCS 2025"
    note: str = ""


class Reserve(Figure):
    country: str
    key: str | None
    edition: str
    tonnes: float | None
    lower_bound: bool = False  # ">90,000,000"


class StageShare(Figure):
    stage: str
    label: str
    share_pct: float
    year: str
    source: str


class SalientStat(Figure):
    item: str
    year: int
    value: float | None
    estimate: bool = False
    text: str = ""  # the cell as written (">95" keeps its sign here)


def parse_number(cell: str) -> tuple[float | None, bool]:
    """(value, is_lower_bound) of a table cell; USGS's "—" is zero, "NA" or empty is None."""
    text = cell.strip().replace("\u2009", "").replace("\xa0", "")
    if text in ("—", "–", "-"):
        return 0.0, False
    m = _NUM.match(text)
    if not m:
        return None, False
    return float(m.group("n").replace(",", "")), bool(m.group("gt"))


def _split_row(line: str) -> list[str]:
    inner = line.strip().strip("|")
    return [c.strip() for c in re.split(r"(?<!\\)\|", inner)]


def _front_matter(text: str) -> tuple[dict, str]:
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end > 0:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            meta = yaml.load(text[3:end], Loader=loader) or {}  # noqa: S506 - a safe loader
            return meta, text[end + 4:]
    return {}, text


def read_tables(path: Path, doc_id: str = "") -> list[MdTable]:
    """Every pipe table in a Markdown document, with the `##` heading above it and the document's sources."""
    meta, body = _front_matter(path.read_text(encoding="utf-8"))
    sources = [{k: str(v) for k, v in (s or {}).items()} for s in meta.get("sources") or []]
    return read_table_text(body, doc_id or path.name, sources)


def read_table_text(body: str, doc_id: str, sources: list[dict[str, str]] | None = None) -> list[MdTable]:
    """Every pipe table in a text, with the `#` heading above it and where its header starts."""
    tables: list[MdTable] = []
    section = ""
    lines = body.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    lines = [line.rstrip("\r\n") for line in lines]
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            section = line.lstrip("#").strip()
        if line.lstrip().startswith("|") and i + 1 < len(lines) and re.match(r"^\s*\|[\s:|-]+\|\s*$", lines[i + 1]):
            header = _split_row(line)
            rows: list[list[str]] = []
            i += 2
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                cells = _split_row(lines[i])
                rows.append((cells + [""] * len(header))[: len(header)])
                i += 1
            tables.append(MdTable(doc_id=doc_id, section=section, header=header, rows=rows,
                                  sources=list(sources or []), offset=starts[i - len(rows) - 2]))
            continue
        i += 1
    return tables


@lru_cache(maxsize=16)
def _tables(path: Path, doc_id: str, _mtime: float) -> tuple[MdTable, ...]:
    """A document's tables, read once per version of the file."""
    return tuple(read_tables(path, doc_id))


def _table(corpus: Path, doc_id: str, section: str) -> MdTable:
    path = corpus / doc_id
    if not path.exists():
        raise FileNotFoundError(f"corpus table missing: {doc_id}")
    for t in _tables(path, doc_id, path.stat().st_mtime):
        if re.search(section, t.section, re.I):
            return t
    raise LookupError(f"{doc_id}: no table under a heading matching {section!r}")


def _key(name: str) -> str | None:
    found = find_countries(name)
    return found[0] if found else None


def _source(t: MdTable, edition: str) -> tuple[str, str]:
    """The source entry of the table's document that is this USGS edition (else the first)."""
    year = edition.split()[-1] if edition else ""
    for s in t.sources:
        if year and year in (s.get("url", "") + s.get("title", "")):
            return s.get("url", ""), s.get("title", "")
    first = t.sources[0] if t.sources else {}
    return first.get("url", ""), first.get("title", "")


def _doc_edition(t: MdTable) -> str:
    for s in t.sources:
        m = _EDITION.search(s.get("title", "").replace("Mineral Commodity Summaries", "MCS"))
        if m:
            return f"MCS {m.group(1)}"
    return ""


def _mine_table(corpus: Path, doc_id: str) -> list[MineOutput]:
    t = _table(corpus, doc_id, r"mine production")
    default = _doc_edition(t)
    note_col = next((i for i, h in enumerate(t.header) if h.lower() == "note"), None)
    out: list[MineOutput] = []
    for ci, head in enumerate(t.header):
        y = _YEAR.search(head)
        if ci == 0 or not y or ci == note_col:
            continue
        ed = _EDITION.search(head)
        edition = f"MCS {ed.group(1)}" if ed else default
        url, title = _source(t, edition)
        for row in t.rows:
            value, _ = parse_number(row[ci])
            out.append(MineOutput(country=row[0], key=_key(row[0]), year=int(y.group(0)), tonnes=value,
                                  edition=edition, note=row[note_col] if note_col is not None else "",
                                  doc_id=doc_id, section=t.section, source_url=url, source_title=title))
    return out


@lru_cache(maxsize=8)
def _mine_cached(corpus: Path, stamp: tuple[float, ...]) -> tuple[MineOutput, ...]:
    return tuple(r for doc in MINE_DOCS if (corpus / doc).exists() for r in _mine_table(corpus, doc))


def _stamp(corpus: Path, *docs: str) -> tuple[float, ...]:
    return tuple((corpus / d).stat().st_mtime if (corpus / d).exists() else 0.0 for d in docs)


def available(read: Callable[[Path], list[Any]], corpus: Path) -> list[Any]:
    """A table's records, or none when the corpus does not hold that table (a small or custom corpus)."""
    try:
        return read(corpus)
    except FileNotFoundError:
        return []


def mine_production(corpus: Path) -> list[MineOutput]:
    """Mine output by country and year; a year reported by two editions keeps the newest edition's figure."""
    rows = _mine_cached(corpus, _stamp(corpus, *MINE_DOCS))
    best: dict[tuple[str, int], MineOutput] = {}
    for r in rows:
        k = (r.country, r.year)
        if k not in best or r.edition > best[k].edition:
            best[k] = r
    return sorted(best.values(), key=lambda r: (r.year, -(r.tonnes or 0)))


def reserves(corpus: Path) -> list[Reserve]:
    t = _table(corpus, RESERVES_DOC, r"reserves")
    out: list[Reserve] = []
    for ci, head in enumerate(t.header[1:], 1):
        ed = _EDITION.search(head)
        if not ed:
            continue
        edition = f"MCS {ed.group(1)}"
        url, title = _source(t, edition)
        for row in t.rows:
            value, lower = parse_number(row[ci])
            out.append(Reserve(country=row[0], key=_key(row[0]), edition=edition, tonnes=value, lower_bound=lower,
                               doc_id=RESERVES_DOC, section=t.section, source_url=url, source_title=title))
    return out


def china_share(corpus: Path) -> list[StageShare]:
    t = _table(corpus, SHARE_DOC, r"share by stage")
    share_col, year_col, src_col = t.column("share"), t.column("year"), t.column("source")
    out: list[StageShare] = []
    for row in t.rows:
        m = re.search(r"(\d+(?:\.\d+)?)\s*%", row[share_col])
        stage = next((s for word, s in _SHARE_STAGE.items() if word in row[0].lower()), None)
        if not m or stage is None:
            continue
        marks = [int(n) for n in re.findall(r"\[S(\d+)\]", row[src_col])]
        src = t.sources[marks[0] - 1] if marks and marks[0] <= len(t.sources) else {}
        out.append(StageShare(stage=stage, label=row[0], share_pct=float(m.group(1)), year=row[year_col],
                              source=re.sub(r"\s*\[S\d+\]", "", row[src_col]).strip(), doc_id=SHARE_DOC,
                              section=t.section, source_url=src.get("url", ""), source_title=src.get("title", "")))
    return out


def us_salient(corpus: Path) -> list[SalientStat]:
    t = _table(corpus, SALIENT_DOC, r"salient statistics")
    url, title = _source(t, _doc_edition(t))
    out: list[SalientStat] = []
    for ci, head in enumerate(t.header[1:], 1):
        y = _YEAR.search(head)
        if not y:
            continue
        for row in t.rows:
            value, _ = parse_number(row[ci])
            out.append(SalientStat(item=row[0], year=int(y.group(0)), value=value, estimate=head.endswith("e"),
                                   text=row[ci], doc_id=SALIENT_DOC, section=t.section, source_url=url,
                                   source_title=title))
    return out


def document_figures(doc: Document) -> tuple[list[SalientStat], list[MineOutput], list[Reserve]]:
    """The figures of a loaded document's tables as the corpus tables' records, each with its page. A table
    whose rows are mostly countries gives MineOutput for its year columns and Reserve for a reserves column;
    any other gives SalientStat per row and year column. The edition is the one the document's title names."""
    ed = _EDITION.search(doc.title.replace("Mineral Commodity Summaries", "MCS"))
    edition = f"MCS {ed.group(1)}" if ed else ""
    url, title = str(doc.meta.get("url") or ""), doc.title
    stats: list[SalientStat] = []
    mines: list[MineOutput] = []
    reserve_rows: list[Reserve] = []
    for t in read_table_text(doc.text, doc.id):
        page = doc.page_at(t.offset)
        section = t.section or t.header[0] or (f"p. {page}" if page else "")
        where = {"doc_id": doc.id, "section": section, "source_url": url, "source_title": title, "page": page}
        by_country = sum(bool(_key(r[0])) for r in t.rows) * 2 >= len(t.rows)
        for ci, head in enumerate(t.header[1:], 1):
            y = _YEAR.search(head)
            for row in t.rows:
                value, lower = parse_number(row[ci])
                if by_country and re.search(r"reserve", head, re.I):
                    reserve_rows.append(Reserve(country=row[0], key=_key(row[0]), edition=edition, tonnes=value,
                                                lower_bound=lower, **where))
                elif by_country and y:
                    mines.append(MineOutput(country=row[0], key=_key(row[0]), year=int(y.group(0)), tonnes=value,
                                            edition=edition, **where))
                elif y:
                    stats.append(SalientStat(item=row[0], year=int(y.group(0)), value=value,
                                             estimate=head.endswith("e"), text=row[ci], **where))
    return stats, mines, reserve_rows


__all__ = ["MdTable", "MineOutput", "Reserve", "SalientStat", "StageShare", "china_share", "document_figures",
           "mine_production", "parse_number", "read_table_text", "read_tables", "reserves", "us_salient"]
