"""Follow-ups: a turn that needs the conversation, read against the turn before. A pronoun takes the last thing
named that it agrees with ("it" a plant, mine or project, else a company; "they" a company or agency; "there" a
place; after "Who…?" the name the answer gave), and the turn keeps what it asks; an elliptical turn ("And Japan?",
"Why not?", "what was it before they revised it?") takes the rest from the turn before."""

from __future__ import annotations

import re
from dataclasses import replace

from assistant.knowledge.entities import PRODUCER_KINDS, SITE_KINDS
from assistant.knowledge.taxonomy import SITE_WORDS, YEAR, country_name, element_mention, replace_country
from assistant.understand.intent_model import (
    CHECKLIST_TYPES,
    PLACE,
    POSSESSIVE,
    SUBJECT_SLOT,
    WHY,
    Intent,
    best,
    target_stage,
)


def names_a_site(question: str, pronoun: re.Match[str], previous: Intent) -> bool:
    """The "it" after an auxiliary ("when is it scheduled to…", "does it still…") is the subject of the turn, and
    where the turn before named a project, plant or company (not a country, whose figures "it" may stand for),
    it stands for that name."""
    if pronoun.group(0).lower() != "it" or not previous.entities or previous.countries:
        return False
    if previous.entities[0].kind not in PRODUCER_KINDS:
        return False
    return bool(SUBJECT_SLOT.search(question[:pronoun.start()])) and antecedent(previous) == previous.entities[0].name


# What a pronoun can stand for, by agreement: "it" a singular thing (a plant, mine, project, policy, product,
# company, agency), "they" an organisation (a company, an agency) or a plural, "there" a place. Each takes the last
# thing the previous turn named of the first of these groups that has one.
THING = ("it", "its")
DEMONSTRATIVE = ("that", "this", "these", "those")
COMPANY_NOUNS = ("company", "firm", "operator", "manufacturer", "maker", "producer")
GROUP = ("they", "them", "their")
_ORGANISATIONS = ("company", "agency", "organisation")
_PLACE_NOUN = re.compile(r"\b(to|from|in|at|into|out of|near)\s+$", re.I)


def referent(previous: Intent, word: str, first: str | None = None) -> str | None:
    """The last thing the previous turn named that the pronoun agrees with, or None; with `first`, a noun of
    kind after a demonstrative ("that plant", "that company"), only a thing of that kind."""
    folded = previous.question.casefold()
    things = [(max((folded.rfind(n.casefold()) for n in e.names), default=-1), e) for e in previous.entities]
    countries = [(folded.rfind(country_name(c).casefold()), country_name(c)) for c in previous.countries]
    sites = [(at, e.name) for at, e in things if e.kind in SITE_KINDS]
    companies = [(at, e.name) for at, e in things if e.kind == "company"]
    organisations = [(at, e.name) for at, e in things if e.kind in _ORGANISATIONS]
    others = [(at, e.name) for at, e in things if e.kind not in (*_ORGANISATIONS, *SITE_KINDS, "place")]
    places = [(at, e.name) for at, e in things if e.kind == "place"]
    answered = [(i, e.name) for i, e in enumerate(previous.answered)][:1]
    # (a site the answer named for the kind of site asked about is what "it" stands for, before its owner)
    answered_sites = [(i, e.name) for i, e in enumerate(previous.answered) if e.kind in SITE_KINDS][:1]
    owned = [(0, thing)] if (thing := possession(previous)) and plural(thing) else []
    word = word.lower()
    if word in PLACE:
        order = [countries, places, sites]
    elif word in GROUP:
        order = [organisations, sites, others, answered, owned, countries]
    else:  # "it" is a thing, a company or an organisation; a country's "it" may be one of its figures (even where
        # an organisation, its source, is named too), and is left to the merge
        order = [sites, answered_sites, others, companies, [] if previous.countries else organisations, answered]
    if first is not None:
        order = [companies, organisations, answered] if first in COMPANY_NOUNS else [sites]
    return next((max(group)[1] for group in order if group), None)


def substitute(question: str, pronouns: list[re.Match[str]], previous: Intent) -> str | None:
    """The question with each pronoun replaced by what it stands for ("its" by "X's", "there" by "in X"); None
    when one of them stands for nothing the previous turn named (a figure, a statement: "what was it before they
    revised it?"), since the turn then takes the rest from the previous turn."""
    out, at = [], 0
    for m in pronouns:
        word = m.group(0)
        # A demonstrative before a noun ("that deal", "this plant") points at the last thing named: the noun
        # names its kind ("that plant", "that company": the thing itself) or something of it ("that deal": the
        # thing's deal, as a possessive says). Right after an auxiliary, a demonstrative before anything but a
        # noun of kind is the subject itself ("When did that start?"), a statement, not a thing.
        noun = re.match(r"\s+(?:new\s+)?([a-z]+)\b", question[m.end():])
        kind = noun.group(1) if noun and noun.group(1) in (*SITE_WORDS, *COMPANY_NOUNS) else None
        determiner = word.lower() in DEMONSTRATIVE and noun is not None and (
            kind is not None or not SUBJECT_SLOT.search(question[:m.start()]))
        if noun is not None and determiner and kind and (name := referent(previous, "it", first=kind)) is not None:
            out += [question[at:m.start()], name]
            at = m.end() + noun.end()
            continue
        name = referent(previous, "it") if determiner else referent(previous, word) if word.lower() in (
            *THING, *GROUP, *PLACE, *POSSESSIVE) else None
        if name is None:
            return None
        out += [question[at:m.start()], _in_place(question, m, name, owner=determiner)]
        at = m.end()
    return "".join(out) + question[at:]


def _in_place(question: str, pronoun: re.Match[str], name: str, owner: bool = False) -> str:
    """What takes a pronoun's place: the name, "X's" for a possessive (or an owner), "in X" for "there"."""
    word = pronoun.group(0).lower()
    if word in POSSESSIVE or owner:
        return name + "'s"
    if word in PLACE and not _PLACE_NOUN.search(question[:pronoun.start()]):
        return "in " + name
    return name


def with_name(question: str, pronouns: list[re.Match[str]], name: str, thing: str | None = None) -> str:
    """The question with each pronoun replaced by `name` ("its" by "X's", "there" by "in X"); with `thing`, a
    pronoun that agrees with it ("it", "its"; "they" for a plural) by that instead."""
    out, at = [], 0
    for m in pronouns:
        takes = m.group(0).lower() in (GROUP if thing and plural(thing) else THING)
        out += [question[at:m.start()], _in_place(question, m, thing if thing and takes else name)]
        at = m.end()
    return "".join(out) + question[at:]


def plural(thing: str) -> bool:
    """A thing named by a plural noun ("Kazakhstan's separation ambitions"), which "they" stands for."""
    return re.search(r"[^s]s$", thing) is not None


def possession(previous: Intent) -> str | None:
    """What the previous turn asked about when it ended on a country's possession ("Tell me about India's new
    magnet scheme"): that thing ("India's new magnet scheme"), which "it" stands for next, while "there" stands
    for the country still."""
    for c in previous.countries[:1]:
        m = re.search(rf"\b({re.escape(country_name(c))}['’]s\s+[\w -]*[\w])\s*[?.!]?\s*$", previous.question,
                      re.I)
        if m:
            return m.group(1)
    return None


def told(previous: Intent) -> str:
    """The previous turn as a follow-up reads it: its question, with the names its answer gave where the question
    asked for them ("Which country has the second-largest reserves: Brazil")."""
    folded = previous.question.casefold()
    given = [country_name(c) for c in previous.countries if country_name(c).casefold() not in folded]
    given += [e.name for e in previous.answered if e.name.casefold() not in folded]
    question = previous.question.rstrip(" ?.")
    return f"{question}: {', '.join(given)}" if given else question


def antecedent(previous: Intent) -> str | None:
    """The name a personal pronoun stands for: of the countries and entities the previous turn named, the one
    named last in its question (an entity named in a merged turn counts after its country), or the entity where
    it lies in the country named."""
    folded = previous.question.casefold()
    # an entity in the country named is the more specific ("Kangankunde in Malawi": Kangankunde)
    if previous.entities and previous.countries and previous.entities[0].country == previous.countries[0]:
        return previous.entities[0].name
    named = [(folded.rfind(country_name(c).casefold()), country_name(c)) for c in previous.countries[:1]]
    for ent in previous.entities[:1]:
        at = max((folded.rfind(n.casefold()) for n in ent.names), default=-1)
        named.append((at if at >= 0 else len(folded), ent.name))
    return max(named)[1] if named else None


def merge(intent: Intent, previous: Intent) -> tuple[Intent, str]:
    new = replace(previous, followup=True, why=False, scores=intent.scores, corrected=intent.corrected,
                  future=intent.future or previous.future)
    wants = best(intent.scores, ("followup",)) if intent.scores else intent.type
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
    if WHY.match(intent.question) and not intent.countries and not intent.stages:
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
    # "What about dysprosium?" after a question about NdPr asks it of dysprosium.
    if turn is not None and turn.elements and previous.elements and set(turn.elements) != set(previous.elements) \
            and (old := element_mention(question, previous.elements)) and (said := element_mention(
                turn.question, turn.elements)):
        question = question[:old.start()] + said.group(0) + question[old.end():]
    if turn is not None and turn.countries and not previous.countries:
        question = question.rstrip(" ?.") + f" in {who}?"
    return question
