"""Answers from the registry's milestones (licence, financing, construction start, commissioning, first output,
suspension, closure; knowledge/registry.py), every line cited to the sentence that states it.

    answer_change(q, ...)   what changed at the projects named (with their plants), at the projects the companies
                            named run, or in a country's or region's projects: the milestones dated within the years
                            asked, in date order, done or expected; for a project named, also the sentences of its
                            documents that name it and carry a date in those years ("dated reports")
    answer_dated(q, ...)    which projects reached, or expect, a milestone in the years asked (a set, a count, or
                            the earliest first); a first output the value-chain facts date counts as done

A date is as precise as its sentence: "8 November 2024", "November 2024", "2024".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from assistant.answer.citations import CitationBook, plain, sentences, terms
from assistant.knowledge.registry import Project, family, fold, milestone_order
from assistant.knowledge.sentences import Quote
from assistant.knowledge.valuechain import MILESTONE_LABEL, Milestone
from assistant.types import RecordQuery, doc_meta

SHOWN = 10  # lines written out; the rest are counted and kept in the table
REPORTS = 4  # dated sentences added for a project named, beyond its milestones
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
_DATE = re.compile(rf"\b(?:(\d{{1,2}})\s+)?(?:({'|'.join(MONTHS)})\s+)?((?:19|20)\d{{2}})\b")


@dataclass
class Dated:
    """One line of a change answer: a milestone, or a dated sentence that names the project."""

    date: str  # YYYY, YYYY-MM or YYYY-MM-DD
    project: Project
    milestone: Milestone | None = None
    chunk: Any = None  # for a dated sentence: the passage that holds it, and the sentence verbatim
    sentence: str = ""
    order: tuple[str, int] = field(default=("", 0))


def when(date: str) -> str:
    """'2024-11-08' -> '8 November 2024', '2024-11' -> 'November 2024', '2024' -> '2024'."""
    parts = date.split("-")
    month = MONTHS[int(parts[1]) - 1] if len(parts) > 1 else ""
    return " ".join(p for p in (parts[2].lstrip("0") if len(parts) > 2 else "", month, parts[0]) if p)


def span_text(q: RecordQuery) -> str:
    """' between 2015 and 2025', ' since 2022', ' up to 2019', ' in 2024', or ''."""
    lo, hi = q.year_from, q.year_to
    if lo is not None and hi is not None:
        return f" in {lo}" if lo == hi else f" between {lo} and {hi}"
    if lo is not None:
        return f" since {lo}"
    if hi is not None:
        return f" up to {hi}"
    return f" in {', '.join(map(str, q.years))}" if q.years else ""


def _in(year: int, q: RecordQuery, exact: Iterable[int] = ()) -> bool:
    exact = list(exact)
    return ((not exact or year in exact) and (q.year_from is None or year >= q.year_from)
            and (q.year_to is None or year <= q.year_to))


def cite_quote(builder: Any, book: CitationBook, quote: Quote) -> int | None:
    """The sentence that holds the quote's fragment, cited from the indexed passage that holds it (found by its
    words, not its offsets, so an index built from an earlier copy of the document still cites it)."""
    for chunk in builder.doc_chunks(quote.doc):
        if quote.text in chunk.text:
            sent = next((s for s in sentences(chunk) if quote.text in s), None)
            if sent is None:  # the fragment runs across two of the passage's sentences: cite from its start
                at = chunk.text.index(quote.text)
                sent = next((s for s in sentences(chunk) if chunk.text.find(s) <= at < chunk.text.find(s) + len(s)),
                            quote.text)
            return book.cite(chunk, sent)
    return None


def _runs(p: Project, companies: list[str]) -> bool:
    op = f" {fold(p.operator)} "
    return any(f" {fold(c)} " in op or f" {fold(c).split()[0]} " in op for c in companies if fold(c))


def chosen(q: RecordQuery, registry: list[Project], country_ok: Callable[[str], bool]) -> list[Project]:
    """The projects a change question is about: those named with their plants; else those the companies named run
    (in the countries named); else the countries' or the region's (at the stage named)."""
    if q.names:
        out: list[Project] = []
        for name in q.names:
            p = next((p for p in registry if name in p.names()), None)
            out += [f for f in (family(registry, p) if p else []) if f not in out]
        return out
    found = [p for p in registry if (not q.stage or q.stage in p.stages)
             and (country_ok(p.country) if q.countries or q.region else True)]
    return [p for p in found if _runs(p, q.operators)] if q.operators else found


def _reports(builder: Any, projects: list[Project], q: RecordQuery, want: set[str], skip: set[str]) -> list[Dated]:
    """The sentences of the named projects' documents that name one of them (or a company the question names) and
    carry a date within the years asked, the ones most about the question first."""
    named = [(p, re.compile(rf"\b{re.escape(n)}\b", re.I)) for p in projects for n in p.names() if len(n) >= 3]
    owners = [re.compile(rf"\b{re.escape(c)}\b", re.I) for c in q.operators]
    docs = list(dict.fromkeys(d for p in projects for d in p.docs))
    found: list[tuple[float, Dated]] = []
    seen: list[set[str]] = [terms(s) for s in skip]
    for chunk in (c for d in docs for c in builder.doc_chunks(d)):
        for sent in sentences(chunk):
            text = plain(sent)
            if "|" in sent or len(text.split()) < 8 or text in skip:
                continue
            who = next((p for p, pat in named if pat.search(text)), None)
            if who is None and any(pat.search(text) for pat in owners):
                who = projects[0]
            if who is None:
                continue
            # the date nearest the name: a sentence about two projects dates each where it names it
            at = next((hit.start() for p, pat in named if p is who and (hit := pat.search(text))), 0)
            m = min(_DATE.finditer(text), key=lambda d: abs(d.start() - at), default=None)
            if m is None or not _in(int(m.group(3)), q) or _forecast(int(m.group(3)), sent, chunk):
                continue
            words = terms(text)
            if any(len(words & s) >= 0.6 * min(len(words), len(s)) for s in seen):
                continue  # the same event, told again (a latest-developments line, a summary)
            seen.append(words)
            month = MONTHS.index(m.group(2)) + 1 if m.group(2) else 0
            date = m.group(3) + (f"-{month:02d}" if month else "") + (
                f"-{int(m.group(1)):02d}" if month and m.group(1) else "")
            found.append((len(want & words) + (0.5 if month else 0.0),
                          Dated(date=date, project=who, chunk=chunk, sentence=sent)))
    found.sort(key=lambda x: -x[0])
    return [d for _, d in found]


def _forecast(year: int, sent: str, chunk: Any) -> bool:
    """Whether the year is after the date of the source the sentence cites: a plan or target, not an event."""
    sources = doc_meta(chunk.meta).get("sources") or []
    marks = [int(n) for n in re.findall(r"\[S(\d+)\]", sent)]
    dates = [str(sources[n - 1].get("date") or "") for n in marks if 0 < n <= len(sources)]
    years = [int(d[:4]) for d in dates if d[:4].isdigit()]
    return bool(years) and year > max(years)


def _one_a_month(lines: list[Dated], reports: list[Dated]) -> list[Dated]:
    """The reports that add an event: at most one line per project and month (a milestone first), and a report
    dated only by its year only where that project has no line in that year."""
    taken = {(d.project.name, d.date[:7]) for d in lines}
    out = []
    for d in reports:
        key = (d.project.name, d.date[:7])
        if key in taken or (len(d.date) == 4 and any(n == key[0] and k.startswith(d.date) for n, k in taken)):
            continue
        taken.add(key)
        out.append(d)
        if len(out) == REPORTS:
            break
    return out


def _order(d: Dated) -> tuple[str, int]:
    if d.milestone is not None:
        return milestone_order(d.milestone)
    return (d.date if len(d.date) > 4 else f"{d.date}-13", 9)


def _state(m: Milestone) -> str:
    """done; expected; or, for a target whose year has passed with no report that it happened, "was expected"."""
    if m.done:
        return "done"
    return "was expected, not reported done" if m.year < dt.date.today().year else "expected"


def answer_change(q: RecordQuery, registry: list[Project], builder: Any, book: CitationBook,
                  country_ok: Callable[[str], bool], name_of: Callable[[str], str],
                  want: set[str]) -> tuple[str, list[dict[str, Any]]]:
    """What changed, in date order: the text ('' when the records hold nothing dated for the question) and one row
    per line."""
    projects = chosen(q, registry, country_ok)
    lines = [Dated(date=m.date, project=p, milestone=m) for p in projects for m in p.milestones
             if _in(m.year, q)]
    skip = {m.milestone.evidence.sentence for m in lines if m.milestone}
    if q.names and projects:
        lines += _one_a_month(lines, _reports(builder, projects, q, want, skip))
    lines.sort(key=_order)
    q.matched = len(lines)
    if not lines:
        return "", []
    many = len({d.project.name for d in lines}) > 1
    rows, out = [], []
    for d in lines:
        who = f"{d.project.name}, " if many else ""
        if d.milestone is not None:
            m = d.milestone
            n = cite_quote(builder, book, m.evidence)
            what = f"{who}{MILESTONE_LABEL[m.kind]}, {_state(m)}" + (f" ({m.note})" if m.note else "")
            quote = m.evidence.sentence
        else:
            n = book.cite(d.chunk, d.sentence)
            what, quote = f"{who}reported", plain(d.sentence)
        quote = book.items[n - 1].quote if n else quote  # as the citation shows it
        out.append(f"{when(d.date)}: {what}." + (f" {quote.rstrip(' .')} [{n}]." if n else ""))
        rows.append({"date": d.date, "project": d.project.name, "country": name_of(d.project.country),
                     "kind": d.milestone.kind if d.milestone else "report",
                     "done": d.milestone.done if d.milestone else True,
                     "note": d.milestone.note if d.milestone else "", "quote": quote, "citation": n})
    milestones = [d.milestone for d in lines if d.milestone]
    done = sum(m.done for m in milestones)
    reports = len(lines) - len(milestones)
    lead = (f"{_subject(q, projects, name_of)}: {len(milestones)} dated milestone{'s' if len(milestones) != 1 else ''}"
            f" ({done} done, {len(milestones) - done} expected){span_text(q) if q.year_from or q.year_to else ''}"
            + (f", and {reports} dated report{'s' if reports != 1 else ''} from {'its' if not many else 'their'} "
               f"documents" if reports else "") + ", in date order.")
    more = len(out) - SHOWN
    tail = f" And {more} more (the full table is in the answer)." if more > 0 else ""
    return " ".join([lead, *out[:SHOWN]]) + tail, rows


def _subject(q: RecordQuery, projects: list[Project], name_of: Callable[[str], str]) -> str:
    if q.names:
        head = projects[0]
        rest = len(projects) - 1
        return (f"{head.name} ({name_of(head.country)}, {head.phase})" if not rest else
                f"{head.name} and {rest} related site{'s' if rest != 1 else ''} ({name_of(head.country)})")
    places = " or ".join([*(name_of(c) for c in q.countries), *([q.region.title()] if q.region else [])])
    whose = f"Projects run by {' or '.join(q.operators)}" if q.operators else "Projects"
    stage = f" at the {q.stage} stage" if q.stage else ""
    return f"{whose}{' in ' + places if places else ''}{stage}"


def dated(p: Project, q: RecordQuery) -> list[Milestone | int]:
    """The project's milestones of the kind asked within the years asked; for first output, the year the
    value-chain facts give where no first-output milestone is done."""
    kind = q.milestone or "first_output"
    found: list[Milestone | int] = [m for m in p.milestones if m.kind == kind and _in(m.year, q, q.years)]
    if kind == "first_output" and p.first_output and not any(
            m.kind == kind and m.done for m in p.milestones) and _in(p.first_output, q, q.years):
        found.append(p.first_output)
    return found


def _date_of(x: Milestone | int) -> str:
    return x.date if isinstance(x, Milestone) else str(x)


def answer_dated(q: RecordQuery, found: list[Project], book: CitationBook, builder: Any,
                 cite_project: Callable[[Project], list[int]], describe: Callable[[Project], str],
                 scope: str) -> tuple[str, list[dict[str, Any]]]:
    """The projects with a milestone of the kind asked in the years asked, earliest first: the lead, then each
    project with its milestone, done or expected, and the sentence that states it."""
    hits = sorted(((p, x) for p in found for x in dated(p, q)), key=lambda px: _date_of(px[1]))
    firsts: dict[str, tuple[Project, Milestone | int]] = {}
    for p, x in hits:  # one line per project: its first such milestone in the years asked
        firsts.setdefault(p.name + p.country, (p, x))
    items = list(firsts.values())
    if q.limit:
        items = items[:q.limit]
    q.matched = len(items)
    label = MILESTONE_LABEL[q.milestone or "first_output"]
    done = [p for p, x in items if not isinstance(x, Milestone) or x.done]
    names = [p.name for p, _ in items]
    sep = "; " if any("," in n for n in names[:SHOWN]) else ", "
    shown = sep.join(names[:SHOWN]) + (f" and {len(names) - SHOWN} more (the full table is in the answer)"
                                       if len(names) > SHOWN else "")
    lead = (f"The registry holds {len(items)} project{'s' if len(items) != 1 else ''}{scope} with a {label} dated"
            f"{span_text(q)}" + (f" ({len(done)} done, {len(items) - len(done)} expected)" if items else "")
            + (f", earliest first: {shown}." if items else "."))
    lines, rows = [], []
    for p, x in items[:SHOWN]:
        if isinstance(x, Milestone):
            n = cite_quote(builder, book, x.evidence)
            ns = [n] if n else cite_project(p)
            state = _state(x) + (f", {x.note}" if x.note else "")
        else:
            ns, state = cite_project(p), "done, from the value-chain facts"
        quotes = " ".join(f"{book.items[n - 1].quote.rstrip(' .')} [{n}]." for n in ns)
        lines.append(f"{describe(p)}: {label} {when(_date_of(x))} ({state}). {quotes}".strip())
    for p, x in items:
        rows.append({"name": p.name, "country": p.country_name, "phase": p.phase, "milestone": label,
                     "date": _date_of(x), "done": not isinstance(x, Milestone) or x.done,
                     "quote": x.evidence.sentence if isinstance(x, Milestone) else ""})
    return " ".join([lead, *lines]), rows


__all__ = ["answer_change", "answer_dated", "chosen", "cite_quote", "dated", "span_text", "when"]
