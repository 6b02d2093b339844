"""The Projects view: the registry as a table (text, JSON or CSV) and its milestones as a timeline."""

from __future__ import annotations

import csv
import io
from typing import Any

from assistant.knowledge.registry import Project

FIELDS = ("name", "country", "region", "stages", "operator", "phase", "capacity", "first_output", "support",
          "evidence")


def project_row(p: Project, country_name: Any = None) -> dict[str, Any]:
    """One project as a flat record: what every front end shows and what the CSV holds."""
    cap = p.capacity
    return {
        "name": p.name, "aliases": list(p.aliases), "kind": p.kind, "country": (country_name or str)(p.country),
        "country_key": p.country, "region": p.region, "stages": list(p.stages), "operator": p.operator,
        "phase": p.phase, "pilot": p.pilot,
        "capacity": f"{cap.value:,.0f} {cap.unit} {cap.basis} ({cap.estimate})" if cap else "",
        "capacity_value": cap.value if cap else None, "capacity_unit": cap.unit if cap else None,
        "capacity_basis": cap.basis if cap else None, "first_output": p.first_output,
        "support": [s.programme for s in p.support], "note": p.note,
        "evidence": [f"{e.doc}#{e.section} ({e.date.isoformat()})" for e in p.evidence],
    }


def to_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(FIELDS), extrasaction="ignore")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: "; ".join(map(str, v)) if isinstance(v, list) else ("" if v is None else v)
                         for k, v in r.items()})
    return out.getvalue()


def to_text(rows: list[dict[str, Any]]) -> str:
    """A plain-text table for the terminal: name, country, stages, phase, capacity, first output."""
    head = ("project", "country", "stages", "phase", "capacity", "first output")
    body = [(r["name"], r["country"], ", ".join(r["stages"]), r["phase"] + (" (pilot)" if r["pilot"] else ""),
             r["capacity"] or "-", str(r["first_output"] or "-")) for r in rows]
    widths = [min(40, max(len(h), *(len(b[i]) for b in body))) if body else len(h) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines += ["  ".join(c[:w].ljust(w) for c, w in zip(b, widths, strict=True)) for b in body]
    return "\n".join(lines) + f"\n{len(rows)} project(s)"


def timeline(rows: list[dict[str, Any]], now_year: int) -> list[dict[str, Any]]:
    """The milestones the registry dates (first output), each done or expected by the given year."""
    return sorted(({"name": r["name"], "country": r["country"], "milestone": "first output", "year": r["first_output"],
                    "done": r["first_output"] <= now_year and r["phase"] in ("operating", "commissioning",
                                                                              "suspended", "closed")}
                   for r in rows if r["first_output"]), key=lambda m: (m["year"], m["name"]))


__all__ = ["FIELDS", "project_row", "timeline", "to_csv", "to_text"]
