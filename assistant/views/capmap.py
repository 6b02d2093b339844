"""The capability map: every country with value-chain data × every stage, coloured by status.

Every cell comes from the checklist builder (the same call `Assistant.gaps` makes), so the map always equals
the checklist: a row's cells are the country's checklist up to recycling, its verdict and binding gap are the
checklist's for the chosen target. Nothing here reads a status on its own.
"""

from __future__ import annotations

import csv
import io
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from assistant.answer.citations import CitationBook
from assistant.errors import InputError
from assistant.knowledge.taxonomy import country_name
from assistant.types import STAGES, STATUSES, Checklist, Status, Verdict, check_stage

# Used when a value-chain file has no top-level `region:`.
REGIONS: dict[str, str] = {
    "china": "East Asia", "japan": "East Asia", "south_korea": "East Asia", "mongolia": "East Asia",
    "kazakhstan": "Central Asia", "kyrgyzstan": "Central Asia", "russia": "Eurasia",
    "malaysia": "Southeast Asia", "myanmar": "Southeast Asia", "vietnam": "Southeast Asia",
    "thailand": "Southeast Asia", "laos": "Southeast Asia", "philippines": "Southeast Asia",
    "india": "South Asia",
    "estonia": "Europe", "france": "Europe", "germany": "Europe", "united_kingdom": "Europe", "norway": "Europe",
    "sweden": "Europe", "finland": "Europe", "turkey": "Middle East", "saudi_arabia": "Middle East",
    "united_states": "North America", "canada": "North America", "greenland": "North America",
    "brazil": "Latin America", "chile": "Latin America",
    "australia": "Oceania",
    "south_africa": "Africa", "madagascar": "Africa", "nigeria": "Africa", "tanzania": "Africa",
    "malawi": "Africa", "uganda": "Africa", "namibia": "Africa", "angola": "Africa",
}
OUTSIDE_CHINA = "outside china"
SORTS = ("verdict", "reach", "country")
VERDICT_ORDER = {"yes": 0, "partly": 1, "not yet": 2, "no": 3, None: 4}
CHAIN = STAGES[: STAGES.index("magnet") + 1]  # deposit → magnet: what "how far the chain reaches" counts


class MapCell(BaseModel):
    stage: str
    status: Status
    label: str = Field(default="", description="The status in words for this stage (e.g. 'reserves, unmined')")
    as_of: str
    detail: str
    inferred: bool = False
    sources: list[str] = Field(default_factory=list, description="URLs of the sources the checklist cites here")


class MapRow(BaseModel):
    key: str
    country: str
    region: str
    verdict: Verdict | None = Field(description="The checklist's verdict for the target")
    binding_gap: str | None
    reach: str | None = Field(description="The furthest stage deposit → magnet that runs (at scale or emerging)")
    reach_n: int = Field(description="How many stages deposit → magnet run (at scale or emerging)")
    cells: list[MapCell]

    def cell(self, stage: str) -> MapCell:
        return next(c for c in self.cells if c.stage == stage)


class CapabilityMap(BaseModel):
    target: str
    stage: str | None = None
    status: str | None = None
    region: str | None = None
    sort: str = "verdict"
    stages: list[str] = Field(default_factory=lambda: list(STAGES))
    rows: list[MapRow]
    countries_total: int = Field(description="Countries with value-chain data, before filters")

    def records(self) -> list[dict[str, Any]]:
        """The export: one record per country and stage."""
        return [{"country": r.country, "key": r.key, "region": r.region, "target": self.target,
                 "verdict": r.verdict or "", "binding_gap": r.binding_gap or "", "stage": c.stage,
                 "status": c.status, "label": c.label, "as_of": c.as_of, "detail": c.detail, "inferred": c.inferred,
                 "source_urls": list(c.sources)} for r in self.rows for c in r.cells]

    def to_csv(self) -> str:
        out = io.StringIO()
        fields = ["country", "key", "region", "target", "verdict", "binding_gap", "stage", "status", "label",
                  "as_of", "detail", "inferred", "source_urls"]
        writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for rec in self.records():
            writer.writerow(rec | {"source_urls": " ".join(rec["source_urls"])})
        return out.getvalue()

    def to_text(self) -> str:
        """A plain-text grid: one line per country, one column per stage (closing notes, Slack, logs)."""
        abbrev = {"at_scale": "AT SCALE", "emerging": "emerging", "planned": "planned", "none": "-",
                  "unknown": "?"}
        head = ["country", "region", f"verdict ({self.target})", "binding gap"] + list(self.stages)
        body = [[r.country, r.region, r.verdict or "unknown", r.binding_gap or "-"]
                + [abbrev[r.cell(s).status] for s in self.stages] for r in self.rows]
        widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=False)]
        lines = ["  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=False)).rstrip()
                 for row in [head, ["-" * w for w in widths], *body]]
        return "\n".join(lines) + f"\n{len(self.rows)} of {self.countries_total} countries\n"


def value_chain_keys(folder: Path) -> list[str]:
    """Every country with value-chain data: the map's rows before filters."""
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.exists() else []


def region_of(folder: Path, key: str) -> str:
    """The file's top-level `region:` if it has one, else the fallback table."""
    path = folder / f"{key}.yaml"
    return _region(path, path.stat().st_mtime if path.exists() else 0.0) or REGIONS.get(key, "Other")


@lru_cache(maxsize=256)
def _region(path: Path, _mtime: float) -> str:
    import yaml

    if not path.exists():
        return ""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as fh:
        raw = yaml.load(fh, Loader=loader) or {}  # noqa: S506 - a safe loader
    return str(raw.get("region") or "") if isinstance(raw, dict) else ""


def _reach(cl: Checklist) -> tuple[str | None, int]:
    running = [r.stage for r in cl.stages if r.stage in CHAIN and r.status in ("at_scale", "emerging")]
    far = max(running, key=CHAIN.index) if running else None
    return far, len(running)


def check_filters(stage: str | None, status: str | None, region: str | None, sort: str,
                  regions: set[str]) -> None:
    if stage:
        check_stage(stage, field="stage")
    if status and status not in STATUSES:
        raise InputError(f"Unknown status '{status}'. Use one of: {', '.join(STATUSES)}.", field="status")
    if region and region.strip().lower() not in {r.lower() for r in regions} | {OUTSIDE_CHINA}:
        raise InputError(f"Unknown region '{region[:60]}'. Use one of: {', '.join(sorted(regions))}, "
                         "or 'outside China'.", field="region")
    if sort not in SORTS:
        raise InputError(f"Unknown sort '{sort}'. Use one of: {', '.join(SORTS)}.", field="sort")


def parse_filter(text: str) -> dict[str, str]:
    """A typed filter → capability-map arguments: "separation at_scale outside China", "target=metal Europe".

    `key=value` sets target, stage, status, region or sort; a bare stage followed by a status filters on that
    stage (a bare stage alone sets the target); a bare status applies to the target; other words are the region.
    """
    args: dict[str, str] = {}
    rest: list[str] = []
    for w in text.split():
        k, eq, v = w.partition("=")
        if eq and k in ("target", "stage", "status", "region", "sort"):
            args[k] = v.replace("_", " ") if k == "region" else v
        elif w.lower() in STAGES and "stage" not in args and not rest:
            args["stage"] = w.lower()
        elif w.lower().replace(" ", "_") in STATUSES and "status" not in args:
            args["status"] = w.lower()
        else:
            rest.append(w)
    if rest:
        args["region"] = " ".join(rest)
    if "stage" in args and "status" not in args:
        args.setdefault("target", args.pop("stage"))
    return args


_CACHE: dict[tuple[str, str, tuple[tuple[str, float], ...]], tuple[Any, list[MapRow]]] = {}
_CACHE_LOCK = threading.Lock()


def _rows(builder: Any, folder: Path, keys: list[str], regions: dict[str, str], target: str) -> list[MapRow]:
    """Every country's row for `target`, built through the checklist builder; kept while the builder (so the
    index) and the value-chain files are unchanged."""
    stamp = tuple((k, (folder / f"{k}.yaml").stat().st_mtime) for k in keys) + tuple(sorted(regions.items()))
    key = (str(folder), target, stamp)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0] is builder:
            return hit[1]
    rows: list[MapRow] = []
    for k in keys:
        book = CitationBook()
        cl = builder.build(k, target, book)
        full = cl  # the checklist shows every stage; a builder that stops at the target is asked for the rest
        if [r.stage for r in cl.stages] != list(STAGES):
            book = CitationBook()
            full = builder.build(k, "recycling", book)
        urls = [c.url for c in book.items]
        cells = [MapCell(stage=r.stage, status=r.status, label=r.label, as_of=r.as_of, detail=r.detail,
                         inferred=r.inferred,
                         sources=list(dict.fromkeys(urls[n - 1] for n in r.citations if urls[n - 1])))
                 for r in full.stages]
        far, n = _reach(full)
        rows.append(MapRow(key=k, country=full.country or country_name(k), region=regions[k],
                           verdict=cl.verdict, binding_gap=cl.binding_gap, reach=far, reach_n=n, cells=cells))
    with _CACHE_LOCK:
        if len(_CACHE) > 32:
            _CACHE.clear()
        _CACHE[key] = (builder, rows)
    return rows


def build_map(builder: Any, folder: Path, target: str = "magnet", stage: str | None = None,
              status: str | None = None, region: str | None = None, sort: str = "verdict") -> CapabilityMap:
    """The map over every country in `folder`, through `builder.build` (the checklist's own call)."""
    target = check_stage(target)
    stage = stage or None
    status = status or None
    region = (region or "").strip() or None
    keys = value_chain_keys(folder)
    regions = {k: region_of(folder, k) for k in keys}
    check_filters(stage, status, region, sort, set(regions.values()))
    rows = [r.model_copy() for r in _rows(builder, folder, keys, regions, target)]
    total = len(rows)
    if region:
        if region.lower() == OUTSIDE_CHINA:
            rows = [r for r in rows if r.key != "china"]
        else:
            rows = [r for r in rows if r.region.lower() == region.lower()]
    if status:
        on = stage or target
        rows = [r for r in rows if r.cell(on).status == status]
    if sort == "verdict":
        rows.sort(key=lambda r: (VERDICT_ORDER.get(r.verdict, 4), -r.reach_n, r.country))
    elif sort == "reach":
        rows.sort(key=lambda r: (-(CHAIN.index(r.reach) if r.reach else -1), -r.reach_n, r.country))
    else:
        rows.sort(key=lambda r: r.country)
    return CapabilityMap(target=target, stage=stage, status=status, region=region, sort=sort, rows=rows,
                         countries_total=total)


__all__ = ["CapabilityMap", "MapCell", "MapRow", "REGIONS", "build_map", "parse_filter", "region_of",
           "value_chain_keys"]
