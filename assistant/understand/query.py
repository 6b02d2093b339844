"""Question → Intent (countries, stages, elements, question type), with follow-ups resolved against the
conversation so far."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from assistant.errors import InputError
from assistant.knowledge.entities import PRODUCER_KINDS, SITE_KINDS, Entity
from assistant.knowledge.taxonomy import (
    COMPANY_WORDS,
    COUNTRY_WORDS,
    SITE_WORDS,
    YEAR,
    country_names,
    country_spans,
    find_countries,
    find_elements,
    find_magnet_types,
    find_stages,
    has_domain_words,
    other_commodity,
)
from assistant.types import STAGES, Filters
from assistant.understand.followups import (
    DEMONSTRATIVE,
    GROUP,
    antecedent,
    merge,
    names_a_site,
    possession,
    substitute,
    told,
    with_name,
)
from assistant.understand.grammar import COMPARING, INFINITIVE, joined
from assistant.understand.intent import IntentClassifier
from assistant.understand.intent_model import (
    CHECKLIST_TYPES,
    PLACE,
    POSSESSIVE,
    SUBJECT_SLOT,
    Intent,
    best,
    target_stage,
)
from assistant.understand.names import NameIndex, unknown_name_runs
from assistant.understand.turns import as_adjective, needs_conversation, unbound_pronouns, whole_question
from assistant.understand.words import FRAMING, is_common, stage_typos

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Grammar, not vocabulary: a future verb form.
_FUTURE = re.compile(r"\b(will|won't|going to|next (year|decade|month|quarter)|forecast\w*|predict\w*|"
                     r"expected to|projected|outlook)\b", re.I)
# A connective opening a question ("So where…", "And what…") carries on from the turn before.
_CONTINUES = re.compile(r"^\W*(so|and|then|also|but)\b", re.I)
# A request to make something (write, draft, code, draw…) asks for one of the assistant's own kinds of output (an
# answer, summary, list, table, chart…) or for a piece of work it does not do (a script, a poem, a tweet, a letter).
_MAKE = re.compile(r"^\W*(?:(?:please|can you|could you|would you)\s+)?(?:write|compose|draft|code|program|draw|"
                   r"sing|make up|create|generate)\s+(?:me\s+|us\s+)?(.*?)(?=\b(?:about|on|of|for|from|that|which|"
                   r"to|in|with|comparing|describing|summari[sz]ing|explaining|listing)\b|[,.?!]|$)", re.I)
_OUTPUTS = frozenset("answer answers summary summaries overview brief briefing list table tables comparison report "
                     "note notes paragraph paragraphs chart charts graph timeline explanation description profile "
                     "checklist memo bullet bullets points sentence sentences".split())
# Securities (shares, stocks, funds) are investment information; the corpus holds no market quotes.
_SECURITIES = re.compile(r"\b(share|stock)\s+prices?\b|\bstocks?\b|\bETFs?\b|\bdividends?\b|\bmarket cap\w*|"
                         r"\b(buy|sell|invest\w*)\b.{0,40}\bshares\b", re.I)
# This moment: today, right now, this morning, this week… (a question naming a year asks for a dated figure).
_NOW = r"(today|right now|this (morning|afternoon|evening|week)|at the moment)"
# A price at this moment (spot, live, today, right now, this week) is a live market quote, which no document
# holds: the documents give dated prices, and a question that names a year asks for one of those.
_LIVE_QUOTE = re.compile(rf"\b(spot|live)\s+([\w-]+\s+){{0,3}}prices?\b|\bprices?\b[^.?!]{{0,40}}\b{_NOW}\b|"
                         rf"\b(today'?s)\s+(spot\s+)?prices?\b|\btrading at\b[^.?!]{{0,30}}\b({_NOW}|now)\b", re.I)
# News at this moment (breaking, today's, live headlines) is a live feed, which no document holds either; the
# latest developments the documents report are answered.
_LIVE_NEWS = re.compile(rf"\b(breaking|today'?s|live)\s+([\w-]+\s+){{0,2}}(news|headlines)\b|"
                        rf"\b(news|headlines)\b[^.?!]{{0,40}}\b{_NOW}\b", re.I)
_WHO = re.compile(r"^\W*who(se)?\b", re.I)
_WHY_HOW_WHEN = re.compile(r"^\W*(?:(?:and|so|but)\s+)?(?:why|how|when)\b", re.I)
_ASKS_NAME = re.compile(r"^\W*(who(se|m)?|which)\b", re.I)  # its answer is a name
# A kind of site asked about and not named ("Is there a magnet plant in Estonia?", "Where is Iluka's refinery?"):
# its answer names the site.
_SITE_NOUN = re.compile(rf"\b({'|'.join(w for w in SITE_WORDS if not w.endswith('s'))})\b", re.I)
# The kind of site each noun names; a project, site or operation may be any.
_SITE_KIND = {"mine": ("mine",), "deposit": ("deposit",), **dict.fromkeys(
    ("plant", "facility", "refinery", "factory", "smelter"), ("plant",))}
# (a word after an auxiliary and its subject is a verb: "How much did the US mine?")
_VERB_SLOT = re.compile(r"\b(do|does|did|will|can|could|would|should|may|might)\s+(\S+\s+){0,3}$", re.I)
# An interrogative that asks for an amount or a time: the answer is a figure or a date, not a verdict.
_AMOUNT = re.compile(r"^\W*(how (much|many|long)|what (share|percentage|proportion|fraction|portion|amount|quantity|"
                     r"volume|year)|when|since when)\b", re.I)
_COUNTRY_SET = ("countries", "nations")
# Members asked for that are not a country's stages: countries, companies, sites ("Which magnet companies got
# US federal money?" asks who, not whether the US makes magnets).
_MEMBERS_NOT_STAGES = frozenset((*_COUNTRY_SET, *COMPANY_WORDS, *(w for w in SITE_WORDS if w.endswith("s"))))
_AUXILIARY = frozenset("is are was were do does did has have had can could will would should may might".split())


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
        found.corrected.update(stage_typos(question, found.corrected, [
            *(n for c in found.countries for n in country_names(c)), *(n for e in found.entities for n in e.names)]))
        shown = question
        for typed, canonical in found.corrected.items():
            if canonical.islower():  # a stage word, not a name: read in its place
                shown = re.sub(rf"\b{re.escape(typed)}\b", canonical, shown)
        # A name no document holds is read as a blank: its words name no stage and tell the classifier nothing
        # ("Hastings Technology Metals' Yangibana project": no stage "metal").
        for start, end in unknown_name_runs(shown, self.known_word):
            shown = shown[:start] + " " * (end - start) + shown[end:]
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
        # What a named thing is, or who is behind it, is asked with who or what: a question asking why, how or
        # when asks for a cause, a manner, a figure or a date ("Why can't Kvanefjeld go ahead?")
        # (and a question setting two things side by side asks how they differ, not what one of them is)
        if qtype == "entity" and (_WHY_HOW_WHEN.match(question) or COMPARING.search(question)):
            qtype = best(scores, ("followup", "out_of_scope", "entity", *CHECKLIST_TYPES))
        # "What is the Sokli deposit in Finland?" asks what a named thing is, as "What is Sokli?" does.
        if qtype == "lookup" and found.entities and _asks_what_it_is(question, found.entities[0], found.countries):
            qtype = "entity"
        if qtype in CHECKLIST_TYPES and _AMOUNT.match(question):
            qtype = "numeric"
        # "What is India's new magnet scheme?" asks what a thing the country has is, not whether it runs a stage
        # (as "What is Kazakhstan's ability to separate rare earths?" does, with a verb of its own).
        own = _WHAT_IS_OWN.match(question)
        if qtype in CHECKLIST_TYPES and own and not INFINITIVE.search(question, own.end()) and set(
                find_countries(own.group(1))) & set(countries):
            qtype = best(scores, ("followup", "out_of_scope", *CHECKLIST_TYPES))
        # A question that names a company, plant, policy or source and no stage of the chain is about what it
        # names, not about a country's chain ("Will China lift the April 2025 controls?"); one that asks which
        # countries (or companies, or sites) asks for a set of them, and the countries it names are context
        # ("outside China").
        if qtype in CHECKLIST_TYPES and (found.entities and not stages
                                         or members_asked(question) in _MEMBERS_NOT_STAGES):
            qtype = best(scores, ("followup", "out_of_scope", *CHECKLIST_TYPES))
        years = sorted({int(y) for y in YEAR.findall(question)})
        # Four scope rules that hold for any wording: a request to make something other than what the assistant
        # writes is a task it does not do, securities are investment information, a price at this
        # moment is a live quote, and another commodity asked about with no rare-earth word is another subject.
        off_subject = None
        if _SECURITIES.search(question) or ((made := _MAKE.match(question)) and not set(
                re.findall(r"[a-z]+", made.group(1).lower())) & _OUTPUTS):
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

    def with_answer(self, intent: Intent, answer: str) -> Intent:
        """The intent as the conversation keeps it: where the question asked who or which and named no plant,
        mine or company, the ones its answer's first sentence names (what "it" or "they" may stand for next);
        where it asked about a kind of site it did not name, the sites of that kind its first sentence names."""
        first = re.split(r"(?<=[.!?])\s+", answer.strip(), maxsplit=1)[0]
        asked = next((m for m in _SITE_NOUN.finditer(intent.question) if not _VERB_SLOT.search(
            intent.question[:m.start()])), None)
        if asked is not None and not any(e.kind in SITE_KINDS for e in intent.entities):
            # the sites of the kind asked ("a plant", "a mine"; "a project" any), those sharing a word with the
            # question ("a magnet plant": "Narva sintered magnet plant") first
            noun = asked.group(1).lower()
            kinds = _SITE_KIND.get(noun, SITE_KINDS)
            words = {w.lower() for w in re.findall(r"[A-Za-z]{3,}", intent.question)} - {noun}
            sites = sorted((e for e in self.names.find(first, fuzzy=False).entities if e.kind in kinds),
                           key=lambda e: not words & {w.lower() for n in e.names for w in re.findall(r"[A-Za-z]+", n)})
            if sites:
                return replace(intent, answered=sites[:2])
        if any(e.kind in PRODUCER_KINDS for e in intent.entities) or not _ASKS_NAME.match(intent.question):
            return intent
        found = self.names.find(first, fuzzy=False)
        # A question that asked which country, naming none, is about the country its answer names first: what
        # "there" stands for next ("Which country has the second-largest reserves?" … "Is anything mined there?").
        if not intent.countries and found.countries and set(
                re.findall(r"[a-z]+", intent.question.lower())[:4]) & set(COUNTRY_WORDS):
            return replace(intent, countries=[min(country_spans(first), key=lambda s: s[0])[2]])
        named = [e for e in found.entities if e.kind in PRODUCER_KINDS]
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
        pronouns = unbound_pronouns(question, self.names.find)
        pronoun = pronouns[0] if pronouns else None
        if not needs_conversation(intent, question, pronoun, previous):
            intent = self.understand(question)  # read as the new question it is
            if _CONTINUES.match(question) and not intent.countries and previous.countries:
                intent.places = previous.countries[:1]
            return intent, question
        # A pronoun for something the previous turn named other than a country (a plant, a company, a policy),
        # or one that agrees only with a country (a place, an owner, "they"), stands for it: the turn is read
        # with the names in the pronouns' places, each pronoun taking the last thing named that it agrees with.
        if pronoun is not None and (previous.entities or previous.answered or any(
                m.group(0).lower() in (*POSSESSIVE, *PLACE, *GROUP) for m in pronouns)):
            rewritten = substitute(question, pronouns, previous)
            if rewritten is not None:
                resolved = self.understand(rewritten)
                if resolved.type not in CHECKLIST_TYPES:
                    resolved.followup = True
                    return resolved, rewritten
        # A demonstrative before a noun that nothing named agrees with ("who paid for that pilot centre?") keeps
        # its noun, which describes the thing, and is placed where the previous turn was; right after an
        # auxiliary it is a statement ("When did that start?"), which the merge reads.
        if pronoun is not None and pronoun.group(0).lower() in DEMONSTRATIVE and re.match(
                r"\s+[a-z]{3,}", question[pronoun.end():]) and not SUBJECT_SLOT.search(
                question[:pronoun.start()]) and (name := antecedent(previous)):
            rewritten = f"{question.rstrip(' ?.')} ({name})?"
            resolved = self.understand(rewritten)
            if resolved.type not in CHECKLIST_TYPES:
                resolved.followup = True
                return resolved, rewritten
        if pronoun is not None and best(intent.scores) != "followup" and (
                pronoun.group(0).lower() in POSSESSIVE or names_a_site(question, pronoun, previous)):
            name = antecedent(previous)
            if name:
                owner = "'s" if pronoun.group(0).lower() in POSSESSIVE else ""
                rewritten = question[:pronoun.start()] + name + owner + question[pronoun.end():]
                resolved = self.understand(rewritten)
                if resolved.type not in CHECKLIST_TYPES:
                    resolved.followup = True
                    return resolved, rewritten
        # A whole question (not a fragment) keeps what it asks. After a verdict its pronouns stand for the country
        # or thing the verdict was about ("Where does it get its dysprosium from?"), and a demonstrative for the
        # verdict's statement, which the merge reads ("When did that start?"); after any other question they may
        # stand for what the answer said (a figure, a statement: "What share of world output is that?"), so the
        # previous question is read beside it.
        statement = any(m.group(0).lower() in DEMONSTRATIVE for m in pronouns)
        # (a turn naming a country of its own and no pronoun, after a verdict, switches or compares countries, which
        # the merge reads)
        if whole_question(question) and not (previous.type in CHECKLIST_TYPES and (
                statement or (intent.countries and not pronouns))):
            if previous.type in CHECKLIST_TYPES and (name := antecedent(previous)):
                rewritten = (with_name(question, pronouns, name, possession(previous)) if pronouns
                             else f"{question.rstrip(' ?.')} ({name})?")
            else:
                rewritten = f"{question.rstrip(' ?.')} ({told(previous)})?"
            resolved = self.understand(rewritten)
            resolved.followup = True
            return resolved, rewritten
        return merge(intent, previous)



# (after "without", a gerund may come first: "without touching China", "without relying on China")
_PLACING = re.compile(r"\b(to|from|into|onto|outside|without|except|beyond|besides|on|away from|other than)\s+"
                      r"(?:(?<=without )\w+ing\s+(?:on\s+|from\s+|to\s+)?)?(the\s+)?$", re.I)
def _context_countries(question: str) -> set[str]:
    """Countries every mention of which places or qualifies the question rather than naming what it is about:
    after a preposition ("…or does it all go to China", "…without China"), or, once another country has been
    named, as an adjective of nationality before a noun ("Has the US banned Chinese magnets?"). None when the
    question compares."""
    if COMPARING.search(question):
        return set()
    placed: dict[str, bool] = {}
    last: int | None = None  # where the country placed last starts: one joined to it is placed too
    for i, (start, end, key) in enumerate(country_spans(question)):
        qualifies = i > 0 and as_adjective(question, start, end, key)
        # a country in the possessive owns what follows ("what happened to China's output"): it is asked about
        owns = bool(re.match(r"['’]s?\b", question[end:]))
        placed[key] = placed.get(key, True) and not owns and (
            bool(_PLACING.search(question[:start])) or qualifies or joined(question, last, start))
        last = start if placed[key] else None
    return {k for k, v in placed.items() if v}


def _asks_about_country(question: str) -> bool:
    """A yes/no question whose grammatical subject is a country: the auxiliary verb, then the country."""
    spans = country_spans(question)
    return bool(spans) and bool(re.fullmatch(r"\W*(can|could|does|do|did|is|are|has|have|will|would)\s+(the\s+)?",
                                             question[: spans[0][0]], re.I))


_WHAT_IS = re.compile(r"^\W*(what|who)\s+(is|are|was|were)\b", re.I)
_WHAT_IS_OWN = re.compile(r"^\W*what\s+(?:is|are|was|were)\s+(?:the\s+)?(\w[\w .]*?)['’]s?\s", re.I)


def _asks_what_it_is(question: str, entity: Entity, countries: list[str]) -> bool:
    """Whether the question asks what a named thing is: "what/who is" followed only by its names, its country,
    nouns for a kind of site, and words so common they only phrase a question ("the", "in")."""
    if not _WHAT_IS.match(question):
        return False
    own = {w.lower() for n in [*entity.names, *(n for c in countries for n in country_names(c))]
           for w in re.findall(r"[A-Za-z]+", n)}
    return all(w in own or w in SITE_WORDS or w == "s" or is_common(w, FRAMING)
               for w in (m.lower() for m in re.findall(r"[A-Za-z]+", question)))


def _label(scores: dict[str, float], question: str, countries: list[str], has_previous: bool,
           entities: list[Entity] | None = None) -> str:
    """The question type: the nearest examples' label, then three rules of grammar. A follow-up needs an earlier
    turn; a capability question needs a country and, naming two or more, is a comparison; a comparison needs two
    countries (one, with no earlier turn, is a capability question about it). Capability and comparison together
    outweighing the best other label make a question about a country's chain one of them, unless it is about a
    named company, plant or project, or its nearest examples ask for a figure."""
    label = best(scores) if scores else "lookup"
    if label == "followup" and not has_previous:
        label = best(scores, ("followup",))
    # Capability and comparison are one family (what a country's chain can do); when the family together
    # outweighs the best other label, the question belongs to it.
    family = sum(scores.get(k, 0.0) for k in CHECKLIST_TYPES)
    other = max((v for k, v in scores.items() if k not in (*CHECKLIST_TYPES, "followup")), default=0.0)
    # A question whose nearest examples ask for a figure asks for that figure, not for a verdict.
    # (a question that names no stage and does not ask whether a country does something asks about something
    # else in it: "what is the US stockpile planning to buy?")
    if (countries and not entities and label not in (*CHECKLIST_TYPES, "followup", "numeric")
            and family > other and (find_stages(question) or _asks_about_country(question))):
        label = "capability"
    # Two named things compared that are not two countries (sources, companies, magnet types) are compared from
    # the passages about them, not with a country's checklist.
    if label == "comparison" and len(countries) < 2 and len(entities or []) >= 2:
        label = best(scores, ("followup", "out_of_scope", *CHECKLIST_TYPES))
    if label in CHECKLIST_TYPES and len(countries) == 1 and not has_previous and not (
            find_stages(question) or _asks_about_country(question) or re.search(r"\bchain\b", question, re.I)):
        label = best(scores, ("followup", "out_of_scope", *CHECKLIST_TYPES))
    if label in CHECKLIST_TYPES:
        if len(countries) >= 2:
            label = "comparison"
        elif countries and not (label == "comparison" and has_previous):
            label = "capability"
        elif not countries and not has_previous:
            # Asked like a capability question, it is a question of fact, whatever else it resembles.
            label = best(scores, ("followup", "out_of_scope", *CHECKLIST_TYPES))
    return label


def stage_range(target: str) -> list[str]:
    """The stages a verdict on the target rests on: deposit up to the target. Recycling is a loop fed by scrap,
    not by a deposit, so it rests on itself alone."""
    if target == "recycling":
        return ["recycling"]
    return list(STAGES[: STAGES.index(target) + 1])
