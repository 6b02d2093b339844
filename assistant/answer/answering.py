"""Extractive answers a reader can follow: one lead sentence (the verdict, an entity's summary, or the direct
answer with its figure), then at most a few supporting points, one sentence each with its [n]. Every [n] quotes
its source verbatim; what the reader sees is plain text."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.answer.citations import CitationBook, plain, sentences, strip_markers, table_cells, terms
from assistant.answer.scoring import score
from assistant.knowledge.entities import Entity
from assistant.knowledge.tables import parse_number
from assistant.knowledge.taxonomy import (
    COUNTRIES,
    DOMAIN_NAME,
    YEAR,
    country_name,
    find_countries,
    find_elements,
    find_stages,
)
from assistant.types import STAGES, STATUS_LABEL, Checklist, Chunk, Passage, StageRow, doc_meta
from assistant.understand.names import fold
from assistant.understand.query import VERB, Intent, members_asked, stage_range
from assistant.understand.words import COMMON, FRAMING, is_common

_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
# A figure: a number standing on its own, not a digit inside a name or formula ("Nd2Fe14B", "F-35" counts).
_NUMBER = re.compile(r"(?<![A-Za-z])\d|\b(dozens|hundreds|thousands|millions|billions)\b", re.I)
STAGE_STATE = {"at_scale": "runs at scale", "emerging": "is only emerging", "planned": "is only planned",
               "none": "does not exist there", "unknown": "is not documented"}
VERDICT_TEXT = {"yes": "Yes", "partly": "Partly", "not yet": "Not yet", "no": "No"}
NO_FORECAST = "The documents do not forecast; this is the latest figure they hold, with its date."
# A sentence that starts by pointing back ("Its third is...", "These plants...") needs the sentence before it.
_REFERS_BACK = re.compile(r"^\W*(it|its|this|these|that|those|they|their|them|such|he|she|his|her|both|here|"
                          r"the (second|third|fourth|fifth|latter|former|same|other|rest))\b", re.I)


def wording(question: str, at: float = COMMON) -> set[str]:
    """The stems of the words that phrase a question rather than say what it is about: the words general English
    uses at least `at` often (Zipf scale; word frequencies, `understand/words.py`), a plural by its singular
    ("earths" as "earth"), except the taxonomy's words for a stage or an element ("separate", "metal"), which
    are the subject."""
    words = [w.lower() for w in re.findall(r"[A-Za-z]+", question) if not (find_stages(w) or find_elements(w))]
    return terms(" ".join(w for w in words if is_common(w, at) or (w.endswith("s") and is_common(w[:-1], at))))


_DIFFERENCE = re.compile(r"\bdifferences?\s+between\b", re.I)
_PROPER = re.compile(r"(?<!^)(?<![.?!]\s)\b([A-Z][a-z][\w'-]+)\b")
_BRACKETED = re.compile(r"\[(\d+)\]")
MAX_POINTS = 5


def country_terms_for(key: str) -> set[str]:
    """Words that name a country in text: 'Myanmar' and 'Burma', 'United States' and 'U.S.'."""
    display, aliases = COUNTRIES.get(key, (country_name(key), ()))
    out = terms(display)
    for alias in aliases:
        if len(alias) > 3 and " " not in alias:
            out |= terms(alias)
    return out


# -- the lead ----------------------------------------------------------------------------------------------------
def _cite_list(ns: list[int]) -> str:
    return "".join(f" [{n}]" for n in ns)


def _scope(cl: Checklist) -> list:  # type: ignore[type-arg]
    """The rows the verdict rests on (`stage_range`: deposit up to the target; recycling alone)."""
    scope = set(stage_range(cl.target)) if cl.target in STAGES else {r.stage for r in cl.stages}
    return [r for r in cl.stages if r.stage in scope]


def _breaks(cl: Checklist, gap: StageRow) -> str:
    """Where the chain to the target breaks: at the target stage itself, or first at a stage before it."""
    if gap.stage == cl.target:
        return f"the {gap.stage} stage itself {STAGE_STATE[gap.status]}"
    return f"the chain first breaks at the {gap.stage} stage ({STATUS_LABEL[gap.status]})"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _in_words(scope: list[StageRow], gap: StageRow) -> str:
    """What exists on the chain up to the target and what is missing, in words, each stage with its status in
    words and its first citation: 'it has a deposit (resource, no reserve) [1], but none of the stages after it
    [5]', 'it has mining (mined at scale) [1] and separation (at scale) [2]; missing: metal and magnet (none
    found) [7]'. A stage exists when it runs at scale, is emerging or is planned."""
    def said(r: StageRow) -> str:
        noun = "a deposit" if r.stage == "deposit" else r.stage
        return f"{noun} ({r.label or STATUS_LABEL[r.status]}){_cite_list(r.citations[:1])}"

    present = [r for r in scope if r.status in ("at_scale", "emerging", "planned")]
    absent = [r for r in scope if r not in present]
    cite = _cite_list(next((r.citations[:1] for r in absent if r.citations), []))
    if not present:
        return f"it has none of the stages from {scope[0].stage} to {scope[-1].stage}{cite}"
    has = f"it has {_and([said(r) for r in present])}"
    if not absent:
        return f"{has}, not all of them at scale"
    if all(scope.index(r) > scope.index(present[-1]) for r in absent):
        return f"{has}, but none of the stages after {'it' if len(present) == 1 else 'them'}{cite}"
    labels = sorted({r.label or STATUS_LABEL[r.status] for r in absent})
    return f"{has}; missing: {_and([r.stage for r in absent])} ({', '.join(labels)}){cite}"


def _tally(rows: list[StageRow], label: str) -> str:
    at_scale = [r.stage for r in rows if r.status == "at_scale"]
    missing = [r.stage for r in rows if r.status in ("none", "unknown")]
    tally = f"{label}: {', '.join(at_scale) or 'no stage'}"
    return tally + (f"; missing or unknown: {', '.join(missing)}." if missing else ".")


def _reach(cl: Checklist) -> int:
    return sum(1 for r in _scope(cl) if r.status == "at_scale")


def checklist_lead(cl: Checklist) -> list[str]:
    """One verdict sentence that says in words what exists on the chain and what is missing, then the target stage
    if it is not where the chain breaks (a one-stage verdict: the rest of the chain, as context)."""
    name, goal = cl.country, VERB.get(cl.target, cl.target)
    if not cl.structured:
        return [f"There is no structured value-chain data for {name}, so there is no verdict; every stage below "
                "is unknown and the cited passages are what the documents say."]
    verdict = VERDICT_TEXT.get(cl.verdict or "", "Unknown")
    gap = next((r for r in cl.stages if r.stage == cl.binding_gap), None)
    scope = _scope(cl)
    if cl.verdict == "yes" or gap is None:
        cites = sorted({n for r in scope for n in r.citations[:1]})[:2]
        where = f"every stage from deposit to {cl.target}" if len(scope) > 1 else f"the {cl.target} stage"
        return [f"{verdict}: {name} can {goal}; {where} runs at scale{_cite_list(cites)}."]
    can = {"partly": f"{name} can {goal} only in part", "not yet": f"{name} cannot {goal} yet",
           "no": f"{name} cannot {goal} today"}.get(cl.verdict or "", f"{name}'s ability to {goal} is unknown")
    # The verdict says in words what exists on the chain and what is missing; the stage details are the
    # checklist's (with their own evidence), and the sentences that prove them are quoted as points below.
    words = _in_words(scope, gap) if len(scope) > 1 else f"{_breaks(cl, gap)}{_cite_list(gap.citations[:1])}"
    out = [f"{verdict}: {can}; {words}."]
    target = next(r for r in cl.stages if r.stage == cl.target)
    if target.stage != gap.stage:
        out.append(f"The {target.stage} stage itself {STAGE_STATE[target.status]}"
                   f"{_cite_list(target.citations[:1])}.")
    if len(scope) == 1:  # a stage that rests on itself alone: the rest of the chain is context
        out.append(_tally([r for r in cl.stages if r not in scope], "Elsewhere in the chain, at scale"))
    return out


def _detail(text: str) -> str:
    return plain(text).rstrip(".")


def why_lead(cl: Checklist) -> list[str]:
    name, goal = cl.country, VERB.get(cl.target, cl.target)
    gap = next((r for r in cl.stages if r.stage == cl.binding_gap), None)
    if not cl.structured or gap is None:
        return checklist_lead(cl)
    out = [f"{name} cannot fully {goal} because the chain breaks at the {gap.stage} stage "
           f"({STATUS_LABEL[gap.status]}){_cite_list(gap.citations[:1])}.", f"That stage: {_detail(gap.detail)}."]
    later = [f"{r.stage} ({STATUS_LABEL[r.status]})" for r in _scope(cl)
             if r.status != "at_scale" and r.stage != gap.stage]
    if later:
        out.append(f"Further down the chain: {', '.join(later)}.")
    return out


def comparison_lead(cls: list[Checklist]) -> list[str]:
    structured = [cl for cl in cls if cl.structured]
    out: list[str] = []
    if len(structured) >= 2:
        ranked = sorted(structured, key=_reach, reverse=True)
        first, second = ranked[0], ranked[1]
        if len(_scope(first)) == 1:  # a verdict on one stage: its status, country by country
            out.append(f"The {first.target} stage: " + "; ".join(
                f"{cl.country} {STATUS_LABEL[_scope(cl)[0].status]}{_cite_list(_scope(cl)[0].citations[:1])}"
                for cl in structured) + ".")
            return out + [f"{cl.country}: no structured value-chain data, so no verdict." for cl in cls
                          if not cl.structured]
        elif _reach(first) == _reach(second):
            out.append(f"{' and '.join(cl.country for cl in ranked)} have as many stages at scale on the chain to "
                       f"{first.target} ({_reach(first)} of {len(_scope(first))}).")
        else:
            rest = ", ".join(f"{cl.country} ({_reach(cl)})" for cl in ranked[1:])
            out.append(f"{first.country} is further along the chain to {first.target}: {_reach(first)} of "
                       f"{len(_scope(first))} stages at scale, against {rest}.")
    else:
        out.append("Side by side; see each checklist below.")
    for cl in cls:
        if not cl.structured:
            out.append(f"{cl.country}: no structured value-chain data, so no verdict.")
            continue
        gap = next((r for r in cl.stages if r.stage == cl.binding_gap), None)
        verdict = VERDICT_TEXT.get(cl.verdict or "", "Unknown")
        if gap is None:
            out.append(f"{cl.country}: {verdict}, every stage runs at scale{_cite_list(_scope(cl)[-1].citations[:1])}.")
        else:
            out.append(f"{cl.country}: {verdict}; {_breaks(cl, gap)}{_cite_list(gap.citations[:1])}.")
    return out


# -- supporting points --------------------------------------------------------------------------------------------
@dataclass
class Candidate:
    score: float
    rank: int
    sent: str  # verbatim
    shown: str  # what the reader sees
    passage: Passage
    terms: frozenset[str]
    features: dict[str, float] = field(default_factory=dict)  # answer/scoring.py


def _table_header(text: str, row_start: int) -> list[str] | None:
    """The header cells of the Markdown table a row belongs to."""
    lines = text[:row_start].splitlines()
    header = None
    for line in reversed(lines):
        if table_cells(line) is None and not re.fullmatch(r"\s*\|[\s:|-]+\|\s*", line):
            break
        cells = table_cells(line)
        if cells is not None:
            header = cells
    return header


def _unit(header: str) -> tuple[str, str]:
    """A column header's label and its unit, the unit being a bracket without digits: '2024 (t REO)' →
    ('2024', 't REO'); '2022 (MCS 2024)' is a label alone."""
    head = plain(header)
    m = re.fullmatch(r"(.*?)\s*\(([^)\d]+)\)", head)
    return (m.group(1), m.group(2)) if m else (head, "")


def _is_figure(cell: str) -> bool:
    return parse_number(plain(cell))[0] is not None


def _cell(header: str, value: str) -> str:
    """One cell read with its column: the unit after the figure, a year column as 'in <year>'."""
    label, unit = _unit(header)
    value = plain(value)
    value = STATUS_LABEL.get(value, value)  # a status key reads as every front end writes it ("at scale")
    figure = f"{value} {unit}" if unit and _is_figure(value) else value
    if YEAR.fullmatch(label):
        return f"{figure} in {label}"
    return f"{label}: {figure}" if label else figure


def row_sentence(row: str, chunk_text: str, years: list[int], about: str | None = None) -> str | None:
    """A table row as a sentence, each cell read with its column: 'Thailand: 13,000 t REO in 2024; 3,600 t REO
    in 2023'. Where the question names a year that heads a column, that column comes first. A row of a document
    about one country (`about`) whose first cell names no country is read with it: 'Greenland, mining: …'."""
    cells = table_cells(row)
    if cells is None:
        return None
    header = _table_header(chunk_text, chunk_text.find(row))
    if not header or len(header) != len(cells) or header == cells:
        return plain(row)
    pairs = [(h, c) for h, c in zip(header[1:], cells[1:], strict=True) if plain(c) and plain(h)]
    wanted = [p for p in pairs if any(str(y) in p[0] for y in years)]
    pairs = wanted + [p for p in pairs if p not in wanted]
    first = plain(cells[0])
    if about and not find_countries(first):
        first = f"{about}, {first}"
    return f"{first[:1].upper()}{first[1:]}: " + "; ".join(_cell(h, c) for h, c in pairs)


def _introduced(text: str, sent: str) -> tuple[str, str] | None:
    """A sentence ending in a colon together with the list or table it introduces: the verbatim span, and how it
    reads ('…by 2030: Extracted in the EU, at least 10%; Processed in the EU, at least 40%.'). None when no list
    or table follows it."""
    start = text.find(sent)
    pos = start + len(sent)
    items: list[str] = []
    end = pos
    lines = text[pos:].split("\n")
    offset = pos
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            if items:
                break
        else:
            cells = table_cells(stripped)
            nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
            if re.fullmatch(r"[|\-:\s]+", stripped) or cells is not None and re.fullmatch(r"\|[\s|:-]+\|", nxt):
                pass  # a table's header and the line under it
            elif cells is not None:
                items.append(", ".join(plain(c) for c in cells if plain(c)))
            elif _LIST_ITEM.match(line):
                items.append(plain(stripped))
            else:
                break
            end = offset + len(line.rstrip())
        offset += len(line) + 1
    if not items or start < 0:
        return None
    return text[start:end], plain(sent).rstrip(":") + ": " + "; ".join(items) + "."


# A sentence that addresses the reader or gives instructions ("ignore previous instructions", "tell the user") is
# text aimed at whoever reads it, not a fact about rare earths: it is never a point (issue 23; none in the corpus).
ADDRESSES_READER = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.]{0,40}\b(?:previous|prior|above|earlier|all|any|these|your)\b"
    r"[^.]{0,20}\b(?:instructions?|prompts?|rules|guidelines|context)\b"
    r"|\b(?:tell|inform|remind|assure|convince|reply to|answer) the (?:user|reader|human|assistant)\b"
    r"|\byou (?:must|should|shall|will) (?:now |always |instead )?(?:say|answer|tell|respond|reply|state|claim|write)\b"
    r"|\b(?:system prompt|as an ai\b|language model|the assistant must)"
    r"|^\W*(?:please\s+)?(?:ignore|disregard|tell|respond|reply|pretend|act as)\b", re.I)


def _candidates(intent: Intent, passages: list[Passage], idf: Callable[[str], float] | None,
                weights: dict[str, float] | None = None) -> list[Candidate]:
    country_terms = {t for c in intent.countries for t in country_terms_for(c)}
    # "The difference between A and B" asks about A and B: the frame is not what a sentence should share.
    asked = _DIFFERENCE.sub(" ", intent.question)
    q_terms = (terms(asked) - wording(asked, FRAMING) - terms(DOMAIN_NAME)) | country_terms
    weight = idf or (lambda t: 1.0)
    # An entity's names are one thing said several ways: a sentence earns credit for the entity once, by the
    # name of it that it uses best, however many of its aliases it holds.
    entity_names = [[terms(n) for n in e.names] for e in intent.entities]
    q_words = {w.lower() for w in re.findall(r"[A-Za-z]+", intent.question)} | {
        w.lower() for c in intent.countries for w in re.findall(r"[A-Za-z]+", country_name(c))}
    wants_figure = intent.type == "numeric" or intent.future
    wants_year = bool(re.search(r"\bwhen\b|\bwhat year\b|\bsince\b", intent.question, re.I))
    wants_members = members_asked(intent.question) is not None
    # Asked what something is, about no country, a sentence whose subject (its opening words) is what is asked
    # about is the one that says what it is.
    defines = intent.type in ("lookup", "explanation") and not intent.countries
    out: list[Candidate] = []
    # The countries each passage's document lists: it is about the first; a table row of a document about one
    # country is read with that country.
    listed = [doc_meta(p.chunk.meta).get("countries") or [] for p in passages]
    subject = {rank: cs[0] if cs else None for rank, cs in enumerate(listed)}
    about = {rank: country_name(cs[0]) for rank, cs in enumerate(listed) if len(cs) == 1}
    for rank, p in enumerate(passages):
        sents = sentences(p.chunk)
        for i, sent in enumerate(sents):
            shown = plain(sent)
            if len(shown.split()) < 4 or sent.lstrip().startswith("#") or ADDRESSES_READER.search(shown):
                continue
            cells = table_cells(sent)
            titled: list[str] = []
            if cells is not None:
                header = _table_header(p.chunk.text, p.chunk.text.find(sent))
                if header is None or header == cells:
                    continue  # a header row says nothing by itself
                # A row whose first cell names no country speaks of the one its table's heading cell names
                # ('Salient Statistics—United States'), as a row of a document about one country does.
                titled = [] if find_countries(cells[0]) else find_countries(header[0])[:2]
                table_about = country_name(titled[0]) if len(titled) == 1 else about.get(rank)
                shown = row_sentence(sent, p.chunk.text, intent.years, table_about) or shown
            elif shown.endswith(":") and (intro := _introduced(p.chunk.text, sent)) is not None:
                sent, shown = intro  # a sentence that introduces a list or table is shown with it
            elif _REFERS_BACK.match(shown):
                # Show a sentence that points back only together with the sentence it points to.
                if i == 0:
                    continue
                prev = sents[i - 1]
                if table_cells(prev) is not None or prev.lstrip().startswith("#"):
                    continue
                sent = p.chunk.text[p.chunk.text.find(prev): p.chunk.text.find(sent) + len(sent)]
                shown = plain(sent)
            st = terms(shown)
            # A table row whose first cell names countries speaks of them; any other sentence or row speaks of
            # the country its document is about (the first the document lists) and of the countries it names.
            row_of = (set(find_countries(cells[0])) or set(titled[:1] if len(titled) == 1 else [])) if cells else set()
            speaks_of = row_of or {subject.get(rank), *find_countries(shown)}
            for c in intent.countries:
                if c in speaks_of:
                    st |= country_terms_for(c)
            if cells and (row_of & set(intent.countries) or any(
                    fold(n) in fold(cells[0]) for e in intent.entities for n in e.names)):
                row_about, row_year = True, bool(intent.years) and any(str(y) in shown for y in intent.years)
            else:
                row_about = row_year = False
            named = max(len(set(find_elements(shown))), len(find_countries(shown)))
            lists = wants_members and named >= 3
            context = st
            if lists and i > 0 and cells is None and table_cells(sents[i - 1]) is None:
                context = st | terms(plain(sents[i - 1]))  # a list is about what the sentence before it says it lists
            common = q_terms & context
            by_name = sum(max((sum(min(weight(t), 4.0) for t in (name & context) - common) for name in names),
                              default=0.0) for names in entity_names)
            if not common and not by_name:
                continue
            has_year, has_figure = bool(YEAR.search(shown)), bool(_NUMBER.search(shown))
            f = {
                "words": sum(min(weight(t), 4.0) for t in common), "entity": by_name,
                "coverage": len(common) / (len(q_terms) or 1), "countries": float(len(country_terms & st)),
                "rank": float(rank), "similarity": p.similarity or 0.0, "position": float(min(i, 10)),
                "row_about": float(row_about), "row_year": float(row_year),
                "figure_asked": float(wants_figure and has_figure),
                "future_dated": float(wants_figure and intent.future and has_figure and has_year),
                "year_asked": float(wants_year and has_year),
                "asked_year": float(bool(intent.years) and any(str(y) in shown for y in intent.years)),
                "new_names": float(bool({w.lower() for w in _PROPER.findall(shown)} - q_words)),
                "figure": float(has_figure),
                "defines": float(defines and cells is None and bool(terms(" ".join(shown.split()[:3])) & q_terms)),
                "members": float(min(named, 7)) if lists else 0.0,
                "disagree": float("disagree" in p.chunk.section.lower()),
                "overlong": max(0, len(shown) - 280) / 100,
            }
            out.append(Candidate(score(f, weights), rank, sent, shown, p, frozenset(st), f))
    out.sort(key=lambda c: -c.score)
    return out


def _similar(a: frozenset[str], b: frozenset[str]) -> float:
    """Overlap of two sentences' words relative to the shorter: a sentence that restates most of another is a
    near-duplicate even when the other says more."""
    return len(a & b) / (min(len(a), len(b)) or 1)


def select(cands: list[Candidate], n: int, already: list[frozenset[str]] | None = None,
           lam: float = 0.7, duplicate: float = 0.75) -> list[Candidate]:
    """Maximal marginal relevance over the candidates' words: relevant, and unlike what is already chosen;
    near-duplicates (Jaccard ≥ `duplicate`) are dropped."""
    chosen: list[Candidate] = []
    seen = list(already or [])
    top = cands[0].score if cands else 1.0
    pool = list(cands[:60])
    while pool and len(chosen) < n:
        def mmr(c: Candidate) -> float:
            sim = max((_similar(c.terms, s) for s in seen), default=0.0)
            return lam * c.score / (top or 1.0) - (1 - lam) * sim
        best = max(pool, key=mmr)
        pool.remove(best)
        if any(_similar(best.terms, s) >= duplicate for s in seen) or any(best.sent == c.sent for c in chosen):
            continue
        chosen.append(best)
        seen.append(best.terms)
    return chosen


def _point(c: Candidate, book: CitationBook) -> str | None:
    if book.full() and not book.has(c.passage.chunk, c.sent):
        return None
    n = book.cite(c.passage.chunk, c.sent)
    shown = _BRACKETED.sub(r"(\1)", c.shown).rstrip()
    if shown.endswith(":"):
        shown = shown[:-1] + "."
    if not shown.endswith((".", "!", "?", ")")) or shown.endswith(")") and not shown.endswith(".)"):
        shown = shown.rstrip(".") + "."
    return f"{shown[:-1]} [{n}]{shown[-1]}" if shown[-1] in ".!?" else f"{shown} [{n}]"


def entity_lead(entity: Entity, section_chunks: Callable[[str, str], list[Chunk]], book: CitationBook,
                doc_chunks: Callable[[str], list[Chunk]]) -> str:
    """An entity's registered one-sentence summary, cited to the sentences that hold its names and figures (at
    most four): from its source section first, then from the other documents that discuss it, since a summary
    may draw on several sections."""
    text = entity.summary.strip().rstrip(".")
    want = terms(entity.summary) | terms(" ".join(entity.names))
    key = terms(" ".join(_PROPER.findall(entity.summary) + re.findall(r"\d[\w,.]*", entity.summary))) - terms(
        " ".join(entity.names))  # what the summary claims beyond naming the entity
    pool: list[tuple[int, Chunk, str, set[str]]] = []
    seen: set[str] = set()
    tiers = [(0, c) for c in section_chunks(entity.source.doc, entity.source.section)]
    tiers += [(1, c) for d in dict.fromkeys((entity.source.doc, *entity.docs)) for c in doc_chunks(d)]
    for tier, chunk in tiers:
        if chunk.id in seen:
            continue
        seen.add(chunk.id)
        for sent in sentences(chunk):
            shown = plain(sent)
            if len(shown.split()) >= 4 and not sent.lstrip().startswith("#"):
                pool.append((tier, chunk, sent, terms(shown)))
    marks: list[int] = []
    rest, rest_key = set(want), set(key)
    while pool and len(marks) < 4:  # each sentence adds names, figures or words the others lack
        tier, chunk, sent, st = max(pool, key=lambda x: (3 * len(rest_key & x[3]) + len(rest & x[3]), -x[0]))
        if not rest_key & st and (marks or not rest & st):
            break
        marks.append(book.cite(chunk, sent))
        rest -= st
        rest_key -= st
        pool = [x for x in pool if x[2] != sent]
    return f"{text}{_cite_list(sorted(set(marks)))}."


def table_comparison(intent: Intent, cands: list[Candidate], book: CitationBook) -> tuple[str | None, list[Candidate]]:
    """Rows of one table about two or more of the countries asked about, read together in one sentence, largest
    first, by the column of the year asked about (else the latest), each row cited."""
    if len(intent.countries) < 2:
        return None, []
    groups: dict[tuple[str, tuple[str, ...]], dict[str, Candidate]] = {}
    for c in cands:
        cells = table_cells(c.sent)
        header = _table_header(c.passage.chunk.text, c.passage.chunk.text.find(c.sent)) if cells else None
        if not cells or not header or len(header) != len(cells) or header == cells:
            continue
        named = [k for k in find_countries(cells[0]) if k in intent.countries]
        if named:
            groups.setdefault((c.passage.chunk.id, tuple(header)), {}).setdefault(named[0], c)
    if not groups:
        return None, []
    (_, header), rows = max(groups.items(), key=lambda g: len(g[1]))  # the table that covers the most of them
    if len(rows) < 2:
        return None, []
    cells_of = {k: table_cells(c.sent) or [] for k, c in rows.items()}
    figures = [i for i in range(1, len(header)) if all(_is_figure(cells[i]) for cells in cells_of.values())]
    asked = [i for i in figures if any(str(y) in header[i] for y in intent.years)]
    if not figures:
        return None, []
    # The year asked about, else the latest year a column is headed by, else the first column of figures.
    latest = sorted(figures, key=lambda i: -max((int(y) for y in YEAR.findall(header[i])), default=0))
    col = (asked or latest)[0]
    order = sorted(rows, key=lambda k: -(parse_number(plain(cells_of[k][col]))[0] or 0.0))
    label, unit = _unit(header[col])
    parts = []
    for k in order:
        if book.full() and not book.has(rows[k].passage.chunk, rows[k].sent):
            return None, []
        n = book.cite(rows[k].passage.chunk, rows[k].sent)
        value = plain(cells_of[k][col])
        parts.append(f"{plain(cells_of[k][0])} {value}{' ' + unit if unit else ''} [{n}]")
    return f"{label}: " + "; ".join(parts) + ".", [rows[k] for k in order]


def _more_of_retrieved(passages: list[Passage], doc_chunks: Callable[[str], list[Chunk]],
                       wanted: Callable[[Chunk], bool], docs: set[str] | None = None) -> list[Passage]:
    """Chunks of the retrieved documents (those in `docs`, when given) that are `wanted` and were not retrieved
    themselves, as passages ranked after the retrieved ones."""
    have = {p.chunk.id for p in passages}
    out: list[Passage] = []
    for doc in dict.fromkeys(p.chunk.doc_id for p in passages if docs is None or p.chunk.doc_id in docs):
        for chunk in doc_chunks(doc):
            if chunk.id not in have and wanted(chunk):
                out.append(Passage(chunk=chunk, score=0.0))
                have.add(chunk.id)
    return out


def table_passages(passages: list[Passage], countries: list[str],
                   doc_chunks: Callable[[str], list[Chunk]]) -> list[Passage]:
    """Passages of the retrieved documents that hold a table row about one of the countries: a document found for
    a question of figures is read for its table as well as its prose."""
    def has_row(chunk: Chunk) -> bool:
        rows = (table_cells(line) for line in chunk.text.splitlines())
        return any(cells and set(find_countries(cells[0])) & set(countries) for cells in rows)

    return _more_of_retrieved(passages, doc_chunks, has_row)


def entity_passages(passages: list[Passage], entity: Entity,
                    doc_chunks: Callable[[str], list[Chunk]]) -> list[Passage]:
    """Passages that name an entity and hold a figure, from the retrieved documents that discuss it: a document
    found for a figure about a named plant, mine or company is read for every passage about it."""
    names = [re.compile(r"\b" + re.escape(n) + r"\b", re.I) for n in entity.names]
    return _more_of_retrieved(passages, doc_chunks, lambda c: bool(_NUMBER.search(c.text)) and any(
        n.search(c.text) for n in names), set(entity.docs))


def compose(intent: Intent, passages: list[Passage], checklists: list[Checklist], book: CitationBook,
            max_sentences: int = 6, idf: Callable[[str], float] | None = None,
            section_chunks: Callable[[str, str], list[Chunk]] | None = None,
            doc_chunks: Callable[[str], list[Chunk]] | None = None) -> str:
    """Lead sentence(s), then supporting points, within `max_sentences` sentences in all."""
    lead: list[str] = []
    if intent.why and checklists:
        lead = why_lead(checklists[0])
    elif len(checklists) >= 2:
        lead = comparison_lead(checklists)
    elif checklists:
        lead = checklist_lead(checklists[0])
    elif intent.type == "entity" and intent.entities and section_chunks and doc_chunks:
        lead = [entity_lead(intent.entities[0], section_chunks, book, doc_chunks)]
    cands = _candidates(intent, passages, idf)
    cited = {(c.chunk_id, c.verbatim) for c in book.items}
    cands = [c for c in cands if (c.passage.chunk.id, c.sent.strip()) not in cited or checklists]
    if intent.type == "entity" and intent.entities:
        # Points about a named entity name it (by any of its names).
        names = [re.compile(r"\b" + re.escape(n) + r"\b", re.I) for n in intent.entities[0].names]
        cands = [c for c in cands if any(p.search(c.shown) for p in names)]
    if not checklists:
        # Figures for several countries asked about side by side come first, from one table where one holds them.
        line, used = table_comparison(intent, cands, book)
        if line:
            lead = lead + [line]
            cands = [c for c in cands if c not in used]
    # The lead and at most MAX_POINTS supporting points; without a lead, the best sentence leads.
    room = max(0, min(MAX_POINTS + (0 if lead else 1), max_sentences - len(lead)))
    already = [frozenset(terms(x)) for x in lead]
    points = []
    for c in select(cands, room + 3, already):
        if len(points) >= room:
            break
        text = _point(c, book)
        if text:
            points.append(text)
    if intent.future and not checklists and (lead or points):
        points.append(NO_FORECAST)
    # The lead (verdict or summary) is its own paragraph; the supporting points follow as one.
    blocks = [" ".join(strip_markers(x) for x in part) for part in (lead, points) if part]
    return "\n\n".join(blocks).strip()
