"""Exposure and scenarios over the supply links (knowledge/supply.py): who a country depends on, and what breaks
when a supplier stops. Every line carries the numbers of the sentences it rests on.

    exposure(links, country, target)              a country's chain: what it takes in from abroad, by stage and
                                                  material, from which suppliers ("supplier not sourced" where
                                                  the documents name none), and whom it supplies
    scenario(links, names, registry, stop, ...)   a stopped country, company or facility: which countries lose a
                                                  sourced supply, which keep a sourced alternative, which are
                                                  unaffected, which import without a named supplier, and whose
                                                  outlet is lost

Rules (the same ones tests/fixtures/scenarios.yaml was written to): only current links carry supply; an ownership
link to a company is a stake, not a flow; "compounds" (form not stated) stand for oxide or metal; a stop cuts a link
whose material may hold the named elements (a link that names none may), but an alternative must name them.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, Field

from assistant.knowledge.registry import Project, fold
from assistant.knowledge.supply import GROUPS, MATERIALS, USED_AT, Names, Party, SupplyLink
from assistant.knowledge.taxonomy import country_name
from assistant.types import STAGES


class Source(BaseModel):
    n: int
    doc_id: str
    section: str
    quote: str
    url: str
    title: str = ""
    publisher: str = ""
    date: str = ""
    span: tuple[int, int] | None = None


class Flow(BaseModel):
    """One link as a line: who supplies whom with what, its figures and dates, the sentence's number."""

    link: str
    supplier: str  # "supplier not sourced" where the documents name none
    supplier_country: str | None
    receiver: str
    receiver_country: str
    material: str  # the material's label, with the elements named
    stage: str  # the receiver's stage that takes the material in
    kind: str
    status: str
    figures: str = ""
    cites: list[int] = Field(default_factory=list)


class StageDependency(BaseModel):
    stage: str
    flows: list[Flow]


class Exposure(BaseModel):
    country: str
    country_name: str
    target: str
    depends_on: list[StageDependency]  # imports by the receiving stage, deposit → target
    supplier_countries: list[str]
    not_sourced: list[Flow]  # "supplier not sourced"
    supplies: list[Flow]  # whom this country supplies
    sources: list[Source]


class Affected(BaseModel):
    country: str
    country_name: str
    cut: list[Flow]
    alternatives: list[Flow] = Field(default_factory=list)
    planned: list[Flow] = Field(default_factory=list)  # planned alternatives, not counted as supply


class Scenario(BaseModel):
    stop: str
    stop_kind: str
    material: str | None
    elements: list[str]
    stage: str | None
    loses: list[Affected]
    alternative: list[Affected]
    unaffected: list[Affected]
    not_sourced: list[Affected]
    outlet_lost: list[Affected]
    sources: list[Source]


class _Book:
    def __init__(self) -> None:
        self.items: list[Source] = []
        self._seen: dict[tuple[str, str], int] = {}

    def cite(self, link: SupplyLink) -> int:
        ev = link.evidence
        key = (ev.doc, ev.sentence)
        if key not in self._seen:
            self._seen[key] = len(self.items) + 1
            self.items.append(Source(n=len(self.items) + 1, doc_id=ev.doc, section=ev.section, quote=ev.sentence,
                                     url=ev.url, title=ev.title, publisher=ev.publisher, date=ev.date, span=ev.span))
        return self._seen[key]


def is_flow(link: SupplyLink) -> bool:
    """Material moves along it: every link but a stake held by a company (ownership to a company)."""
    return not (link.kind == "ownership" and link.to.kind == "company")


def link_figures(link: SupplyLink, year_in: bool = False) -> str:
    """A link's volume, share and dates in words; the volume's year after it ("… in 2024", only with a figure) or
    apart ("…, 2024")."""
    parts = []
    v = link.volume
    if v and v.value is not None:
        parts.append(f"{v.value:,.0f} {v.unit} {v.basis}".strip() + (f" in {v.year}" if year_in and v.year else ""))
    if v and v.year and not year_in:
        parts.append(str(v.year))
    if link.share:
        parts.append(f"{link.share.value:g}% of {link.share.of}")
    for label, value in (("signed", link.signed), ("from", link.since), ("until", link.until)):
        if value:
            parts.append(f"{label} {value}")
    return ", ".join(parts)


def _flow(link: SupplyLink, book: _Book) -> Flow:
    src = link.source
    return Flow(link=link.id, supplier=src.name if src else "supplier not sourced",
                supplier_country=src.country if src else None, receiver=link.to.name,
                receiver_country=link.to.country or "", material=link.label(), stage=USED_AT[link.material],
                kind=link.kind, status=link.status, figures=link_figures(link), cites=[book.cite(link)])


def exposure(links: Iterable[SupplyLink], country: str, target: str = "magnet") -> Exposure:
    book = _Book()
    upto = STAGES.index(target)
    by_stage: dict[str, list[Flow]] = {}
    not_sourced: list[Flow] = []
    supplies: list[Flow] = []
    flows = [lk for lk in links if is_flow(lk) and lk.status != "ended"]
    for lk in sorted(flows, key=lambda lk: (STAGES.index(USED_AT[lk.material]), lk.status != "current", lk.id)):
        if lk.to.country == country and (lk.source is None or lk.source.country != country):
            if STAGES.index(USED_AT[lk.material]) > upto:
                continue
            if lk.source is None:
                not_sourced.append(_flow(lk, book))
            else:
                by_stage.setdefault(USED_AT[lk.material], []).append(_flow(lk, book))
        elif lk.source is not None and lk.source.country == country and lk.to.country != country:
            supplies.append(_flow(lk, book))
    deps = [StageDependency(stage=s, flows=by_stage[s]) for s in STAGES if s in by_stage]
    suppliers = sorted({f.supplier_country for d in deps for f in d.flows if f.supplier_country})
    return Exposure(country=country, country_name=country_name(country), target=target, depends_on=deps,
                    supplier_countries=suppliers, not_sourced=not_sourced, supplies=supplies, sources=book.items)


# -- scenarios -------------------------------------------------------------------------------------------------
_FAMILY = {"oxide": {"oxide", "compounds"}, "metal": {"metal", "compounds"},
           "compounds": {"oxide", "metal", "compounds"}}


def compatible(a: str, b: str) -> bool:
    return b in _FAMILY.get(a, {a})


def _expand(elements: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for e in elements:
        out |= GROUPS.get(e, {e})
    return out


class _Stop:
    """What a stopped party takes down with it."""

    def __init__(self, party: Party, names: Names, registry: Iterable[Project]) -> None:
        self.party = party
        self.names = names
        self.registry = list(registry)
        self.facility = next((p for p in self.registry if p.name == party.name), None) \
            if party.kind == "facility" else None

    def _operates(self, company: Party, facility: Party) -> bool:
        return fold(company.name) in {fold(n) for n in self.names.names.get(facility, set())}

    def supplies_from(self, src: Party, stage: str) -> bool:
        p = self.party
        if p.kind == "country":
            return src.country == p.country
        if p.kind == "company":
            return src == p or (src.kind == "facility" and self._operates(p, src))
        fac = self.facility
        if src == p:
            return True
        if fac is None:
            return False
        if src.kind == "facility":  # the same site: same operator, same country ("Lynas Malaysia" cracking)
            other = next((r for r in self.registry if r.name == src.name), None)
            return bool(other and other.operator == fac.operator and other.country == fac.country and fac.operator)
        if src.kind == "company":  # its operator, for what only this plant of theirs makes
            return self._operates(src, p) and stage in fac.stages
        # its country, where it is the country's only plant at that stage
        same = [r for r in self.registry if r.country == fac.country and stage in r.stages]
        return src.country == fac.country and stage in fac.stages and [r.name for r in same] == [fac.name]

    def receives(self, dst: Party) -> bool:
        if self.party.kind == "country":
            return False
        return self.supplies_from(dst, self.facility.stages[0] if self.facility else "")


def scenario(links: Iterable[SupplyLink], names: Names, registry: Iterable[Project], stop: str,
             material: str | None = None, elements: Iterable[str] = (), stage: str | None = None) -> Scenario:
    party = names.resolve(stop)
    if material is not None and material not in MATERIALS:
        raise ValueError(f"unknown material {material!r}; one of {', '.join(MATERIALS)}")
    wanted = _expand(elements)
    stopper = _Stop(party, names, registry)
    current = [lk for lk in links if is_flow(lk) and lk.status == "current"]
    planned = [lk for lk in links if is_flow(lk) and lk.status == "planned" and lk.source is not None]

    def matches(lk: SupplyLink, mat: str | None) -> bool:
        return mat is None or compatible(mat, lk.material)

    def cut(lk: SupplyLink) -> bool:
        if lk.source is None or not matches(lk, material):
            return False
        if stage and STAGES.index(lk.stage) < STAGES.index(stage):
            return False
        if wanted and lk.element_set() and not (lk.element_set() & wanted):
            return False
        return stopper.supplies_from(lk.source, lk.stage)

    def alternative(lk: SupplyLink, lost: SupplyLink) -> bool:
        if lk.source is None or cut(lk) or lk.to.country != lost.to.country or not compatible(lost.material,
                                                                                              lk.material):
            return False
        if lk.source.country == party.country and party.kind == "country":
            return False
        return not wanted or bool(set(lk.elements) & wanted)  # an alternative names the elements

    book = _Book()
    cut_links = [lk for lk in current if cut(lk)]
    receivers: dict[str, Affected] = {}
    losing: set[str] = set()
    for lk in cut_links:
        c = lk.to.country or ""
        if party.kind == "country" and c == party.country:
            continue  # a country's own plants are not its imports
        aff = receivers.setdefault(c, Affected(country=c, country_name=country_name(c), cut=[]))
        aff.cut.append(_flow(lk, book))
        alts = [a for a in current if alternative(a, lk)]
        for a in alts:
            if a.id not in {f.link for f in aff.alternatives}:
                aff.alternatives.append(_flow(a, book))
        for a in planned:
            if alternative(a, lk) and a.id not in {f.link for f in aff.planned}:
                aff.planned.append(_flow(a, book))
        if not alts:
            losing.add(c)
    loses = [a for c, a in receivers.items() if c in losing]
    alt = [a for c, a in receivers.items() if c not in losing]
    touched = set(receivers) | ({party.country} if party.kind == "country" else set())

    unaffected: dict[str, Affected] = {}
    unsourced: dict[str, Affected] = {}
    for lk in current:
        c = lk.to.country or ""
        if c in touched or not matches(lk, material):
            continue
        target = unsourced if lk.source is None else unaffected
        target.setdefault(c, Affected(country=c, country_name=country_name(c), cut=[])).alternatives.append(
            _flow(lk, book))
    for c in list(unsourced):
        if c in unaffected:
            del unsourced[c]

    outlets: dict[str, Affected] = {}
    if party.kind != "country":
        for lk in current:
            if lk.source is not None and stopper.receives(lk.to) and lk.source.country:
                c = lk.source.country
                outlets.setdefault(c, Affected(country=c, country_name=country_name(c), cut=[])).cut.append(
                    _flow(lk, book))
    order = sorted
    return Scenario(stop=party.name, stop_kind=party.kind, material=material, elements=list(elements),
                    stage=stage, loses=order(loses, key=lambda a: a.country),
                    alternative=order(alt, key=lambda a: a.country),
                    unaffected=order(unaffected.values(), key=lambda a: a.country),
                    not_sourced=order(unsourced.values(), key=lambda a: a.country),
                    outlet_lost=order(outlets.values(), key=lambda a: a.country), sources=book.items)


# -- plain text -------------------------------------------------------------------------------------------------
def _refs(ns: list[int]) -> str:
    return "".join(f"[{n}]" for n in ns)


def _line(f: Flow) -> str:
    status = "" if f.status == "current" else f", {f.status}"
    figures = f"; {f.figures}" if f.figures else ""
    where = f" ({country_name(f.supplier_country)})" if f.supplier_country and f.supplier != country_name(
        f.supplier_country) else ""
    return f"{f.material} from {f.supplier}{where} to {f.receiver} ({f.kind}{status}{figures}) {_refs(f.cites)}"


def _sources_text(sources: list[Source]) -> list[str]:
    return ["", "Sources:"] + [f"[{s.n}] {s.doc_id} › {s.section}: “{s.quote}” {s.url}" for s in sources]


def exposure_text(e: Exposure) -> str:
    out = [f"{e.country_name}: what its chain up to {e.target} takes in from abroad"]
    if not e.depends_on and not e.not_sourced:
        out.append("  No import of this chain is recorded in the supply links.")
    for dep in e.depends_on:
        out.append(f"  {dep.stage}:")
        out += [f"    - {_line(f)}" for f in dep.flows]
    for f in e.not_sourced:
        out.append(f"  {f.stage}: {f.material} imported, supplier not sourced {_refs(f.cites)}")
    if e.supplier_countries:
        out.append("  Supplier countries: " + ", ".join(country_name(c) for c in e.supplier_countries))
    if e.supplies:
        out.append(f"{e.country_name} supplies:")
        out += [f"    - {_line(f)}" for f in e.supplies]
    return "\n".join(out + _sources_text(e.sources))


SCENARIO_HEADINGS = {"loses": "Lose a sourced supply", "alternative": "Keep a sourced alternative",
                     "unaffected": "Unaffected (supplied by others)", "not_sourced": "Import it, supplier not sourced",
                     "outlet_lost": "Lose an outlet (they supply the stopped party)"}


def scenario_text(s: Scenario) -> str:
    what = (s.material or "every material") + (f" ({', '.join(s.elements)})" if s.elements else "")
    out = [f"If {s.stop} stops supplying {what}" + (f" from the {s.stage} stage on" if s.stage else "") + ":"]
    for cat, head in SCENARIO_HEADINGS.items():
        items: list[Affected] = getattr(s, cat)
        out.append(f"  {head}: " + (", ".join(a.country_name for a in items) if items else "none"))
        for a in items if cat in ("loses", "alternative", "outlet_lost") else []:
            out += [f"    - {a.country_name} {'loses' if cat != 'outlet_lost' else 'ships'}: {_line(f)}" for f in a.cut]
            out += [f"      alternative: {_line(f)}" for f in a.alternatives]
            out += [f"      planned: {_line(f)}" for f in a.planned]
    return "\n".join(out + _sources_text(s.sources))


__all__ = ["SCENARIO_HEADINGS", "Affected", "Exposure", "Flow", "Scenario", "Source", "StageDependency", "compatible",
           "exposure", "exposure_text", "is_flow", "scenario", "scenario_text"]
