"""Supply questions answered from the supply links: "who supplies X", "whom does X supply" and "what if X stops",
read as a typed query (understand/supply.py) and written as a direct answer first, then one line per link, each
line the link as the records hold it followed by the sentence that states it, cited.

    answer_supply(q, links, names, registry, cite)   RecordAnswer: text and the table of every matching link
    answer_scenario(q, links, names, registry, cite) RecordAnswer: the scenario (views/exposure.py) as text and a
                                                     table (one row per affected country and link)

`cite(link)` puts a link's evidence sentence in the answer's citation book and returns its number (None where the
index does not hold the sentence; the line is then written without a quote). A query no link answers is left to
the passages (`complete=False`), never answered with an invented supplier.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from assistant.answer.record_text import SHOWN, RecordAnswer
from assistant.knowledge.registry import Project
from assistant.knowledge.supply import GROUPS, MATERIALS, USED_AT, Names, Party, SupplyLink
from assistant.knowledge.taxonomy import country_name, find_countries
from assistant.types import STAGES, Checklist, RecordQuery
from assistant.views.exposure import compatible, is_flow, link_figures, scenario

Cite = Callable[[SupplyLink], "int | None"]
_STATUS_ORDER = {"current": 0, "planned": 1, "ended": 2}


def _who(p: Party | None) -> str:
    if p is None:
        return "supplier not sourced"
    if p.kind == "country" or not p.country:
        return p.name
    return f"{p.name} ({country_name(p.country)})"


def _list(names: list[str]) -> str:
    names = list(dict.fromkeys(names))
    if len(names) <= 1:
        return names[0] if names else "none"
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _poss(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _they(names: list[str], verb: str, plural: str) -> str:
    """"India loses", "India and Japan lose"."""
    names = list(dict.fromkeys(names))
    return f"{_list(names)} {verb if len(names) == 1 else plural}"


def _label(link: SupplyLink) -> str:
    """The link as the records hold it: supplier to receiver, material, kind, status, figures and dates."""
    status = "" if link.status == "current" else f", {link.status}"
    figures = f"; {said}" if (said := link_figures(link, year_in=True)) else ""
    return (f"{_who(link.source)} to {_who(link.to)}: {link.label()}, {link.kind.replace('_', ' ')}{status}"
            f"{figures}")


def _line(label: str, link: SupplyLink, cite: Cite, book_quote: Callable[[int], str]) -> tuple[str, int | None]:
    n = cite(link)
    if n is None:
        return f"{label}.", None
    return f"{label}. {book_quote(n).rstrip(' .')} [{n}].", n


def _row(link: SupplyLink, n: int | None, **extra: Any) -> dict[str, Any]:
    return {**extra, "link": link.id, "supplier": link.source.name if link.source else None,
            "supplier_country": link.source.country if link.source else None, "receiver": link.to.name,
            "receiver_country": link.to.country, "material": link.material, "elements": list(link.elements),
            "stage": link.stage, "kind": link.kind, "status": link.status, "figures": link_figures(link, year_in=True),
            "quote": link.evidence.sentence, "doc_id": link.evidence.doc, "citation": n}


def _is(party: Party, p: Party | None, names: Names, registry: list[Project]) -> bool:
    """Whether `p` is the party asked about: itself, a plant its company operates, the same project or site under
    another registry name (its name extended, or the same operator in the same country), or anything in the
    country asked about."""
    if p is None:
        return False
    if party.kind == "country":
        return p.country == party.country
    if p == party:
        return True
    if party.kind == "company" and p.kind == "facility":
        return any(n.lower() == party.name.lower() for n in names.names.get(p, set()))
    if party.kind == "facility" and p.kind == "facility":
        if p.country == party.country and (p.name.startswith(party.name + " ") or party.name.startswith(p.name + " ")):
            return True  # one project's mine and plant ("Ngualla", "Ngualla beneficiation plant")
        a = next((r for r in registry if r.name == party.name), None)
        b = next((r for r in registry if r.name == p.name), None)
        return bool(a and b and a.operator and a.operator == b.operator and a.country == b.country)
    return False


def _own(link: SupplyLink, party: Party) -> bool:
    """The link rests on the party's own country profile (read first: it is the document about the party)."""
    return bool(party.country) and link.evidence.doc == f"profiles/{party.country}.md"


def _wanted(link: SupplyLink, material: str | None, elements: Iterable[str]) -> bool:
    if material is not None and not compatible(material, link.material) and not compatible(link.material,
                                                                                          material):
        return False
    want: set[str] = set()
    for e in elements:
        want |= GROUPS.get(e, {e})
    return not want or not link.element_set() or bool(link.element_set() & want)


def _what(q: RecordQuery) -> str:
    from assistant.knowledge.supply import MATERIALS

    what = MATERIALS.get(q.material or "", "")
    if q.elements:
        return f"{what} ({', '.join(q.elements)})" if what else ", ".join(q.elements)
    return what


def answer_supply(q: RecordQuery, links: list[SupplyLink], names: Names, registry: list[Project], cite: Cite,
                  quote: Callable[[int], str]) -> RecordAnswer:
    party = names.resolve(q.party or "")
    counterpart = names.resolve(q.counterpart) if q.counterpart else None
    inward = q.direction != "out"
    mine = []
    for lk in links:
        if not is_flow(lk):
            continue
        me, other = (lk.to, lk.source) if inward else (lk.source, lk.to)
        if not _is(party, me, names, registry):
            continue
        # a country's suppliers are those abroad; a plant's or company's are all of them
        if party.kind == "country" and other is not None and other.country == party.country:
            continue
        if counterpart is not None and not _is(counterpart, other, names, registry):
            continue
        if other is not None and other.country in q.exclude:
            continue  # "outside China": suppliers there are left out
        mine.append(lk)
    if not mine:
        return RecordAnswer(text="", complete=False)
    found = [lk for lk in mine if _wanted(lk, q.material, q.elements)]
    what = _what(q)
    note = ""
    if not found:
        note = f" No recorded link names {what}; every link recorded for {party.name} follows."
        found = mine
    want = set(q.elements)
    found.sort(key=lambda lk: (_STATUS_ORDER[lk.status], bool(want) and not (set(lk.elements) & want),
                               lk.source is None, -(lk.share.value if lk.share else 0), not _own(lk, party), lk.id))
    current = [lk for lk in found if lk.status == "current"]
    others = [lk.to if not inward else lk.source for lk in current]
    named = [_who(p) for p in others if p is not None]
    later = _list([_who(lk.to if not inward else lk.source) + f" ({lk.status})" for lk in found
                   if lk.status != "current" and (lk.to if not inward else lk.source) is not None])
    of = f" of {what}" if what and not note else ""
    if inward:
        lead = (f"{_poss(party.name)} recorded suppliers{of}: {_list(named)}." if named else
                f"No current supplier{of} of {party.name} is recorded; recorded links: {later}.")
        if any(lk.source is None and lk.status == "current" for lk in found):
            lead += " For some of its imports the sources name no supplier (supplier not sourced)."
    else:
        lead = (f"{party.name} supplies {_list(named)}" + (f" with {what}" if what and not note else "") + "."
                if named else f"No current buyer of {_poss(party.name)} output{of} is recorded; recorded links: "
                              f"{later}.")
    lines: list[str] = []
    rows: list[dict[str, Any]] = []
    for i, lk in enumerate(found):
        if i < SHOWN:
            text, n = _line(_label(lk), lk, cite, quote)
            lines.append(text)
        else:
            n = None
        rows.append(_row(lk, n))
    more = len(found) - SHOWN
    tail = f" And {more} more (the full table is in the answer)." if more > 0 else ""
    q.matched = len(found)
    return RecordAnswer(text=f"{lead}{note} {' '.join(lines)}{tail}".strip(), rows=rows)


def answer_scenario(q: RecordQuery, links: list[SupplyLink], names: Names, registry: list[Project], cite: Cite,
                    quote: Callable[[int], str]) -> RecordAnswer:
    s = scenario(links, names, registry, q.stop or "", q.material, q.elements, q.stage)
    by_id = {lk.id: lk for lk in links}
    what = _what(q) or "every material"
    head = f"If {s.stop} stops supplying {what}" + (f" from the {s.stage} stage on" if s.stage else "")
    parts = []
    if s.loses:
        parts.append(_they([a.country_name for a in s.loses], "loses", "lose") + " a sourced supply")
    if s.alternative:
        parts.append(_they([a.country_name for a in s.alternative], "keeps", "keep") + " a sourced alternative")
    if s.outlet_lost:
        parts.append(_they([a.country_name for a in s.outlet_lost], "loses", "lose") + " an outlet for what it "
                     f"supplies {s.stop}")
    if s.not_sourced:
        parts.append(_they([a.country_name for a in s.not_sourced], "imports", "import") + " it from no named "
                     "supplier")
    if s.unaffected:
        parts.append(_they([a.country_name for a in s.unaffected], "is", "are") + " unaffected (supplied by "
                     "others)")
    cut_any = bool(s.loses or s.alternative or s.outlet_lost)
    lead = f"{head}: " + ("; ".join(parts) if cut_any else "no current supply link in the records is cut") + "."
    entries: list[tuple[str, str, SupplyLink]] = []  # (category, label, link)
    for a in s.loses:
        entries += [("loses", f"{a.country_name} loses {f.material} from {f.supplier}", by_id[f.link]) for f in a.cut]
        entries += [("planned", f"{a.country_name} has a planned (not yet running) source: {f.material} from "
                                f"{f.supplier}", by_id[f.link]) for f in a.planned]
    for a in s.alternative:
        entries += [("cut", f"{a.country_name} loses {f.material} from {f.supplier}", by_id[f.link]) for f in a.cut]
        entries += [("alternative", f"{a.country_name} keeps {f.material} from {f.supplier}", by_id[f.link])
                    for f in a.alternatives]
    for a in s.outlet_lost:
        entries += [("outlet_lost", f"{a.country_name} loses the outlet for {f.material} it sends to {f.receiver}",
                     by_id[f.link]) for f in a.cut]
    if not cut_any:  # what the records hold of the stopped party: planned or ended links, no current supply
        stopped = names.resolve(q.stop or "")
        entries += [(lk.status, _label(lk), lk) for lk in links
                    if is_flow(lk) and lk.status != "current" and (_is(stopped, lk.source, names, registry)
                                                                  or _is(stopped, lk.to, names, registry))]
    stopped = names.resolve(q.stop or "")
    order = {c: i for i, c in enumerate(("loses", "planned", "cut", "alternative", "outlet_lost"))}
    entries.sort(key=lambda e: (order.get(e[0], 9), e[1].split(" ")[0], not _own(e[2], stopped)))
    lines: list[str] = []
    rows: list[dict[str, Any]] = []
    written: set[tuple[str, int | None]] = set()
    for category, label, lk in entries:
        n = None
        if len(lines) < SHOWN:
            n = cite(lk)
            if (label, n) not in written:  # two links resting on one sentence say it once
                written.add((label, n))
                lines.append(_line(label, lk, cite, quote)[0])
        rows.append(_row(lk, n, category=category,
                         country=(lk.source.country if category == "outlet_lost" and lk.source else lk.to.country)))
    for cat in ("unaffected", "not_sourced"):
        for a in getattr(s, cat):
            rows += [_row(by_id[f.link], None, category=cat, country=a.country) for f in a.alternatives]
    more = sum(1 for r in rows if r.get("category") not in ("unaffected", "not_sourced") and r["citation"] is None)
    tail = f" And {more} more links (the full table is in the answer)." if more > 0 and len(lines) >= SHOWN else ""
    q.matched = len(entries)
    if not entries:
        return RecordAnswer(text="", complete=False)
    return RecordAnswer(text=f"{lead} {' '.join(lines)}{tail}".strip(), rows=rows)




def done_abroad(cl: Checklist, links: list[SupplyLink], cite: Cite, quote: Callable[[int], str],
                already: str = "", most: int = 2) -> str:
    """Where a country does not run the stage asked about at scale, what its documents say happens to its material
    instead: the supply links that send it, from a party in the country, to one abroad that takes it in at or
    before that stage, each as the link in brief and the sentence that states it, cited ("Kalgoorlie Rare Earths
    Processing Facility to Lynas Malaysia (Malaysia): mixed carbonate."). Current links first; "" where there
    are none. Who owns a site is no place its material goes, and a sentence the answer (`already`) quotes is not
    quoted again."""
    row = next((r for r in cl.stages if r.stage == cl.target), None)
    home = next(iter(find_countries(cl.country)), None)  # the checklist names its country for display
    if row is None or row.status == "at_scale" or cl.target not in STAGES or home is None:
        return ""
    target = STAGES.index(cl.target)
    sent = [link for link in links
            if link.source is not None and link.source.country == home and link.to.country
            and link.to.country != home and link.status in ("current", "planned") and not link.derived
            and link.material in USED_AT and STAGES.index(USED_AT[link.material]) <= target
            and STAGES.index(link.stage) < target and not (link.kind == "ownership" and link.to.kind == "company")]
    sent.sort(key=lambda link: (link.status != "current", USED_AT[link.material] != cl.target))
    out: list[str] = []
    said: set[tuple[str, str, str]] = set()
    for link in sent:
        assert link.source is not None
        if (link.source.name, link.to.name, link.material) in said:
            continue
        where = "" if link.to.kind == "country" else f" ({link.to.country_name})"
        planned = ", planned" if link.status == "planned" else ""
        line, n = _line(f"{link.source.name} to {link.to.name}{where}: {MATERIALS[link.material]}{planned}", link,
                        cite, quote)
        if n is None or quote(n).rstrip(" .") in already:
            continue
        said.add((link.source.name, link.to.name, link.material))
        out.append(line)
        if len(out) >= most:
            break
    return "Abroad: " + " ".join(out) if out else ""


def evidence_citer(builder: Any, book: Any) -> tuple[Cite, Callable[[int], str]]:
    """`cite(link)`: the link's evidence sentence cited from the indexed passage that holds it whole (the book's
    quote is then that verbatim range of the document); and `quote(n)`, the quote shown for a citation."""

    def cite(link: SupplyLink) -> int | None:
        ev = link.evidence
        if ev.span is None:
            return None
        start, end = ev.span
        for chunk in builder.doc_chunks(ev.doc):
            if chunk.start <= start and end <= chunk.start + len(chunk.text):
                verbatim = chunk.text[start - chunk.start:end - chunk.start]
                if verbatim.strip():
                    return book.cite(chunk, verbatim)
        return None

    return cite, (lambda n: book.items[n - 1].quote)


__all__ = ["answer_scenario", "answer_supply", "done_abroad", "evidence_citer"]
