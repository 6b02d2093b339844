"""The web UI's rendering: pure functions from typed results to escaped HTML or Markdown.

Everything shown that comes from a document or an answer is HTML-escaped here: a poisoned document must
render as text, never run.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import quote

from assistant.core import plain
from assistant.types import STATUS_LABEL, Answer, Citation, SourceInfo

MARKER = re.compile(r"\[(\d{1,3})\]")


# -- rendering (pure functions: typed results in, escaped HTML or Markdown out) ---------------------------------
def esc(text: Any) -> str:
    return html.escape(str(text or ""), quote=True)


def cite_links(text: str) -> str:
    """Escaped text with each [n] marker turned into a link to source n."""
    return MARKER.sub(lambda m: f'<a class="cite" href="#src-{m.group(1)}">[{m.group(1)}]</a>', esc(text))


def verdict_badge(verdict: str | None) -> str:
    v = verdict or "none"
    label = verdict or "no verdict"
    return f'<span class="verdict v-{esc(v.replace(" ", "-"))}">{esc(label)}</span>'


def answer_html(answer: Answer) -> str:
    """The chat bubble: verdict badge(s), paragraphs with citation links, notices. One line of HTML, so the
    chat's Markdown renderer leaves it alone."""
    parts: list[str] = ['<div class="answer">']
    cls = answer.checklists()
    if cls:
        badges = " ".join(f"{esc(c.country)} {verdict_badge(c.verdict)}" for c in cls)
        parts.append(f'<p class="verdicts">{badges}</p>')
    if answer.resolved_question:
        parts.append(f"<p><em>Understood as: {esc(answer.resolved_question)}</em></p>")
    for para in re.split(r"\n\s*\n|\n", answer.answer.strip()):
        if para.strip():
            parts.append(f"<p>{cite_links(para.strip())}</p>")
    for note in answer.notices:
        parts.append(f'<p class="notice"><em>{esc(note)}</em></p>')
    if answer.citations:
        parts.append(f'<p class="meta"><small>{len(answer.citations)} sources: see the panel on the right.'
                     "</small></p>")
    parts.append("</div>")
    return "".join(parts)


def _refs(ns: list[int]) -> str:
    return " ".join(f'<a class="cite" href="#src-{int(n)}">[{int(n)}]</a>' for n in ns)


def checklist_html(answer: Answer | None) -> str:
    if answer is None:
        return ""
    cls = answer.checklists()
    if not cls:
        return '<p class="muted">No gap checklist for this question.</p>'
    cards = []
    for cl in cls:
        rows = []
        for row in cl.stages:
            binding = ' class="binding"' if cl.binding_gap == row.stage else ""
            inferred = " <small>(inferred)</small>" if row.inferred else ""
            rows.append(
                f'<tr{binding}><td class="nw"><b>{esc(row.stage)}</b></td>'
                f'<td><span class="st st-{esc(row.status)}">{esc(STATUS_LABEL.get(row.status, row.status))}</span>'
                f'{inferred}</td><td class="detail">{esc(row.detail)}</td><td class="nw">{esc(row.as_of)}</td>'
                f'<td class="nw">{_refs(row.citations)}</td></tr>')
        steps = "".join(f"<li><b>{esc(s.stage)}</b>: {esc(s.text)} {_refs(s.citations)}</li>" for s in cl.next_steps)
        gap = (f'<p>Binding gap: <span class="st st-none">{esc(cl.binding_gap)}</span></p>' if cl.binding_gap
               else "<p>No binding gap.</p>")
        note = f"<p><em>{esc(cl.note)}</em></p>" if cl.note else ""
        cards.append(
            f'<div class="cl-card" data-country="{esc(cl.country)}"><h3>{esc(cl.country)}: deposit → '
            f"{esc(cl.target)} {verdict_badge(cl.verdict)}</h3>{gap}{note}"
            '<table class="cl-table"><thead><tr><th>Stage</th><th>Status</th><th>Detail</th><th>As of</th>'
            f'<th>Evidence</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
            + (f"<h4>Next steps</h4><ol>{steps}</ol>" if steps else "") + "</div>")
    return f'<div class="cl-row">{"".join(cards)}</div>'


def _quote_in_context(c: Citation, window: int = 220) -> str:
    """The quote highlighted in its surrounding text: a window around it, the whole passage one click away. The
    passage is shown as readers see quotes: without internal source markers or table pipes."""
    verbatim = c.verbatim or c.quote
    context = c.context or verbatim
    at = context.find(verbatim) if verbatim else -1
    if at < 0:
        return f"<blockquote>{f'<mark>{esc(c.quote)}</mark>' if c.quote else esc(plain(context))}</blockquote>"
    end = at + len(verbatim)

    def show(text: str) -> str:
        return esc(plain(text)) if text.strip() else ""

    whole = f"{show(context[:at])} <mark>{esc(c.quote)}</mark> {show(context[end:])}"
    lo, hi = max(0, at - window), min(len(context), end + window)
    if lo == 0 and hi == len(context):
        return f"<blockquote>{whole}</blockquote>"
    near = (("…" if lo else "") + show(context[lo:at]) + f" <mark>{esc(c.quote)}</mark> " + show(context[end:hi])
            + ("…" if hi < len(context) else ""))
    return (f"<blockquote>{near}</blockquote><details><summary>whole passage</summary>"
            f"<blockquote>{whole}</blockquote></details>")


def safe_url(url: str) -> str | None:
    return url if re.match(r"^https?://[^\s\"'<>]+$", url or "") else None


def doc_href(doc_id: str, span: tuple[int, int] | list[int] | None = None) -> str:
    """The in-app viewer's address of a document, at the cited span (frontends/web_viewer.py)."""
    at = f"?span={int(span[0])}-{int(span[1])}#cited" if span else ""
    return f"/doc/{quote(doc_id, safe='/')}{at}"


def sources_html(answer: Answer | None) -> str:
    if answer is None or not answer.citations:
        return '<p class="muted">Sources of the answer appear here.</p>'
    items = []
    for c in answer.citations:
        claim = f"claims to be from {esc(c.claimed_publisher)}" if c.claimed_publisher else ""
        where = " · ".join(x for x in (f'<span class="uploaded">{esc(c.uploaded)}</span>' if c.uploaded else "",
                                       claim, esc(c.publisher), esc(c.date), esc(c.section),
                                       f"p. {c.page}" if c.page else "") if x)
        url = safe_url(c.url)
        link = (f' <a href="{esc(url)}" target="_blank" rel="noopener noreferrer nofollow">original source ↗</a>'
                if url else "") + f' · <a class="doc-open" href="{esc(doc_href(c.doc_id, c.span))}">in the document</a>'
        items.append(f'<div class="src" id="src-{c.n}"><div><b>[{c.n}] {esc(c.title)}</b></div>'
                     f'<div class="meta">{where} · <code>{esc(c.doc_id)}</code>{link}</div>'
                     f"{_quote_in_context(c)}</div>")
    return "".join(items)


def _md_cell(text: Any) -> str:
    return str(text or "").replace("|", "\\|").replace("\n", " ")


def answer_markdown(answer: Answer) -> str:
    """The answer as portable Markdown: text, checklist tables, numbered sources with links."""
    out = [f"## {answer.question}", ""]
    if answer.resolved_question:
        out += [f"*Understood as: {answer.resolved_question}*", ""]
    out += [answer.answer.strip(), ""]
    for cl in answer.checklists():
        out += [f"### {cl.country}: deposit → {cl.target} — verdict: **{cl.verdict or 'none'}**"
                + (f", binding gap: **{cl.binding_gap}**" if cl.binding_gap else ""), "",
                "| Stage | Status | Detail | As of | Evidence |", "|---|---|---|---|---|"]
        out += [f"| {r.stage} | {STATUS_LABEL.get(r.status, r.status)} | {_md_cell(r.detail)} | {r.as_of} | "
                f"{' '.join(f'[{n}]' for n in r.citations)} |" for r in cl.stages]
        if cl.next_steps:
            out += ["", "Next steps:"] + [f"{i}. **{s.stage}**: {s.text}" for i, s in enumerate(cl.next_steps, 1)]
        out.append("")
    if answer.citations:
        out += ["### Sources", ""]
        for c in answer.citations:
            claim = f"claims to be from {c.claimed_publisher}" if c.claimed_publisher else ""
            bits = ", ".join(x for x in (c.uploaded, claim, c.publisher, c.date, c.section,
                                         f"p. {c.page}" if c.page else "") if x)
            out.append(f"[{c.n}] {c.title} — {bits}. “{c.quote}” {c.url}".rstrip())
    return "\n".join(out).strip() + "\n"


def stale_html(entries: list[Any], days: int) -> str:
    """What `ree sources --stale DAYS` lists: documents and stages whose newest evidence is older than DAYS."""
    if not entries:
        return f"<p>Every document and value-chain stage has evidence newer than {days} days.</p>"
    rows = "".join(f"<tr><td>{esc(e.kind)}</td><td><code>{esc(e.id)}</code></td><td>{esc(e.newest or 'undated')}</td>"
                   f"<td>{'' if e.age_days is None else e.age_days}</td></tr>" for e in entries)
    return (f"<details><summary>{len(entries)} documents and stages with no evidence newer than {days} days"
            "</summary><table class=\"sources-table\"><thead><tr><th>Kind</th><th>Document or stage</th>"
            f"<th>Newest evidence</th><th>Age (days)</th></tr></thead><tbody>{rows}</tbody></table></details>")


def sources_table(sources: list[SourceInfo]) -> str:
    rows = "".join(
        f'<tr><td><a class="doc-open" href="{esc(doc_href(s.doc_id))}"><code>{esc(s.doc_id)}</code></a></td>'
        f"<td>{esc(s.title)}</td><td>{esc(s.kind)}</td>"
        f"<td>{esc(s.publisher)}</td><td>{esc(s.date)}</td><td>{esc(s.as_of)}</td><td>{s.chunks}</td>"
        f"<td>{esc(', '.join(s.countries))}</td></tr>" for s in sources)
    return (f"<p>{len(sources)} documents, {sum(s.chunks for s in sources)} passages indexed.</p>"
            '<table class="sources-table"><thead><tr><th>Document</th><th>Title</th><th>Kind</th><th>Publisher</th>'
            f"<th>Date</th><th>As of</th><th>Passages</th><th>Countries</th></tr></thead><tbody>{rows}</tbody></table>")


def ingest_html(report: Any) -> str:
    done = report.added + report.updated
    parts = []
    if done:
        parts.append(f"<p>✅ Ingested {len(done)} file(s) ({report.chunks_embedded} passages embedded in "
                     f"{report.seconds:.1f} s): {esc(', '.join(done))}</p>")
    elif report.unchanged and not report.errors:
        parts.append("<p>Already indexed; nothing changed.</p>")
    if report.errors:
        items = "".join(f"<li>{esc(e)}</li>" for e in report.errors)
        parts.append(f'<p>❌ Rejected {len(report.errors)} file(s):</p><ul class="ingest-errors">{items}</ul>')
    return "".join(parts) or "<p>No files.</p>"


