"""A project's fields, each cited to the sentence that states it: owner, phase, the resource and reserves of its
deposit, the capacity and output of each of its facilities, its milestones and its support. A comparison puts two
or more projects side by side with these; a ranking of named projects reads one of their figures.

A project is its record and the records of its other facilities (`registry.family`): the Lofdal deposit with the
Lofdal mine, flotation plant and hydrometallurgical plant.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from assistant.answer.citations import CitationBook, plain, sentences, terms
from assistant.answer.milestones import cite_quote, when
from assistant.knowledge.registry import Project, milestone_order
from assistant.knowledge.valuechain import MILESTONE_LABEL, Figure, Milestone

# The figures a comparison shows, in this order, with how each reads.
FIELDS: tuple[tuple[str, str], ...] = (("resource", "resource"), ("reserves", "ore reserve"),
                                       ("capacity", "capacity"), ("output", "output"))


def figure_text(f: Figure) -> str:
    """'1,478 t/yr REO (target)', '58.5 million t ore (2021)'."""
    amount = f"{f.value / 1e6:,.4g} million t" if f.value >= 1e6 else f"{f.value:,.0f} t"
    rate = "/yr" if f.unit == "t/yr" else ""
    notes = [n for n in (str(f.year) if f.year else "", f.kind or "", "historic" if f.historic else "") if n]
    return f"{amount}{rate} {f.basis}" + (f" ({', '.join(notes)})" if notes else "")


def cite_holding(builder: object, book: CitationBook, docs: Iterable[str], needles: list[str]) -> int | None:
    """The first sentence of these documents that holds every needle (a name, a figure as written), cited."""
    low = [n.lower() for n in needles if n]
    for doc in dict.fromkeys(docs):
        for chunk in builder.doc_chunks(doc):  # type: ignore[attr-defined]
            for sent in sentences(chunk):
                text = plain(sent).lower().replace(",", "")
                if "|" not in sent and all(n.replace(",", "") in text for n in low):
                    return book.cite(chunk, sent)
    return None


def cite_figure(builder: object, book: CitationBook, p: Project, f: Figure) -> int | None:
    """The sentence that states the figure: its own evidence, else (a stage's figure, where the facility is the
    stage's only one) the sentence of the project's documents that gives the number (and its year)."""
    if f.evidence is not None:
        return cite_quote(builder, book, f.evidence)
    return cite_holding(builder, book, [e.doc for e in p.evidence],
                        [f"{f.value:,.0f}", str(f.year) if f.year else ""])


def core_name(operator: str) -> str:
    """'Mamba Minerals Corporation (Peak Rare Earths 84%, …)' -> 'Mamba Minerals Corporation': the first owner
    named, before any bracket or list."""
    return re.split(r"\s*[(;,]", operator, maxsplit=1)[0].strip()


def _holds(sentence: str, note: str) -> bool:
    """Whether the sentence states every figure and name of a milestone's note, so the note can stand before the
    sentence's citation."""
    low = sentence.lower().replace(",", "")
    need = re.findall(r"\d[\d,.]*\d|\d", note) + [w for w in re.findall(r"\b[A-Z][\w'-]+", note) if len(w) > 3]
    return all(n.lower().replace(",", "") in low for n in need)


def _mark(n: int | None) -> str:
    return f" [{n}]" if n else ""


def figures_of(family: Iterable[Project], field: str, basis: Iterable[str] = ()) -> list[tuple[Project, Figure]]:
    """The project's facilities that carry this figure (on one of these bases, where given), largest first."""
    wanted = set(basis)
    found = [(p, f) for p in family if (f := getattr(p, field)) is not None and (not wanted or f.basis in wanted)]
    return sorted(found, key=lambda pf: -pf[1].value)


def _date(m: Milestone) -> str:
    """The milestone's date as precisely as its sentence gives it (a month only where the sentence names it)."""
    shown = when(m.date)
    return shown if shown.split()[-2:-1] == [] or shown.split()[-2] in m.evidence.sentence else m.date[:4]


def fields(p: Project, family: list[Project], builder: object, book: CitationBook,
           name_of: Callable[[str], str]) -> str:
    """One project's fields as a sentence: each field a clause that opens with what it is about, and each figure,
    owner, milestone and support followed by the sentence that states it. A figure no sentence can be found for
    is left out rather than shown uncited."""
    docs = [d for o in family for d in o.docs]
    owner = core_name(p.operator)
    head = f"{p.name} ({name_of(p.country)}, {p.phase}"
    head += ", pilot)" if p.pilot else ")"
    parts = [head + (f": owner {owner}{_mark(cite_holding(builder, book, docs, [owner]))}" if owner else "")]
    for field, label in FIELDS:
        shown = []
        for o, f in figures_of(family, field):
            n = cite_figure(builder, book, o, f)
            if n:
                where = f"{o.name} " if o is not p and len(family) > 1 else ""
                shown.append(f"{where}{figure_text(f)} [{n}]")
        if shown:
            parts.append(f"{label}: " + "; ".join(shown))
    milestones = sorted({m for o in family for m in o.milestones}, key=milestone_order)
    if milestones:
        parts.append("milestones: " + "; ".join(
            f"{MILESTONE_LABEL[m.kind]} {_date(m)}" + ("" if m.done else " (expected)")
            + (f", {m.note}" if m.note and _holds(m.evidence.sentence, m.note) else "")
            + _mark(cite_quote(builder, book, m.evidence)) for m in milestones))
    support = list(dict.fromkeys(s for o in family for s in o.support))
    if support:
        parts.append("support: " + "; ".join(
            s.programme + _mark(builder.cite_in(s.source.doc, s.source.section,  # type: ignore[attr-defined]
                                                terms(f"{s.programme} {s.detail}"), book)) for s in support))
    return "; ".join(parts) + "."


__all__ = ["FIELDS", "cite_figure", "cite_holding", "core_name", "fields", "figure_text", "figures_of"]
