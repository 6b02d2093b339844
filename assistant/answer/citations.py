"""Numbered citations with verbatim quotes, and the sentence picking that finds the quote in a passage."""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.knowledge.chunking import units
from assistant.types import Chunk, Citation, doc_meta

_MARK = re.compile(r"\[S(\d+)\]")
# A capitalised word that is not the first of a sentence: a name ("Lynas", "Songwe").
PROPER_NAME = re.compile(r"(?<!^)(?<![.?!]\s)\b([A-Z][a-z][\w'-]+)\b")
_TOKEN = re.compile(r"[a-z0-9][a-z0-9.,']*[a-z0-9]|[a-z0-9]", re.I)
STOP = frozenset(
    "a an the of and or in on at to for from by with is are was were be been being do does did can could "
    "would should will shall may might what which who whom whose when where why how this that these those it "
    "its as into about than then there their they them we our you your i me my he she his her not no yes "
    "has have had if so such any all each per vs versus make makes made".split()
)


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


# Spellings of the same thing, folded before matching words.
_FOLD = [(re.compile(r"\bsamarium[- ]cobalt\b|\bSm2?Co(?:5|17)?\b", re.I), " smco "),
         (re.compile(r"\bNd2Fe14B\b|\bNd-Fe-B\b|\bneodymium[- ]iron[- ]boron\b", re.I), " ndfeb "),
         (re.compile(r"\bsulphate\b", re.I), "sulfate"),
         (re.compile(r"\bcapex\b|\bcapital (?:expenditure|spending)s?\b", re.I), " capital cost ")]


def terms(text: str) -> set[str]:
    for pat, repl in _FOLD:
        text = pat.sub(repl, text)
    words = [w.lower().strip(".,'") for w in _TOKEN.findall(text)]
    words = [w for w in words if w and w not in STOP]
    return set(_stemmer().stemWords(words))


def strip_markers(text: str) -> str:
    return re.sub(r"\s*\[S\d+\]", "", text).strip()


_EMPHASIS = re.compile(r"(\*\*|__|\*|`)(?=\S)(.+?)(?<=\S)\1")
_LABEL = re.compile(r"^\*\*([^*]+?)[.:]?\*\*[.:]?\s+")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


def table_cells(line: str) -> list[str] | None:
    """The cells of a Markdown table row, or None if the line is not one."""
    line = line.strip()
    if not (line.startswith("|") and line.endswith("|")) or re.fullmatch(r"[|\-:\s]+", line):
        return None
    return [c.strip() for c in line.strip("|").split("|")]


def plain(text: str) -> str:
    """What a reader sees of a verbatim passage: no internal source markers, Markdown emphasis, bullets,
    heading marks or table pipes (cells are joined with semicolons)."""
    lines = []
    for line in text.splitlines():
        cells = table_cells(line)
        if cells is not None:
            line = "; ".join(c for c in cells if c)
        line = _BULLET.sub("", re.sub(r"^\s*#+\s*", "", line))
        line = _LABEL.sub(r"\1: ", line)  # "**Japan.** Text" reads "Japan: Text"
        lines.append(line)
    out = _EMPHASIS.sub(r"\2", strip_markers("\n".join(lines)))
    return re.sub(r"[ \t]+", " ", re.sub(r"\s*\[S\d+\]", "", out)).strip()


def sentences(chunk: Chunk) -> list[str]:
    """Sentence-like units of a chunk, verbatim."""
    return [chunk.text[s:e] for s, e in units(chunk.text)]


def best_sentence(chunk: Chunk, query_terms: set[str], prefer: re.Pattern[str] | None = None,
                  bonus_terms: set[str] | None = None) -> tuple[str, float]:
    best, best_score = "", -1.0
    for sent in sentences(chunk):
        plain = strip_markers(sent)
        if len(plain.split()) < 4 or plain.startswith("#"):
            continue
        st = terms(plain)
        score = len(query_terms & st) + 0.5 * len((bonus_terms or set()) & st)
        if prefer is not None and prefer.search(plain):
            score += 1.5
        score -= 0.002 * max(0, len(plain) - 300)
        if score > best_score:
            best, best_score = sent, score
    return best, best_score


class CitationBook:
    """Assigns [n] to quoted passages in order of first use; the same quote is cited once."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit
        self.items: list[Citation] = []
        self._index: dict[tuple[str, str], int] = {}

    def full(self) -> bool:
        return self.limit is not None and len(self.items) >= self.limit

    def has(self, chunk: Chunk, quote: str) -> bool:
        return (chunk.id, quote.strip()) in self._index

    def cite(self, chunk: Chunk, quote: str) -> int:
        quote = quote.strip()
        if not quote or quote not in chunk.text:
            raise ValueError("a citation quote must be a verbatim part of its passage")
        key = (chunk.id, quote)
        if key in self._index:
            return self._index[key]
        meta = chunk.meta
        dm = doc_meta(meta)
        sources = dm.get("sources") or []
        marks = [int(m) for m in _MARK.findall(quote)] or [int(m) for m in _MARK.findall(chunk.text)]
        src = next((sources[m - 1] for m in marks if 0 < m <= len(sources)), None) or (sources[0] if sources
                                                                                       else {})
        n = len(self.items) + 1
        publisher = src.get("publisher") or dm.get("publisher") or ""
        url = src.get("url") or dm.get("url") or ""
        uploaded = claimed = ""
        if meta.get("origin") == "ingest":  # an upload says what it is: its publisher is only a claim
            when = str(meta.get("uploaded_at") or "")
            uploaded = f"uploaded via {meta.get('uploaded_via') or 'ingest'}" + (f" on {when}" if when else "")
            claimed, publisher = publisher, ""
        self.items.append(Citation(
            n=n, doc_id=chunk.doc_id, chunk_id=chunk.id, title=str(meta.get("title", "")),
            publisher=publisher, uploaded=uploaded, claimed_publisher=claimed,
            url=url if re.match(r"https?://", url, re.IGNORECASE) else "",
            # the cited source's own date; an undated source says so, never the document's `as_of` date
            date=str((src.get("date") if src else dm.get("date")) or "undated"),
            section=chunk.section, page=chunk.page, quote=plain(quote), context=chunk.text, verbatim=quote,
            span=(chunk.start + chunk.text.index(quote), chunk.start + chunk.text.index(quote) + len(quote)),
            via=src.get("via") or "",
        ))
        self._index[key] = n
        return n
