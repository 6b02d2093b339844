"""How answers from records are written: the direct answer's counts and lists, cut at SHOWN items with "and N
more", each item with its quoted evidence or its citation markers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.answer.citations import CitationBook
from assistant.types import RecordQuery

SHOWN = 10  # items written out in the answer text; the rest are counted ("and N more") and kept in the table
RANKED = 5  # items in a ranking that names no number
_NUMBERS = "zero one two three four five six seven eight nine ten eleven twelve".split()


@dataclass
class RecordAnswer:
    text: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    complete: bool = True  # False when a named item has no record: the question is then answered from passages


def _count(n: int) -> str:
    return _NUMBERS[n] if n < len(_NUMBERS) else f"{n:,}"


def _tonnes(v: float | None) -> str:
    return "n/a" if v is None else f"{v:,.0f} t"


def _scope(q: RecordQuery, name: Any) -> str:
    parts = []
    places = ([q.region.title()] if q.region else []) + (
        [name(c) for c in q.countries] if q.countries and q.subject == "project" else [])
    if places:
        parts.append("in " + " or ".join(places))
    if q.exclude:
        parts.append("outside " + ", ".join(name(c) for c in q.exclude))
    return (" " + " ".join(parts)) if parts else ""


def _names(names: list[str]) -> str:
    """'A, B and C', or 'A, B, … and 7 more' past SHOWN; 'A; B, C and D' where a name holds a comma ("Caremag,
    Lacq"), so that the list still counts as many names as it holds."""
    if not names:
        return "none"
    shown = names[:SHOWN]
    more = len(names) - len(shown)
    sep = "; " if any("," in n for n in shown) else ", "
    if more:
        return f"{sep.join(shown)} and {more} more (the full table is in the answer)"
    return shown[0] if len(shown) == 1 else f"{sep.join(shown[:-1])} and {shown[-1]}"


def _evidenced(items: list[tuple[str, list[int]]], book: CitationBook) -> str:
    """Each item as its record (a label) followed by the quoted sentences that support it, each with its
    marker: the label says what the registry or the map holds, the quotes are the evidence."""
    out = []
    for label, ns in items[:SHOWN]:
        quotes = " ".join(f"{book.items[n - 1].quote.rstrip(' .')} [{n}]." for n in ns)
        out.append(f"{label}. {quotes}" if quotes else f"{label}.")
    return " ".join(out)


def _ordinal(n: int) -> str:
    """'second', 'third', … in words to the fifth, then '6th'."""
    return {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}.get(n, f"{n}th")


def _ranks(values: list[float | None]) -> list[str]:
    """Each item's place in an order, shared by equal values: "1", "2=", "2=", "4" (an order that puts one of two
    equal figures ahead of the other would state what the figures do not say)."""
    out = []
    for i, v in enumerate(values):
        first = next(j for j, w in enumerate(values) if w == v)
        shared = values.count(v) > 1 and v is not None
        out.append(f"{first + 1}=" if shared else str(i + 1))
    return out


def _through_ties(rows: list[Any], limit: int, value: Any) -> list[Any]:
    """The first `limit` rows of an order, and any after them whose figure equals the last one shown: a cut-off
    does not split equal figures."""
    top = rows[:limit]
    while top and len(top) < len(rows) and value(rows[len(top)]) is not None and value(
            rows[len(top)]) == value(top[-1]):
        top.append(rows[len(top)])
    return top


def _level(names: list[str], values: list[float | None]) -> str:
    """The names that share a figure, as a sentence ("Australia, Nigeria and Thailand are level."), or ""."""
    groups: dict[float, list[str]] = {}
    for n, v in zip(names, values, strict=True):
        if v is not None:
            groups.setdefault(v, []).append(n)
    return " ".join(f"{_names(g)} are level." for g in groups.values() if len(g) > 1)


def _in_order(names: list[str], values: list[float | None]) -> str:
    """Names in order, "A ahead of B", with those of equal figure together ("A, B and C (level) ahead of D")."""
    groups: list[list[str]] = []
    last: object = object()
    for n, v in zip(names, values, strict=True):
        if groups and v is not None and v == last:
            groups[-1].append(n)
        else:
            groups.append([n])
        last = v
    return " ahead of ".join(_names(g) + (" (level)" if len(g) > 1 else "") for g in groups)


def _cited(sentences: list[tuple[str, int | list[int] | None]]) -> str:
    """One sentence per item, each with its citations, for the items written out."""
    out = []
    for s, ns in sentences[:SHOWN]:
        marks = "".join(f"[{n}]" for n in ([ns] if isinstance(ns, int) else ns or []))
        out.append(f"{s} {marks}." if marks else f"{s}.")
    return " ".join(out)
