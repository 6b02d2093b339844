"""Question → Intent (countries, stages, elements, question type), with follow-ups resolved against the
conversation so far."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache

from assistant.errors import InputError
from assistant.knowledge.entities import PRODUCER_KINDS, SITE_KINDS, Entity
from assistant.knowledge.taxonomy import (
    COUNTRIES,
    STAGE_WORDS,
    YEAR,
    country_name,
    country_spans,
    find_elements,
    find_magnet_types,
    find_stages,
    has_domain_words,
    other_commodity,
    replace_country,
)
from assistant.types import STAGES, Filters
from assistant.understand.intent import IntentClassifier
from assistant.understand.names import NameIndex
from assistant.understand.words import is_english

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Grammar, not vocabulary: a future verb form, and a pronoun or demonstrative that points back to an earlier turn.
_FUTURE = re.compile(r"\b(will|won't|going to|next (year|decade|month|quarter)|forecast\w*|predict\w*|"
                     r"expected to|projected|outlook)\b", re.I)
_REFERS_BACK = re.compile(r"\b(it|its|they|them|their|there|that|this|those|these|he|she|his|her)\b", re.I)
# The "it" of "is it hard to…", "it is possible that…", "what does it take to…" stands for what follows, not
# for anything said before.
_DUMMY_IT = re.compile(r"\b(is|was|isn't|wasn't|would|will)\s+it\s+(\w+\s+){1,2}(to|that|for)\b|"
                       r"\bit\s+(is|was|'s)\s+(\w+\s+){1,2}(to|that)\b|\bdoes\s+it\s+take\b", re.I)
# But a participle before "to" raises the subject: the "it" of "is it expected to open" is the thing expected.
_RAISED = re.compile(r"\b\w+ed\s+to$", re.I)
# An auxiliary right before a pronoun puts it in the subject's place ("when is it…", "does it…").
FRAGMENT = 4  # a turn of at most this many words is a fragment ("And magnets?", "What about Japan?")
_SUBJECT_SLOT = re.compile(r"\b(is|was|are|were|does|did|do|will|would|can|could|has|had|should)\s+$", re.I)
# A possessive stands for a named owner of something the question itself names ("its concentrate"), and is
# replaced by the owner's name; any other pronoun ("what was it before…", "that") may stand for a figure or a
# whole statement, and the turn is read as elliptical.
_POSSESSIVE = ("its", "their")
# "There" stands for a place: only a country or an entity named before it in the question can be what it means.
_PLACE = ("there",)
# A connective opening a question ("So where…", "And what…") carries on from the turn before.
_CONTINUES = re.compile(r"^\W*(so|and|then|also|but)\b", re.I)
# Securities (shares, stocks, funds) are investment information; the corpus holds no market quotes.
_SECURITIES = re.compile(r"\b(share|stock)\s+prices?\b|\bstocks?\b|\bETFs?\b|\bdividends?\b|\bmarket cap\w*|"
                         r"\b(buy|sell|invest\w*)\b.{0,40}\bshares\b", re.I)
# A price at this moment (spot, live, today, right now, this week) is a live market quote, which no document
# holds: the documents give dated prices, and a question that names a year asks for one of those.
_LIVE_QUOTE = re.compile(r"\b(spot|live)\s+([\w-]+\s+){0,3}prices?\b|"
                         r"\bprices?\b[^.?!]{0,40}\b(today|right now|this (week|morning)|at the moment)\b|"
                         r"\b(today'?s)\s+(spot\s+)?prices?\b|\btrading at\b[^.?!]{0,30}\b(today|now)\b", re.I)
# News at this moment (breaking, today's, live headlines) is a live feed, which no document holds either; the
# latest developments the documents report are answered.
_LIVE_NEWS = re.compile(r"\b(breaking|today'?s|live)\s+([\w-]+\s+){0,2}(news|headlines)\b|"
                        r"\b(news|headlines)\b[^.?!]{0,40}\b(today|right now|this (week|morning)|at the moment)\b",
                        re.I)
_WHO = re.compile(r"^\W*who(se)?\b", re.I)
_ASKS_NAME = re.compile(r"^\W*(who(se|m)?|which)\b", re.I)  # its answer is a name
_WHY = re.compile(r"^\W*(and\s+)?(why|how come)\b", re.I)
# An interrogative that asks for an amount or a time: the answer is a figure or a date, not a verdict.
_AMOUNT = re.compile(r"^\W*(how (much|many|long)|what (share|percentage|proportion|fraction|portion|amount|quantity|"
                     r"volume|year)|when|since when)\b", re.I)
CHECKLIST_TYPES = ("capability", "comparison")
_COUNTRY_SET = ("countries", "nations")
_AUXILIARY = frozenset("is are was were do does did has have had can could will would should may might".split())


@dataclass
class Intent:
    question: str
    type: str  # capability | comparison | numeric | lookup | explanation | entity | out_of_scope
    countries: list[str] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)
    elements: list[str] = field(default_factory=list)
    magnet_types: list[str] = field(default_factory=list)
    target: str = "magnet"
    followup: bool = False
    years: list[int] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    future: bool = False
    why: bool = False  # "Why not?": explain the previous verdict
    corrected: dict[str, str] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)
    off_subject: str | None = None  # what the question is about instead, when it is not rare earths
    places: list[str] = field(default_factory=list)  # countries of the conversation that place a new question
    # the plants, mines and companies its answer named first, where it asked who or which (its answer is a name):
    # what a pronoun in the next turn may stand for
    answered: list[Entity] = field(default_factory=list)

    @property
    def wants_checklist(self) -> bool:
        return (self.type in CHECKLIST_TYPES or self.why) and bool(self.countries)


def members_asked(question: str) -> str | None:
    """'Which seven rare earths…', 'What countries…', 'Name the elements…': an interrogative followed within three
    words by a plural noun asks for the members of a set, not for one thing; the noun, or None."""
    words = re.findall(r"[A-Za-z]+", question.lower())
    if len(words) < 2 or words[0] not in ("which", "what", "name") or words[1] in _AUXILIARY:
        return None
    return next((w for w in words[1:4] if w.endswith("s") and not w.endswith(("ss", "us", "is"))
                 and w not in _AUXILIARY), None)


def clean_question(text: str, max_chars: int) -> str:
    if text is None or not str(text).strip():
        raise InputError("The question is empty; ask something like 'Can Kazakhstan make magnets?'",
                         field="question")
    text = _CONTROL.sub(" ", str(text))
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise InputError("The question is empty once control characters are removed.", field="question")
    if len(text) > max_chars:
        raise InputError(f"The question is {len(text):,} characters long; the limit is {max_chars:,}. "
                         "Ask one focused question.", field="question")
    return text


def target_stage(stages: list[str]) -> str:
    """The furthest stage down the chain the question is about (magnet by default)."""
    chain = [s for s in stages if s != "recycling"]
    if "recycling" in stages and (not chain or chain == ["magnet"]):
        return "recycling"  # "does France recycle magnets?" is about recycling
    if chain:
        return chain[-1]
    return "recycling" if stages else "magnet"


def boost_filters(intent: Intent) -> list[Filters] | None:
    """What a search for this question ranks higher: passages about the countries it names; for a question of
    explanation about stages that names no country or entity (what a stage is, how it works), the primers on them."""
    if intent.countries:
        return [Filters(country=c) for c in intent.countries[:2]]
    if intent.stages and not intent.entities and intent.type in ("lookup", "explanation"):
        return [Filters(stage=s, kind="primer") for s in intent.stages[:2]]
    if intent.places:
        return [Filters(country=c) for c in intent.places[:2]]
    return None


class Reader:
    """Question understanding: names (countries, entities, with typo tolerance), what is asked (nearest labelled
    examples), and follow-ups resolved against the previous turn of the conversation."""

    def __init__(self, names: NameIndex, classifier: IntentClassifier | None = None,
                 known_word: Callable[[str], bool] | None = None) -> None:
        self.names = names
        self.classifier = classifier
        self.known_word = known_word

    def understand(self, question: str, has_previous: bool = False) -> Intent:
        found = self.names.find(question, known_word=self.known_word)
        # Of several names, the most specific (discussed in the fewest documents) is what is asked about; the
        # broader ones ("MOFCOM's Announcement No. 70", "Lynas's Kalgoorlie plant") place it.
        found.entities = sorted(found.entities, key=lambda e: len(e.docs))
        # A country after "to", "from", "without", "outside"… places the question ("does it all go to China?");
        # it is not what the question is about.
        context = _context_countries(question)
        countries = [c for c in found.countries if c not in context]
        found.corrected.update(self._stage_typos(question, found.corrected))
        shown = question
        for typed, canonical in found.corrected.items():
            if canonical.islower():  # a stage word, not a name: read in its place
                shown = re.sub(rf"\b{re.escape(typed)}\b", canonical, shown)
        stages = find_stages(shown)
        for typed, canonical in found.corrected.items():
            shown = shown.replace(typed, canonical if canonical.islower() else canonical.title())
        scores = self.classifier.scores(shown) if self.classifier else {}
        qtype = _label(scores, question, countries, has_previous, found.entities)
        # A yes/no question whose subject is a country ("Does Japan…", "Can the UK…") about a stage of the
        # chain asks about its capability.
        if qtype == "lookup" and len(countries) == 1 and stages and _asks_about_country(question):
            qtype = "capability"
        # "Who…" about a named plant, mine or deposit asks who is behind it, wherever it is ("…in Namibia").
        if (found.entities and found.entities[0].kind in SITE_KINDS and _WHO.match(question)
                and qtype not in ("out_of_scope", "followup")):
            qtype = "entity"
        if qtype in CHECKLIST_TYPES and _AMOUNT.match(question):
            qtype = "numeric"
        # A question that names a company, plant, policy or source and no stage of the chain is about what it
        # names, not about a country's chain ("Will China lift the April 2025 controls?"); one that asks which
        # countries asks for a set of them, and the countries it names are context ("outside China").
        if qtype in CHECKLIST_TYPES and (found.entities and not stages or members_asked(question) in _COUNTRY_SET):
            qtype = _best(scores, ("followup", "out_of_scope", *CHECKLIST_TYPES))
        years = sorted({int(y) for y in YEAR.findall(question)})
        # Three scope rules that hold for any wording: securities are investment information, a price at this
        # moment is a live quote, and another commodity asked about with no rare-earth word is another subject.
        off_subject = None
        if _SECURITIES.search(question):
            qtype = "out_of_scope"
        elif (other := other_commodity(question)) and not has_domain_words(question):
            qtype, off_subject = "out_of_scope", other
        elif _LIVE_QUOTE.search(question) and not years:
            qtype, off_subject = "out_of_scope", "live market prices"
        elif _LIVE_NEWS.search(question) and not years:
            qtype, off_subject = "out_of_scope", "live news"
        return Intent(off_subject=off_subject, question=question, type=qtype, countries=countries, stages=stages,
                      elements=find_elements(question), magnet_types=find_magnet_types(question),
                      target=target_stage(stages), years=years, entities=found.entities,
                      future=bool(_FUTURE.search(question)), corrected=found.corrected, scores=scores)

    def _stage_typos(self, question: str, corrected: dict[str, str]) -> dict[str, str]:
        """A word of six letters or more that general English does not use, and that is a letter or two off a word
        for a stage of the chain, is that word misspelt ("seperate", "magnents")."""
        from rapidfuzz import fuzz, process

        out: dict[str, str] = {}
        for m in re.finditer(r"[a-z]{6,}", question.lower()):
            word = m.group(0)
            if word in corrected or is_english(word):
                continue
            best = process.extractOne(word, _stage_vocabulary(), scorer=fuzz.ratio, score_cutoff=STAGE_TYPO_SCORE)
            if best is not None:
                out[question[m.start():m.end()]] = best[0]
        return out

    def with_answer(self, intent: Intent, answer: str) -> Intent:
        """The intent as the conversation keeps it: where the question asked who or which and named no plant,
        mine or company, the ones its answer's first sentence names (what "it" or "they" may stand for next)."""
        if not _ASKS_NAME.match(intent.question) or any(e.kind in PRODUCER_KINDS for e in intent.entities):
            return intent
        first = re.split(r"(?<=[.!?])\s+", answer.strip(), maxsplit=1)[0]
        named = [e for e in self.names.find(first, fuzzy=False).entities if e.kind in PRODUCER_KINDS]
        return replace(intent, answered=named[:2]) if named else intent

    def resolve(self, question: str, previous: Intent | None) -> tuple[Intent, str]:
        """The intent and the question as it will be answered (a standalone rewording for a follow-up). A
        question complete on its own is a new question, whatever came before; one that opens by carrying on
        ("So where does Songwe's product go?") and names no country is placed in the previous turn's country.
        A follow-up that needs the conversation only for the owner in a possessive ("Where does its concentrate
        go?") is read with the owner's name, the last thing the previous turn named; any other ("And Japan?",
        "Can it make metal?", "Why not?", "What was it before they revised it?") takes the rest from the
        previous turn."""
        intent = self.understand(question, has_previous=previous is not None)
        if previous is None:
            return intent, question
        pronoun = self._unbound_pronoun(question)
        if not self._is_followup(intent, question, pronoun):
            intent = self.understand(question)  # read as the new question it is
            if _CONTINUES.match(question) and not intent.countries and previous.countries:
                intent.places = previous.countries[:1]
            return intent, question
        # A pronoun for something the previous turn named other than a country (a plant, a company, a policy),
        # or one that agrees only with a country (a place, an owner, "they"), stands for it: the turn is read
        # with the names in the pronouns' places, each pronoun taking the last thing named that it agrees with.
        pronouns = self._unbound_pronouns(question)
        if pronoun is not None and (previous.entities or previous.answered or any(
                m.group(0).lower() in (*_POSSESSIVE, *_PLACE, *_GROUP) for m in pronouns)):
            rewritten = _substitute(question, pronouns, previous)
            if rewritten is not None:
                resolved = self.understand(rewritten)
                if resolved.type not in CHECKLIST_TYPES:
                    resolved.followup = True
                    return resolved, rewritten
        if pronoun is not None and _best(intent.scores) != "followup" and (
                pronoun.group(0).lower() in _POSSESSIVE or _names_a_site(question, pronoun, previous)):
            name = _antecedent(previous)
            if name:
                owner = "'s" if pronoun.group(0).lower() in _POSSESSIVE else ""
                rewritten = question[:pronoun.start()] + name + owner + question[pronoun.end():]
                resolved = self.understand(rewritten)
                if resolved.type not in CHECKLIST_TYPES:
                    resolved.followup = True
                    return resolved, rewritten
        return _merge(intent, previous)

    def _unbound_pronoun(self, question: str) -> re.Match[str] | None:
        """The first pronoun that points outside the question: not the "it" of "is it hard to…", and with no
        country, entity, stage or element named before it in the question for it to stand for ("What is solvent
        extraction and why is it hard?" is complete on its own); "there" is bound only by a place."""
        return next(iter(self._unbound_pronouns(question)), None)

    def _unbound_pronouns(self, question: str) -> list[re.Match[str]]:
        out = []
        for m in _REFERS_BACK.finditer(question):
            if m.group(0).lower() == "it" and any(d.start() <= m.start() < d.end() and not _RAISED.search(d.group(0))
                                                  for d in _DUMMY_IT.finditer(question)):
                continue
            before = question[:m.start()]
            found = self.names.find(before, fuzzy=False)
            if found.countries or found.entities or (m.group(0).lower() not in _PLACE
                                                     and (find_stages(before) or find_elements(before))):
                continue
            out.append(m)
        return out

    def _is_followup(self, intent: Intent, question: str, pronoun: re.Match[str] | None) -> bool:
        """A turn needs the conversation when the examples say it is elliptical, when it names no country or
        entity of its own and has a pronoun that points outside it, or when it asks "why" about nothing new."""
        named = bool(intent.countries or intent.entities)
        # The examples' vote for a follow-up holds unless the turn is a whole sentence (not a fragment: "And
        # magnets?") that names its own subject (an entity, element or stage, not only a country: "How does the
        # UK compare?") with no pronoun pointing back ("Is it hard to separate terbium from dysprosium?").
        own = (bool(intent.entities or intent.elements or find_stages(question)) and pronoun is None
               and len(question.split()) > FRAGMENT)
        if intent.scores and _best(intent.scores) == "followup" and not own:
            return True
        if not named and pronoun is not None:
            return True
        return bool(_WHY.match(question)) and not named and len(question.split()) <= 4


# How close (rapidfuzz ratio) an unknown word must be to a stage word to be read as it: one letter in eight.
STAGE_TYPO_SCORE = 85


@lru_cache(maxsize=1)
def _stage_vocabulary() -> tuple[str, ...]:
    """The single words for the stages, with their common inflections ("separate", "separated", "separating",
    "separation"; "magnet", "magnets")."""
    out: set[str] = set()
    for words in STAGE_WORDS.values():
        for w in (w for w in words if " " not in w and len(w) >= 4):
            stem = w[:-1] if w.endswith("e") else w
            out |= {w, w + "s", w + "d", w + "ed", stem + "ing", stem + "ion", stem + "ed"}
    return tuple(sorted(out))


_PLACING = re.compile(r"\b(to|from|into|onto|outside|without|except|beyond|besides|on|away from|other than)\s+"
                      r"(the\s+)?$", re.I)
_NATIONALITY = ("ese", "ian", "an", "ish", "ch", "i")  # endings of adjectives of nationality
_COMPARING = re.compile(r"\b(compar\w*|versus|vs\.?|than|against|both|differ\w*|side by side)\b", re.I)
COMPARING = _COMPARING  # a word that sets two things side by side


def _context_countries(question: str) -> set[str]:
    """Countries every mention of which places or qualifies the question rather than naming what it is about:
    after a preposition ("…or does it all go to China", "…without China"), or, once another country has been
    named, as an adjective of nationality before a noun ("Has the US banned Chinese magnets?"). None when the
    question compares."""
    if _COMPARING.search(question):
        return set()
    placed: dict[str, bool] = {}
    for i, (start, end, key) in enumerate(country_spans(question)):
        word = question[start:end].lower()
        qualifies = (i > 0 and word in COUNTRIES.get(key, ("", ()))[1] and word.endswith(_NATIONALITY)
                     and bool(re.match(r"\s+[a-z]", question[end:])))
        placed[key] = placed.get(key, True) and (bool(_PLACING.search(question[:start])) or qualifies)
    return {k for k, v in placed.items() if v}


def _asks_about_country(question: str) -> bool:
    """A yes/no question whose grammatical subject is a country: the auxiliary verb, then the country."""
    spans = country_spans(question)
    return bool(spans) and bool(re.fullmatch(r"\W*(can|could|does|do|did|is|are|has|have|will|would)\s+(the\s+)?",
                                             question[: spans[0][0]], re.I))


def _best(scores: dict[str, float], exclude: tuple[str, ...] = ()) -> str:
    return next((k for k in scores if k not in exclude), "lookup")


def _label(scores: dict[str, float], question: str, countries: list[str], has_previous: bool,
           entities: list[Entity] | None = None) -> str:
    """The question type: the nearest examples' label, then three rules of grammar. A follow-up needs an earlier
    turn; a capability question needs a country and, naming two or more, is a comparison; a comparison needs two
    countries (one, with no earlier turn, is a capability question about it). Capability and comparison together
    outweighing the best other label make a question about a country's chain one of them, unless it is about a
    named company, plant or project, or its nearest examples ask for a figure."""
    label = _best(scores) if scores else "lookup"
    if label == "followup" and not has_previous:
        label = _best(scores, ("followup",))
    # Capability and comparison are one family (what a country's chain can do); when the family together
    # outweighs the best other label, the question belongs to it.
    family = sum(scores.get(k, 0.0) for k in CHECKLIST_TYPES)
    other = max((v for k, v in scores.items() if k not in (*CHECKLIST_TYPES, "followup")), default=0.0)
    # A question whose nearest examples ask for a figure asks for that figure, not for a verdict.
    if (countries and not entities and label not in (*CHECKLIST_TYPES, "followup", "numeric")
            and family > other):
        label = "capability"
    # Two named things compared that are not two countries (sources, companies, magnet types) are compared from
    # the passages about them, not with a country's checklist.
    if label == "comparison" and len(countries) < 2 and len(entities or []) >= 2:
        label = _best(scores, ("followup", "out_of_scope", *CHECKLIST_TYPES))
    if label in CHECKLIST_TYPES:
        if len(countries) >= 2:
            label = "comparison"
        elif countries and not (label == "comparison" and has_previous):
            label = "capability"
        elif not countries and not has_previous:
            # Asked like a capability question, it is a question of fact, whatever else it resembles.
            label = _best(scores, ("followup", "out_of_scope", *CHECKLIST_TYPES))
    return label


def _names_a_site(question: str, pronoun: re.Match[str], previous: Intent) -> bool:
    """The "it" after an auxiliary ("when is it scheduled to…", "does it still…") is the subject of the turn, and
    where the turn before named a project, plant or company (not a country, whose figures "it" may stand for),
    it stands for that name."""
    if pronoun.group(0).lower() != "it" or not previous.entities or previous.countries:
        return False
    if previous.entities[0].kind not in PRODUCER_KINDS:
        return False
    return bool(_SUBJECT_SLOT.search(question[:pronoun.start()])) and _antecedent(previous) == previous.entities[0].name


# What a pronoun can stand for, by agreement: "it" a singular thing (a plant, mine, project, policy, product),
# "they" an organisation (a company, an agency) or a plural, "there" a place. Each takes the last thing the previous
# turn named of the first of these groups that has one.
_THING = ("it", "its")
_GROUP = ("they", "them", "their")
_ORGANISATIONS = ("company", "agency", "organisation")
_PLACE_NOUN = re.compile(r"\b(to|from|in|at|into|out of|near)\s+$", re.I)


def _referent(previous: Intent, word: str) -> str | None:
    """The last thing the previous turn named that the pronoun agrees with, or None."""
    folded = previous.question.casefold()
    things = [(max((folded.rfind(n.casefold()) for n in e.names), default=-1), e) for e in previous.entities]
    countries = [(folded.rfind(country_name(c).casefold()), country_name(c)) for c in previous.countries]
    sites = [(at, e.name) for at, e in things if e.kind in SITE_KINDS]
    companies = [(at, e.name) for at, e in things if e.kind == "company"]
    organisations = [(at, e.name) for at, e in things if e.kind in _ORGANISATIONS]
    others = [(at, e.name) for at, e in things if e.kind not in (*_ORGANISATIONS, *SITE_KINDS, "place")]
    places = [(at, e.name) for at, e in things if e.kind == "place"]
    answered = [(i, e.name) for i, e in enumerate(previous.answered)][:1]
    word = word.lower()
    if word in _PLACE:
        order = [countries, places, sites]
    elif word in _GROUP:
        order = [organisations, sites, others, answered, countries]
    else:  # "it" is a thing or a company; a country's "it" may be one of its figures, and is left to the merge
        order = [sites, others, companies, answered]
    return next((max(group)[1] for group in order if group), None)


def _substitute(question: str, pronouns: list[re.Match[str]], previous: Intent) -> str | None:
    """The question with each pronoun replaced by what it stands for ("its" by "X's", "there" by "in X"); None
    when one of them stands for nothing the previous turn named (a figure, a statement: "what was it before they
    revised it?"), since the turn then takes the rest from the previous turn."""
    out, at = [], 0
    for m in pronouns:
        word = m.group(0)
        name = _referent(previous, word) if word.lower() in (*_THING, *_GROUP, *_PLACE, *_POSSESSIVE) else None
        if name is None:
            return None
        if word.lower() in _POSSESSIVE:
            name += "'s"
        elif word.lower() in _PLACE and not _PLACE_NOUN.search(question[:m.start()]):
            name = "in " + name
        out += [question[at:m.start()], name]
        at = m.end()
    return "".join(out) + question[at:]


def _antecedent(previous: Intent) -> str | None:
    """The name a personal pronoun stands for: of the countries and entities the previous turn named, the one
    named last in its question (an entity named in a merged turn counts after its country)."""
    folded = previous.question.casefold()
    named = [(folded.rfind(country_name(c).casefold()), country_name(c)) for c in previous.countries[:1]]
    for ent in previous.entities[:1]:
        at = max((folded.rfind(n.casefold()) for n in ent.names), default=-1)
        named.append((at if at >= 0 else len(folded), ent.name))
    return max(named)[1] if named else None


def _merge(intent: Intent, previous: Intent) -> tuple[Intent, str]:
    new = replace(previous, followup=True, why=False, scores=intent.scores, corrected=intent.corrected,
                  future=intent.future or previous.future)
    wants = _best(intent.scores, ("followup",)) if intent.scores else intent.type
    if len(intent.countries) >= 2:
        new.countries = intent.countries
        new.type = "comparison"
    elif intent.countries:
        if wants == "comparison" and previous.countries and intent.countries[0] not in previous.countries:
            new.countries = [previous.countries[0], intent.countries[0]]
            new.type = "comparison"
        else:
            new.countries = intent.countries
            if previous.type == "comparison":
                new.type = "capability"
    if intent.stages:
        new.stages = intent.stages
        new.target = target_stage(intent.stages)
        if wants in CHECKLIST_TYPES and new.countries and new.type not in CHECKLIST_TYPES:
            new.type = "capability"
    if intent.elements:
        new.elements = intent.elements
    if intent.entities:
        new.entities = intent.entities
    if intent.years:
        new.years = intent.years
    if _WHY.match(intent.question) and not intent.countries and not intent.stages:
        new.why = True
        new.type = "explanation"
    rewritten = rewrite(new, previous, intent)
    new.question = rewritten
    return new, rewritten


VERB = {"magnet": "make rare-earth magnets", "separation": "separate rare earths", "mining": "mine rare earths",
        "metal": "make rare-earth metal", "alloy": "make rare-earth magnet alloy",
        "recycling": "recycle rare-earth magnets", "deposit": "have rare-earth deposits",
        "concentrate": "produce rare-earth concentrate", "cracking": "crack and leach rare-earth ores"}


def rewrite(intent: Intent, previous: Intent, turn: Intent | None = None) -> str:
    """A standalone question for the resolved follow-up, used for retrieval and shown to the user."""
    names = [country_name(c) for c in intent.countries]
    if intent.type == "comparison" and len(names) >= 2:
        return f"Compare {' and '.join(names)} across the rare-earth value chain up to {intent.target}."
    who = names[0] if names else "the country"
    if intent.why:
        return f"Why can {who} not {VERB.get(intent.target, intent.target)}?" if names else \
            f"Why? ({previous.question})"
    if intent.type == "capability":
        return f"Can {who} {VERB.get(intent.target, intent.target)}?"
    question = previous.question
    for old in previous.countries[:1]:
        if intent.countries and old != intent.countries[0]:
            question = replace_country(question, old, who)
    if turn is not None and turn.years:
        old_years = YEAR.findall(question)
        if old_years:
            question = YEAR.sub(str(turn.years[0]), question, count=1)
        else:
            question = question.rstrip(" ?.") + f" in {turn.years[0]}?"
    if turn is not None and turn.countries and not previous.countries:
        question = question.rstrip(" ?.") + f" in {who}?"
    return question


def stage_range(target: str) -> list[str]:
    """The stages a verdict on the target rests on: deposit up to the target. Recycling is a loop fed by scrap,
    not by a deposit, so it rests on itself alone."""
    if target == "recycling":
        return ["recycling"]
    return list(STAGES[: STAGES.index(target) + 1])
