"""Slack Block Kit for the core's typed results: an answer (verdict, text, gap checklist, citations, buttons), its
sources, the capability map and the projects table, each within Slack's limits. Pure functions, no Slack SDK."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from assistant.types import STATUS_LABEL, Answer, Checklist, Citation

STATUS_EMOJI = {"at_scale": "🟢", "emerging": "🟡", "planned": "🔵", "none": "🔴", "unknown": "⚪"}
VERDICT_EMOJI = {"yes": "✅", "partly": "🌗", "not yet": "⏳", "no": "❌"}
LEGEND = "  ".join(f"{STATUS_EMOJI[s]} {STATUS_LABEL[s]}" for s in STATUS_EMOJI)

# Block Kit limits (https://api.slack.com/reference/block-kit/blocks)
MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_BUTTON_VALUE = 2000
MAX_ANSWER_SECTIONS = 6
SOURCES_PER_MESSAGE = 45

ACTION_SOURCES = "ree_show_sources"
ACTION_UP = "ree_feedback_up"
ACTION_DOWN = "ree_feedback_down"
ACTION_SHARE = "ree_share"


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def link(url: str, title: str) -> str:
    title = escape(title or url or "untitled").replace("|", "¦")
    if re.fullmatch(r"https?://[^\s<>|]+", url or ""):
        return f"<{url}|{title}>"
    return title


def mrkdwn(text: str) -> str:
    """Answer text to mrkdwn: escape, then Markdown **bold** to Slack *bold*. [n] markers stay as they are."""
    return re.sub(r"\*\*(.+?)\*\*", r"*\1*", escape(text))


def split_text(text: str, limit: int = MAX_SECTION) -> list[str]:
    """Split at paragraph, then sentence, then word boundaries so that each piece fits a section."""
    pieces: list[str] = []
    current = ""
    units = re.split(r"(?<=\n\n)|(?<=[.!?\]]) (?=\S)", text)
    for unit in units:
        while len(unit) > limit:  # one enormous sentence: cut at a space
            cut = unit.rfind(" ", 0, limit) if " " in unit[:limit] else limit
            cut = cut if cut > 0 else limit
            if current:
                pieces.append(current)
                current = ""
            pieces.append(unit[:cut])
            unit = unit[cut:].lstrip()
        sep = "" if not current or current.endswith("\n") else " "
        if len(current) + len(sep) + len(unit) > limit:
            pieces.append(current)
            current = unit
        else:
            current = current + sep + unit
    if current.strip():
        pieces.append(current)
    return [p.strip() for p in pieces if p.strip()]


def answer_key(answer: Answer) -> str:
    """A stable key for an answer (button values carry it so clicks find the answer again)."""
    raw = json.dumps(answer.to_json(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION)}}


def _context(*texts: str) -> dict[str, Any]:
    return {"type": "context",
            "elements": [{"type": "mrkdwn", "text": clip(t, MAX_SECTION)} for t in texts[:MAX_CONTEXT_ELEMENTS]]}


def _cites(ns: list[int]) -> str:
    return (" " + "".join(f"[{n}]" for n in ns)) if ns else ""


def _verdict_line(cl: Checklist) -> str:
    verdict = cl.verdict or "not assessed"
    emoji = VERDICT_EMOJI.get(cl.verdict or "", "❔")
    line = f"{emoji} *{escape(cl.country)} → {escape(cl.target)}: {verdict}*"
    if cl.binding_gap:
        line += f"  ·  binding gap: *{escape(cl.binding_gap)}*"
    return line


def checklist_blocks(cl: Checklist) -> list[dict[str, Any]]:
    """The gap checklist as a compact table: one line per stage, then the binding gap and next steps."""
    lines = [f"*Gap checklist: {escape(cl.country)} up to {escape(cl.target)}*"]
    for row in cl.stages:
        label = STATUS_LABEL.get(row.status, row.status)
        line = (f"{STATUS_EMOJI.get(row.status, '⚪')} *{escape(row.stage)}* — {label}"
                f": {escape(clip(row.detail, 110))}{_cites(row.citations)}")
        if row.inferred:
            line += " _(inferred)_"
        if row.stage == cl.binding_gap:
            line += "  ⬅ *binding gap*"
        lines.append(line)
    blocks = [_section("\n".join(lines))]
    gap = [f"*Binding gap:* {escape(cl.binding_gap) if cl.binding_gap else 'none: every stage is in place'}"]
    if cl.next_steps:
        gap.append("*Next steps:*")
        gap += [f"• *{escape(s.stage)}*: {escape(clip(s.text, 200))}{_cites(s.citations)}" for s in cl.next_steps]
    blocks.append(_section("\n".join(gap)))
    notes = [LEGEND]
    if cl.note:
        notes.append(escape(cl.note))
    as_of = max((r.as_of for r in cl.stages if r.as_of), default="")
    if as_of:
        notes.append(f"as of {as_of}")
    blocks.append(_context(*notes))
    return blocks


def projects_blocks(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The projects as one line each: name, country, phase, capacity, first output."""
    lines = [f"*{escape(r['name'])}* · {escape(r['country'])} · {escape(', '.join(r['stages']))} · "
             f"{escape(r['phase'])}" + (f" · {escape(r['capacity'])}" if r["capacity"] else "")
             + (f" · first output {r['first_output']}" if r["first_output"] else "") for r in rows]
    blocks = [_section(f"*Projects* · {len(rows)} match")]
    blocks += [_section(part) for part in split_text("\n".join(lines) or "No project matches these filters.")
               ][: MAX_BLOCKS - 2]
    blocks.append(_context("From the registry of projects and facilities; `ree projects --csv` gives the table."))
    return blocks


def map_blocks(cmap: Any) -> list[dict[str, Any]]:
    """The capability map as a compact Block Kit table: one line per country, one emoji per stage."""
    title = (f"*Capability map: verdict up to {escape(cmap.target)}* · {len(cmap.rows)} of {cmap.countries_total} "
             "countries")
    if cmap.stage and cmap.status:
        title += f" · {escape(cmap.stage)} {STATUS_LABEL.get(cmap.status, cmap.status)}"
    if cmap.region:
        title += f" · {escape(cmap.region)}"
    lines = []
    for r in cmap.rows:
        cells = "".join(STATUS_EMOJI[c.status] for c in r.cells)
        verdict = f"{VERDICT_EMOJI.get(r.verdict or '', '❔')} {r.verdict or 'not assessed'}"
        gap = f" · gap: {escape(r.binding_gap)}" if r.binding_gap else ""
        lines.append(f"{cells}  *{escape(r.country)}* {verdict}{gap}")
    if not lines:
        lines = ["No country matches these filters."]
    blocks = [_section(title)]
    blocks += [_section(part) for part in split_text("\n".join(lines))][: MAX_BLOCKS - 2]
    blocks.append(_context(LEGEND, "columns: " + " · ".join(cmap.stages)))
    return blocks


def _citation_text(c: Citation) -> str:
    bits = [f"*[{c.n}]* {link(c.url, c.title)}"]
    if c.publisher:
        bits.append(escape(c.publisher))
    if c.date:
        bits.append(c.date)
    return " · ".join(bits)


def button_value(answer: Answer) -> str:
    data: dict[str, Any] = {"k": answer_key(answer), "q": clip(answer.question, 700), "c": answer.conversation_id}
    if answer.resolved_question:
        data["r"] = clip(answer.resolved_question, 700)
    value = json.dumps(data, ensure_ascii=False)
    return value[:MAX_BUTTON_VALUE]


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "text": {"type": "plain_text", "text": text, "emoji": True},
                              "action_id": action_id, "value": value}
    if style:
        button["style"] = style
    return button


def answer_blocks(answer: Answer, *, share: bool = False, shared_by: str | None = None) -> list[dict[str, Any]]:
    """Block Kit for an Answer: verdict, answer text, checklist(s), citations, buttons. At most 50 blocks."""
    head: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": clip(answer.question, MAX_HEADER), "emoji": True}}]
    checklists = answer.checklists()
    if checklists:
        head.append(_section("\n".join(_verdict_line(cl) for cl in checklists)))
    pieces = split_text(mrkdwn(answer.answer)) or ["_(no answer text)_"]
    if len(pieces) > MAX_ANSWER_SECTIONS:
        left = sum(len(p) for p in pieces[MAX_ANSWER_SECTIONS:])
        pieces = pieces[:MAX_ANSWER_SECTIONS]
        pieces[-1] = clip(pieces[-1], MAX_SECTION - 120) + f"\n_…answer truncated ({left:,} more characters)._"
    head += [_section(p) for p in pieces]
    notes = []
    if answer.resolved_question:
        notes.append(f"Understood as: _{escape(clip(answer.resolved_question, 500))}_")
    notes += [f"⚠️ {escape(n)}" for n in answer.notices]
    if shared_by:
        notes.append(f"Shared by <@{shared_by}>")
    if notes:
        head.append(_context(*notes))
    for cl in checklists:
        head.append({"type": "divider"})
        head += checklist_blocks(cl)

    value = button_value(answer)
    buttons = []
    if answer.citations:
        buttons.append(_button("Show sources", ACTION_SOURCES, value))
    buttons += [_button("👍", ACTION_UP, value), _button("👎", ACTION_DOWN, value)]
    if share:
        buttons.append(_button("Share to channel", ACTION_SHARE, value, style="primary"))
    tail = [{"type": "actions", "block_id": "ree_actions", "elements": buttons}]

    cites: list[dict[str, Any]] = []
    if answer.citations:
        room = MAX_BLOCKS - len(head) - len(tail) - 1  # 1 for the divider above the sources (head is <= 17)
        items = [_citation_text(c) for c in answer.citations]
        if len(items) <= room:
            cites = [_context(t) for t in items]
        else:
            cites = [_context(t) for t in items[: room - 1]]
            rest = items[room - 1:]
            shown = rest[: MAX_CONTEXT_ELEMENTS - 1]
            more = len(rest) - len(shown)
            extra = [*shown, f"…and {more} more: tap *Show sources*"] if more else shown
            cites.append(_context(*extra))
        cites.insert(0, {"type": "divider"})
    return (head + cites + tail)[:MAX_BLOCKS]


def source_blocks(answer: Answer) -> list[list[dict[str, Any]]]:
    """The quoted passages behind the citations, as one or more messages of blocks."""
    blocks: list[dict[str, Any]] = []
    for c in answer.citations:
        where = " · ".join(x for x in [escape(c.publisher), c.date, escape(c.section),
                                         f"p. {c.page}" if c.page else ""] if x)
        quote = "\n".join("> " + line for line in escape(clip(c.quote, 2400)).splitlines() if line.strip())
        blocks.append(_section(f"*[{c.n}]* {link(c.url, c.title)}\n{where}\n{quote}"))
    if not blocks:
        return [[_section("_This answer cites no sources._")]]
    title = {"type": "header",
             "text": {"type": "plain_text", "text": clip(f"Sources: {answer.question}", MAX_HEADER), "emoji": True}}
    step = SOURCES_PER_MESSAGE
    return [([title] if i == 0 else []) + blocks[i: i + step] for i in range(0, len(blocks), step)]


def fallback_text(answer: Answer) -> str:
    """The plain `text` that notifications and screen readers show."""
    verdicts = "; ".join(f"{cl.country}: {cl.verdict or 'not assessed'}" for cl in answer.checklists())
    head = f"{answer.question} ({verdicts})" if verdicts else answer.question
    return clip(f"{head}\n{answer.answer}", 2900)
