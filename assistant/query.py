"""Question → Intent (countries, stages, elements, question type), with follow-ups resolved against the
conversation so far."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace

from assistant.errors import InputError
from assistant.taxonomy import (
    country_name,
    find_countries,
    find_elements,
    find_magnet_types,
    find_stages,
    replace_country,
)
from assistant.types import STAGES

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CAPABILITY = re.compile(
    r"\b(can|could|cannot|can't|is .{0,40}\bable|are .{0,40}\bable|does .{0,40}\b(have|make|produce|refine|"
    r"separate|mine|recycle)|do .{0,40}\b(have|make|produce)|capab\w*|self-sufficien\w*|supply chain for|"
    r"gaps?|what is missing|what's missing)\b", re.I)
_COMPARE = re.compile(r"\b(vs\.?|versus|compare[ds]?|comparison|compared|differ\w*|against|better placed)\b", re.I)
_NUMERIC = re.compile(r"\b(how (much|many|large|big|long)|what share|what percentage|percent|%|capacity|"
                      r"production in|produce in|output|tonnes?|tons?|reserves? of|price|cost|capex|when)\b", re.I)
# "Where/when/who/which/what/how ..." asks for a fact, even with "does X produce" inside it.
_WH_LOOKUP = re.compile(r"^\s*(where|when|who|whom|which|what(?!'s missing| is missing)|how|why)\b", re.I)
_FOLLOWUP = re.compile(r"^\s*(and|what about|how about|and what about|what of|same for|now|then)\b", re.I)
_TARGET_WORDS = {
    "magnet": ("magnet", "magnets", "ndfeb", "smco"),
}


@dataclass
class Intent:
    question: str
    type: str  # capability | comparison | numeric | lookup
    countries: list[str] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)
    elements: list[str] = field(default_factory=list)
    magnet_types: list[str] = field(default_factory=list)
    target: str = "magnet"
    followup: bool = False

    @property
    def wants_checklist(self) -> bool:
        return self.type in ("capability", "comparison") and bool(self.countries)


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


def check_stage(stage: str, field: str = "target") -> str:
    """The stage key, or an InputError naming the choices."""
    if stage not in STAGES:
        raise InputError(f"Unknown stage '{stage}'. Use one of: {', '.join(STAGES)}.", field=field)
    return stage


def target_stage(stages: list[str]) -> str:
    """The furthest stage down the chain the question is about (magnet by default)."""
    chain = [s for s in stages if s != "recycling"]
    if "recycling" in stages and (not chain or chain == ["magnet"]):
        return "recycling"  # "does France recycle magnets?" is about recycling
    if chain:
        return chain[-1]
    return "recycling" if stages else "magnet"


def understand(question: str) -> Intent:
    countries = find_countries(question)
    stages = find_stages(question)
    if _COMPARE.search(question) and len(countries) >= 2 or len(countries) >= 2 and re.search(
        r"\b(which|who)\b.*\b(closer|further|ahead|better|more)\b", question, re.I
    ):
        qtype = "comparison"
    elif _CAPABILITY.search(question) and not _WH_LOOKUP.match(question):
        qtype = "capability"
    elif _NUMERIC.search(question):
        qtype = "numeric"
    else:
        qtype = "lookup"
    return Intent(question=question, type=qtype, countries=countries, stages=stages,
                  elements=find_elements(question), magnet_types=find_magnet_types(question),
                  target=target_stage(stages))


def resolve(question: str, previous: Intent | None) -> tuple[Intent, str]:
    """Resolve a follow-up ("And Japan?", "what about separation?") against the previous turn.
    Returns the intent and the question as it will be answered."""
    intent = understand(question)
    short = len(question.split()) <= 7
    if previous is None or not (_FOLLOWUP.match(question) or (short and not intent.type == "comparison" and (
        intent.countries or intent.stages) and not re.search(r"\b(can|does|do|is|are|how|what|which|who|when)\b",
                                                                 question, re.I))):
        return intent, question
    new = replace(previous, followup=True)
    if intent.countries:
        new.countries = intent.countries if previous.type != "comparison" or len(intent.countries) > 1 else (
            [*previous.countries[:1], *intent.countries])
    if intent.stages:
        new.stages = intent.stages
        new.target = target_stage(intent.stages)
    if intent.elements:
        new.elements = intent.elements
    rewritten = rewrite(new, previous)
    new.question = rewritten
    return new, rewritten


def rewrite(intent: Intent, previous: Intent) -> str:
    """A standalone question for the resolved follow-up, used for retrieval and shown to the user."""
    names = [country_name(c) for c in intent.countries]
    if intent.type == "comparison" and len(names) >= 2:
        return f"Compare {names[0]} and {names[1]} across the rare-earth value chain up to {intent.target}."
    who = names[0] if names else "the country"
    if intent.type == "capability":
        verb = {"magnet": "make rare-earth magnets", "separation": "separate rare earths",
                "mining": "mine rare earths", "metal": "make rare-earth metal", "alloy": "make rare-earth alloys",
                "recycling": "recycle rare-earth magnets", "deposit": "have rare-earth deposits",
                "concentrate": "produce rare-earth concentrate", "cracking": "crack and leach rare-earth ores"}
        return f"Can {who} {verb.get(intent.target, intent.target)}?"
    question = previous.question
    for old in previous.countries[:1]:
        question = replace_country(question, old, who)
    return question


class Conversations:
    """Conversation state keyed by id (web session, Slack thread), bounded LRU, thread-safe."""

    def __init__(self, max_conversations: int = 2000, max_turns: int = 20) -> None:
        self._data: OrderedDict[str, list[Intent]] = OrderedDict()
        self._lock = threading.Lock()
        self.max_conversations = max_conversations
        self.max_turns = max_turns

    def last(self, conversation_id: str | None) -> Intent | None:
        if not conversation_id:
            return None
        with self._lock:
            turns = self._data.get(conversation_id)
            return turns[-1] if turns else None

    def add(self, conversation_id: str | None, intent: Intent) -> None:
        if not conversation_id:
            return
        with self._lock:
            turns = self._data.setdefault(conversation_id, [])
            turns.append(intent)
            del turns[: -self.max_turns]
            self._data.move_to_end(conversation_id)
            while len(self._data) > self.max_conversations:
                self._data.popitem(last=False)


def stage_range(target: str) -> list[str]:
    """Stages from deposit up to the target (recycling stands alone after magnet)."""
    if target == "recycling":
        return list(STAGES)
    return list(STAGES[: STAGES.index(target) + 1])
