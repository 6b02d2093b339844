"""Extractive answers: the verdict first (from the checklist), then the sentences from retrieved passages that
best answer the question, each with its [n]. Every [n] quotes its source verbatim."""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.citations import CitationBook, best_sentence, sentences, strip_markers, terms
from assistant.query import Intent
from assistant.taxonomy import COUNTRIES, country_name, has_domain_words
from assistant.types import Checklist, Passage

_NUMBER = re.compile(r"\d|\b(dozens|hundreds|thousands|millions|billions)\b", re.I)
_YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")
STATUS_WORDS = {"at_scale": "at scale", "emerging": "emerging", "planned": "planned", "none": "none",
                "unknown": "unknown"}
VERDICT_TEXT = {"yes": "Yes", "partly": "Partly", "not yet": "Not yet", "no": "No"}
TARGET_TEXT = {"magnet": "make rare-earth magnets", "separation": "separate rare-earth oxides",
               "mining": "mine rare earths", "metal": "make rare-earth metal", "alloy": "make magnet alloy",
               "recycling": "recycle rare earths", "deposit": "hold rare-earth deposits",
               "concentrate": "produce concentrate", "cracking": "crack and leach rare-earth ores"}
SCOPE = ("REE Assistant answers from its corpus on rare-earth supply chains (value-chain stages, countries, "
         "companies, policy and market facts); try rephrasing, or ask about a country or stage.")
NOT_COVERED = "The documents do not cover this. " + SCOPE


# Words that phrase a question rather than say what it is about.
QUESTION_WORDS = terms(
    "what which how much many does do did is are was were tell about give me the a an year years world global "
    "total today current currently according large big share own home usually newly add added put turn go goes "
    "long need needs meant annual provide provided guarantee expand agree agreed rare earth earths element elements "
    "country countries production produce produced mine mined mining price prices know explain describe"
)
# For picking sentences only the pure phrasing is ignored ("mine", "production" still count).
PHRASING = terms("what which how much many does do did is are was were tell about give me the a an rare earth "
                 "earths element elements according usually need needs")
# Forecasts and live data: the corpus holds checked facts as of a date, never predictions or quotes.
FORECAST = re.compile(r"\bwill\b.{0,60}\b(price|prices|cost|win|weather|worth|trade at)\b|\btomorrow\b|"
                      r"\bnext (week|month|quarter)\b|\bforecast for\b|\bspot price\b|\bright now\b|"
                      r"\b(price|prices|rate|value)\b.{0,40}\b(today|now)\b", re.I)


_BRACKETED = re.compile(r"\[(\d+)\]")
_WHEN = re.compile(r"^\s*(when|since when|until when|by when)\b|\bwhat (year|date)\b|\bwhen\b", re.I)
_HOW_MUCH = re.compile(r"\bhow (much|many|large|big|long|thick|tall)\b|\bwhat (share|percentage|capacity|"
                       r"price|grade)\b", re.I)
_WHO = re.compile(r"^\s*(who|where|which (company|companies|firm|firms|group|groups|plant|plants))\b", re.I)
_NAME = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+\b|\b[A-Z]{2,}\b")


def country_terms_for(key: str) -> set[str]:
    """Words that name a country in text: 'Myanmar' and 'Burma', 'United States' and 'U.S.'."""
    display, aliases = COUNTRIES.get(key, (country_name(key), ()))
    out = terms(display)
    for alias in aliases:
        if len(alias) > 3 and " " not in alias:
            out |= terms(alias)
    return out


def _prefer(question: str, qtype: str) -> list[re.Pattern[str]]:
    """What a good answer sentence contains, by the kind of question: a year, a figure, a name (or several)."""
    out = []
    if _WHEN.search(question) or re.search(r"\bwhich years?\b|\bwhat years?\b", question, re.I):
        out.append(_YEAR)
    if _HOW_MUCH.search(question) or qtype == "numeric":
        out.append(_NUMBER)
    if _WHO.search(question):
        out.append(_NAME)
    return out


def _with_list(sent: str, text: str) -> str:
    """A sentence that introduces a list ("...benchmarks:") keeps the list items that follow it, verbatim."""
    if not sent.rstrip().endswith(":"):
        return sent
    start = text.find(sent)
    m = re.compile(r"(?:\n[ \t]*\n?[ \t]*(?:[-*+|]|\d+[.)])[ \t]*[^\n]+)+").match(text, start + len(sent))
    return text[start : m.end()] if m else sent


def coverage(question: str, passages: list[Passage]) -> float:
    """Share of the question's subject words that the retrieved passages contain."""
    focus = terms(question) - QUESTION_WORDS
    if not focus:
        return 1.0
    seen: set[str] = set()
    for p in passages:
        seen |= terms(p.chunk.text + " " + str(p.chunk.meta.get("title", "")) + " " + p.chunk.section)
    return len(focus & seen) / len(focus)


_PROPER = re.compile(r"(?<!^)(?<![.?!]\s)\b([A-Z][a-z][\w'-]+)\b")


def unknown_names(question: str, known: Callable[[str], bool]) -> list[str]:
    """Capitalised words (names) in the question that no indexed document contains."""
    out = []
    for m in _PROPER.finditer(question.strip()):
        word = m.group(1).removesuffix("'s").rstrip("'")
        stems = terms(word)
        if stems and not any(known(t) for t in stems):
            out.append(word)
    return out


def not_covered(unknown: list[str] | None = None) -> str:
    """The refusal text; names the words no document contains, when that is the reason."""
    if not unknown:
        return NOT_COVERED
    return f"The documents do not mention {', '.join(unknown)}. " + SCOPE


def out_of_scope(intent: Intent, passages: list[Passage], best_similarity: float, min_similarity: float,
                 corpus_years: set[int]) -> bool:
    if not passages or FORECAST.search(intent.question):
        return True
    if best_similarity < min_similarity * 0.6:
        return True
    if not has_domain_words(intent.question) and best_similarity < min_similarity:
        return True
    # A question about a year no document mentions is not answerable from these documents.
    years = {int(y) for y in _YEAR.findall(intent.question)}
    if years and not years & corpus_years:
        return True
    return coverage(intent.question, passages) < 0.5


def _checklist_summary(cl: Checklist) -> str:
    name = cl.country
    goal = TARGET_TEXT.get(cl.target, cl.target)
    if not cl.structured:
        return f"{name}: no structured value-chain data, so no verdict; the stages below are unknown."
    verdict = VERDICT_TEXT.get(cl.verdict or "", "Unknown")
    have = [r.stage for r in cl.stages if r.status == "at_scale"]
    partial = [f"{r.stage} ({STATUS_WORDS[r.status]})" for r in cl.stages if r.status in ("emerging", "planned")]
    missing = [r.stage for r in cl.stages if r.status in ("none", "unknown")]
    lead = {"yes": f"{name} can {goal}", "partly": f"{name} can {goal} only in part",
            "not yet": f"{name} cannot {goal} today; capacity is only planned",
            "no": f"{name} cannot {goal} today"}.get(cl.verdict or "", f"{name}'s capability is unknown")
    parts = [f"{verdict}: {lead}."]
    if cl.verdict == "yes":
        parts.append(f"Every stage from deposit to {cl.target} operates at scale in {name}.")
    else:
        gap = next((r for r in cl.stages if r.stage == cl.binding_gap), None)
        if gap is not None:
            cites = "".join(f" [{n}]" for n in gap.citations)
            parts.append(f"The chain first breaks at {gap.stage} ({STATUS_WORDS[gap.status]}): "
                         f"{gap.detail.rstrip('.')}.{cites}")
        target_row = cl.stages[-1]
        if target_row.stage != cl.binding_gap:
            cites = "".join(f" [{n}]" for n in target_row.citations)
            parts.append(f"{target_row.stage.capitalize()} ({STATUS_WORDS[target_row.status]}): "
                         f"{target_row.detail.rstrip('.')}.{cites}")
    lines = " ".join(parts)
    lines += "\nAt scale: " + (", ".join(have) or "none") + "."
    if partial:
        lines += " Emerging or planned: " + ", ".join(partial) + "."
    if missing:
        lines += " Missing: " + ", ".join(missing) + "."
    return lines


def compose(intent: Intent, passages: list[Passage], checklists: list[Checklist], book: CitationBook,
            max_sentences: int, idf: Callable[[str], float] | None = None) -> str:
    blocks: list[str] = []
    for cl in checklists:
        blocks.append(_checklist_summary(cl))
    if len(checklists) >= 2:
        a, b = checklists[0], checklists[1]
        def reach(cl: Checklist) -> int:
            return sum(1 for r in cl.stages if r.status == "at_scale")
        ahead = a if reach(a) > reach(b) else b if reach(b) > reach(a) else None
        blocks.insert(0, (f"{ahead.country} is further along the chain to {a.target} "
                          f"({reach(ahead)} of {len(ahead.stages)} stages at scale)." if ahead else
                          f"{a.country} and {b.country} have the same number of stages at scale.")
                      if a.structured and b.structured else
                      "Side-by-side comparison; see each checklist below.")
    country_terms = {t for c in intent.countries for t in country_terms_for(c)}
    q_terms = (terms(intent.question) - PHRASING) | country_terms
    weight = idf or (lambda t: 1.0)
    q_words = {w.lower() for w in re.findall(r"[A-Za-z]+", intent.question)} | {
        w.lower() for c in intent.countries for w in re.findall(r"[A-Za-z]+", country_name(c))}
    prefer = _prefer(intent.question, intent.type)
    picked: list[tuple[float, int, str, Passage]] = []
    for rank, p in enumerate(passages):
        for sent in sentences(p.chunk):
            plain = strip_markers(sent)
            if len(plain.split()) < 5 or plain.startswith("#") or re.fullmatch(r"[|\s\-:]+", plain):
                continue
            after = p.chunk.text[p.chunk.text.find(sent) + len(sent):]
            if plain.startswith("|") and re.match(r"\n\s*\|[\s:|-]+\|", after):
                continue  # a table's header row says nothing by itself
            st = terms(plain)
            # A passage from a document about the country speaks of it even where a sentence doesn't name it.
            for c in intent.countries:
                if p.chunk.meta.get(f"c_{c}"):
                    st |= country_terms_for(c)
            common = q_terms & st
            if not common:
                continue
            score = sum(min(weight(t), 4.0) for t in common) + 0.8 * len(country_terms & st) - 0.1 * rank
            score += 1.5 * sum(1 for pat in prefer if pat.search(plain))
            # Prefer sentences that add specifics (a name, a figure) over ones that restate the question.
            names = {w.lower() for w in _PROPER.findall(plain)} - q_words
            score += 0.8 * bool(names) + 0.8 * bool(_NUMBER.search(plain))
            if rank == 0:
                score += 0.5
            score -= 0.003 * max(0, len(plain) - 280)
            picked.append((score, rank, sent, p))
    picked.sort(key=lambda x: -x[0])
    chosen: list[tuple[int, str, Passage]] = []
    per_passage: dict[str, int] = {}
    budget = max_sentences - (1 if checklists else 0)
    for _score, rank, sent, p in picked:
        if len(chosen) >= budget:
            break
        if per_passage.get(p.chunk.id, 0) >= 2 or any(sent == c[1] for c in chosen):
            continue
        per_passage[p.chunk.id] = per_passage.get(p.chunk.id, 0) + 1
        chosen.append((rank, sent, p))
    if not chosen and passages and not checklists:
        sent, _ = best_sentence(passages[0].chunk, q_terms, prefer[0] if prefer else None)
        if sent:
            chosen.append((0, sent, passages[0]))
    evidence = []
    for _, sent, p in chosen:
        sent = _with_list(sent, p.chunk.text)
        n = book.cite(p.chunk, sent)
        # A document's own bracketed numbers must never read as our citations.
        shown = _BRACKETED.sub(r"(\1)", strip_markers(sent))
        evidence.append(f"{shown} [{n}]")
    if evidence:
        # Prose sentences run together; a quoted list or table keeps its own lines.
        blocks.append(re.sub(r" ?(\n\n)?(\|[^\n]*\n(?:\|[^\n]*\n?)+)", r"\n\n\2\n", " ".join(evidence)).strip())
    return "\n\n".join(blocks)
