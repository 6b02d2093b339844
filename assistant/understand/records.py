"""A question read as a query over records: a set, a count, a ranking, an extreme, a comparison of named projects
or a change between two years, with the slots the reader already finds (countries, stages, statuses, years,
regions, registered names) as its filters.

What kind of query a question is comes from its meaning: the nearest labelled examples
(`corpus/query_kinds.yaml`, names masked) on the query embedding, as the intent does. The filters come from the
taxonomy's domain vocabulary and the registry, never from phrasings of particular questions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from assistant.knowledge.taxonomy import (
    AGE_WORDS,
    BASIS_WORDS,
    COMPANY_WORDS,
    CONCENTRATION_WORDS,
    COUNTRY_WORDS,
    DECLINE_WORDS,
    ELEMENT_GROUPS,
    ELEMENTS,
    FIGURE_WORDS,
    MEASURE_WORDS,
    NEWEST_WORDS,
    PHASE_WORDS,
    RELATIVE_WORDS,
    SITE_WORDS,
    STATUS_WORDS,
    SUPPORT_WORDS,
    last_stage,
)
from assistant.types import RecordQuery
from assistant.understand.grammar import (
    STAGE_NOUNS,
    amount_bounds,
    asks_degree,
    asks_extreme,
    asks_one,
    basis_named,
    compares,
    countries_backing,
    excluded_countries,
    has_any,
    how_many_asked,
    members_kind,
    milestone_named,
    orders,
    place_asked,
    programmes_named,
    region_in,
    smallest_first,
    without_contrast,
    without_left_out,
    without_phrases,
    words_of,
    year_bounds,
)
from assistant.understand.names import in_a_name
from assistant.understand.query import Intent
from assistant.understand.supply import CONDITIONAL, asks_supply, read_supply, scenario_words, supply_words

# A query kind is taken when its labelled neighbours hold at least this share of the similarity among the
# nearest examples (a majority), so a question that is as much a lookup as a set is answered from passages.
MIN_SHARE = 0.5
# Neighbours that vote on the kind: fewer than the intent's, since each kind has tens of examples against the
# hundreds of questions answered from passages, and a wide vote would drown an exact match.
KIND_NEIGHBOURS = 5
KINDS = ("set", "count", "ranking", "extreme", "compare", "change", "concentration", "supply", "scenario")
# A scenario is taken on a weaker vote than the other kinds where its grammar agrees (a verb of stopping, a
# conditional, a named party): its wording is close to a lookup's.
SUPPLY_SHARE = 0.2

# A change read from the examples alone, with no year in the question ("what happened to X"), needs one example at
# least this close (cosine of the masked questions): a far vote for it is a lookup about the project.
CHANGE_CLOSE = 0.6
# The phase a question names with the words of a milestone it dates ("began construction in 2025"): the date is
# the filter then, not the project's phase today.
_MILESTONE_PHASE = {"construction_start": "construction", "commissioning": "commissioning",
                    "suspension": "suspended", "closure": "closed"}


_WHO = re.compile(r"^\W*who\b(?!['’]?s\b)", re.I)  # "who", not "whose" or "who's" (a name is asked for)
_WHOSE = re.compile(r"^\W*whose\b", re.I)
_ASKS = re.compile(r"^\W*(who|whom|where|which|what|from|does|do|did|is|are|has|have)\b", re.I)


def supply_kind(question: str, scores: dict[str, float], parties: list[Any]) -> str | None:
    """"supply" or "scenario" when the question asks who supplies (or buys from) a party it names, or what happens
    if one stops: by the examples' vote where it is a majority, else by grammar (an opening that asks who supplies
    or buys; a conditional stop, or a stop with some of the vote behind it)."""
    if not parties:
        return None
    voted = max(KINDS, key=lambda k: scores.get(k, 0.0)) in ("supply", "scenario") and sum(
        scores.get(k, 0.0) for k in KINDS) >= MIN_SHARE
    share = scores.get("supply", 0.0) + scores.get("scenario", 0.0)
    if scenario_words(question) and (voted or share >= SUPPLY_SHARE or CONDITIONAL.match(question.strip())):
        return "scenario"
    if supply_words(question) and (asks_supply(question) or (voted and _ASKS.match(question))):
        return "supply"
    return None


def read_query(question: str, intent: Intent, scores: dict[str, float], spans: list[tuple[str, int]],
               regions: Iterable[str], projects: list[str], programmes: Iterable[str] = (),
               parties: list[Any] | None = None) -> RecordQuery | None:
    """The query over records this question asks, or None when it is answered from passages. `parties` are the
    supply links' parties the question names, with their places (understand/supply.py)."""
    # (a question of how long something takes asks for no members: "how long from discovery to first production?")
    if intent.type in ("out_of_scope", "followup") or re.match(r"\W*how\s+long\b", question, re.I):
        return None
    # A kind of deposit placed in no one country ("ion-adsorption clay") qualifies the stage past the records.
    if not projects and any(e.kind == "deposit" and not e.country for e in intent.entities):
        return None
    regions = list(regions)
    spans, backing = countries_backing(question, spans)  # "money from a US or Japanese agency": no places
    backers = [e.names for e in intent.entities if e.kind in ("agency", "programme", "policy")] + backing
    if kind := supply_kind(question, scores, parties or []):
        return read_supply(question, kind, parties or [], intent.stages[-1] if intent.stages else None,
                           excluded_countries(question, spans))
    # Otherwise the supply examples' share of the vote goes to the others, as if those examples were not there.
    rest = 1.0 - scores.get("supply", 0.0) - scores.get("scenario", 0.0)
    scores = {k: v / rest for k, v in scores.items() if k not in ("supply", "scenario")} if rest > 0 else {}
    # A question that names a company is about it: passages answer it, unless it asks what changed at a project or
    # in a country the company works in (its projects' milestones answer that). A policy, programme or agency named
    # is a filter on support (or context the answer adds); an organisation or place only places the question.
    companies = [e.name for e in intent.entities if e.kind == "company"]
    # The companies running sites, asked for where sites are named ("Which companies are building magnet plants
    # in the US?"), are asked for by the sites they run.
    sites = SITE_WORDS + (COMPANY_WORDS if set(words_of(question)) & set(SITE_WORDS) else ())
    member_nouns = COUNTRY_WORDS + sites  # the nouns a set, count or order is asked of
    # Which or how many stages one country has (at a status): its checklist answers, grouped by status.
    named = list(dict.fromkeys(k for k, _ in spans))
    if (asked := members_kind(question, STAGE_NOUNS)) and len(named) == 1 and not (companies or projects):
        return RecordQuery(kind=asked, subject="stage", countries=named,
                           statuses=_said(STATUS_WORDS, question))
    # "Who" asking who works a stage across a region or outside the countries it names, naming no company, site
    # or country of its own ("Who outside China makes NdPr metal?", "Who makes magnet alloy in Europe?"), asks
    # for the sites at that stage, each with who runs it; one asked for by a superlative ("Who is the only…") is
    # answered from passages.
    left_out = excluded_countries(question, spans)
    placed = [c for c in named if c not in left_out]
    # (The records hold no elements: a question naming some is answered from passages, as a set of countries is.)
    if (_WHO.match(question) and intent.stages and not (companies or projects or backers) and not placed
            and (left_out or region_in(question, regions))
            and not (asks_extreme(question) or asks_degree(question) or asks_one(question))
            and not _names_elements(question)):
        # the stage the verb works is the one named last ("Who makes strip-cast NdFeB alloy?": alloy)
        asked = without_contrast(question)
        return RecordQuery(kind="set", subject="project", stage=last_stage(question) or intent.stages[-1],
                           exclude=left_out, countries=placed, region=region_in(question, regions),
                           statuses=_said(STATUS_WORDS, asked), phases=_said(PHASE_WORDS, asked))
    kind = max(KINDS, key=lambda k: scores.get(k, 0.0))
    # A vote for records split among kinds (none holding half of it) leaves the kind to grammar, where it says.
    vote = sum(scores.get(k, 0.0) for k in KINDS)
    if vote >= MIN_SHARE and scores.get(kind, 0.0) < 0.5 * vote:
        kind = _grammar_kind(question, projects, member_nouns) or kind
    # Grammar over a vote for a change: a clause that opens by asking for members ("How many countries…") asks
    # for a set or a count, and one that opens with an imperative of ordering ("…, rank them") for a ranking.
    if kind == "change" and (members := members_kind(question, member_nouns)):
        kind = members
    if kind in ("set", "count", "extreme", "change") and orders(question):
        kind = "ranking"  # an imperative of ordering ("Rank…", "Order…", "Sort…") asks for a ranking
    # Two or more countries set side by side by a figure the tables hold ("Russia or Vietnam, which has the larger
    # reserves?", "Compare Brazil's and Vietnam's mine output") are ranked by it, whatever the vote says; "in the
    # chain", they are compared stage by stage, whatever figure the question mentions.
    compared = [k for k in named if k not in excluded_countries(question, spans)]
    countries_compared = (len(compared) >= 2 and not projects and compares(question) and kind != "change" and not
                          has_any(question, ("chain",)) and has_any(question, FIGURE_WORDS))
    if countries_compared:
        kind = "ranking"
    # A vote for a comparison with fewer than two projects named has nothing to compare: grammar decides then.
    elif vote < MIN_SHARE or (kind == "compare" and len(projects) < 2):
        # Grammar, where the examples are split: an interrogative followed by a plural noun for countries or
        # sites asks for the members of a set ("Which countries…", "How many plants…").
        asked = _grammar_kind(question, projects, member_nouns)
        if asked is None:
            return None
        kind = asked
    # A set asked with a superlative of degree is a ranking ("Which countries mined the least?"), as is an extreme
    # asked of several ("Which countries were the biggest miners?"), and a ranking that asks for one country or
    # site, with no number, its extreme ("Which country has the smallest reserves?").
    if kind in ("set", "count") and asks_degree(question) or kind == "extreme" and members_kind(
            question, member_nouns) and not asks_one(question):
        kind = "ranking"
    kind = "extreme" if kind == "ranking" and asks_one(question) and how_many_asked(question) is None else kind
    # Each kind needs the words it works on; without them the question is answered from passages.
    plural = any(w in member_nouns and w.endswith("s") for w in words_of(question))
    # A company named in a set or count of sites is whose sites are asked for ("Which plants does X run?"); in a
    # change it is whose projects moved; otherwise the question is about the company, and passages answer it.
    sites_of_company = kind in ("set", "count") and plural and bool(set(words_of(question)) & set(SITE_WORDS))
    # Two or more projects named in a comparison or an order are what is compared or ordered, whoever runs them.
    projects_asked = kind in ("compare", "ranking", "extreme") and len(projects) >= 2
    if companies and not (kind == "change" and (projects or spans)) and not sites_of_company and not projects_asked:
        return None
    if kind in ("set", "count") and not plural:
        return None
    # A stage whose figures the tables hold (deposits' reserves, mining's output) is a measure too.
    if kind in ("ranking", "extreme") and not (plural or any(has_any(question, w) for w in MEASURE_WORDS.values())
                                               or (intent.stages and intent.stages[-1] in ("deposit", "mining"))
                                               or asks_extreme(question)):
        return None
    # An order needs words that order: a superlative, an imperative of ordering, or how many to show.
    if kind in ("ranking", "extreme") and not (asks_extreme(question) or asks_degree(question) or orders(question)
                                               or how_many_asked(question) or countries_compared):
        kind = members_kind(question, member_nouns) or ""
        if not kind:
            return None
    if kind == "concentration" and not has_any(question, CONCENTRATION_WORDS):
        return None
    exclude = excluded_countries(question, spans)
    countries = [c for c in dict.fromkeys(k for k, _ in spans) if c not in exclude]
    stages = list(intent.stages)
    if kind == "concentration" and not {"concentrate", "concentrates"} & set(words_of(question)):
        stages = [s for s in stages if s != "concentrate"]  # "concentrated" is the measure, not the stage
    stage = stages[-1] if stages else None
    # A site noun inside a measure's name ("mine output") names the measure, not what is ranked or counted.
    # What is counted or ranked is the first noun for countries or sites ("Which plants ... in which countries").
    nouns = [w for w in words_of(without_phrases(question, MEASURE_WORDS["mine_production"]))
             if w in member_nouns]
    subject = "project" if (nouns and nouns[0] in sites) or kind == "compare" or projects_asked else "country"
    asked = without_contrast(question)
    statuses = _said(STATUS_WORDS, asked)
    phases = _said(PHASE_WORDS, asked)
    if subject == "project" and statuses and phases:
        # A status said beside a phase ("running and planned") is one more phase asked for, not a second filter:
        # a site is planned while it is studied, built or commissioned, at scale when it operates.
        phases = list(dict.fromkeys(phases + [p for st in statuses for p in _STATUS_PHASES.get(st, ())]))
    measure = next((m for m, words in MEASURE_WORDS.items() if has_any(question, words)), None)
    q = RecordQuery(kind=kind, subject=subject, stage=stage, statuses=statuses, countries=countries,
                    exclude=exclude, region=region_in(question, regions), phases=phases,
                    supported=has_any(question, SUPPORT_WORDS) or bool(backers), measure=measure,
                    # a year filters projects by their first output only where the question speaks of output
                    years=intent.years if subject == "country" or has_any(question, MEASURE_WORDS["mine_production"])
                    else [],
                    programmes=programmes_named(question, programmes, regions, backers)
                    if has_any(question, SUPPORT_WORDS) or backers else [],
                    limit=how_many_asked(question), names=projects, ascending=smallest_first(question),
                    operators=[n for e in intent.entities if e.kind == "company" for n in e.names]
                    if sites_of_company else [])
    q.at_least, q.at_most = amount_bounds(question)
    if kind in ("ranking", "extreme") and (place := place_asked(question)):
        q.kind, q.rank, q.limit = "extreme", place, None  # "the second-largest": that one, after those ahead
    if kind == "change":
        return _change_query(q, question, intent, projects, companies)
    lo, hi, bounds = year_bounds(question)
    milestone = milestone_named(question) if subject == "project" and kind in ("set", "count") else None
    if milestone and (intent.years or lo or hi):
        # A year with a project's milestone ("started construction in 2025", "first output before 2020") dates
        # that milestone, done or expected: the registry's milestones answer it.
        q.milestone, q.year_from, q.year_to = milestone, lo, hi
        q.years = [y for y in intent.years if y not in bounds]
        q.phases = [p for p in q.phases if p != _MILESTONE_PHASE.get(milestone)]
        if milestone == "licence" and q.stage in ("deposit", "mining"):
            q.stage = None  # a mining licence is held by the project, whether listed at its deposit or its mine
        # financing of any kind, not only a listed programme's; "granted a licence" is not public support
        q.supported = bool(q.programmes)
    elif milestone == "licence":
        # A licence, which no phase names, asked without a year: the projects that hold one (a licence milestone
        # done), whether listed at their deposit or their mine. A licence "granted" is not a grant of support.
        q.milestone = milestone
        q.stage = None if q.stage in ("deposit", "mining") else q.stage
        rest = re.sub(r"\bgrant\w*", " ", question, flags=re.I)
        q.programmes = programmes_named(rest, programmes, regions, backers) if has_any(rest, SUPPORT_WORDS) else []
        q.supported = bool(q.programmes)
    if kind == "compare":
        return q if len(projects) >= 2 else None
    # One country named and not left out: the question is about that country, not a set or a ranking of them.
    if subject == "country" and len(countries) == 1:
        return None
    if kind in ("ranking", "extreme") and subject == "country" and measure is None:
        measure = "reserves" if stage == "deposit" else "mine_production" if stage == "mining" else None
    table_measure = measure in ("reserves", "mine_production") and stage in (None, "deposit", "mining", "concentrate")
    if kind in ("ranking", "extreme") and subject == "country" and table_measure and len(intent.years) >= 2:
        # A ranking across two years ranks how the figure changed between them: a fall first where the question
        # speaks of one, by percent where it speaks of proportions.
        q.change = "relative" if has_any(question, RELATIVE_WORDS) or "%" in question else "absolute"
        q.ascending = q.ascending or has_any(question, DECLINE_WORDS)
        q.years = sorted(intent.years)[:1] + sorted(intent.years)[-1:]
    if kind in ("set", "count") and subject == "country" and table_measure and (
            measure == "reserves" or intent.years or q.at_least is not None or q.at_most is not None):
        # Countries by a figure the tables hold (reserves; mine output in a year or above an amount): the table
        # answers, not the map's statuses.
        q.measure = measure
        return q
    if kind in ("set", "count") and subject == "country":
        q.measure = None  # the map's statuses answer it, not a table's figures
    if kind in ("ranking", "extreme"):
        if subject == "country":
            # The country tables rank reserves and mine output; other stages have no table of figures by country.
            if measure is None:
                measure = "reserves" if stage == "deposit" else "mine_production" if stage == "mining" else None
            if measure == "mine_production" and stage not in (None, "mining", "concentrate", "deposit"):
                measure = None
            q.measure = measure if measure in ("reserves", "mine_production") else None
        if subject == "project":
            # a project's own figures: its resource or reserves where asked, else its capacity (what it makes a
            # year, which is also what a plan calls its output), on the basis the question names
            q.measure = (q.measure if q.measure in ("resource", "reserves") else
                         "resource" if stage == "deposit" and q.measure is None else "capacity")
            if has_any(question, AGE_WORDS):  # how long a site has run: by the year its output began
                q.measure, q.ascending = "first_output", not has_any(question, NEWEST_WORDS)
            q.basis = basis_named(question, BASIS_WORDS, SITE_WORDS)
            q.names = projects if len(projects) >= 2 else []
            if q.measure in ("resource", "reserves"):
                q.stage = None  # a deposit's figure: a stage word ("in contained oxide") names its basis
        if subject == "country" and len(countries) >= 2:
            q.limit = len(countries)  # the countries named are the ones ranked, all of them shown
        if q.kind == "extreme":
            q.limit = q.limit or 1
        return q if q.measure else None
    if kind == "concentration":
        return q if stage or measure in ("reserves", "mine_production") else None
    # set / count: a filter that the records can answer
    if subject == "country" and stage is None:
        return None
    if subject == "project" and not (stage or phases or q.region or q.supported or countries or q.years
                                     or q.year_from or q.year_to or q.operators or q.milestone):
        return None
    if subject == "country" and _names_elements(question):
        return None  # the map's statuses are for a stage as a whole, not for particular elements
    return q



def _said(vocabulary: dict[str, tuple[str, ...]], text: str) -> list[str]:
    """The keys of a vocabulary (statuses, phases) whose words the text uses."""
    return [key for key, words in vocabulary.items() if has_any(text, words)]


def _names_elements(question: str) -> bool:
    """The question names elements or a group of them, other than ones it leaves out; the records, per stage,
    do not tell elements apart."""
    return any(has_any(without_left_out(question), w) for w in (*ELEMENTS.values(), *ELEMENT_GROUPS.values()))


_STATUS_PHASES = {"planned": ("feasibility", "construction", "commissioning"), "at_scale": ("operating",)}


def _grammar_kind(question: str, projects: list[str],
                  members: tuple[str, ...] = COUNTRY_WORDS + SITE_WORDS) -> str | None:
    """The kind grammar asks for: members of a set ("Which countries…", "How many plants…"), an order ("Rank…"),
    an extreme (a superlative before a noun for countries or sites), or a comparison of two named projects (a
    comparing word or a comparative of amount)."""
    if asked := members_kind(question, members):
        return asked
    if orders(question):
        return "ranking"
    if asks_extreme(question):
        return "extreme"
    if len(projects) >= 2 and compares(question):  # "Compare A and B", "Which is bigger, A or B?"
        return "compare"
    return None


def _change_query(q: RecordQuery, question: str, intent: Intent, projects: list[str],
                  companies: list[str]) -> RecordQuery | None:
    """A change between dates. A country's reserves or mine output between two years, with no project or company
    named, is read from the tables of figures (for countries compared; one country alone is answered from
    passages). Otherwise the registry's milestones answer it, in date order: those of the projects named, else of
    the projects the companies named run (in the countries named), else of the countries' or the region's."""
    if q.measure in ("reserves", "mine_production") and not projects and not companies:
        if len(intent.years) >= 2 and q.countries and not (q.subject == "country" and len(q.countries) == 1):
            return q.model_copy(update={"years": intent.years})
        return None
    if not (projects or q.countries or q.region):
        return None
    lo, hi, _bounds = year_bounds(question)
    if intent.type == "numeric" and len(intent.years) == 1 and lo is None and hi is None:
        return None  # a quantity in one year ("how much did it raise in 2026") is a figure, not a change
    if lo is None and hi is None and intent.years:
        lo, hi = min(intent.years), max(intent.years)
        # "since" before the year, though not right before it ("since Iluka approved it in 2022"), runs to now
        first = re.search(str(lo), question)
        if len(set(intent.years)) == 1 and first and re.search(r"\bsince\b", question[:first.start()], re.I):
            hi = None
    named = {"stage": None, "countries": [], "region": None} if projects else {}
    return q.model_copy(update={"subject": "project", "years": intent.years, "year_from": lo, "year_to": hi,
                                "names": projects, "operators": companies, "measure": "milestone", "statuses": [],
                                "phases": [], "supported": False, "programmes": [], "limit": None, **named})


class RecordReader:
    """Reads a question into a query over records: the kind from the nearest labelled examples, the rest from the
    slots. Built once per Assistant, like the intent reader."""

    def __init__(self, classifier: Any) -> None:
        self.classifier = classifier

    def read(self, question: str, intent: Intent, regions: Iterable[str], sites: Iterable[str] = (),
             programmes: Iterable[str] = (), names: Any = None,
             table_sources: Iterable[str] = ()) -> tuple[RecordQuery | None, Intent]:
        """The query (or None) and the intent as the records read it. `sites`: the kinds of entity that are
        projects; `names`: the supply links' party names (knowledge/supply.py); `table_sources`: the publishers
        of the tables of figures."""
        from assistant.knowledge.taxonomy import country_spans
        from assistant.understand.publishers import named_publisher, names_match
        from assistant.understand.supply import find_parties

        sources = [s for s in table_sources if s]
        # The publisher of the tables ("by USGS's figures") is where to look, not what is asked about; "according
        # to X" asks what X says, so unless X published the tables, the records (ours) do not answer it.
        intent = replace(intent, entities=[e for e in intent.entities
                                           if not any(names_match(n, s) for n in e.names for s in sources)])
        publisher = named_publisher(question)
        named = [e for e in intent.entities if publisher and any(names_match(publisher, n) for n in e.names)]
        if named and not any(names_match(publisher, s) for s in sources):
            return None, intent  # a registered source other than the tables' publisher ("the corpus" is not one)
        # (a kind of deposit, placed in no one country, is no project: "ion-adsorption clay")
        projects = [e.name for e in intent.entities if e.kind in set(sites) and (e.country or e.kind != "deposit")]
        # "Whose" before a figure the country tables hold asks which country's it is ("Whose mine output fell
        # most?" is "Which country's mine output fell most?").
        if _WHOSE.match(question) and any(has_any(question, MEASURE_WORDS[m]) for m in ("reserves",
                                                                                          "mine_production")):
            question = _WHOSE.sub("Which country's", question, count=1)
        scores = self.classifier.scores(question) if self.classifier else {}
        if (not intent.years and scores and max(scores, key=lambda k: scores[k]) == "change"
                and self.closest(question, "change") < CHANGE_CLOSE):
            scores = {k: v for k, v in scores.items() if k != "change"}
        found = country_spans(question)
        # A country in the possessive before a name it qualifies ("Japan's JOGMEC") places that name; it does not
        # filter the records.
        owners = {key for start, end, key in found if re.match(r"['’]s\s", question[end:end + 3])
                  and any(question[end + 3:].lower().startswith(n.lower()) for e in intent.entities for n in e.names)}
        # A country inside a registered name the question uses ("the Export-Import Bank of the United States")
        # is part of that name, not a place asked about.
        inside = [(m.start(), m.end()) for e in intent.entities for n in e.names if len(n) > 3
                  for m in re.finditer(re.escape(n), question, re.I)]
        spans = [(key, start) for start, end, key in found if key not in owners and not in_a_name(start, end, inside)]
        parties = find_parties(question, found, list(intent.entities), names) if names is not None else []
        return read_query(question, intent, scores, spans, regions, projects, programmes, parties), intent

    def closest(self, question: str, label: str) -> float:
        """The similarity of the question to the nearest labelled example of this kind (names masked)."""
        import numpy as np

        c = self.classifier
        mine = c.labels == label
        if not mine.any():
            return 0.0
        vec = np.asarray(c.embed([c.mask(question)]), dtype=np.float32)[0]
        vec /= np.linalg.norm(vec) + 1e-9
        return float((c.vectors[mine] @ vec).max())


__all__ = ["KINDS", "MIN_SHARE", "RecordQuery", "RecordReader", "excluded_countries", "milestone_named", "read_query",
           "region_in", "year_bounds"]
