"""A supply question read as a typed query over the supply links (knowledge/supply.py): who supplies a party
("in"), whom a party supplies ("out"), or what breaks when a party stops (a scenario).

Whether a question is one of these comes from its nearest labelled examples (understand/records.py); this module
reads the slots, by grammar over the names the reader already finds:
- the parties: countries, registered companies and registry facilities named in the question, each resolved by the
  supply links' own names; "the Lynas plant in Malaysia" is tried as one name ("Lynas Malaysia") first;
- a party after "from" supplies, one after "to" receives, one after "in" only places the party before it, one after
  "outside" is left out;
- the direction: a question about one party asks who supplies it, unless its verb asks where its output goes
  ("who buys…", "where does … go", "X's exports");
- the stopped party: the one named nearest before the verb of stopping ("Myanmar's mines close");
- the material (concentrate, carbonate, oxide, compounds, metal, alloy, magnet, scrap; "monazite" is a
  concentrate; "magnet makers" names a receiver, not a material) and the elements or element group named.
"""

from __future__ import annotations

import re
from typing import Any

from assistant.knowledge.taxonomy import ELEMENT_GROUPS, ELEMENTS
from assistant.types import RecordQuery

# The words of supplying (not "supply chain"), of stopping, and the conditional a scenario is put in.
SUPPLY = re.compile(r"\b(suppl(y|ies|ied|ier|iers|ying)(?!\s+chains?)|buy(s|ing|er|ers)?|bought|purchas\w*|"
                    r"sell(s|ing)?|sold|imports?|imported|importing|exports?|exported|exporting|ship(s|ped|ping)?|"
                    r"feeds?|fed|feedstock|sourc(e|es|ed|ing)|offtakes?|offtaker|takes?|taking|gets?|getting|got|"
                    r"comes? from|came from|go(es)?|went|end(s)? up|customers?|depends? on|rel(y|ies) on|"
                    r"outlets?)\b", re.I)
STOPPING = re.compile(r"\b(stop(s|ped|ping)?|clos(e|es|ed|ing)|halt(s|ed|ing)?|shut(s|ting)?( down)?|shutdown|"
                      r"ceas(e|es|ed|ing)|cut(s|ting)? off|ban(s|ned|ning)?|embargo(es|ed)?|suspend(s|ed|ing)?|"
                      r"disrupt(s|ed|ion)?|goes offline|went offline|fail(s|ed)?)\b", re.I)
CONDITIONAL = re.compile(r"\b(what if|if|what happens|what would happen|suppose|supposing|were to|in case of|"
                         r"scenario|who (would|will) be (hit|affected))\b", re.I)
# Verbs whose object is where a party's output goes.
_OUT = re.compile(r"\b(buy(s|ing|er|ers)?|bought|purchas\w*|takes?|taking|goes|go|went|end(s)? up|customers?|"
                  r"outlets?|offtaker)\b", re.I)
_MATERIALS: list[tuple[str, re.Pattern[str]]] = [
    ("compounds", re.compile(r"\bcompounds?\b", re.I)),
    ("mixed_carbonate", re.compile(r"\bcarbonates?\b", re.I)),
    ("concentrate", re.compile(r"\b(concentrates?|monazite|bastn[aä]e?site|loparite|xenotime)\b", re.I)),
    ("oxide", re.compile(r"\b(oxides?|separated)\b", re.I)),
    ("alloy", re.compile(r"\balloys?\b", re.I)),
    ("metal", re.compile(r"\bmetals?\b(?!\s+(plant|makers?|producers?))", re.I)),
    ("magnet", re.compile(r"\bmagnets?\b(?!\s+(makers?|plants?|factor(y|ies)|lines?|industry|producers?|"
                          r"manufactur\w*|powders?))", re.I)),
    ("scrap", re.compile(r"\bscrap\b", re.I)),
    ("ore", re.compile(r"\bores?\b", re.I)),
]
_SYMBOL = re.compile(r"\b(" + "|".join(s for s in ELEMENTS if len(s) == 2) + r")\b")


# Openings that can only ask for a supplier or a buyer: the interrogative, at most two words, then the verb of
# supplying ("Who supplies…", "Which countries sell…", "Who was supposed to supply…"), or "where does X get / go".
_ASKS_SUPPLY = re.compile(
    r"^\W*(?:(?:who|whom|which\s+\w+|what\s+(?:countries|companies|firms|plants|suppliers|buyers))\s+(?:\S+\s+){0,3}?"
    r"(?:suppl(?:y|ies|ied)|sells?|sold|buys?|bought|takes?|feeds?|fed|imports?|exports?|ships?|provides?|"
    r"purchases?|offtakes?|sources?)\b|where\s+(?:does|do|did|will|would)\b.{0,80}?\b(?:get|gets|import|imports|"
    r"source|sources|buy|buys|go|goes|come\s+from|end\s+up|export|exports|sell|sells|ship|ships)\b|"
    r"from\s+whom\b|whom\s+does\b)", re.I)


def asks_supply(question: str) -> bool:
    """The question's opening asks who supplies or buys (grammar that no lookup shares)."""
    return bool(_ASKS_SUPPLY.match(question))


def supply_words(question: str) -> bool:
    return bool(SUPPLY.search(question))


def scenario_words(question: str) -> bool:
    return bool(STOPPING.search(question)) and bool(CONDITIONAL.search(question))


def material_of(question: str) -> str | None:
    """The material the question names: "compounds" first (it covers oxide and metal), then the earliest."""
    found = [(m.start(), key) for key, rx in _MATERIALS if (m := rx.search(question))]
    if any(k == "compounds" for _, k in found):
        return "compounds"
    return min(found)[1] if found else None


def elements_of(question: str) -> list[str]:
    low = question.lower()
    out = [sym for sym, words in ELEMENTS.items() if any(re.search(rf"\b{w}", low) for w in words)]
    out += [m.group(1) for m in _SYMBOL.finditer(question) if m.group(1) not in out]
    if re.search(r"\bndpr\b", low):
        out += [e for e in ("Nd", "Pr") if e not in out]
    groups = {"heavy": "HREE", "light": "LREE"}
    out += [groups[g] for g, words in ELEMENT_GROUPS.items() if any(w in low for w in words)]
    return out


def _folded(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower())


def find_parties(question: str, country_spans: list[tuple[int, int, str]], entities: list[Any],
                 names: Any) -> list[tuple[Any, int, int]]:
    """The supply parties a question names, in order: (party, start, end). A named company or plant followed by
    "in <country>" is first tried as one name ("the Lynas plant in Malaysia" → Lynas Malaysia)."""

    def resolve(name: str) -> Any:
        try:
            return names.resolve(name)
        except ValueError:
            return None

    found: list[tuple[Any, int, int]] = []
    low = question.lower()
    for e in entities:
        if getattr(e, "kind", "") in ("product", "policy", "programme", "element", "mineral"):
            continue
        for n in sorted(getattr(e, "names", [e.name]), key=len, reverse=True):
            at = low.find(n.lower())
            party = resolve(e.name) or resolve(n)
            if at >= 0 and party is not None:
                found.append((party, at, at + len(n)))
                break
    for start, end, key in country_spans:
        if any(s <= start < e for _, s, e in found):
            continue  # part of a registered name ("Lynas Malaysia")
        party = resolve(key)
        if party is not None:
            found.append((party, start, end))
    # A capitalised name the entity reader does not know as such: a plant's short name ("Korat", "Silmet").
    for m in re.finditer(r"\b[A-Z][\w-]*(?:\s+[A-Z][\w-]*){0,2}", question):
        words = [(w.start() + m.start(), w.end() + m.start()) for w in re.finditer(r"\S+", m.group(0))]
        spans = [(words[i][0], words[j][1]) for i in range(len(words)) for j in range(len(words) - 1, i - 1, -1)]
        for start, end in sorted(spans, key=lambda x: x[0] - x[1]):
            if any(s < end and start < e and (p.kind != "country" or not (start <= s and e <= end))
                   for p, s, e in found):
                continue  # a country inside a longer name ("Lynas Malaysia") gives way to it
            party = resolve(question[start:end])
            if party is not None and party.kind != "country":
                found = [x for x in found if not (start <= x[1] and x[2] <= end)] + [(party, start, end)]
    found.sort(key=lambda x: x[1])
    # "<company>'s <plant>": the plant, in the company's place in the sentence ("from Peak's Ngualla project").
    merged: list[tuple[Any, int, int]] = []
    for party, start, end in found:
        if merged and merged[-1][0].kind == "company" and party.kind != "country" and re.fullmatch(
                r"['’]s\s+", question[merged[-1][2]:start]):
            merged[-1] = (party, merged[-1][1], end)
            continue
        merged.append((party, start, end))
    found = merged
    # "<company or plant> … in <country>": one facility, where the two names make one.
    out: list[tuple[Any, int, int]] = []
    for party, start, end in found:
        if out and party.kind == "country" and re.search(r"\bin\s+(the\s+)?$", question[:start], re.I):
            prev, pstart, _pend = out[-1]
            if prev.kind != "country" and len(question[out[-1][2]:start].split()) <= 4:
                joined = resolve(f"{prev.name.split()[0]} {question[start:end]}")
                if joined is not None and joined.kind == "facility":
                    out[-1] = (joined, pstart, end)
                continue  # the country only places the party before it
        out.append((party, start, end))
    return out


def read_supply(question: str, kind: str, parties: list[tuple[Any, int, int]], stage: str | None,
                exclude: list[str]) -> RecordQuery | None:
    """The typed supply query or scenario, or None where the question lacks what it works on."""
    parties = [(p, s, e) for p, s, e in parties if not (p.kind == "country" and p.country in exclude)]
    if not parties:
        return None
    material = material_of(question)
    elements = elements_of(question)

    def before(start: int, rx: str) -> bool:  # "from X", "from the X", "from Peak's X"
        return bool(re.search(rf"\b({rx})\s+(the\s+)?([A-Z][\w-]*(\s+[A-Z][\w-]*)*['’]s\s+)?$",
                              question[:start], re.I))

    if kind == "scenario":
        stop_at = STOPPING.search(question)
        pos = stop_at.start() if stop_at else len(question)
        candidates = [x for x in parties if not before(x[1], "to|for|into")]
        prior = [x for x in candidates if x[1] < pos]
        chosen = (prior[-1] if prior else (candidates or parties)[0])[0]
        return RecordQuery(kind="scenario", subject="party", stop=chosen.name, stage=stage, material=material,
                           elements=elements, exclude=exclude)
    suppliers = [p for p, s, _ in parties if before(s, "from")]
    receivers = [p for p, s, _ in parties if before(s, "to|into")]
    others = [p for p, s, _ in parties if p not in suppliers and p not in receivers]
    if receivers:
        party, direction = receivers[0], "in"
        counterpart = (suppliers or others or [None])[0]
    elif suppliers and others:
        party, direction, counterpart = others[0], "in", suppliers[0]
    elif suppliers:
        party, direction, counterpart = suppliers[0], "out", None
    else:
        party = others[0]
        # "Who buys X's concentrate", "Where does X's output go", "X's exports": where the party's output goes.
        out_verb = bool(_OUT.search(question)) or bool(re.search(r"\bexport", question, re.I)) and not re.search(
            r"\bimport", question, re.I)
        direction = "out" if out_verb else "in"
        counterpart = others[1] if len(others) > 1 else None
    return RecordQuery(kind="supply", subject="party", party=party.name, direction=direction,
                       counterpart=counterpart.name if counterpart is not None else None, stage=stage,
                       material=material, elements=elements, exclude=exclude)


__all__ = ["CONDITIONAL", "STOPPING", "SUPPLY", "asks_supply", "elements_of", "find_parties", "material_of",
           "read_supply", "scenario_words", "supply_words"]
