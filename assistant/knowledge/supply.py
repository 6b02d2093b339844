"""Supply links: who supplies whom with what, each resting on one sentence of the corpus.

    load_links(corpus, registry, entities)   corpus/supply_links.yaml + the USGS tables' trade flows → SupplyLink

A link's parties are named, never described: a country (key or name), a facility of the project registry
(knowledge/registry.py) or a company or agency of the entity registry; the loader resolves each to a `Party` (its
kind, canonical name and country) and fails on a name none of them knows. Trade flows the corpus holds as table
figures (USGS mine output estimated from China's import data) are read from those tables by the one table loader,
not typed twice. `from: null` records a country that imports without the sources saying from whom.

Every link's evidence is the sentence that states it: `sentence_of` (knowledge/sentences.py) finds it in its
document, `named_in` says whether it names a party, `figures_missing` lists the link's figures it does not hold
(tests/test_supply.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.knowledge.entities import SITE_KINDS, Entity
from assistant.knowledge.registry import Project, fold
from assistant.knowledge.sentences import Quote, doc_text, locate, sentence_of
from assistant.knowledge.taxonomy import COUNTRIES, ELEMENTS, country_name
from assistant.types import STAGES

LINKS_FILE = "supply_links.yaml"
MATERIALS: dict[str, str] = {
    "ore": "ore",
    "concentrate": "concentrate",
    "mixed_carbonate": "mixed carbonate",
    "oxide": "separated oxide",
    "compounds": "separated compounds or metals (form not stated)",
    "metal": "metal",
    "alloy": "alloy",
    "magnet": "magnets",
    "scrap": "scrap",
}
# The stage a material comes out of (a link's default stage) and the stage that takes it in.
MADE_AT: dict[str, str] = {"ore": "mining", "concentrate": "concentrate", "mixed_carbonate": "cracking",
                           "oxide": "separation", "compounds": "separation", "metal": "metal", "alloy": "alloy",
                           "magnet": "magnet", "scrap": "recycling"}
USED_AT: dict[str, str] = {"ore": "concentrate", "concentrate": "cracking", "mixed_carbonate": "separation",
                           "oxide": "metal", "compounds": "metal", "metal": "alloy", "alloy": "magnet",
                           "magnet": "magnet", "scrap": "recycling"}
# Element groups a source may name instead of elements.
GROUPS: dict[str, frozenset[str]] = {
    "HREE": frozenset({"Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Y"}),
    "LREE": frozenset({"La", "Ce", "Pr", "Nd"}),
}
Kind = Literal["offtake", "ownership", "trade_flow", "tolling"]
LinkStatus = Literal["current", "planned", "ended"]
_USGS_FLOW = re.compile(r"estimated from China's import data", re.I)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Volume(_Strict):
    value: float | None = None
    unit: str = ""  # t | t/yr
    basis: str = ""  # what the tonnes weigh (REO, concentrate, magnet ...)
    year: int | None = None


class Share(_Strict):
    value: float  # per cent
    of: str


class LinkEvidence(Quote):
    """The sentence that states a link (a `Quote`, located by the loader), with the words naming each party."""

    named: dict[str, str] = Field(default_factory=dict)  # {from|to: the words that name the party}


class Party(_Strict):
    name: str  # the canonical name (registry or entity name, or the country's display name)
    kind: Literal["country", "facility", "company"]
    country: str | None  # the taxonomy key of where it is (None for an international body)

    @property
    def country_name(self) -> str:
        return country_name(self.country) if self.country else "international"


class SupplyLink(_Strict):
    id: str
    source: Party | None  # None: the documents say it is imported but not from whom ("supplier not sourced")
    to: Party
    material: str
    elements: tuple[str, ...] = ()
    stage: str
    kind: Kind
    status: LinkStatus
    volume: Volume | None = None
    share: Share | None = None
    signed: str = ""
    since: str = ""
    until: str = ""
    note: str = ""
    evidence: LinkEvidence
    derived: str = ""  # "table" for links read from the corpus's data tables

    @field_validator("material")
    @classmethod
    def _material(cls, v: str) -> str:
        if v not in MATERIALS:
            raise ValueError(f"unknown material {v!r}; one of {', '.join(MATERIALS)}")
        return v

    @field_validator("stage")
    @classmethod
    def _stage(cls, v: str) -> str:
        if v not in STAGES:
            raise ValueError(f"unknown stage {v!r}")
        return v

    @field_validator("elements")
    @classmethod
    def _elements(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [e for e in v if e not in ELEMENTS and e not in GROUPS]
        if bad:
            raise ValueError(f"unknown elements {bad}")
        return v

    @property
    def cross_border(self) -> bool:
        return self.source is None or self.source.country != self.to.country

    def element_set(self) -> frozenset[str]:
        """The elements named, groups expanded; empty when the source names none."""
        out: set[str] = set()
        for e in self.elements:
            out |= GROUPS.get(e, {e})
        return frozenset(out)

    def label(self) -> str:
        els = ", ".join(self.elements)
        return MATERIALS[self.material] + (f" ({els})" if els else "")


# -- parties ---------------------------------------------------------------------------------------------------
class Names:
    """Countries, registry facilities and registered companies by every name they go by."""

    def __init__(self, registry: Iterable[Project], entities: Iterable[Entity]) -> None:
        self.parties: dict[str, Party] = {}
        self.names: dict[Party, set[str]] = {}
        for key, (display, aliases) in COUNTRIES.items():
            p = Party(name=display, kind="country", country=key)
            self._add(p, key, display, *(a for a in aliases if len(a) > 2))
        entities = list(entities)
        self.entities = {fold(n): e for e in entities for n in (e.name, *e.aliases)}
        cores: list[tuple[str, Party]] = []
        for proj in registry:
            p = Party(name=proj.name, kind="facility", country=proj.country)
            core = re.split(r"[(,]", proj.name)[0].strip()
            ops = [o.strip() for o in re.split(r"[/;()]", proj.operator) if o.strip() and "%" not in o]
            op_names = [n for o in ops for n in self._entity_names(o)]
            self._add(p, proj.name, *proj.aliases)
            self.names[p].update([core, *op_names])  # a sentence may name a plant by its operator
            cores.append((core, p))
        for e in entities:
            if e.kind not in SITE_KINDS and e.kind in ("company", "agency", "organisation"):
                p = Party(name=e.name, kind="company", country=e.country)
                self._add(p, e.name, *e.aliases)
        for core, p in cores:  # a plant's short name ("Caremag, Lacq" -> "Caremag") after the companies' names
            self.parties.setdefault(fold(core), p)

    def _entity_names(self, name: str) -> list[str]:
        e = self.entities.get(fold(name))
        return [e.name, *e.aliases] if e else [name]

    def _add(self, party: Party, *names: str) -> None:
        self.names.setdefault(party, set()).update(n for n in names if n)
        for n in names:
            if n and (party.kind != "country" or len(n) > 2):
                self.parties.setdefault(fold(n), party)

    def resolve(self, name: str) -> Party:
        key = fold(name)
        if key in self.parties:
            return self.parties[key]
        raise ValueError(f"supply link party {name!r} is neither a country, a registry facility nor a registered "
                         "company")

    def named_in(self, party: Party, sentence: str, named: str = "") -> bool:
        """Whether the sentence names the party: by one of its names, aliases or (for a facility) its operator's
        names, or by `named`, words that must be part of one of those names."""
        folded = f" {fold(sentence)} "
        if party.kind == "country":  # two-letter codes count in capitals only ("US", "UK")
            codes = [a for a in COUNTRIES[party.country or ""][1] if len(a) == 2]
            if any(re.search(rf"\b{a.upper()}\b", sentence) for a in codes):
                return True
        if named:
            words = f" {fold(named)} "
            return words in folded and any(words in f" {fold(n)} " for n in self.names[party])
        return any(f" {fold(n)} " in folded for n in self.names[party] if fold(n))


def _figure_forms(value: float) -> list[str]:
    whole = int(value) if float(value).is_integer() else None
    if whole is None:
        return [f"{value:g}"]
    return [f"{whole:,}", str(whole)]


def figures_missing(link: SupplyLink) -> list[str]:
    """The link's figures (volume, share, year) its evidence sentence does not hold."""
    s = link.evidence.sentence
    missing = []
    if link.volume and link.volume.value is not None and not any(f in s for f in _figure_forms(link.volume.value)):
        missing.append(f"volume {link.volume.value:g}")
    if link.volume and link.volume.year and str(link.volume.year) not in s:
        missing.append(f"year {link.volume.year}")
    if link.share and not any(f"{f}%" in s or f"{f} %" in s for f in _figure_forms(link.share.value)):
        missing.append(f"share {link.share.value:g}%")
    return missing


def elements_missing(link: SupplyLink) -> list[str]:
    """The elements the link names that its evidence sentence does not."""
    s = link.evidence.sentence.lower()
    words = {"HREE": ("heavy",), "LREE": ("light",)}
    return [e for e in link.elements
            if not any(w in s for w in words.get(e, (*ELEMENTS.get(e, ()), e.lower() + " ")))
            and not re.search(rf"\b{e}\b", link.evidence.sentence)]


# -- loading ---------------------------------------------------------------------------------------------------
def _raw_links(path: Path) -> list[dict]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's safe loader, ~6x faster, where installed
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}  # noqa: S506 - a safe loader
    return list(data.get("links") or [])


def _table_links(corpus: Path) -> list[SupplyLink]:
    """USGS mine output estimated from China's import data: a trade flow to China, its figure from the table."""
    from assistant.knowledge.tables import mine_production

    out = []
    china = Party(name="China", kind="country", country="china")
    for row in mine_production(corpus):
        if not row.key or row.key == "china" or not _USGS_FLOW.search(row.note) or not row.tonnes:
            continue
        doc = corpus / row.doc_id
        text, _meta = doc_text(doc)
        line = next((ln for ln in text.splitlines() if ln.startswith(f"| {row.country} |")), "")
        if not line:
            continue
        ev = locate(corpus, LinkEvidence(doc=row.doc_id, text=line))
        out.append(SupplyLink(
            id=f"usgs-{row.key}-china-{row.year}", derived="table",
            source=Party(name=country_name(row.key), kind="country", country=row.key), to=china,
            material="concentrate", stage="mining", kind="trade_flow", status="current",
            volume=Volume(value=row.tonnes, unit="t", basis=f"REO, USGS mine-output estimate from China's import "
                                                                f"data ({row.edition})", year=row.year),
            evidence=ev.model_copy(update={"url": row.source_url or ev.url, "title": row.source_title or ev.title})))
    return out


def load_links(corpus: Path, registry: Iterable[Project], entities: Iterable[Entity]) -> list[SupplyLink]:
    """Every supply link: the written ones (corpus/supply_links.yaml) and the tables' trade flows."""
    path = corpus / LINKS_FILE
    if not path.exists():
        return []
    names = Names(registry, entities)
    links: list[SupplyLink] = []
    seen: set[str] = set()
    for raw in _raw_links(path):
        raw = dict(raw)
        lid = str(raw.pop("id"))
        if lid in seen:
            raise ValueError(f"supply link id {lid!r} is used twice")
        seen.add(lid)
        src, dst = raw.pop("from"), raw.pop("to")
        material = raw.pop("material")
        ev = locate(corpus, LinkEvidence(**raw.pop("evidence")))
        links.append(SupplyLink(
            id=lid, source=names.resolve(src) if src else None, to=names.resolve(dst), material=material,
            stage=raw.pop("stage", None) or MADE_AT.get(material, "separation"),
            elements=tuple(raw.pop("elements", None) or ()), evidence=ev,
            **{k: (str(v) if k in ("signed", "since", "until") else v) for k, v in raw.items()}))
    return links + _table_links(corpus)


def party_names(registry: Iterable[Project], entities: Iterable[Entity]) -> Names:
    return Names(registry, entities)


__all__ = ["GROUPS", "MADE_AT", "MATERIALS", "USED_AT", "LinkEvidence", "Names", "Party", "Share", "SupplyLink",
           "Volume", "elements_missing", "figures_missing", "load_links", "locate", "party_names", "sentence_of"]
