"""Plain Markdown renderings of the typed results, for chat-style front ends (MCP, the OpenAI-compatible
endpoint, LangChain tools): the answer with its `[n]` markers, checklist rows, and a numbered Sources list."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

from assistant.types import STATUS_LABEL, Answer, Checklist, Passage, SourceInfo, doc_meta


class SearchHit(BaseModel):
    """One retrieved passage, numbered as it is cited: `[n]`."""

    n: int
    doc_id: str
    chunk_id: str
    title: str
    section: str
    page: int | None = None
    kind: str = ""
    publisher: str = ""
    url: str = ""
    date: str = ""
    score: float
    text: str


class SearchResult(BaseModel):
    query: str
    passages: list[SearchHit] = Field(default_factory=list)


def search_hits(passages: list[Passage]) -> list[SearchHit]:
    out = []
    for n, p in enumerate(passages, 1):
        c = p.chunk
        dm = doc_meta(c.meta)
        src = (dm.get("sources") or [{}])[0] or {}
        out.append(SearchHit(n=n, doc_id=c.doc_id, chunk_id=c.id, title=str(c.meta.get("title", "")),
                             section=c.section, page=c.page, kind=str(c.meta.get("kind", "")),
                             publisher=str(src.get("publisher") or dm.get("publisher") or ""),
                             url=str(src.get("url") or dm.get("url") or ""),
                             date=str(src.get("date") or dm.get("date") or ""),
                             score=round(float(p.score), 6), text=c.text))
    return out


def search_text(result: SearchResult) -> str:
    if not result.passages:
        return f"No passages found for '{result.query}'."
    parts = []
    for h in result.passages:
        where = ", ".join(x for x in (h.section, f"p. {h.page}" if h.page else "") if x)
        head = f"[{h.n}] {h.title}" + (f" — {where}" if where else "") + f" ({h.doc_id})"
        cite = ", ".join(x for x in (h.publisher, h.date, h.url) if x)
        parts.append(head + (f"\n    {cite}" if cite else "") + "\n    " + " ".join(h.text.split()))
    return "\n\n".join(parts)


def cites(ns: list[int]) -> str:
    return "".join(f"[{n}]" for n in ns)


def checklist_text(cl: Checklist) -> str:
    head = f"**{cl.country}: deposit → {cl.target}** — verdict: **{cl.verdict or 'unknown'}**"
    if cl.binding_gap:
        head += f", binding gap: **{cl.binding_gap}**"
    lines = [head, ""]
    for row in cl.stages:
        status = STATUS_LABEL.get(row.status, row.status) + (" (inferred)" if row.inferred else "")
        detail = " ".join(row.detail.split())
        lines.append(f"- {row.stage}: {status}" + (f" — {detail}" if detail else "")
                     + (f" (as of {row.as_of})" if row.as_of else "") + (f" {cites(row.citations)}"
                                                                          if row.citations else ""))
    if cl.note:
        lines += ["", cl.note]
    if cl.next_steps:
        lines += ["", "What would close the gaps:"]
        lines += [f"- {s.stage}: {s.text}" + (f" {cites(s.citations)}" if s.citations else "") for s in cl.next_steps]
    return "\n".join(lines)


def sources_text(answer: Answer) -> str:
    if not answer.citations:
        return ""
    lines = ["Sources:"]
    for c in answer.citations:
        where = ", ".join(x for x in (c.section, f"p. {c.page}" if c.page else "") if x)
        bits = ", ".join(x for x in (c.publisher or "REE Assistant corpus", c.date, where) if x)
        lines.append(f"[{c.n}] {c.title} — {bits}." + (f" {c.url}" if c.url else "") + f" ({c.doc_id})")
    return "\n".join(lines)


def answer_body(answer: Answer) -> str:
    """Everything after the answer text: notices, checklists, sources (streamed as one last piece)."""
    parts = [f"Note: {n}" for n in answer.notices]
    parts += [checklist_text(cl) for cl in answer.checklists()]
    src = sources_text(answer)
    if src:
        parts.append(src)
    return "\n\n".join(parts)


def answer_text(answer: Answer) -> str:
    """The answer with `[n]` markers, any checklist as a list of stages, then the numbered sources."""
    head = answer.answer.strip()
    if answer.resolved_question:
        head = f"_Understood as: {answer.resolved_question}_\n\n{head}"
    body = answer_body(answer)
    return f"{head}\n\n{body}" if body else head


def sources_list_text(items: list[SourceInfo]) -> str:
    if not items:
        return "No documents match."
    lines = [f"{len(items)} documents:"]
    for s in items:
        bits = ", ".join(x for x in (s.kind, s.publisher, s.date or s.as_of) if x)
        lines.append(f"- {s.doc_id}: {s.title}" + (f" ({bits})" if bits else ""))
    return "\n".join(lines)


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


__all__ = ["SearchHit", "SearchResult", "answer_body", "answer_text", "checklist_text", "search_hits",
           "search_text", "sources_list_text", "sources_text"]
