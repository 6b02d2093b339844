"""The grammar a question's query over records is read with: years and amounts that bound it, how many it asks
for, whether it asks for members, an order or an extreme, the region and support programmes it names.

Rules of grammar and the domain's vocabulary (knowledge/taxonomy.py), never phrasings of particular questions;
the kind of query itself comes from the labelled examples (understand/records.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from assistant.knowledge.chunking import units
from assistant.knowledge.taxonomy import (
    COMPANY_WORDS,
    COUNTRY_WORDS,
    MEASURE_WORDS,
    MILESTONE_WORDS,
    SITE_WORDS,
    SMALLEST_WORDS,
    SUPPORT_WORDS,
    country_names,
    country_spans,
)
from assistant.understand.words import is_common

# Grammar: a country after one of these prepositions is left out of the answer ("outside China").
_EXCLUDING = re.compile(r"\b(outside( of)?|except( for)?|excluding|other than|besides|apart from|beyond|without|"
                        r"not counting|ignoring|leaving( out)?|setting( aside)?|putting( aside)?|ex)\s+(the\s+)?$",
                        re.I)
_NUMBER_WORDS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve "
                                            "thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty"
                                            .split())}
# A count before a plural noun or after "top"/"first" asks for that many ("the top five", "three largest").
_LIMIT = re.compile(r"\b(?:top|first|leading|biggest|largest)\s+(\d{1,2}|[a-z]+)\b|\b(\d{1,2}|[a-z]+)\s+"
                    r"(?:largest|biggest|leading|top|main|major)\b", re.I)


# Grammar: a preposition before a year bounds the years asked ("since 2022", "before 2020", "by 2027"), and two
# years joined by "and"/"to" after "between"/"from" give a range.
_YEAR = r"((?:19|20)\d{2})"
_QUALIFIER = r"(?:(?:the|its|their)\s+)?(?:(?:end|start|beginning|middle)\s+of\s+|early\s+|late\s+|mid-?\s*)?"
_BETWEEN = re.compile(rf"\b(?:between|from)\s+{_QUALIFIER}{_YEAR}\s+(?:and|to|until|through)\s+{_QUALIFIER}{_YEAR}\b",
                      re.I)
_BOUND = re.compile(rf"\b(since|from|after|before|by|until|till|through|up to)\s+{_QUALIFIER}{_YEAR}\b", re.I)


def year_bounds(question: str) -> tuple[int | None, int | None, set[int]]:
    """The first and last year asked (inclusive, None where open) and the years that are bounds, not years asked
    exactly: "between 2023 and 2025" (2023, 2025), "since 2022" (2022, None), "before 2020" (None, 2019)."""
    if m := _BETWEEN.search(question):
        a, b = sorted((int(m.group(1)), int(m.group(2))))
        return a, b, {a, b}
    lo = hi = None
    bounds: set[int] = set()
    for m in _BOUND.finditer(question):
        word, year = m.group(1).lower(), int(m.group(2))
        bounds.add(year)
        if word in ("since", "from"):
            lo = year
        elif word == "after":
            lo = year + 1
        elif word == "before":
            hi = year - 1
        else:  # by, until, till, through, up to
            hi = year
    return lo, hi, bounds


# Grammar: a comparative before an amount of tonnes bounds the figures asked ("at least 10,000 t", "under one
# million tonnes"); a bare four-digit year after it is a year bound, not an amount.
_AT_LEAST = r"at least|more than|over|above|greater than|exceeding|upwards of|no less than"
_AT_MOST = r"at most|less than|under|below|fewer than|no more than|up to"
_AMOUNT = re.compile(rf"\b({_AT_LEAST}|{_AT_MOST})\s+(\d[\d,]*(?:\.\d+)?|[a-z]+)\s*(million|thousand|m|kt|mt)?\s*"
                     r"(t|tonnes?|tons?)?\b", re.I)


# An interrogative that asks for an amount: how much or how many of something, or what share of a whole (after at
# most an opening phrase set off by a comma and a few words: "Under India's scheme, how many…").
_ASKS_QUANTITY = re.compile(r"^\W*(?:[^,?]{0,80},\s*)?(?:[\w'’]+\s+){0,6}?(?:how\s+(?:much|many)|"
                            r"what\s+(?:share|percentage|proportion|fraction|amount|quantity|volume|tonnage))\b", re.I)


def asks_quantity(question: str) -> bool:
    """Whether the question (its first part) asks for an amount, which a date alone does not give."""
    parts = question_parts(question)
    return bool(_ASKS_QUANTITY.match(parts[0] if parts else question))


def amount_bounds(question: str) -> tuple[float | None, float | None]:
    """The least and most tonnes the question allows (inclusive bounds; None where open)."""
    low = high = None
    for m in _AMOUNT.finditer(question):
        word, number, scale, unit = m.group(1).lower(), m.group(2).lower(), (m.group(3) or "").lower(), m.group(4)
        value = float(number.replace(",", "")) if number[0].isdigit() else _NUMBER_WORDS.get(number)
        if value is None or (not (scale or unit) and (value < 100 or re.fullmatch(r"(19|20)\d\d", number))):
            continue  # "over 2020", "more than two": not an amount of tonnes
        value *= {"million": 1e6, "m": 1e6, "mt": 1e6, "thousand": 1e3, "kt": 1e3}.get(scale, 1.0)
        if re.fullmatch(_AT_LEAST, word):
            low = value
        else:
            high = value
    return low, high


def milestone_named(question: str) -> str | None:
    """The kind of milestone the question's words name (construction, a licence, financing ...), output last."""
    return next((k for k, words in MILESTONE_WORDS.items() if has_any(question, words)), None)


def basis_named(question: str, bases: dict[str, tuple[str, ...]], sites: Iterable[str] = ()) -> list[str]:
    """The bases a figure is asked on: those of the basis word the question names last, since the unit follows
    the measure it qualifies ("the largest ore reserve in contained oxide" asks for oxide). A basis word before
    a noun for a site names the kind of site ("the largest magnet plant"), not the basis."""
    words = words_of(question)
    kept = [w for i, w in enumerate(words) if not (i + 1 < len(words) and words[i + 1] in set(sites))]
    low = " " + " ".join(kept) + " "
    at = {b: max((low.rfind(f" {w}") for w in words), default=-1) for b, words in bases.items()}
    last = max(at.values(), default=-1)
    return [b for b, i in at.items() if i >= 0 and i == last]


_CONTRAST = re.compile(r"\b(as opposed to|rather than|instead of|not just|not only|but not|unlike|not merely)\b"
                       r"[^,.;?!]*", re.I)


_LEFT_OUT = re.compile(r"\b(leave out|leaving out|leave aside|excluding|except( for)?|not counting|ignoring|other than|"
                       r"apart from|besides)\b[^,.;?!]*", re.I)


def without_left_out(question: str) -> str:
    """The question without what it leaves out ("Leave out by-product scandium", "excluding China"): what is
    named there is not what is asked about."""
    return _LEFT_OUT.sub(" ", question)


def without_contrast(question: str) -> str:
    """The question without what it sets its subject against ("recycling today, as opposed to only planning
    it"): a status or phase named there is what is not asked for."""
    return _CONTRAST.sub(" ", question)


def without_phrases(text: str, phrases: Iterable[str]) -> str:
    """The text with each of these phrases (multi-word ones only) blanked out."""
    for phrase in phrases:
        if " " in phrase:
            text = re.sub(rf"\b{re.escape(phrase)}\b", " ", text, flags=re.I)
    return text


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:[-/][a-z0-9]+)*", text.lower())


def has_any(text: str, vocabulary: Iterable[str]) -> bool:
    """A vocabulary entry appears as a word or phrase, in any inflection (a prefix of a word)."""
    low = " " + " ".join(words_of(text)) + " "
    return any(f" {w}" in low for w in vocabulary)


def _number(token: str) -> int | None:
    token = token.lower()
    return int(token) if token.isdigit() else _NUMBER_WORDS.get(token)


_ORDINALS = {"second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9,
             "tenth": 10, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "6th": 6, "7th": 7, "8th": 8, "9th": 9, "10th": 10}
_PLACE = re.compile(rf"\b({'|'.join(_ORDINALS)})[\s-]+(?:largest|biggest|smallest|highest|lowest|most|least|"
                    r"leading|top|oldest|newest)\b", re.I)


def place_asked(question: str) -> int | None:
    """The place in an order an ordinal before a superlative asks for ("the second-largest reserves": 2)."""
    m = _PLACE.search(question)
    return _ORDINALS[m.group(1).lower()] if m else None


def how_many_asked(question: str) -> int | None:
    """How many are asked for: a count after "top"/"first" or before "largest", or before a plural noun for
    countries or sites ("the three countries with…", "5 biggest plants")."""
    for m in _LIMIT.finditer(question):
        if n := _number(m.group(1) or m.group(2) or ""):
            return n
    words = words_of(question)
    for i, w in enumerate(words):
        if (n := _number(w)) and any(x in COUNTRY_WORDS + SITE_WORDS and x.endswith("s") for x in words[i + 1:i + 3]):
            return n
    return None


_ORDERS = re.compile(r"^\W*(rank|order|sort)\b", re.I)  # an imperative of ordering asks for a ranking
# An interrogative that opens a clause, after a preposition where one leads ("In how many countries…").
# (a request may come first: "Can you list…", "Please name…")
_OPENS_SET = re.compile(r"(?:(?:(?:can|could|would|will) you|please)\s+(?:please\s+)?)?"
                        r"(?:(?:in|of|for|from|among|at|to|with|by|across)\s+)?\b(which|what|name|list|how many)\b",
                        re.I)
_SUPERLATIVE = re.compile(r"\b(largest|biggest|smallest|highest|lowest|most|least|fewest|leading|first|top|fastest|"
                          r"tiniest|minimum|oldest|longest|earliest|newest|youngest)\b",
                          re.I)


def _clauses(question: str) -> list[str]:
    """The question's clauses: split at sentence ends, semicolons and the comma after an opening phrase."""
    return [c for c in re.split(r"[.?!;:,]\s+", question) if c.strip()]


# A clause joined by "and" that opens with a question word asks a question of its own ("Who owns Tanbreez and when
# does mining start?"); so does each sentence of a question of several sentences.
_PART_JOIN = re.compile(r",?\s+\band\s+(?=(?:since when|what|when|where|who|whom|whose|why|how|which)\b)|;\s+", re.I)


def question_parts(question: str) -> list[str]:
    """The questions one question asks: its sentences, each split again where "and" (or a semicolon) opens a
    clause with a question word. One part when it asks one thing."""
    text = question.strip()
    parts = [p.strip(" ,;") for s, e in units(text) for p in _PART_JOIN.split(text[s:e])]
    return [p for p in parts if p] or [question]


def _superlatives(pattern: re.Pattern[str], question: str) -> list[re.Match[str]]:
    """The superlatives the question uses, leaving out one written with a capital inside a sentence: that is part
    of a name ("the Round Top deposit", "Top End"), not a degree."""
    return [m for m in pattern.finditer(question)
            if not (m.group(0)[0].isupper() and question[:m.start()].rstrip() and
                    question[:m.start()].rstrip()[-1] not in ".?!:;")]


def smallest_first(question: str) -> bool:
    """The first superlative the question uses (amounts aside: "at least 10,000 t") puts the smallest first."""
    first = next(iter(_superlatives(_SUPERLATIVE, _AMOUNT.sub(" ", question))), None)
    return first is not None and first.group(1).lower() in SMALLEST_WORDS


# Superlatives of degree: asked of a set ("Which countries mined the most?") they ask for its order.
_DEGREE = re.compile(r"\b(most|least|largest|biggest|smallest|highest|lowest|fewest|oldest|newest|earliest|"
                     r"longest)\b", re.I)


COMPARING = re.compile(r"\b(compar\w*|versus|vs\.?|than|against|both|differ\w*|side by side)\b", re.I)
_COMPARATIVE = re.compile(r"\b(larger|bigger|greater|higher|smaller|lower|more|less|fewer)\b", re.I)


def compares(question: str) -> bool:
    """A comparative of amount ("larger", "more", "fewer") or a word that sets things side by side ("compare",
    "versus", "than"): with two or more countries and a measure, the countries are ranked by it."""
    return bool(_COMPARATIVE.search(question) or COMPARING.search(question))


def asks_degree(question: str) -> bool:
    """A superlative of degree, amounts aside ("at least 10,000 t" asks for no order)."""
    return bool(_superlatives(_DEGREE, _AMOUNT.sub(" ", question)))


def orders(question: str) -> bool:
    """A clause opens with an imperative of ordering ("Rank the…", "…, sort them by…")."""
    return any(_ORDERS.match(c) for c in _clauses(question))


# The nouns for the value chain's stages, counted or listed for one country ("How many stages does X run?").
STAGE_NOUNS = ("stages", "steps", "links", "parts")


def members_kind(question: str, nouns: Iterable[str] = COUNTRY_WORDS + SITE_WORDS) -> str | None:
    """"set" or "count" when a clause opens by asking for members of a set of countries or sites (or of other
    `nouns`): an interrogative, then within six words a plural noun for them ("Which African countries…",
    "Apart from China, which countries…", "List the countries and the plants")."""
    nouns = tuple(nouns)
    for clause in _clauses(question):
        opening = _OPENS_SET.match(clause.strip())
        if opening is None:
            continue
        head = words_of(clause.strip()[opening.end():].replace("-", " "))[:6]
        if any(w in nouns and w.endswith("s") for w in head):
            return "count" if opening.group(1).lower() == "how many" else "set"
    return None


def asks_one(question: str) -> bool:
    """A clause opens by asking for one country or site: an interrogative, then within three words a singular noun
    for countries or sites ("Which country…", "What African plant…")."""
    for clause in _clauses(question):
        opening = _OPENS_SET.match(clause.strip())
        # the domain's own name ("rare earth", "rare-earth") qualifies nothing: it is not counted as a word
        rest = re.sub(r"\brare[\s-]earths?\b", " ", clause.strip()[opening.end():], flags=re.I) if opening else ""
        head = words_of(rest)[:3]
        if any(w in COUNTRY_WORDS + SITE_WORDS and not w.endswith("s") for w in head):
            return True
    return False


def asks_extreme(question: str) -> bool:
    """A superlative before, within four words, a noun for countries or sites or a measure asks for an extreme
    ("the largest operating separation plant", "smallest reserve figure"); so does any superlative in a question
    that asks for one country or site ("Which country mined the most in 2024?")."""
    found = _superlatives(_SUPERLATIVE, question)
    if found and asks_one(question):
        return True
    for m in found:
        after = " ".join(words_of(question[m.end():])[:4])
        if any(w in COUNTRY_WORDS + SITE_WORDS for w in after.split()) or any(
                f" {v}" in f" {after}" for vs in MEASURE_WORDS.values() for v in vs):
            return True
    return False


# "to" and a verb: an infinitive ("supposed to open", "ability to separate").
INFINITIVE = re.compile(r"\s+to\s+[a-z]", re.I)
_AFTER = re.compile(r"\bafter\s+(the\s+)?$", re.I)
_AFTER_ANY = re.compile(r"\bafter\b", re.I)
_PHRASE_ENDS = re.compile(r"\s*(?:[?.,;:!)]|$|(?:in|and|or|with|by|for|on|at|so\s+far)\b)", re.I)


def excluded_countries(question: str, spans: list[tuple[str, int]]) -> list[str]:
    """The countries named right after an excluding preposition ("outside China", "other than Japan")."""
    # "Leaving China aside", "setting Japan aside": the verb before the country, "aside" after it.
    out: list[str] = []
    last: int | None = None  # where the country excluded last starts
    ends = {start: end for start, end, _ in country_spans(question)} if _AFTER_ANY.search(question) else {}
    for key, start in spans:
        # one joined to an excluded country by "and", "or" or a comma is excluded with it ("outside China and
        # Myanmar")
        # "after China", closing a phrase beside a superlative, ranks the others ("the biggest miners after China
        # in 2024?"); before a verb or a possessive it is a time ("after China cut exports", "after China's ban")
        after = bool(_AFTER.search(question[:start])) and asks_degree(question) and bool(
            _PHRASE_ENDS.match(question, ends.get(start, start)))
        if joined(question, last, start) or after or (
                _EXCLUDING.search(question[:start])
                and (not re.search(r"\b(leaving|setting|putting)\s+(the\s+)?$", question[:start], re.I)
                     or re.match(r"[\w\s'’.-]{0,30}?\baside\b", question[start:], re.I))):
            out.append(key)
            last = start
    return out


# The nouns for whoever pays, and for what they give: a country right before one backs ("a US or Japanese
# government agency", "Japanese money").
BACKER_NOUNS = ("government", "governments", "state", "agency", "agencies", "lender", "lenders", "money", "funding",
                "funds", "finance", "financing", "backing", "support", "loan", "loans", "grant", "grants",
                "investment", "investors")


def backing_countries(question: str) -> list[str]:
    """The countries the question names as backers: by a name or adjective right before a noun for whoever pays
    or what they give, or joined by "and"/"or" to the next country named that way ("Which African projects got
    money from a US or Japanese government agency?": the United States and Japan, not places)."""
    spans = country_spans(question)
    backs = [_backer(question[end:]) for _, end, _ in spans]
    for i in range(len(spans) - 2, -1, -1):  # from the last: a list's members back with the one that ends it
        backs[i] = backs[i] or (backs[i + 1] and joined(question, spans[i][0], spans[i + 1][0]))
    return list(dict.fromkeys(key for (_, _, key), b in zip(spans, backs, strict=True) if b))


def _backer(after: str) -> bool:
    """What follows a country names a backer: a noun for whoever pays or what they give, a noun for companies
    ("Japanese companies put money into…"), or an agency's acronym ("the US DFC", "Japan's JOGMEC")."""
    m = re.match(r"(?:['’]s)?\s*([\w-]+)", after)
    return bool(m) and m.group(1).lower() in (*BACKER_NOUNS, *COMPANY_WORDS) or bool(_ACRONYM.match(after))


_ACRONYM = re.compile(r"(?:['’]s)?\s*[A-Z]{2,}\b")


def countries_backing(question: str, spans: list[tuple[str, int]]) -> tuple[list[tuple[str, int]], list[Any]]:
    """Where the question speaks of support, the countries it names as backers (`backing_countries`) are no
    places: the spans without them, and each one's names, which name its own programmes."""
    if not has_any(question, SUPPORT_WORDS + BACKER_NOUNS):
        return spans, []
    backing = backing_countries(question)
    # (a country before an agency's name, "the US DFC", is that agency's: the agency names the programmes)
    own = {key for _, end, key in country_spans(question) if _ACRONYM.match(question[end:])}
    return [(k, start) for k, start in spans if k not in backing], [country_names(k) for k in backing
                                                                   if k not in own]


def joined(question: str, before: int | None, start: int) -> bool:
    """The country at `start` is joined by "and", "or" or a comma to the country at `before` ("China and
    Myanmar", "China, Myanmar or Laos"): one of the same list."""
    return before is not None and bool(_JOINED.match(question[before:start]))


# A country name (of up to four words) and then a conjunction or comma: the next country is one of a list.
_JOINED = re.compile(r"^[\w'’.()-]+(?:\s+[\w'’.()-]+){0,3}?\s*(?:,\s*(?:and|or)?|\band\b|\bor\b)\s*(?:the\s+)?$",
                     re.I)


def region_in(question: str, regions: Iterable[str]) -> str | None:
    """The region the question names: a whole region name ("South America"), else a continent by its name or
    adjective ("Europe", "European", "African": a word that begins with the continent's name less its final
    vowel). A continent names every region that contains it."""
    low = " ".join(words_of(question))
    words = set(low.split())
    names = sorted({r.lower() for r in regions}, key=len, reverse=True)
    for region in names:
        if f" {' '.join(words_of(region))} " in f" {low} ":
            return region
    for region in names:
        last = words_of(region)[-1]
        stem = last[:-1] if last[-1] in "aeiou" else last
        if len(stem) >= 4 and any(w.startswith(stem) for w in words):
            return last
    return None


def programmes_named(question: str, programmes: Iterable[str], places: Iterable[str] = (),
                     backers: Iterable[Iterable[str]] = ()) -> list[str]:
    """The support programmes the question names. Each backer the question names (an agency, policy or programme
    of the entity registry, by all its names) names the programmes that share the most with its names; without
    one, the programmes that share the most with the question's words. A shared word weighs more the fewer
    programme names hold it, and a place's name (a region where the question asks) names no programme."""
    names = sorted(set(programmes))
    bags = {p: set(words_of(p)) for p in names}
    df: dict[str, int] = {}
    for bag in bags.values():
        for w in bag:
            df[w] = df.get(w, 0) + 1
    skip = {w for place in places for w in words_of(place)}

    def best(words: set[str]) -> list[str]:
        words = words - skip
        scored = [(sum(math.log(1 + len(names) / df[w]) for w in words & bags[p]), p) for p in names]
        top = max((sc for sc, _ in scored), default=0.0)
        return [p for sc, p in scored if sc == top and top > 0]

    groups = [set(words_of(" ".join(b))) for b in backers]
    if groups:
        return sorted({p for g in groups for p in best(g)})
    # Without a backer named, only a word that is no general wording names a programme ("a state lender" is
    # any public lender, not the programmes that happen to say "state").
    return sorted(best({w for w in words_of(question) if not is_common(w)}))
