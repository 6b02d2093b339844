"""Typed results every front end renders. `Answer.to_json()` is the JSON contract of `ree ask --json`."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from assistant.errors import InputError

STAGES: tuple[str, ...] = (
    "deposit",
    "mining",
    "concentrate",
    "cracking",
    "separation",
    "metal",
    "alloy",
    "magnet",
    "recycling",
)


def check_stage(stage: str, field: str = "target") -> str:
    """The stage key, or an InputError naming the choices."""
    if stage not in STAGES:
        raise InputError(f"Unknown stage '{stage[:40]}'. Use one of: {', '.join(STAGES)}.", field=field)
    return stage

STATUSES: tuple[str, ...] = ("at_scale", "emerging", "planned", "none", "unknown")
STATUS_LABEL: dict[str, str] = {"at_scale": "at scale", "emerging": "emerging", "planned": "planned", "none": "none",
                                "unknown": "unknown"}  # how every front end writes a status
VERDICTS: tuple[str, ...] = ("yes", "partly", "not yet", "no")
KINDS: tuple[str, ...] = ("primer", "profile", "policy", "analysis", "data", "upload")

Status = Literal["at_scale", "emerging", "planned", "none", "unknown"]
Verdict = Literal["yes", "partly", "not yet", "no"]


def doc_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """A chunk's document metadata (sources, dates, countries, stages), stored as JSON in its `doc_meta` field;
    empty when it is missing or unreadable."""
    raw = meta.get("doc_meta")
    try:
        value = json.loads(raw) if isinstance(raw, str) and raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Chunk:
    """A passage of a document, located exactly in the document's text."""

    id: str
    doc_id: str
    text: str
    start: int
    end: int
    section: str
    page: int | None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Passage:
    """A retrieved chunk with its scores."""

    chunk: Chunk
    score: float
    dense_rank: int | None = None
    bm25_rank: int | None = None
    similarity: float | None = None


class Citation(BaseModel):
    n: int
    doc_id: str
    chunk_id: str
    title: str
    publisher: str
    url: str  # the original publisher's address (or a DOI)
    date: str
    section: str
    page: int | None = None
    quote: str = Field(description="The quoted sentence as shown: verbatim words, without internal source "
                                   "markers, Markdown or table pipes.")
    span: tuple[int, int] | None = Field(None, description="(start, end) of the verbatim quote in the document text.")
    via: str = Field("", description="The copy the source was read through, where it is not the original (url).")
    uploaded: str = Field("", description="For a document someone uploaded (not the shipped corpus): how and when, "
                                          "e.g. 'uploaded via api on 2026-01-05T10:00:00Z'; empty otherwise.")
    claimed_publisher: str = Field("", description="For an upload: the publisher the file names for itself, shown as "
                                                   "a claim (`publisher` is then empty).")
    context: str = Field("", exclude=True, description="The whole passage around the quote (for UIs).")
    verbatim: str = Field("", exclude=True, description="The quote exactly as in the document.")


class StageRow(BaseModel):
    stage: str
    status: Status
    # the status in words for this stage ("reserves, unmined", "mined at scale", "none found",
    # "by-product, no published volume"): knowledge.valuechain.status_label
    label: str = ""
    detail: str
    as_of: str
    citations: list[int] = Field(default_factory=list)
    inferred: bool = False
    # the stage's facilities that its cited sentence names (so naming them in an answer rests on that citation)
    facilities: list[str] = Field(default_factory=list)
    # the target stage's detail, clause by clause, each clause kept only where one sentence of the stage's evidence
    # holds every figure and name in it, and cited to that sentence ("NPM Silmet: … [4]")
    detail_cited: str = ""


class NextStep(BaseModel):
    stage: str
    text: str
    citations: list[int] = Field(default_factory=list)


class Checklist(BaseModel):
    country: str
    target: str
    verdict: Verdict | None
    binding_gap: str | None
    stages: list[StageRow]
    next_steps: list[NextStep] = Field(default_factory=list)
    structured: bool = True
    note: str = ""


class RecordQuery(BaseModel):
    """A question read as a query over records (the registry, the value-chain facts, the tables of figures): what
    it counts or ranks, how it filters, and how it sorts. Shown in the answer JSON as `query`."""

    kind: Literal["set", "count", "ranking", "extreme", "compare", "change", "concentration", "supply", "scenario"]
    # party: a supply query's country, company or facility; stage: one country's stages, by status
    subject: Literal["country", "project", "party", "stage"]
    stage: str | None = None
    statuses: list[str] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)  # only these
    exclude: list[str] = Field(default_factory=list)  # all but these
    region: str | None = None
    phases: list[str] = Field(default_factory=list)
    supported: bool = False  # only projects with public support (a strategic-project listing, a state lender)
    programmes: list[str] = Field(default_factory=list)  # ... from these programmes, where the question names them
    years: list[int] = Field(default_factory=list)
    # Bounds on the years (inclusive) a question sets with a preposition: "since 2022", "before 2020", "by 2027".
    year_from: int | None = None
    year_to: int | None = None
    # The kind of project milestone a year filters or a change lists (licence, financing, construction_start,
    # commissioning, first_output, suspension, closure); None for a change: every kind.
    milestone: str | None = None
    operators: list[str] = Field(default_factory=list)  # only the projects these companies run (a change)
    measure: str | None = None  # reserves | resource | mine_production | capacity | milestone
    # What a project's figure weighs (REO, oxide, ore, concentrate, carbonate, metal, alloy, magnet), where the
    # question says: a ranking of projects compares only figures on these bases.
    basis: list[str] = Field(default_factory=list)
    # Bounds on the measure, in tonnes, that a question sets ("at least 10,000 t", "under one million tonnes").
    at_least: float | None = None
    at_most: float | None = None
    # A ranking by how a table's figure changed between the first and last year asked: by tonnes or by percent.
    change: Literal["absolute", "relative"] | None = None
    limit: int | None = None
    rank: int | None = None  # the one place asked for by an ordinal before a superlative ("the second-largest")
    ascending: bool = False  # smallest first
    names: list[str] = Field(default_factory=list)  # the projects compared
    matched: int = 0  # how many records answered
    # Supply links (kind supply) and scenarios (kind scenario): who is asked about, in which direction, what.
    party: str | None = None  # supply: the country, company or facility asked about (canonical name)
    direction: Literal["in", "out"] | None = None  # supply: "in" = who supplies the party, "out" = whom it supplies
    counterpart: str | None = None  # supply: the other party named ("from China"), if any
    stop: str | None = None  # scenario: the stopped country, company or facility (canonical name)
    material: str | None = None  # a supply material key: concentrate, mixed_carbonate, oxide, metal, magnet ...
    elements: list[str] = Field(default_factory=list)  # element symbols, or HREE / LREE for a group


class Answer(BaseModel):
    question: str
    answer: str
    answerable: bool
    citations: list[Citation] = Field(default_factory=list)
    checklist: Checklist | list[Checklist] | None = None
    conversation_id: str | None = None
    resolved_question: str | None = None
    # Why the question was not answered (answer/refusal.py): documents_silent, not_facts, off_subject, unknown_names,
    # weak_evidence.
    refusal: str | None = None
    notices: list[str] = Field(default_factory=list)
    query: RecordQuery | None = None  # the query over records that answered, when one did
    table: list[dict[str, Any]] = Field(default_factory=list)  # every record it matched, for the full table

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def checklists(self) -> list[Checklist]:
        """The answer's checklists as a list (none, one, or one per compared country)."""
        if self.checklist is None:
            return []
        return list(self.checklist) if isinstance(self.checklist, list) else [self.checklist]


class SourceInfo(BaseModel):
    doc_id: str
    title: str
    kind: str
    publisher: str
    date: str
    as_of: str
    chunks: int
    countries: list[str] = Field(default_factory=list)


class IngestReport(BaseModel):
    added: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    unchanged: int = 0
    chunks_embedded: int = 0
    errors: list[str] = Field(default_factory=list)
    seconds: float = 0.0


class Filters(BaseModel):
    """Metadata filters for search and ask."""

    country: str | None = None
    stage: str | None = None
    kind: str | None = None
    date_from: str | None = Field(None, max_length=10, description="as_of on or after, YYYY-MM-DD (or YYYY, YYYY-MM)")
    date_to: str | None = Field(None, max_length=10, description="as_of on or before, YYYY-MM-DD (or YYYY, YYYY-MM)")

    @field_validator("date_from", "date_to")
    @classmethod
    def _real_date(cls, value: str | None) -> str | None:
        """A calendar date (2024-13-45 is refused), or a year or a month."""
        if not value:
            return value
        parts = value.split("-")
        full = "-".join(parts + ["01"] * (3 - len(parts))) if 1 <= len(parts) <= 3 else ""
        try:
            if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
                raise ValueError
            dt.date.fromisoformat(full)
        except ValueError:
            raise ValueError("must be a real date like 2025-04-01 (or 2025, 2025-04)") from None
        return value
