"""Extractive answers a reader can follow: one lead sentence (the verdict, an entity's summary, or the direct
answer with its figure), then at most a few supporting points, one sentence each with its [n]. Every [n] quotes
its source verbatim; what the reader sees is plain text."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from assistant.answer.citations import (
    PROPER_NAME,
    CitationBook,
    plain,
    sentences,
    strip_markers,
    table_cells,
    terms,
)
from assistant.answer.leads import _and, checklist_lead, comparison_lead, entity_lead, why_lead
from assistant.answer.rows import NUMBER as _NUMBER
from assistant.answer.rows import (
    _introduced,
    _is_figure,
    _table_header,
    _unit,
    row_sentence,
)
from assistant.answer.scoring import MAX_POINTS, MMR_RELEVANCE, NEAR_DUPLICATE, POOL, score
from assistant.knowledge.tables import parse_number
from assistant.knowledge.taxonomy import (
    COUNTRIES,
    DOMAIN_NAME,
    MAGNET_TYPES,
    YEAR,
    country_name,
    country_spans,
    find_countries,
    find_elements,
    find_magnet_types,
    find_stages,
)
from assistant.types import Checklist, Chunk, Passage, doc_meta
from assistant.understand.followups import GROUP, THING
from assistant.understand.grammar import asks_quantity, excluded_countries, question_parts
from assistant.understand.names import fold
from assistant.understand.query import Intent, members_asked
from assistant.understand.words import COMMON, FRAMING, is_common

# A question that asks why, and the closed class of English connectives that give a cause or a purpose.
_ASKS_WHY = re.compile(r"\b(why|how come|what (led|caused|drove|prompted)|reasons?)\b", re.I)
_CAUSE = re.compile(r"\b(because|since|as a result|due to|owing to|thanks to|the reason|as the reason|reasons?|"
                    r"caused|led to|so that|in order to|in favour of|in favor of|after|amid|prompt\w*|blam\w*|"
                    r"cit(ed|ing)|pointed to)\b", re.I)
NO_FORECAST = "The documents do not forecast; this is the latest figure they hold, with its date."
# A sentence that starts by pointing back ("Its third is...", "These plants...") needs the sentence before it.
_REFERS_BACK = re.compile(r"^\W*(it|its|this|these|that|those|they|their|them|such|he|she|his|her|both|here|"
                          r"the (second|third|fourth|fifth|latter|former|same|other|rest))\b", re.I)

# A sentence whose main clause is "see …" ("For 2023 figures, see data/….md") sends the reader to another document
# and states nothing itself: that document's own passages answer, not the pointer.
_POINTS_ELSEWHERE = re.compile(r"^\W*(?:for\b[^,;]*,\s*)?see\b", re.I)


def wording(question: str, at: float = COMMON) -> set[str]:
    """The stems of the words that phrase a question rather than say what it is about: the words general English
    uses at least `at` often (Zipf scale; word frequencies, `understand/words.py`), a plural by its singular
    ("earths" as "earth"), except the taxonomy's words for a stage or an element ("separate", "metal"), which
    are the subject."""
    words = [w.lower() for w in re.findall(r"[A-Za-z]+", question) if not (find_stages(w) or find_elements(w))]
    return terms(" ".join(w for w in words if is_common(w, at) or (w.endswith("s") and is_common(w[:-1], at))))


_DIFFERENCE = re.compile(r"\bdifferences?\s+between\b", re.I)
_BRACKETED = re.compile(r"\[(\d+)\]")


def country_terms_for(key: str) -> set[str]:
    """Words that name a country in text: 'Myanmar' and 'Burma', 'United States' and 'U.S.'."""
    display, aliases = COUNTRIES.get(key, (country_name(key), ()))
    out = terms(display)
    for alias in aliases:
        if len(alias) > 3 and " " not in alias:
            out |= terms(alias)
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
    before: str = ""  # the prose sentence before it in its paragraph, which it may carry on from


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
    # A magnet type is one thing said several ways ("NdFeB", "Nd2Fe14B"): any of its names holds its words.
    magnets = {k: terms(" ".join(MAGNET_TYPES[k])) for k in intent.magnet_types}
    asked = _DIFFERENCE.sub(" ", intent.question)  # "the difference between A and B" asks about A and B
    q_terms = (terms(asked) - wording(asked, FRAMING) - terms(DOMAIN_NAME)) | country_terms
    weight = idf or (lambda t: 1.0)
    # An entity's names are one thing said several ways: a sentence earns credit for the entity once, by the
    # name of it that it uses best, however many of its aliases it holds.
    entity_names = [[terms(n) for n in e.names] for e in intent.entities]
    q_words = {w.lower() for w in re.findall(r"[A-Za-z]+", intent.question)} | {
        w.lower() for c in intent.countries for w in re.findall(r"[A-Za-z]+", country_name(c))}
    wants_figure = intent.type == "numeric" or intent.future
    wants_year = bool(re.search(r"\bwhen\b|\bwhat year\b|\bsince\b", intent.question, re.I))
    wants_cause = bool(_ASKS_WHY.search(intent.question))
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
    # A passage read because its document was retrieved (no rank of its own) ranks as the document's first does.
    doc_rank: dict[str, int] = {}
    for rank, p in enumerate(passages):
        doc_rank.setdefault(p.chunk.doc_id, rank)
    for rank, p in enumerate(passages):
        if p.dense_rank is None and p.bm25_rank is None and p.score == 0.0:
            rank = doc_rank[p.chunk.doc_id]
        sents = sentences(p.chunk)
        heading = terms(p.chunk.section.rsplit(" > ", 1)[1]) if " > " in p.chunk.section else set()
        for i, sent in enumerate(sents):
            shown = plain(sent)
            if (len(shown.split()) < 4 or sent.lstrip().startswith("#") or ADDRESSES_READER.search(shown)
                    or _POINTS_ELSEWHERE.match(shown)):
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
            for kind in find_magnet_types(shown) if magnets else ():
                st |= magnets.get(kind, set())
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
            # A sentence carries on from the one before it in its paragraph, and speaks of what its heading names.
            before = heading | (terms(plain(sents[i - 1])) if i > 0 and cells is None and table_cells(
                sents[i - 1]) is None and not sents[i - 1].lstrip().startswith("#") else set())
            by_name = sum(max((sum(min(weight(t), 4.0) for t in (name & context) - common) for name in names),
                              default=0.0) for names in entity_names)
            if not common and not by_name:
                continue
            has_year, has_figure = bool(YEAR.search(shown)), bool(_NUMBER.search(shown))
            f = {
                "words": sum(min(weight(t), 4.0) for t in common), "entity": by_name,
                "coverage": len(common) / (len(q_terms) or 1),
                "carried": len((q_terms & (context | before)) - common) / (len(q_terms) or 1),
                "countries": float(len(country_terms & st)),
                "rank": float(rank), "similarity": p.similarity or 0.0, "position": float(min(i, 10)),
                "row_about": float(row_about), "row_year": float(row_year),
                "figure_asked": float(wants_figure and has_figure),
                "future_dated": float(wants_figure and intent.future and has_figure and has_year),
                "year_asked": float(wants_year and has_year),
                "cause_given": float(wants_cause and bool(_CAUSE.search(shown))),
                "asked_year": float(bool(intent.years) and any(str(y) in shown for y in intent.years)),
                "new_names": float(bool({w.lower() for w in PROPER_NAME.findall(shown)} - q_words)),
                "figure": float(has_figure),
                "defines": float(defines and cells is None and bool(terms(" ".join(shown.split()[:3])) & q_terms)),
                "members": float(min(named, 7)) if lists else 0.0,
                "disagree": float("disagree" in p.chunk.section.lower()),
                "overlong": max(0, len(shown) - 280) / 100,
            }
            prev = sents[i - 1] if i > 0 and sent == sents[i] else ""
            carries = bool(prev) and table_cells(prev) is None and not prev.lstrip().startswith("#") and (
                "\n\n" not in p.chunk.text[p.chunk.text.find(prev):p.chunk.text.find(sent)])
            out.append(Candidate(score(f, weights), rank, sent, shown, p, frozenset(st), f,
                                 plain(prev) if carries else ""))
    out.sort(key=lambda c: -c.score)
    return out


def _similar(a: frozenset[str], b: frozenset[str]) -> float:
    """Overlap of two sentences' words relative to the shorter: a sentence that restates most of another is a
    near-duplicate even when the other says more."""
    return len(a & b) / (min(len(a), len(b)) or 1)


def select(cands: list[Candidate], n: int, already: list[frozenset[str]] | None = None,
           lam: float = MMR_RELEVANCE, duplicate: float = NEAR_DUPLICATE) -> list[Candidate]:
    """Maximal marginal relevance over the candidates' words: relevant, and unlike what is already chosen;
    near-duplicates (Jaccard ≥ `duplicate`) are dropped."""
    chosen: list[Candidate] = []
    seen = list(already or [])
    top = cands[0].score if cands else 1.0
    pool = list(cands[:POOL])
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


def _each_asked(intent: Intent, cands: list[Candidate],
                for_part: Callable[[str], list[Candidate]]) -> list[Candidate]:
    """The sentences that come first because the question asks for each of several things: the best sentence
    for each part of a question of several parts ("Who owns Tanbreez, and when does mining start?"), for each of
    two or more named things ("Compare Lynas's Kalgoorlie plant with Iluka's Eneabba", in each part), a cause of
    what a why-question's best sentences state, each of two or more years it names, and each of the countries a
    comparison sets side by side. One sentence may answer two of them."""
    firsts: list[Candidate] = []

    def take(best: Candidate | None) -> None:
        if best is not None and all(best.sent != f.sent for f in firsts):
            firsts.append(best)

    parts = question_parts(intent.question)
    named = [[re.compile(r"\b" + re.escape(n) + r"\b", re.I) for n in e.names] for e in intent.entities[:3]] \
        if len(intent.entities) >= 2 else [[]]
    for part in parts if len(parts) >= 2 or len(named) >= 2 else ():
        found = for_part(part)
        for pats in named:
            take(next((c for c in found if not pats or any(p.search(c.shown) or p.search(c.before) for p in pats)),
                      None))
    # Asked why: after an event among the best three sentences, the sentence that follows it with its cause.
    if _ASKS_WHY.search(intent.question):
        take(next((c for c in cands[:POOL] if c.features.get("cause_given") and c.before in {
            x.shown for x in cands[:3]}), None))
    years = sorted(set(intent.years))[:3]
    for year in years if len(years) >= 2 else ():
        take(next((c for c in cands if re.search(rf"\b{year}\b", c.shown)), None))
    # Countries compared each get the best sentence about them: from their profile, or naming them.
    for key in intent.countries[:3] if intent.type == "comparison" and len(intent.countries) >= 2 else ():
        take(next((c for c in cands if c.passage.chunk.doc_id == f"profiles/{key}.md"
                   or key in find_countries(c.shown)), None))
    return firsts


def places_discussing(intent: Intent, doc_chunks: Callable[[str], list[Chunk]] | None,
                      idf: Callable[[str], float] | None) -> tuple[str, list[Candidate]]:
    """For a question asking which countries, or where, a thing placed in no one country is found (a kind of
    deposit, a product, a process: "Apart from China, where are there ionic-clay projects?"), the country
    profiles that discuss it, each by its best sentence naming it, leaving out the countries the question
    excludes (and keeping only those it names otherwise): a line that names them, and those sentences. "Where"
    asks for places of a kind of deposit only ("where was NdPr oxide trading?" asks a price), and a question with
    a pronoun ("where would its monazite go?") is about what the conversation named."""
    general = next((e for e in intent.entities if not e.country and any(d.startswith("profiles/") for d in e.docs)),
                   None)
    if general is None or doc_chunks is None or intent.followup or _OWNED.search(intent.question) or not (
            {members_asked(intent.question), members_asked(_OPENING.sub("", intent.question, count=1))}
            & {"countries", "nations"}
            or (general.kind == "deposit" and _ASKS_WHERE.match(intent.question))):
        return "", []
    spans = [(key, start) for start, _, key in country_spans(intent.question)]
    left_out = set(excluded_countries(intent.question, spans))
    only = {key for key, _ in spans} - left_out
    pats = [re.compile(r"\b" + re.escape(n) + r"\b", re.I) for n in general.names]
    found: list[tuple[str, Candidate]] = []
    for doc in (d for d in general.docs if d.startswith("profiles/")):
        key = doc.removeprefix("profiles/").removesuffix(".md")
        if key in left_out or (only and key not in only):
            continue
        chunks = [Passage(chunk=c, score=0.0) for c in doc_chunks(doc) if any(p.search(c.text) for p in pats)]
        best = next((c for c in _candidates(intent, chunks, idf) if any(p.search(c.shown) for p in pats)), None)
        if best is not None:
            found.append((country_name(key), best))
    if len(found) < 2:
        return "", []
    return (f"The country profiles that discuss {general.name.lower()}"
            f"{' (leaving out ' + ' and '.join(country_name(k) for k in sorted(left_out)) + ')' if left_out else ''}"
            f": {_and([n for n, _ in found])}.", [c for _, c in found])


_OWNED = re.compile(rf"\b({'|'.join((*THING, *GROUP))})\b", re.I)  # a pronoun for what was named before
_OPENING = re.compile(r"^[^,?]{0,60},\s*")  # an opening phrase set off by a comma ("Besides China, …")
_ASKS_WHERE = re.compile(r"^\W*(?:[^,]{0,60},\s*)?where\b", re.I)


def amount_first(chosen: list[Candidate]) -> list[Candidate]:
    """Asked how much or how many, the answer opens with the first chosen sentence that gives an amount (a number
    that is not a year): a sentence giving only dates cannot answer it."""
    at = next((i for i, c in enumerate(chosen) if _NUMBER.search(YEAR.sub("", c.shown))), 0)
    return [chosen[at], *chosen[:at], *chosen[at + 1:]] if at else chosen


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
    cited = {(c.chunk_id, c.verbatim) for c in book.items}
    summary = intent.type == "entity" and bool(lead)
    names = [re.compile(rf"\b{re.escape(n)}\b", re.I) for n in intent.entities[0].names] \
        if intent.type == "entity" and intent.entities else []

    def candidates(question: str, part: bool = False) -> list[Candidate]:
        found = _candidates(replace(intent, question=question), passages, idf)
        # What the lead cites is not repeated but for one part of a question, or after a summary in other words.
        found = [c for c in found if (c.passage.chunk.id, c.sent.strip()) not in cited or checklists or part or summary]
        # Points about a named entity name it (by any of its names). A sentence that carries on from one naming
        # it ("Longonjo lies in Huambo… Pensana holds 84% of…") speaks of it too.
        return [c for c in found if any(p.search(c.shown) or p.search(c.before) for p in names)] if names else found

    cands = candidates(intent.question)
    firsts = _each_asked(intent, cands, lambda part: candidates(part, part=True))
    places_line, in_places = ("", []) if checklists else places_discussing(intent, doc_chunks, idf)
    if places_line:  # the places first, each by its sentence, however many there are
        lead = lead + [places_line]
        firsts = in_places + [c for c in firsts if all(c.sent != p.sent for p in in_places)]
    if not checklists:
        # Figures for several countries asked about side by side come first, from one table where one holds them.
        line, used = table_comparison(intent, cands, book)
        if line:
            lead = lead + [line]
            cands = [c for c in cands if c not in used]
            firsts = [c for c in firsts if all(c.sent != u.sent for u in used)]
    # The lead and at most MAX_POINTS supporting points; without a lead, the best sentence leads.
    room = max(0, min(MAX_POINTS + (0 if lead else 1), max_sentences - len(lead)), len(in_places))
    already = [frozenset(terms(x)) for x in lead]
    points = []
    firsts = firsts[:room]
    rest = [c for c in cands if all(c.sent != f.sent for f in firsts)]
    chosen = firsts + select(rest, room + 3, already + [f.terms for f in firsts])
    if not lead and asks_quantity(intent.question):
        chosen = amount_first(chosen)
    for c in chosen:
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
