"""Value-chain facts (`corpus/value_chain/<country>.yaml`) and the one rule that turns them into a status.

The YAML records facts (facilities and their phase, output, capacity, evidence and its date), never a verdict;
`derive_status` is the only place a status comes from. The rule is written out in docs/corpus-guide.md.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.knowledge.sentences import Quote
from assistant.types import STAGES

Phase = Literal["exploration", "feasibility", "construction", "commissioning", "operating", "suspended", "closed"]
Unit = Literal["t", "t/yr"]
Basis = Literal["REO", "ore", "concentrate", "carbonate", "oxide", "metal", "alloy", "magnet", "scrap"]

# An output figure known only from other countries' trade statistics, and below this many tonnes a year, is a
# trace: it shows that something left the country, not that an industry runs there.
TRACE_TONNES = 1000.0
# Output counts as current when its year is at most this many years before the stage's newest evidence.
CURRENT_YEARS = 3
# A commercial facility documented as producing at least this many years before the stage's newest evidence is
# established: sustained output without a published tonnage (operators rarely publish one per stage).
ESTABLISHED_YEARS = 3
BUILDING: tuple[str, ...] = ("feasibility", "construction")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceRef(_Strict):
    doc: str
    section: str


class Support(_Strict):
    """Public backing of a project: the EU CRMA strategic-project list, US DoD / DFC / EXIM, and the like."""

    programme: str  # e.g. "EU CRMA strategic project", "US DoD", "US DFC", "US EXIM"
    detail: str = ""
    source: SourceRef


# The dated steps of a project, in the order a project meets them.
MILESTONE_KINDS: tuple[str, ...] = ("licence", "financing", "construction_start", "commissioning", "first_output",
                                    "suspension", "closure")
MilestoneKind = Literal["licence", "financing", "construction_start", "commissioning", "first_output", "suspension",
                        "closure"]
MILESTONE_LABEL: dict[str, str] = {"licence": "licence", "financing": "financing",
                                   "construction_start": "construction start", "commissioning": "commissioning",
                                   "first_output": "first output", "suspension": "suspension", "closure": "closure"}
_MILESTONE_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")


class Milestone(_Strict):
    """A dated step of a project: a licence granted, financing closed or approved, construction started,
    commissioning, first output, a suspension or a closure; done, or expected (a target the sources give)."""

    kind: MilestoneKind
    date: str  # YYYY, YYYY-MM or YYYY-MM-DD, as precise as the sentence is
    done: bool  # False: expected, a target or plan
    note: str = ""  # one short line: what was granted or raised, by whom
    evidence: Quote  # the sentence that states it: {doc, text}, text a unique fragment of it

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, v: object) -> str:
        v = v.isoformat() if isinstance(v, dt.date) else str(v)
        if not _MILESTONE_DATE.match(v):
            raise ValueError(f"a milestone date is YYYY, YYYY-MM or YYYY-MM-DD (got {v!r})")
        return v

    @property
    def year(self) -> int:
        return int(self.date[:4])


class Figure(_Strict):
    value: float
    unit: Unit
    basis: Basis  # what the tonnes weigh: REO, ore, concentrate, oxide, metal, magnet ...
    year: int | None = None
    estimate: Literal["reported", "estimated", "trade_inferred", "announced"] = "reported"
    # a reserve from a study whose design or permit has since lapsed or been replaced: still quoted, but no longer
    # a current code-compliant reserve, so it never makes a deposit `at_scale`
    historic: bool = False
    # a facility's capacity: the nameplate it is built for, a target it plans, or what it has actually run at
    kind: Literal["nameplate", "target", "actual"] | None = None
    # the sentence that states the figure (a facility's figures carry one; `load_registry` locates it)
    evidence: Quote | None = None


# A facility's own figures, each with the sentence that states it: what it can make, what it made, and (a deposit
# or mine) the mineral resource and the ore reserve, as contained oxide (basis REO) or as ore.
FACILITY_FIGURES: tuple[str, ...] = ("capacity", "output", "resource", "reserves")


class Facility(_Strict):
    name: str
    # the project it is one part of, where the project has several facilities ("Lofdal" for the Lofdal flotation
    # plant); a project's facilities are compared, ranked and listed together
    project: str = ""
    operator: str = ""
    phase: Phase
    pilot: bool = False  # a pilot, demonstration or research line, not commercial output
    # rare earths recovered as a by-product of another commodity's plant (scandium from a nickel leach circuit):
    # without a published output figure this is at most `emerging`, and the label says why
    byproduct: bool = False
    note: str = ""
    capacity: Figure | None = None
    output: Figure | None = None
    resource: Figure | None = None
    reserves: Figure | None = None
    support: list[Support] = Field(default_factory=list)
    milestones: list[Milestone] = Field(default_factory=list)

    @field_validator(*FACILITY_FIGURES)
    @classmethod
    def _cited(cls, v: Figure | None) -> Figure | None:
        if v is not None and v.evidence is None:
            raise ValueError("a facility's figure carries `evidence: {doc, text}`, the sentence that states it")
        return v


class Evidence(_Strict):
    doc: str
    section: str
    date: dt.date  # publication date of the newest source this evidence rests on


class StageFacts(_Strict):
    facilities: list[Facility] = Field(default_factory=list)
    output: Figure | None = None  # the latest output
    capacity: Figure | None = None
    reserves: Figure | None = None  # deposit stage: reserves (e.g. USGS) where reported
    resource: Figure | None = None  # deposit stage: a resource or forecast (often ore tonnes); never counts as reserves
    first_output: int | None = None  # the year output began (never the date of the report that mentions it)
    # the year of a report that documents output as already running, where no source says when it began
    output_documented: int | None = None
    # the sources reviewed for the country describe no facility at this stage: absence recorded as a finding (the
    # detail says "None found" and which sources were checked)
    none_found: bool = False
    detail: str
    evidence: list[Evidence]

    @field_validator("detail")
    @classmethod
    def _one_line(cls, v: str) -> str:
        if not v.strip() or "\n" in v.strip():
            raise ValueError("detail is one non-empty line")
        return v.strip()

    @property
    def as_of(self) -> str:
        """The date of the newest evidence: what the checklist's "as of" shows."""
        return max(e.date for e in self.evidence).isoformat() if self.evidence else ""


class CountryFacts(_Strict):
    country: str
    key: str
    region: str = ""
    stages: dict[str, StageFacts]

    @field_validator("stages")
    @classmethod
    def _all_stages(cls, v: dict[str, StageFacts]) -> dict[str, StageFacts]:
        if list(v) != list(STAGES):
            raise ValueError(f"stages must be exactly {', '.join(STAGES)} in that order (got {', '.join(v)})")
        return v

    def status(self, stage: str) -> str:
        return derive_status(stage, self.stages[stage])

    def label(self, stage: str) -> str:
        """The stage's status in words (`status_label`); a deposit counts as mined when the mining stage runs at
        scale."""
        mined = stage == "deposit" and self.status("mining") == "at_scale"
        return status_label(stage, self.stages[stage], mined=mined)


def is_trace(fig: Figure | None) -> bool:
    return fig is not None and fig.estimate == "trade_inferred" and fig.value < TRACE_TONNES


def _current(fig: Figure | None, facts: StageFacts) -> bool:
    if fig is None or fig.value <= 0:
        return False
    newest = _newest_year(facts)
    if fig.year is None or newest is None:
        return True
    return newest - fig.year <= CURRENT_YEARS


def _newest_year(facts: StageFacts) -> int | None:
    return max(e.date for e in facts.evidence).year if facts.evidence else None


def _established(facts: StageFacts) -> bool:
    """Output known to run ESTABLISHED_YEARS before the newest evidence: since it began (`first_output`) or since a
    report documented it running (`output_documented`)."""
    newest = _newest_year(facts)
    known = [y for y in (facts.first_output, facts.output_documented) if y is not None]
    return bool(known) and newest is not None and newest - min(known) >= ESTABLISHED_YEARS


def byproduct_unpublished(facts: StageFacts) -> bool:
    """Every commercial facility operating at this stage recovers rare earths as a by-product, and no output figure
    is published: at most `emerging`, and flagged."""
    commercial = [f for f in facts.facilities if f.phase == "operating" and not f.pilot]
    return bool(commercial) and all(f.byproduct for f in commercial) and facts.output is None


def current_reserves(facts: StageFacts) -> bool:
    """A reserve that counts: reported (by an operator under a reporting code such as JORC, NI 43-101 or SAMREC, or
    as a country figure by USGS) and not historic."""
    r = facts.reserves
    return r is not None and r.value > 0 and not r.historic


def sustained_output(facts: StageFacts) -> bool:
    """A commercial (not pilot) facility is operating, its output is not a trace, and the output is either current
    (a figure at most CURRENT_YEARS old) or established (documented for at least ESTABLISHED_YEARS). By-product
    recovery with no published figure is never sustained output."""
    commercial = any(f.phase == "operating" and not f.pilot for f in facts.facilities)
    if not commercial or is_trace(facts.output) or byproduct_unpublished(facts):
        return False
    return _current(facts.output, facts) or _established(facts)


def derive_status(stage: str, facts: StageFacts) -> str:
    """at_scale | emerging | planned | none | unknown, from the facts alone (see docs/corpus-guide.md).

    - at_scale: a commercial facility is operating with sustained output that is not a trace: a current output
      figure, or output documented for ESTABLISHED_YEARS (for the deposit stage: a current code-compliant or
      USGS reserve, or a deposit mined at scale; `status_label` tells the two apart);
    - emerging: a facility is commissioning, or operating with only a trace, pilot, unreported output or
      by-product recovery with no published volume (deposit: a resource under exploration or study, or a
      historic reserve);
    - planned: a facility is in feasibility or construction;
    - none: the sources state there is nothing, or every facility is suspended or closed;
    - unknown: the sources say nothing either way.
    """
    phases = {f.phase for f in facts.facilities}
    sustained = sustained_output(facts)
    if stage == "deposit":
        if current_reserves(facts) or sustained:
            return "at_scale"
        if phases & {"exploration", "feasibility", "construction", "commissioning", "operating"}:
            return "emerging"
    else:
        if sustained:
            return "at_scale"
        if phases & {"commissioning", "operating"}:
            return "emerging"
        if phases & set(BUILDING):
            return "planned"
    if facts.none_found or (phases and phases <= {"suspended", "closed"}):
        return "none"
    return "unknown"


def status_label(stage: str, facts: StageFacts, mined: bool = False) -> str:
    """The status in words that mean what they say, stage by stage: a deposit `at_scale` is "mined at scale" or
    "reserves, unmined"; `none` is "none found" (absence recorded as a finding) or "closed"; `emerging` says why
    it is not at scale (by-product with no published volume, trace, pilot, commissioning). `mined` is whether the
    country's mining stage runs at scale (for the deposit stage)."""
    status = derive_status(stage, facts)
    phases = {f.phase for f in facts.facilities}
    if status == "at_scale":
        if stage != "deposit":
            return "at scale"
        return "mined at scale" if mined or sustained_output(facts) else "reserves, unmined"
    if status == "emerging":
        if byproduct_unpublished(facts):
            return "by-product, no published volume"
        if is_trace(facts.output):
            return "trace only"
        if stage == "deposit":
            if facts.reserves is not None and facts.reserves.historic:
                return "historic reserve, not current"
            return "resource, no reserve" if facts.resource is not None else "deposit, no reserve"
        if phases & {"operating"} and all(f.pilot for f in facts.facilities if f.phase == "operating"):
            return "pilot only"
        if "commissioning" in phases and "operating" not in phases:
            return "commissioning"
        return "emerging"
    if status == "none":
        if facts.none_found:
            return "none found"
        return "closed" if "closed" in phases else "suspended"
    return status


def detail_line(facts: StageFacts) -> str:
    """The stage's one-line detail as shown to users. Where a figure weighs ore (not REO, oxide or metal) and the
    line does not already say so, it is marked, so that ore tonnes are never read as rare-earth tonnes."""
    figures = [f for f in (facts.reserves, facts.resource, facts.output, facts.capacity) if f is not None]
    ore = [f for f in figures if f.basis == "ore"]
    if ore and not re.search(r"\bore\b", facts.detail, re.I):
        return f"{facts.detail} (the {ore[0].value:,.0f} t figure is ore, not rare-earth oxide)"
    return facts.detail


class StaleEntry(BaseModel):
    """A document or a value-chain stage whose newest evidence is older than the threshold."""

    kind: Literal["document", "stage"]
    id: str  # doc id (profiles/kazakhstan.md) or "<country>/<stage>"
    newest: str  # ISO date of the newest dated evidence; "" when nothing is dated
    age_days: int | None  # None when nothing is dated


def parse_date(text: str) -> dt.date | None:
    """`2025`, `2025-06` or `2025-06-19` as a date (the first day of a year or month); None if not a date."""
    parts = str(text or "").split("-")
    try:
        nums = [int(p) for p in parts]
        return dt.date(nums[0], nums[1] if len(nums) > 1 else 1, nums[2] if len(nums) > 2 else 1)
    except (ValueError, IndexError):
        return None


def stale_entries(documents: dict[str, list[str]], folder: Path, days: int,
                  today: dt.date | None = None) -> list[StaleEntry]:
    """Documents (doc id -> its sources' dates) and value-chain stages whose newest evidence is more than `days`
    days old, oldest first. A document or stage with no dated evidence is always listed."""
    if days < 0:
        raise ValueError("days must be zero or more")
    today = today or dt.date.today()
    out: list[StaleEntry] = []

    def add(kind: Literal["document", "stage"], ident: str, newest: dt.date | None) -> None:
        age = (today - newest).days if newest else None
        if age is None or age > days:
            out.append(StaleEntry(kind=kind, id=ident, newest=newest.isoformat() if newest else "", age_days=age))

    for doc, dates in sorted(documents.items()):
        parsed = [d for d in (parse_date(x) for x in dates) if d]
        add("document", doc, max(parsed) if parsed else None)
    for path in sorted(folder.glob("*.yaml")) if folder.exists() else []:
        facts = load_country(path)
        for stage, row in facts.stages.items():
            add("stage", f"{facts.key}/{stage}", max(e.date for e in row.evidence) if row.evidence else None)
    return sorted(out, key=lambda e: (e.age_days is not None, -(e.age_days or 0), e.id))


def load_country(path: Path) -> CountryFacts:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}  # noqa: S506 - a safe loader
    try:
        return CountryFacts.model_validate(raw)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc
