"""The intent a question is read into, and the small rules of grammar that reading it and reading a follow-up
against it share (understand/query.py, understand/followups.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.knowledge.entities import Entity

SUBJECT_SLOT = re.compile(r"\b(is|was|are|were|does|did|do|will|would|can|could|has|had|should)\s+$", re.I)
# A possessive stands for a named owner of something the question itself names ("its concentrate"), and is
# replaced by the owner's name; any other pronoun ("what was it before…", "that") may stand for a figure or a
# whole statement, and the turn is read as elliptical.
POSSESSIVE = ("its", "their")
# "There" stands for a place: only a country or an entity named before it in the question can be what it means.
PLACE = ("there",)
WHY = re.compile(r"^\W*(and\s+)?(why|how come)\b", re.I)
CHECKLIST_TYPES = ("capability", "comparison")


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


def target_stage(stages: list[str]) -> str:
    """The furthest stage down the chain the question is about (magnet by default)."""
    chain = [s for s in stages if s != "recycling"]
    if "recycling" in stages and (not chain or chain == ["magnet"]):
        return "recycling"  # "does France recycle magnets?" is about recycling
    if chain:
        return chain[-1]
    return "recycling" if stages else "magnet"


def best(scores: dict[str, float], exclude: tuple[str, ...] = ()) -> str:
    return next((k for k in scores if k not in exclude), "lookup")
