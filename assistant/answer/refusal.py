"""Whether to answer, decided in one place: a question outside the corpus's subject, one that names what no
document mentions, or one the retrieved passages do not answer is refused, with a typed reason and a text that
says what to do instead. Nothing else in the package refuses."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from assistant.answer.answering import wording
from assistant.answer.citations import PROPER_NAME, STOP, CitationBook, sentences, strip_markers, terms
from assistant.knowledge.chunking import units
from assistant.knowledge.taxonomy import DOMAIN_NAME, YEAR, country_names, find_countries, has_domain_words
from assistant.types import Passage
from assistant.understand.grammar import INFINITIVE
from assistant.understand.names import NAME_RUN, sentence_case
from assistant.understand.query import Intent
from assistant.understand.words import FRAMING, is_common, is_english, misspells_common

if TYPE_CHECKING:
    from assistant.answer.evidence import Evidence
    from assistant.understand.reading import Reading

# The refusal's constants, relative to the similarity floor (`Settings.answer.min_similarity`):
NOTHING_CLOSE = 0.6  # under this share of the floor, no retrieved passage is close to the question at all
CLOSE_IN_MEANING = 2.0  # at this multiple of the floor, a passage is close enough to outweigh weak word coverage
SUBJECT_SHARE = 0.5  # a passage must hold more than this share of the question's subject words
# A word general English uses this often (Zipf scale: ten uses in ten thousand words; "big", "anyone", "else")
# can phrase a question about anything, so the corpus not using it says nothing about what the question asks.
ANY_SUBJECT = 5.0


SCOPE = ("REE Assistant answers from its corpus on rare-earth supply chains (value-chain stages, countries, "
         "companies, policy and market facts); try rephrasing, or ask about a country or stage.")
NOT_COVERED = "The documents do not cover this. " + SCOPE
NOT_FACTS = ("REE Assistant answers factual questions from its documents on rare-earth supply chains; it does not "
             "write creative pieces, give advice or talk about other subjects. Ask about a country, company, stage "
             "or figure.")
OFF_SUBJECT = "The documents cover rare-earth supply chains, not {subject}. " + SCOPE
NO_FORECAST = ("No document says anything about {years}: the documents hold dated figures and the plans they "
               "report, not forecasts of their own. Ask for the latest figure, or for what is planned and by when.")
NO_YEAR = "No document gives anything for {years}. Ask for a year the documents cover, or for the latest figure."


def coverage(question: str, passages: list[Passage], known: Callable[[str], bool] | None = None) -> float:
    """The largest share of the question's subject words that any one retrieved passage holds: an answer rests
    on a passage about what was asked, not on words scattered over several. Years are checked on their own, and
    words no document uses at all are wording, not a subject the passages could hold."""
    focus = {t for t in terms(question) - wording(question) if not YEAR.fullmatch(t) and (known is None or known(t))}
    if not focus:
        return 1.0
    best = 0.0
    for p in passages:
        seen = terms(p.chunk.text + " " + str(p.chunk.meta.get("title", "")) + " " + p.chunk.section)
        best = max(best, len(focus & seen) / len(focus))
    return best


def unknown_names(question: str, known: Callable[[str], bool], named: set[str] | None = None) -> list[str]:
    """Capitalised words (names) in the question that no indexed document contains and that are not a close
    match of a known country or entity (`named`: the words already recognised as names)."""
    out = []
    folded = {n.casefold() for n in named or ()}
    for m in [*PROPER_NAME.finditer(question.strip()), *_INNER_CAPITAL.finditer(question), *_acronyms(question)]:
        word = m.group(1).removesuffix("'s").rstrip("'")
        if word.casefold() in folded:
            continue
        stems = terms(word)
        if stems and not any(known(t) for t in stems):
            out.append(word)
    return out


def unheld_names(question: str, passages: list[Passage], named: set[str] | None = None) -> list[str]:
    """Names of two or more capitalised words inside a question written in sentence case ("the Round Top
    deposit") that no retrieved passage holds: each word may be known, the name is not. A word already
    recognised as a name (`named`) or written as a possessive ends a name ("China's April 2025 rules")."""
    body = question.strip()
    if not sentence_case(body):
        return []
    texts = [_flat(p.chunk.text) for p in passages]
    out = []
    for m in NAME_RUN.finditer(body):
        pieces: list[list[str]] = [[]]
        for word in m.group(0).split():
            bare = re.sub(r"['’]s?$", "", word)
            if named and bare in named:
                pieces.append([])
                continue
            pieces[-1].append(bare)
            if bare != word:
                pieces.append([])
        for piece in (p for p in pieces if len(p) >= 2):
            if not any(_flat(" ".join(piece)) in t for t in texts):
                out.append(" ".join(piece))
    return out


def _flat(text: str) -> str:
    return " ".join(re.sub(r"[-‐–—]", " ", text.lower()).split())


# A name written with a capital inside a lower-case word ("iPhone", "eBay") is a name too.
_INNER_CAPITAL = re.compile(r"\b([a-z]+[A-Z][\w'-]*)\b")
# So is one written in capitals ("BHP", "BYD"), wherever it stands, in a question not itself written in capitals.
_ACRONYM = re.compile(r"(?<![\w&.])([A-Z][A-Z0-9]+)(?:'s|s)?(?![\w&.])")


def _acronyms(question: str) -> list[re.Match[str]]:
    letters = [c for c in question if c.isalpha()]
    if sum(c.isupper() for c in letters) * 2 > len(letters):
        return []
    return list(_ACRONYM.finditer(question))
# What frames a question rather than asking it: an opening clause set off by a comma or colon ("Just curious,",
# "Quick one:"), words before the question word of an embedded question ("I'm wondering what…"), and a short
# closing phrase set off by a comma ("…, folks?").
_OPENING = re.compile(r"^[^,:;?]{0,40}[,:;]\s+")
_EMBEDDED = re.compile(r"^.*?\b(?=(?:what|which|who|whom|whose|when|where|why|how|whether|if)\b)", re.I)
_ASKS = re.compile(r"\W*(?:what|which|who|whom|whose|when|where|why|how|is|are|was|were|do|does|did|can|could|"
                   r"will|would|has|have|had|should)\b", re.I)
_CLOSING = re.compile(r",\s*(?:\w+\s*){1,2}[?.!]*\s*$")


def question_proper(question: str) -> str:
    """The question with what frames it taken away (a closing vocative, an opening aside, the words before an
    embedded question); a question that opens with its question word keeps its opening."""
    text = _CLOSING.sub("", question.strip())
    if _ASKS.match(text):
        return text
    text = _OPENING.sub("", text, count=1)
    return text if _ASKS.match(text) else _EMBEDDED.sub("", text, count=1)


def unused_words(question: str, known: Callable[[str], bool]) -> list[str]:
    """The English words of the question proper that no indexed document uses, leaving out names (capitalised
    words after the first, judged by `unknown_names`) and the words general English uses so often
    (`ANY_SUBJECT`) that they phrase a question about anything: what the question asks about, where the corpus
    has nothing ("How are crypto gains taxed in Germany?", "Can you recommend a hotel in Kuantan?")."""
    out = []
    proper = question_proper(question)
    for i, m in enumerate(re.finditer(r"[A-Za-z][A-Za-z']*", proper)):
        word = m.group(0)
        base = word.lower().removesuffix("'s").strip("'")
        if (i and word[0].isupper()) or base in STOP or not base.isalpha() or not is_english(base) or is_common(
                base, ANY_SUBJECT) or misspells_common(base, ANY_SUBJECT):  # (a contraction, "don't", is grammar;
            continue  # a slip of the keys, "wat", phrases the question as the word it misses)
        if base.endswith(("ed", "ing")) and INFINITIVE.match(proper, m.end()):
            continue  # a participle that governs an infinitive ("supposed to open") phrases what follows it
        stems = terms(base)
        if stems and not any(known(t) for t in stems):
            out.append(base)
    return out


def not_covered(unknown: list[str] | None = None) -> str:
    """The refusal text; names the words no document contains, when that is the reason."""
    if not unknown:
        return NOT_COVERED
    return f"The documents do not mention {', '.join(unknown)}. " + SCOPE


def weak_evidence(intent: Intent, passages: list[Passage], best_similarity: float, min_similarity: float,
                  corpus_years: set[int], known: Callable[[str], bool], known_countries: set[str]) -> bool:
    """The passages do not answer the question: nothing retrieved or nothing similar at all; a year no document
    mentions, past or to come (the documents hold no figure or forecast for it; a future year they do mention,
    such as a plan's 2030, is answered with what they say and the latest figure); no domain word and no close
    passage; or, for a question that names no known country, entity or element, no one passage holding more than
    half of its subject and none close in meaning."""
    if not passages:
        return True
    # A question naming people or things the documents name (every name known: "Who was Karl Strnat?") is
    # answered where a retrieved passage names them all, however far its wording is from theirs.
    names = [m.group(1).removesuffix("'s") for m in PROPER_NAME.finditer(intent.question.strip())]
    if names and all(any(known(t) for t in terms(n)) for n in names) and any(
            all(n.lower() in p.chunk.text.lower() for n in names) for p in passages):
        return False
    if best_similarity < min_similarity * NOTHING_CLOSE:
        return True
    years = set(intent.years)
    if years and not years & corpus_years:  # a year no document mentions, past or future (no forecast for it)
        return True
    # A question naming what the corpus knows (a country it covers, named or carried from the conversation, an
    # entity, an element) is answered from the best passages about it.
    if set(intent.countries + intent.places) & known_countries or intent.entities or intent.elements:
        return False
    if not has_domain_words(intent.question) and best_similarity < min_similarity:
        return True
    # Weak word coverage is outweighed by a passage that is close in meaning (twice the similarity floor).
    return (coverage(intent.question, passages, known) <= SUBJECT_SHARE
            and best_similarity < CLOSE_IN_MEANING * min_similarity)

def unprofiled_records(countries: list[str], matched: int, profiled: set[str]) -> Refusal | None:
    """A query over the records that matches nothing, placed only in countries no profile covers, is no finding
    of "none" but a place the documents do not cover ("What rare-earth projects does Argentina have?")."""
    if matched or not countries or set(countries) & profiled:
        return None
    names = tuple(country_names(c)[0] for c in countries)
    return Refusal("unknown_names", f"The documents hold no profile of {' or '.join(names)}, so the records say "
                                    f"nothing about it. " + SCOPE, names)


def conversation_may_answer(reading: Reading, refusal: Refusal, known: Callable[[str], bool]) -> bool:
    """Whether a refused question may be read once more about what the conversation named last: one that names
    nothing of its own (no country, entity or place) and nothing no document mentions, refused because the
    passages do not answer it or because it reads as no question of facts ("who's buying the concentrate?")."""
    intent = reading.intent
    if refusal.reason not in ("weak_evidence", "not_facts") or intent.followup or intent.off_subject:
        return False
    if intent.countries or intent.entities or intent.places:
        return False
    return not (unknown_names(reading.question, known) or unused_words(reading.question, known))


# How a sentence of the corpus says what its sources do not hold: a negation and the sources (or the corpus) in
# one clause ("no official 2025 quota figure is available in the sources checked", "our sources do not say").
_SOURCES_SILENT = re.compile(r"\b(?:no|not|none|neither|n't)\b.*\b(?:sources?|corpus)\b|"
                             r"\b(?:sources?|corpus)\b.*\b(?:no|not|none|n't)\b", re.I)
_FIGURE = re.compile(r"\d")
# A sentence that says what its sources give none of, and what that is (group 1): "the sources … give no capital
# cost for it", "no official figure is available in the sources", "our sources do not give the plant's cost".
_GIVE_NONE = re.compile(r"\bsources?\b[^.;:]{0,40}?\b(?:gives?|gave|holds?|reports?|lists?|provides?|contains?|"
                        r"states?)\s+no\s+([^.;:]+)|\bno\s+([^.;:]{3,80}?)\s+(?:is|are|was|were)\s+(?:available|"
                        r"given|reported|disclosed|found)\s+in\s+(?:the|our)\s+sources\b|([^.;:]{3,80}?)\s+(?:is|are|"
                        r"was|were)\s+not\s+(?:available|given|reported|disclosed|found)\s+in\s+(?:the|our)\s+sources\b|"
                        r"\bsources?\b[^.;:]{0,40}?\b(?:do|does|did)\s+not\s+(?:give|report|state|disclose|list)\s+"
                        r"([^.;:]+)|\bno\s+sources?\s+(?:giving|reporting|that\s+gives?)\s+([^.;:]+)", re.I)
# A question asking for a name or a place (which, who, where, is there): that the sources hold none is its answer.
_ASKS_WHICH = re.compile(r"^\W*(which|who|whose|whom|where|(is|are)\s+there)\b", re.I)


def documents_silent(intent: Intent, text: str, passages: list[Passage], book: CitationBook) -> Refusal | None:
    """A question the documents say they do not answer is refused with the sentence that says so, cited:
    - one asking for a figure whose answer opens by saying, in its main clause, that the documents' sources give
      none ("As a result, no official 2025 quota figure is available in the sources checked [1].");
    - any question but a verdict, what a named thing is, or which thing (or who, or where: that the sources hold
      none is the answer), where a sentence of the passages read, about the thing asked (naming it, or carrying
      on from a sentence that does), says the sources give none of two or more of the words the question asks
      about ("The sources found for this primer give no capital cost for it."), and no sentence about it gives
      those with a figure.
    A main clause is a sentence up to its first semicolon, colon or bracket; a silent one states no figure but a
    year. (Asked about one word, "none in our sources" is a finding: "No metal plant exists in Angola in our
    sources.")"""
    if intent.wants_checklist or intent.type == "entity":
        return None
    lead = next((text[a:b] for a, b in units(text)), "")
    if intent.type == "numeric" and _says_silent(lead):
        return _silent(lead, tuple(int(n) for n in re.findall(r"\[(\d+)\]", lead)))
    if _ASKS_WHICH.match(intent.question):
        return None
    names = [n for e in intent.entities for n in e.names] + [n for c in intent.countries for n in country_names(c)]
    named = {t for n in names for t in terms(n)}
    asked = terms(intent.question) - wording(intent.question, FRAMING) - named - terms(DOMAIN_NAME)
    thing = re.compile("|".join(rf"\b{re.escape(n)}\b" for n in names), re.I) if names else None
    # Each sentence of the passages read that is about the thing asked: it names it, or the one before does.
    about = [(p, sent, strip_markers(sent)) for p in passages for sents in [sentences(p.chunk)]
             for i, sent in enumerate(sents)
             if thing is None or thing.search(sent if i == 0 else sents[i - 1] + " " + sent)]
    for p, sent, plain in about:
        said = _GIVE_NONE.search(plain)
        measure = terms(next(g for g in said.groups() if g)) & asked if said else set()
        if len(measure) >= 2 and _says_silent(plain) and not any(
                measure <= terms(other) and _FIGURE.search(YEAR.sub("", other))
                for _, _, other in about if other != plain):
            n = book.cite(p.chunk, sent)
            return _silent(f"{plain.rstrip('.')} [{n}].", (n,))
    return None


def _says_silent(sentence: str) -> bool:
    head = re.split(r"[;:(\[]", sentence, maxsplit=1)[0]
    return _SOURCES_SILENT.search(head) is not None and not _FIGURE.search(YEAR.sub("", head))


def _silent(sentence: str, cites: tuple[int, ...]) -> Refusal:
    return Refusal("documents_silent", f"The documents say they do not hold this: {sentence}", cites=cites)


RefusalReason = Literal["documents_silent", "not_facts", "off_subject", "unknown_names", "weak_evidence"]


@dataclass(frozen=True)
class Refusal:
    """Why a question is not answered (`reason`), and what the reader is told (`text`)."""

    reason: RefusalReason
    text: str
    names: tuple[str, ...] = ()  # unknown_names: the words no document contains
    cites: tuple[int, ...] = ()  # documents_silent: the citations of the sentence it quotes


def _countries(reading: Reading) -> list[str]:
    """Every country the question names, also one that only places it ("…sell NdPr to Mexico?")."""
    return list(dict.fromkeys([*reading.intent.countries, *find_countries(reading.question)]))


def known_countries(reading: Reading, keywords: Any, profiled: set[str]) -> set[str]:
    """The countries and places of the question that have a profile or that a document names by any name."""
    return {c for c in [*_countries(reading), *reading.intent.places]
            if c in profiled or any(all(keywords.knows(t) for t in terms(n)) for n in country_names(c))}


def unknown_subject(reading: Reading, keywords: Any, profiled: set[str], evidence: Evidence | None = None
                    ) -> Refusal | None:
    """The refusal for a question about what no document names: every country it names (also one that only
    places it) unknown, or a name no document contains; None where the documents know what it asks about. Without
    `evidence` (a query over the records, answered without passages) only the words of the question are read."""
    intent = reading.intent
    countries = _countries(reading)
    known = known_countries(reading, keywords, profiled)
    named = set(intent.corrected) | {w for e in intent.entities for n in e.names for w in n.split()} | {
        w for c in known for n in country_names(c) for w in n.split()}
    # A question about countries that no document so much as names cannot be answered from the documents, with
    # a checklist or without one ("Does Peru mine rare earths?"), nor can one that places a thing the documents
    # know in such a country ("Does Lynas sell NdPr to Mexico?").
    unknown_countries = [c for c in countries if c not in known]
    if countries and len(unknown_countries) == len(countries):
        names = tuple(country_names(c)[0] for c in unknown_countries)
        return Refusal("unknown_names", not_covered(list(names)), names)
    # A named company, site, agency or policy places the question, and a name beside it that no document holds
    # (a person, a metonym: "Canberra") is left to the passages about it; a product ("NdFeB magnet") places
    # nothing ("How many neodymium magnets are inside an iPhone 15?").
    # A word of a name no document contains is refused beside a known country too: the country's checklist would
    # answer a question about another thing ("Has Acme's Riverton plant in the US started making magnets?").
    if not any(e.kind != "product" for e in intent.entities):
        # (a publisher with documents of its own in the index, "according to the USGS", is where to look, not a
        # subject, as is a region the records know, "in Oceania"; any publisher named is, for a name of several
        # words)
        publisher = set((reading.publisher or "").split())
        if evidence is not None and evidence.publisher_indexed:
            named |= {w for n in reading.source_names for w in n.split()} | publisher
        named |= set((reading.query.region or "").split() if reading.query is not None else ())
        strangers = unknown_names(reading.question, keywords.knows, named) or (
            evidence is not None and not evidence.checklists and unheld_names(reading.question, evidence.passages,
                                                                              named | publisher))
        if strangers:
            return Refusal("unknown_names", not_covered(strangers), tuple(strangers))
    return None


def decide(reading: Reading, evidence: Evidence | None, min_similarity: float, keywords: Any,
           profiled: set[str]) -> Refusal | None:
    """The refusal for a question as read, given the evidence found for it (None: not searched, for a question
    read as out of scope), or None to answer. A country is known when it has a profile or a document names it by
    any of its names; a checklist question or one about a named entity rests on what is recorded about it."""
    intent = reading.intent
    if intent.type == "out_of_scope" or evidence is None:
        if intent.off_subject:
            return Refusal("off_subject", OFF_SUBJECT.format(subject=intent.off_subject))
        # (a question, not a request, about names no document holds is told that, not that it asks no facts; a
        # question opens with its question word or an auxiliary, `_ASKS`)
        if _ASKS.match(reading.question) and (names := unknown_names(reading.question, keywords.knows)):
            return Refusal("unknown_names", not_covered(names), tuple(names))
        return Refusal("not_facts", NOT_FACTS)
    if (stranger := unknown_subject(reading, keywords, profiled, evidence)) is not None:
        return stranger
    # A question that names no entity, element or stage and uses no word of the domain, asking about something no
    # document mentions, is outside the corpus however well its places are known ("How are crypto gains taxed in
    # Germany?"): its checklist or passages would answer a question it did not ask.
    if not (any(e.kind != "place" for e in intent.entities) or intent.elements or intent.stages
            or has_domain_words(reading.question)):
        unused = unused_words(reading.question, keywords.knows)
        if unused:
            return Refusal("unknown_names", not_covered(unused), tuple(unused))
    if evidence.checklists or (intent.type == "entity" and intent.entities):
        return None
    if weak_evidence(intent, evidence.passages, evidence.best, min_similarity, keywords.years, keywords.knows,
                     known_countries(reading, keywords, profiled)):
        unmentioned = sorted(set(intent.years) - set(keywords.years))
        if unmentioned and len(unmentioned) == len(set(intent.years)):
            ahead = min(unmentioned) > max(keywords.years, default=0)
            return Refusal("weak_evidence", (NO_FORECAST if ahead else NO_YEAR).format(
                years=" or ".join(map(str, unmentioned))))
        return Refusal("weak_evidence", NOT_COVERED)
    return None


__all__ = ["NOT_COVERED", "NOT_FACTS", "OFF_SUBJECT", "Refusal", "RefusalReason", "conversation_may_answer",
           "coverage", "decide", "documents_silent", "not_covered", "question_proper", "unheld_names", "unknown_names",
           "unknown_subject", "unprofiled_records", "unused_words", "weak_evidence"]
