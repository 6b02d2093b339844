"""The registry of projects and facilities: every mine, deposit project and plant, one record each.

One source of truth for each field: where a facility is, which stages it serves, who runs it, its phase, support,
capacity and evidence come from the value-chain facts (`corpus/value_chain/*.yaml`, the same records the checklist
and the map read); its other names, kind and summary come from the entity registry (`corpus/entities.yaml`), joined
by name. Nothing here is typed twice, and no status is stored: statuses stay derived by the one rule.

A project's milestones (licence, financing, construction start, commissioning, first output, suspension, closure),
each dated, done or expected, and pointing at the sentence that states it, are gathered from every stage the
facility is listed at; `load_registry` finds each one's sentence in its document (knowledge/sentences.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from assistant.knowledge.entities import SITE_KINDS, Entity
from assistant.knowledge.valuechain import (
    FACILITY_FIGURES,
    MILESTONE_KINDS,
    CountryFacts,
    Evidence,
    Facility,
    Figure,
    Milestone,
    Support,
)
from assistant.types import STAGES

# The phases of the value-chain facts, in the order a project moves through them.
PHASES: tuple[str, ...] = ("exploration", "feasibility", "construction", "commissioning", "operating", "suspended",
                           "closed")


class Project(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    aliases: tuple[str, ...] = ()
    project: str = ""  # the project it is one part of (its own name where it stands alone)
    kind: str = ""  # plant | mine | deposit, from the entity registry where it is there
    country: str  # taxonomy key
    country_name: str
    region: str = ""
    stages: tuple[str, ...]
    operator: str = ""
    phase: str
    pilot: bool = False
    note: str = ""
    support: tuple[Support, ...] = ()
    # its own figures, each citing its sentence; capacity and output fall back to the stage's where it is the
    # stage's only facility (the stage's figure is then its figure, cited by the stage's evidence)
    capacity: Figure | None = None
    output: Figure | None = None
    resource: Figure | None = None  # a deposit's mineral resource (contained REO, or ore)
    reserves: Figure | None = None  # a deposit's ore reserve, likewise
    first_output: int | None = None  # the year output began: the stage's, else a first-output milestone done
    milestones: tuple[Milestone, ...] = ()  # in date order
    summary: str = ""
    docs: tuple[str, ...] = ()  # the documents that discuss it (the entity registry's, then its evidence's)
    evidence: tuple[Evidence, ...] = Field(default_factory=tuple)

    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def expected_output(self) -> int | None:
        """The year output is expected to begin (a first-output milestone not yet done), where none has begun."""
        if self.first_output is not None:
            return None
        years = [m.year for m in self.milestones if m.kind == "first_output" and not m.done]
        return min(years) if years else None

    def milestones_of(self, kinds: Iterable[str] = (), years: Iterable[int] = (), year_from: int | None = None,
                      year_to: int | None = None) -> list[Milestone]:
        """Its milestones of these kinds (all where none given) dated in these years, or within the bounds given
        (inclusive)."""
        kinds, years = set(kinds), set(years)
        return [m for m in self.milestones if (not kinds or m.kind in kinds) and (not years or m.year in years)
                and (year_from is None or m.year >= year_from) and (year_to is None or m.year <= year_to)]


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return re.sub(r"[^a-z0-9]+", " ", "".join(c for c in text if not unicodedata.combining(c)).lower()).strip()


def _core_name(name: str) -> str:
    """'Vacuumschmelze (VAC), Hanau' -> 'vacuumschmelze': the name before any bracket or comma."""
    return fold(re.split(r"[(,]", name)[0])


def _entity_for(name: str, entities: dict[str, Entity]) -> Entity | None:
    """The site entity named like the facility: by its whole name, then by its name before brackets and commas."""
    for key in (fold(name), _core_name(name)):
        if key in entities:
            return entities[key]
    return None


def _site_index(entities: Iterable[Entity]) -> dict[str, Entity]:
    out: dict[str, Entity] = {}
    for e in entities:
        if e.kind in SITE_KINDS:
            for n in (e.name, *e.aliases):
                out.setdefault(fold(n), e)
    return out


def milestone_order(m: Milestone) -> tuple[str, int]:
    """Date order; a date given only as a year ("in 2025") after that year's dated steps, since the sentence
    places it no more precisely."""
    return (m.date if len(m.date) > 4 else f"{m.date}-13", MILESTONE_KINDS.index(m.kind))


def build_registry(countries: Iterable[CountryFacts], entities: Iterable[Entity]) -> list[Project]:
    """One record per facility, its stages gathered across the country's chain (a mine listed at the deposit and
    the mining stage is one project)."""
    sites = _site_index(entities)
    records: list[Project] = []
    for cf in countries:
        by_name: dict[str, dict] = {}
        for stage in STAGES:
            facts = cf.stages[stage]
            for fac in facts.facilities:
                ent = _entity_for(fac.name, sites)
                key = f"entity:{ent.name}" if ent else (_core_name(fac.name) or fold(fac.name))
                rec = by_name.setdefault(key, {"facility": fac, "stages": [], "evidence": [], "capacity": None,
                                               "output": None, "resource": None, "reserves": None,
                                               "first_output": None, "milestones": [], "project": ""})
                rec["stages"].append(stage)
                rec["milestones"] += [m for m in fac.milestones if m not in rec["milestones"]]
                rec["evidence"] += [e for e in facts.evidence if e not in rec["evidence"]]
                rec["project"] = rec["project"] or fac.project
                for field in FACILITY_FIGURES:
                    rec[field] = rec[field] or getattr(fac, field)
                if len(facts.facilities) == 1:
                    rec["capacity"] = rec["capacity"] or facts.capacity
                    rec["output"] = rec["output"] or facts.output
                    rec["first_output"] = rec["first_output"] or facts.first_output
                if _later(fac, rec["facility"]):
                    rec["facility"] = fac
        for rec in by_name.values():
            fac: Facility = rec["facility"]
            ent = _entity_for(fac.name, sites)
            milestones = sorted(rec["milestones"], key=milestone_order)
            began = [m.year for m in milestones if m.kind == "first_output" and m.done]
            name = ent.name if ent else fac.name
            records.append(Project(
                name=name, project=rec["project"] or name,
                aliases=tuple(dict.fromkeys(n for n in ((ent.name, *ent.aliases, fac.name) if ent else ())
                                            if n != (ent.name if ent else fac.name))),
                kind=ent.kind if ent else "", country=cf.key, country_name=cf.country, region=cf.region,
                stages=tuple(rec["stages"]), operator=fac.operator, phase=fac.phase, pilot=fac.pilot, note=fac.note,
                support=tuple(fac.support), capacity=rec["capacity"], output=rec["output"],
                resource=rec["resource"], reserves=rec["reserves"],
                first_output=rec["first_output"] or (min(began) if began else None),
                milestones=tuple(milestones), summary=ent.summary if ent else "",
                docs=tuple(dict.fromkeys([*(ent.docs if ent else ()), *(e.doc for e in rec["evidence"])])),
                evidence=tuple(sorted(rec["evidence"], key=lambda e: e.date, reverse=True))))
    return records


def _later(new: Facility, old: Facility) -> bool:
    """Of one facility listed at several stages, the record furthest along (a mine operating, its deposit too)."""
    return PHASES.index(new.phase) > PHASES.index(old.phase) and new.phase not in ("suspended", "closed")


def family(registry: Iterable[Project], p: Project) -> list[Project]:
    """A project with its other facilities: those of its country that name the same project, or whose name
    begins with its name ("Mountain Pass" and "Mountain Pass separation"; "Longonjo" and "Longonjo MREC plant")."""
    heads = {fold(n) for n in (*p.names(), p.project) if len(fold(n)) >= 3}
    return [p] + [o for o in registry if o is not p and o.country == p.country
                  and (fold(o.project) in heads or any(fold(o.name).startswith(h + " ") for h in heads))]


def select(projects: Iterable[Project], *, countries: Iterable[str] = (), exclude: Iterable[str] = (),
           region: str | None = None, region_of: Any = None, stage: str | None = None,
           phases: Iterable[str] = (), supported: bool = False, programmes: Iterable[str] = (),
           first_output_in: Iterable[int] = (), expected_by: int | None = None) -> list[Project]:
    """The projects that pass every filter given (an empty filter passes all). `region` matches any region whose
    name contains it; `programmes` keeps projects backed by one of them (by name, case-insensitive substring);
    `first_output_in` keeps those whose output began, or is expected to begin, in one of these years; `expected_by`
    those whose output began, or is expected to begin, by that year."""
    countries, exclude = set(countries), set(exclude)
    phases, years = set(phases), set(first_output_in)
    wanted = [fold(p) for p in programmes]
    out = []
    for p in projects:
        region_name = (region_of(p.country) if region_of else p.region) or ""
        if (countries and p.country not in countries) or p.country in exclude:
            continue
        if region and fold(region) not in fold(region_name):
            continue
        if stage and stage not in p.stages:
            continue
        # A plant being commissioned that has already produced is operating as a question means it.
        if phases and p.phase not in phases and not (
                "operating" in phases and p.phase == "commissioning" and p.first_output is not None):
            continue
        if (supported or wanted) and not p.support:
            continue
        if wanted and not any(w in fold(s.programme) for s in p.support for w in wanted):
            continue
        began = p.first_output or p.expected_output()
        if years and began not in years:
            continue
        if expected_by is not None and (began is None or began > expected_by):
            continue
        out.append(p)
    return out


def locate_milestones(projects: Iterable[Project], corpus: Path) -> list[Project]:
    """The projects with the evidence of each milestone and of each of their own figures found in its document:
    its whole sentence, section, span and source (knowledge/sentences.py); a fragment not found exactly once stays
    unlocated (the tests report it)."""
    from assistant.knowledge.sentences import locate

    def figure(f: Figure | None) -> Figure | None:
        return f.model_copy(update={"evidence": locate(corpus, f.evidence)}) if f and f.evidence else f

    return [p.model_copy(update={
        "milestones": tuple(m.model_copy(update={"evidence": locate(corpus, m.evidence)}) for m in p.milestones),
        **{k: figure(getattr(p, k)) for k in FACILITY_FIGURES}}) for p in projects]


def load_registry(folder: Path, entities: Iterable[Entity]) -> list[Project]:
    from assistant.knowledge.valuechain import load_country

    countries = [load_country(p) for p in sorted(folder.glob("*.yaml"))] if folder.exists() else []
    return locate_milestones(build_registry(countries, entities), folder.parent)


__all__ = ["PHASES", "Project", "build_registry", "family", "load_registry", "locate_milestones", "milestone_order",
           "select"]
