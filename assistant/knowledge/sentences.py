"""Evidence sentences: a fragment of a corpus document found once, widened to its whole sentence (or table row),
with its section and the source its marker names.

    locate(corpus, Quote(doc=..., text=...))   the quote with sentence, section, span, url, title, publisher, date

The supply links (knowledge/supply.py) and the registry's milestones (knowledge/registry.py) point at their evidence
this way: `{doc, text}`, where text is the sentence or a unique fragment of it. A fragment not found exactly once is
left unlocated (`span` None); the tests report those.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict

from assistant.knowledge.loading import parse_markdown


class Quote(BaseModel):
    """A pointer at the sentence that states a fact: its document and the sentence or a unique fragment of it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    doc: str
    text: str  # the sentence, or a unique fragment of it
    # Filled by `locate`: the whole sentence as a reader sees it, its section and its source.
    sentence: str = ""
    section: str = ""
    span: tuple[int, int] | None = None
    url: str = ""
    title: str = ""
    publisher: str = ""
    date: str = ""


Q = TypeVar("Q", bound=BaseModel)


_SENT_END = re.compile(r"(?<=[.!?])(?:\s*\[S\d+\])*\s+(?=[A-Z*\"'(-])|(?<=\])\s+(?=[A-Z*\"'(])")
_MARKER = re.compile(r"\s*\[S\d+\]")


@lru_cache(maxsize=128)
def _doc(path: Path, _mtime: float) -> tuple[str, dict]:
    text, meta = parse_markdown(path.read_bytes(), str(path))
    return text, meta


def _reader_text(text: str) -> str:
    text = _MARKER.sub("", text)
    text = re.sub(r"^\s*[-*]\s+", "", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    if text.strip().startswith("|"):
        text = "; ".join(c.strip() for c in text.strip().strip("|").split("|") if c.strip())
    return re.sub(r"\s+", " ", text).strip()


def sentence_of(doc_text: str, fragment: str) -> tuple[int, int] | None:
    """The span of the whole sentence (or table row) of `doc_text` that holds `fragment`, or None."""
    at = doc_text.find(fragment)
    if at < 0 or doc_text.find(fragment, at + 1) >= 0:
        return None
    line_start = doc_text.rfind("\n", 0, at) + 1
    line_end = doc_text.find("\n", at)
    line_end = len(doc_text) if line_end < 0 else line_end
    line = doc_text[line_start:line_end]
    if line.lstrip().startswith("|"):
        return line_start, line_end
    start, end = 0, len(line)
    rel, rel_end = at - line_start, at - line_start + len(fragment)
    for m in _SENT_END.finditer(line):
        if m.end() <= rel:
            start = m.end()
        elif m.start() >= rel_end:
            end = m.start()
            break
    return line_start + start, line_start + end


def _row_with_header(doc_text: str, at: int, row: str) -> str:
    """A table row as a reader sees it: each cell after its column's heading ("2024 (t REO): 31,000")."""
    lines = doc_text[:at].splitlines()
    block = []
    while lines and lines[-1].lstrip().startswith("|"):
        block.append(lines.pop())
    header = [c.strip() for c in block[-1].strip().strip("|").split("|")] if block else []
    cells = [c.strip() for c in row.strip().strip("|").split("|")]
    if len(header) != len(cells):
        return _reader_text(row)
    return "; ".join(f"{h}: {_reader_text(c)}" for h, c in zip(header, cells, strict=True) if c)


def _section(doc_text: str, at: int) -> str:
    heads = re.findall(r"^##+\s+(.+)$", doc_text[:at], re.M)
    return heads[-1].strip() if heads else ""


def _source_of(sentence_raw: str, meta: dict) -> dict:
    sources = meta.get("sources") or []
    m = re.search(r"\[S(\d+)\]", sentence_raw)
    i = int(m.group(1)) - 1 if m else 0
    return sources[i] if 0 <= i < len(sources) else (sources[0] if sources else {})


def locate(corpus: Path, ev: Q) -> Q:
    """The evidence with its whole sentence, section and source filled in; unchanged where the text is not
    found once in its document (the tests report those)."""
    path = corpus / ev.doc
    if not path.exists():
        return ev
    text, meta = _doc(path, path.stat().st_mtime)
    span = sentence_of(text, ev.text)
    if span is None:
        return ev
    raw = text[span[0]:span[1]]
    shown = _row_with_header(text, span[0], raw) if raw.lstrip().startswith("|") else _reader_text(raw)
    # The markers that close the sentence belong to it.
    tail = re.match(r"(?:\s*\[S\d+\])+", text[span[1]:])
    frag_end = text.find(ev.text, span[0]) + len(ev.text)
    after = text[frag_end:span[1]] + (tail.group(0) if tail else "")
    src = _source_of(after if re.search(r"\[S\d+\]", after) else raw, meta)  # the marker after the fragment
    return ev.model_copy(update={
        "sentence": shown, "section": _section(text, span[0]), "span": span,
        "url": str(src.get("url") or ""), "title": str(src.get("title") or ""),
        "publisher": str(src.get("publisher") or ""), "date": str(src.get("date") or "")})


def doc_text(path: Path) -> tuple[str, dict]:
    """A corpus document's text and metadata as parsed, cached while the file is unchanged."""
    return _doc(path, path.stat().st_mtime)


__all__ = ["Quote", "doc_text", "locate", "sentence_of"]
