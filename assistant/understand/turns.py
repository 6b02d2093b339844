"""Whether a turn needs the conversation: the pronouns that point outside it (not the "it" of "is it hard to…",
of a cleft, or one whose antecedent the question names), and the turns that are elliptical, name their subject only
by a pronoun or by "the" and a kind of thing, or are fragments rather than whole questions."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from assistant.knowledge.taxonomy import COUNTRIES, SITE_WORDS, country_spans, find_elements, find_stages
from assistant.understand.followups import COMPANY_NOUNS, GROUP, THING
from assistant.understand.grammar import question_parts
from assistant.understand.intent_model import PLACE, SUBJECT_SLOT, WHY, Intent, best
from assistant.understand.words import is_common

# A pronoun or demonstrative that may point back to an earlier turn.
_REFERS_BACK_WORDS = frozenset("it its they them their there that this those these he she his her".split())
_REFERS_BACK = re.compile(r"\b(" + "|".join(sorted(_REFERS_BACK_WORDS)) + r")\b", re.I)
# The "it" of "is it hard to…", "it is possible that…", "what does it take to…" stands for what follows, not
# for anything said before.
_DUMMY_IT = re.compile(r"\b(is|was|isn't|wasn't|would|will)\s+it\s+(\w+\s+){1,2}(to|that|for)\b|"
                       r"\bit\s+(is|was|'s)\s+(\w+\s+){1,2}(to|that)\b|"
                       r"\b(does|did|would|will)\s+it\s+(\w+ly\s+)?take\b", re.I)
# The "it" of a cleft ("what is it that distinguishes…", "why is it that…", "what is it about SmCo magnets that…")
# stands for the clause after "that".
_CLEFT = re.compile(r"\b(is|was|'s)\s+it\s+(about\s+[^?]{1,60}?\s+)?that\b", re.I)
# But a participle before "to" raises the subject: the "it" of "is it expected to open" is the thing expected.
# So do the other raising words, a closed class ("is it meant to", "is it set to", "is it due to", "is it likely to").
_RAISED = re.compile(r"\b(\w+ed|meant|set|due|bound|going|about|able|likely|unlikely|sure|certain)\s+to$", re.I)
FRAGMENT = 4  # a turn of at most this many words is a fragment ("And magnets?", "What about Japan?")


def unbound_pronouns(question: str, find: Callable[..., Any]) -> list[re.Match[str]]:
    """The pronouns that point outside the question: not the "it" of "is it hard to…" or of a cleft, and
    with no country or entity named before them in the question, nor an earlier part of it naming something,
    for them to stand for ("What is solvent extraction and why is it hard?" is complete on its own); "there"
    is bound only by a place."""
    out = []
    # The "it" of "is it hard to…" stands for what follows only where something follows for it to stand for
    # (a name, a stage, an element: "is it hard to separate terbium?"); in a question that names nothing
    # ("When is it meant to start producing?") it points back.
    whole = find(question, fuzzy=False)
    names_own = bool(whole.countries or whole.entities or find_stages(question) or find_elements(question))
    # A later part of a question of several parts ("What is hydrogen decrepitation, and why is it used?")
    # may point back to what an earlier part asks about, when that part names something by a word that is
    # not common English; an earlier part that needs the conversation itself ("how big is that plant, and
    # when does it open?") binds nothing.
    starts = [question.find(p) for p in question_parts(question)]
    for m in _REFERS_BACK.finditer(question):
        earlier = question[:max((s for s in starts if s <= m.start()), default=0)]
        if earlier and not out and any(not is_common(w) for w in re.findall(r"[A-Za-z]+", earlier)
                                       if w.lower() not in _REFERS_BACK_WORDS):
            continue
        if any(c.start() <= m.start() < c.end() for c in _CLEFT.finditer(question)):
            continue
        if names_own and m.group(0).lower() == "it" and any(
                d.start() <= m.start() < d.end() and not _RAISED.search(d.group(0))
                for d in _DUMMY_IT.finditer(question)):
            continue
        before = question[:m.start()]
        found = find(before, fuzzy=False)
        # "there" stands for a place, which an adjective of nationality is not ("the Japanese partner there");
        # a stage or element before a pronoun in its own clause is more often its object than what it
        # stands for ("How much metal did it make?"), so only an earlier part binds by those (above).
        place = m.group(0).lower() in PLACE
        if found.entities or (found.countries and not (place and not places_named(before))):
            continue
        out.append(m)
    return out

def needs_conversation(intent: Intent, question: str, pronoun: re.Match[str] | None, previous: Intent) -> bool:
    """A turn needs the conversation when the examples say it is elliptical, when it names no country or
    entity of its own and has a pronoun that points outside it, when its personal pronoun agrees with a
    company, plant or project the turn before named and it names none of its own, or when it asks "why"
    about nothing new."""
    named = bool(intent.countries or intent.entities)
    # The examples' vote for a follow-up holds unless the turn is a whole sentence (not a fragment: "And
    # magnets?") that names its own subject (an entity, element or stage, not only a country: "How does the
    # UK compare?") with no pronoun pointing back ("Is it hard to separate terbium from dysprosium?").
    own = (bool(intent.entities or intent.elements or find_stages(question)) and pronoun is None
           and len(question.split()) > FRAGMENT)
    if intent.scores and best(intent.scores) == "followup" and not own:
        return True
    # (a country named only by an adjective of nationality qualifies what the pronoun's clause asks about:
    # "Who's the Japanese partner there?")
    # (a product, "heavy rare earths", is what the pronoun's clause asks about, not what the pronoun stands for)
    things = [e for e in intent.entities if e.kind != "product"]
    if pronoun is not None and not (things or places_named(question)):
        return True
    # A personal pronoun that agrees with a company, plant or project the turn before named stands for it, even
    # with a country named after it ("where's its American plant?" after "What is Vacuumschmelze?").
    if pronoun is not None and not things and (previous.entities or previous.answered) and (
            pronoun.group(0).lower() in (*THING, *GROUP)):
        return True
    # A personal pronoun right after the question's auxiliary is its subject, which it does not name, whatever
    # it names after ("Has it signed anything with the United States?").
    if pronoun is not None and not things and pronoun.group(0).lower() in (*THING, *GROUP) and (
            SUBJECT_SLOT.search(before := question[:pronoun.start()])) and len(before.split()) <= 4:
        return True
    # A thing named by "the" and its kind alone ("the concentrate", "the full-size plant"), in a turn that
    # names nothing of its own, is the one the conversation is about.
    if not named and not intent.elements and (previous.entities or previous.answered or previous.countries) and (
            definite_thing(question)):
        return True
    return bool(WHY.match(question)) and not named and len(question.split()) <= 4


# "the" and the words after it, a noun of a kind of thing among the first three ("the full-size plant").
_DEFINITE = re.compile(r"\bthe((?:\s+[\w-]+){1,3})", re.I)
_STEP = ("stage", "stages", "step", "steps", "process", "processes")


def definite_thing(question: str) -> bool:
    """Whether the question refers by "the" to a site, a company or a product of a stage of the chain by its kind
    alone ("the concentrate", "the full-size plant"; not a stage named as a step: "the separation stage")."""
    for m in _DEFINITE.finditer(question):
        words = m.group(1).lower().split()
        for i, word in enumerate(words):
            if word in (*SITE_WORDS, *COMPANY_NOUNS) or find_stages(word):
                if not (i + 1 < len(words) and words[i + 1] in _STEP):
                    return True
                break
    return False


def whole_question(question: str) -> bool:
    """A question with a predicate of its own, not a fragment ("And Japan?", "What about metal?", "Why not?"):
    more than FRAGMENT words, or at least three opening with a question word ("who buys the concentrate?")."""
    words = question.split()
    return len(words) > FRAGMENT or (len(words) >= 3 and bool(_WH_WHOLE.match(question)))


_WH_WHOLE = re.compile(r"^\W*(?:and\s+|so\s+)?(who|whom|whose|what|when|where|why|how|which)\b(?!\s+(about|else)\b)",
                       re.I)


_NATIONALITY = ("ese", "ian", "an", "ish", "ch", "i")  # endings of adjectives of nationality


def as_adjective(text: str, start: int, end: int, key: str) -> bool:
    """The country at text[start:end] is named by an adjective of nationality before a noun ("Chinese magnets")."""
    word = text[start:end].lower()
    return (word in COUNTRIES.get(key, ("", ()))[1] and word.endswith(_NATIONALITY)
            and bool(re.match(r"\s+[a-z]", text[end:])))


def places_named(text: str) -> list[str]:
    """The countries the text names as places: not as an adjective of nationality before a noun ("Japanese
    partner")."""
    return [key for start, end, key in country_spans(text) if not as_adjective(text, start, end, key)]
