"""The Projects view: the registry as a table (text, JSON or CSV) and its milestones as a timeline.

Each row carries its project's milestones (licence, financing, construction start, commissioning, first output,
suspension, closure), dated, done or expected, each with the sentence that states it; the timeline is those
milestones, plus the first output of a project that has no first-output milestone."""

from __future__ import annotations

import csv
import io
from typing import Any

from assistant.knowledge.registry import Project
from assistant.knowledge.valuechain import MILESTONE_LABEL, Milestone

FIELDS = ("name", "project", "country", "region", "stages", "operator", "phase", "capacity", "output", "resource",
          "reserves", "first_output", "expected_output", "milestones", "support", "evidence")


def figure_row(f: Any) -> str:
    """'1,478 t/yr REO (announced, target)', or '' where there is none."""
    if f is None:
        return ""
    notes = ", ".join(n for n in (f.estimate, f.kind or "", str(f.year) if f.year else "",
                                  "historic, no longer current" if f.historic else "") if n)
    return f"{f.value:,.0f} {f.unit} {f.basis} ({notes})"


def figure_source(f: Any) -> dict[str, Any] | None:
    """The sentence that states a facility's figure, and where it is."""
    ev = getattr(f, "evidence", None)
    if ev is None:
        return None
    return {"quote": ev.sentence, "doc": ev.doc, "section": ev.section, "url": ev.url, "source_date": ev.date}


def milestone_row(m: Milestone) -> dict[str, Any]:
    """One milestone as a flat record, with the sentence that states it and where that sentence is."""
    ev = m.evidence
    return {"kind": m.kind, "label": MILESTONE_LABEL[m.kind], "date": m.date, "year": m.year, "done": m.done,
            "note": m.note, "quote": ev.sentence, "doc": ev.doc, "section": ev.section, "url": ev.url,
            "source_date": ev.date}


def milestone_text(m: dict[str, Any]) -> str:
    """'first output 2027 (expected)', 'licence 2021-07'."""
    return f"{m['label']} {m['date']}" + ("" if m["done"] else " (expected)")


def project_row(p: Project, country_name: Any = None) -> dict[str, Any]:
    """One project as a flat record: what every front end shows and what the CSV holds."""
    cap = p.capacity
    return {
        "name": p.name, "aliases": list(p.aliases), "kind": p.kind, "country": (country_name or str)(p.country),
        "country_key": p.country, "region": p.region, "stages": list(p.stages), "operator": p.operator,
        "phase": p.phase, "pilot": p.pilot,
        "project": p.project,
        "capacity": figure_row(cap), "capacity_value": cap.value if cap else None,
        "capacity_unit": cap.unit if cap else None, "capacity_basis": cap.basis if cap else None,
        "output": figure_row(p.output), "resource": figure_row(p.resource), "reserves": figure_row(p.reserves),
        "sources": {k: src for k in ("capacity", "output", "resource", "reserves")
                    if (src := figure_source(getattr(p, k))) is not None},
        "first_output": p.first_output,
        "expected_output": p.expected_output(), "milestones": [milestone_row(m) for m in p.milestones],
        "support": [s.programme for s in p.support], "note": p.note,
        "evidence": [f"{e.doc}#{e.section} ({e.date.isoformat()})" for e in p.evidence],
    }


def to_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(FIELDS), extrasaction="ignore")
    writer.writeheader()
    for r in rows:
        flat = {**r, "milestones": [milestone_text(m) for m in r.get("milestones", [])]}
        writer.writerow({k: "; ".join(map(str, v)) if isinstance(v, list) else ("" if v is None else v)
                         for k, v in flat.items()})
    return out.getvalue()


def _last_and_next(r: dict[str, Any]) -> str:
    """The latest milestone done and the first expected: 'construction start 2025 → first output 2027'."""
    ms = r.get("milestones", [])
    done = [m for m in ms if m["done"]]
    due = [m for m in ms if not m["done"]]
    shown = ([f"{done[-1]['label']} {done[-1]['date']}"] if done else []) + (
        [f"{due[0]['label']} {due[0]['date']} expected"] if due else [])
    return " → ".join(shown) or "-"


def to_text(rows: list[dict[str, Any]]) -> str:
    """A plain-text table for the terminal: name, country, stages, phase, capacity, first output, and the latest
    milestone done with the next one expected (the full list is in the JSON and CSV)."""
    head = ("project", "country", "stages", "phase", "capacity", "first output", "milestones")
    body = [(r["name"], r["country"], ", ".join(r["stages"]), r["phase"] + (" (pilot)" if r["pilot"] else ""),
             r["capacity"] or "-", str(r["first_output"] or "-"), _last_and_next(r)) for r in rows]
    widths = [min(56 if i == len(head) - 1 else 40, max(len(h), *(len(b[i]) for b in body))) if body else len(h)
              for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines += ["  ".join(c[:w].ljust(w) for c, w in zip(b, widths, strict=True)) for b in body]
    return "\n".join(lines) + f"\n{len(rows)} project(s)"


def timeline(rows: list[dict[str, Any]], now_year: int) -> list[dict[str, Any]]:
    """Every dated milestone of these projects, done or expected as its source says, in date order; a project with
    a first output but no first-output milestone adds that year (done where the year has passed and the project
    runs, or ran)."""
    out = []
    for r in rows:
        ms = r.get("milestones", [])
        out += [{"name": r["name"], "country": r["country"], "milestone": m["label"], "kind": m["kind"],
                 "date": m["date"], "year": m["year"], "done": m["done"], "note": m["note"], "quote": m["quote"]}
                for m in ms]
        if r["first_output"] and not any(m["kind"] == "first_output" for m in ms):
            out.append({"name": r["name"], "country": r["country"], "milestone": "first output",
                        "kind": "first_output", "date": str(r["first_output"]), "year": r["first_output"],
                        "done": r["first_output"] <= now_year and r["phase"] in ("operating", "commissioning",
                                                                                  "suspended", "closed"),
                        "note": "", "quote": ""})
    return sorted(out, key=lambda m: (m["year"], m["date"], m["name"]))


__all__ = ["FIELDS", "MILESTONE_LABEL", "milestone_row", "milestone_text", "project_row", "timeline", "to_csv",
           "to_text"]
