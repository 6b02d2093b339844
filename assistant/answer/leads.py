"""The lead of an answer: the verdict sentence of a gap checklist (what exists on the chain and what is missing,
in words), the reason a verdict is what it is, countries side by side, and a named entity's registered summary
cited to the sentences that hold it."""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.answer.citations import CitationBook, plain, sentences, terms
from assistant.knowledge.entities import Entity
from assistant.types import STAGES, STATUS_LABEL, Checklist, Chunk, StageRow
from assistant.understand.followups import VERB
from assistant.understand.query import stage_range

STAGE_STATE = {"at_scale": "runs at scale", "emerging": "is only emerging", "planned": "is only planned",
               "none": "does not exist there", "unknown": "is not documented"}
VERDICT_TEXT = {"yes": "Yes", "partly": "Partly", "not yet": "Not yet", "no": "No"}


# -- the lead ----------------------------------------------------------------------------------------------------
def _cite_list(ns: list[int]) -> str:
    return "".join(f" [{n}]" for n in ns)


def _scope(cl: Checklist) -> list:  # type: ignore[type-arg]
    """The rows the verdict rests on (`stage_range`: deposit up to the target; recycling alone)."""
    scope = set(stage_range(cl.target)) if cl.target in STAGES else {r.stage for r in cl.stages}
    return [r for r in cl.stages if r.stage in scope]


def _breaks(cl: Checklist, gap: StageRow) -> str:
    """Where the chain to the target breaks: at the target stage itself, or first at a stage before it."""
    if gap.stage == cl.target:
        return f"the {gap.stage} stage itself {STAGE_STATE[gap.status]}"
    return f"the chain first breaks at the {gap.stage} stage ({STATUS_LABEL[gap.status]})"


def _cites(row: StageRow) -> str:
    """A stage's first citation, and the second where it names the stage's facilities."""
    return _cite_list(row.citations[:2] if row.facilities else row.citations[:1])


def _at(row: StageRow) -> str:
    """Where the stage is, by the facilities its cited sentence names: ' (Solvay La Rochelle)'."""
    return f" ({_and(row.facilities[:3])})" if row.facilities else ""


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _in_words(scope: list[StageRow], gap: StageRow) -> str:
    """What exists on the chain up to the target and what is missing, in words, each stage with its status in
    words and its first citation: 'it has a deposit (resource, no reserve) [1], but none of the stages after it
    (mining, concentrate and cracking) [5]', 'it has mining (mined at scale) [1] and separation (at scale) [2];
    missing: metal and magnet (none found) [7]'. A stage exists when it runs at scale, is emerging or is planned."""
    def said(r: StageRow) -> str:
        noun = "a deposit" if r.stage == "deposit" else r.stage
        label = (r.label or STATUS_LABEL[r.status]).removeprefix(f"{r.stage}, ")  # "deposit, no reserve"
        where = f": {_and(r.facilities[:3])}" if r.facilities else ""
        return f"{noun} ({label}{where}){_cites(r)}"

    present = [r for r in scope if r.status in ("at_scale", "emerging", "planned")]
    absent = [r for r in scope if r not in present]
    cite = _cite_list(next((r.citations[:1] for r in absent if r.citations), []))
    if not present:
        return f"it has none of the stages from {scope[0].stage} to {scope[-1].stage}{cite}"
    has = f"it has {_and([said(r) for r in present])}"
    if not absent:
        return f"{has}, not all of them at scale"
    # a stage that once ran (its plant named, now closed) is said with its plant: what the chain had
    once = [said(r) for r in absent if r.facilities and (r.label or "").startswith(("closed", "suspended"))]
    had = f"; there was {_and(once)}" if once else ""
    if all(scope.index(r) > scope.index(present[-1]) for r in absent):
        after = _and([r.stage for r in absent])
        return f"{has}, but none of the stages after {'it' if len(present) == 1 else 'them'} ({after}){cite}{had}"
    labels = sorted({r.label or STATUS_LABEL[r.status] for r in absent})
    return f"{has}; missing: {_and([r.stage for r in absent])} ({', '.join(labels)}){cite}{had}"


def _tally(rows: list[StageRow], label: str) -> str:
    at_scale = [r.stage for r in rows if r.status == "at_scale"]
    missing = [r.stage for r in rows if r.status in ("none", "unknown")]
    tally = f"{label}: {', '.join(at_scale) or 'no stage'}"
    return tally + (f"; missing or unknown: {', '.join(missing)}." if missing else ".")


def _reach(cl: Checklist) -> int:
    return sum(1 for r in _scope(cl) if r.status == "at_scale")


def checklist_lead(cl: Checklist) -> list[str]:
    """One verdict sentence that says in words what exists on the chain and what is missing, then the target stage
    if it is not where the chain breaks (a one-stage verdict: the rest of the chain, as context)."""
    name, goal = cl.country, VERB.get(cl.target, cl.target)
    if not cl.structured:
        return [f"There is no structured value-chain data for {name}, so there is no verdict; every stage below "
                "is unknown and the cited passages are what the documents say."]
    verdict = VERDICT_TEXT.get(cl.verdict or "", "Unknown")
    gap = next((r for r in cl.stages if r.stage == cl.binding_gap), None)
    scope = _scope(cl)
    if cl.verdict == "yes" or gap is None:
        cites = sorted({n for r in scope for n in r.citations[:1]})[:2]
        where = f"every stage from deposit to {cl.target}" if len(scope) > 1 else f"the {cl.target} stage"
        target = scope[-1]
        at = f" The {target.stage} stage: {_and(target.facilities[:3])}{_cites(target)}." if target.facilities else ""
        return [f"{verdict}: {name} can {goal}; {where} runs at scale{_cite_list(cites)}.{at}"]
    can = {"partly": f"{name} can {goal} only in part", "not yet": f"{name} cannot {goal} yet",
           "no": f"{name} cannot {goal} today"}.get(cl.verdict or "", f"{name}'s ability to {goal} is unknown")
    # The verdict says in words what exists on the chain and what is missing; the stage details are the
    # checklist's (with their own evidence), and the sentences that prove them are quoted as points below.
    words = _in_words(scope, gap) if len(scope) > 1 else f"{_breaks(cl, gap)}{_cite_list(gap.citations[:1])}"
    out = [f"{verdict}: {can}; {words}."]
    target = next(r for r in cl.stages if r.stage == cl.target)
    if target.stage != gap.stage:
        out.append(f"The {target.stage} stage itself {STAGE_STATE[target.status]}{_at(target)}{_cites(target)}.")
    if target.detail_cited:  # what is there, clause by clause from the record, each with its sentence
        out[-1] += f" {target.stage.capitalize()}: {target.detail_cited}."
    if len(scope) == 1:  # a stage that rests on itself alone: the rest of the chain is context
        out.append(_tally([r for r in cl.stages if r not in scope], "Elsewhere in the chain, at scale"))
    return out


def _detail(text: str) -> str:
    return plain(text).rstrip(".")


def why_lead(cl: Checklist) -> list[str]:
    name, goal = cl.country, VERB.get(cl.target, cl.target)
    gap = next((r for r in cl.stages if r.stage == cl.binding_gap), None)
    if not cl.structured or gap is None:
        return checklist_lead(cl)
    out = [f"{name} cannot fully {goal} because the chain breaks at the {gap.stage} stage "
           f"({STATUS_LABEL[gap.status]}){_cite_list(gap.citations[:1])}.", f"That stage: {_detail(gap.detail)}."]
    later = [f"{r.stage} ({STATUS_LABEL[r.status]})" for r in _scope(cl)
             if r.status != "at_scale" and r.stage != gap.stage]
    if later:
        out.append(f"Further down the chain: {', '.join(later)}.")
    return out


def comparison_lead(cls: list[Checklist]) -> list[str]:
    structured = [cl for cl in cls if cl.structured]
    out: list[str] = []
    if len(structured) >= 2:
        ranked = sorted(structured, key=_reach, reverse=True)
        first, second = ranked[0], ranked[1]
        if len(_scope(first)) == 1:  # a verdict on one stage: its status, country by country
            out.append(f"The {first.target} stage: " + "; ".join(
                f"{cl.country} {STATUS_LABEL[_scope(cl)[0].status]}{_at(_scope(cl)[0])}{_cites(_scope(cl)[0])}"
                for cl in structured) + ".")
            return out + [f"{cl.country}: no structured value-chain data, so no verdict." for cl in cls
                          if not cl.structured]
        elif _reach(first) == _reach(second):
            out.append(f"{' and '.join(cl.country for cl in ranked)} have as many stages at scale on the chain to "
                       f"{first.target} ({_reach(first)} of {len(_scope(first))}).")
        else:
            rest = ", ".join(f"{cl.country} ({_reach(cl)})" for cl in ranked[1:])
            out.append(f"{first.country} is further along the chain to {first.target}: {_reach(first)} of "
                       f"{len(_scope(first))} stages at scale, against {rest}.")
    else:
        out.append("Side by side; see each checklist below.")
    for cl in cls:
        if not cl.structured:
            out.append(f"{cl.country}: no structured value-chain data, so no verdict.")
            continue
        gap = next((r for r in cl.stages if r.stage == cl.binding_gap), None)
        verdict = VERDICT_TEXT.get(cl.verdict or "", "Unknown")
        if gap is None:
            out.append(f"{cl.country}: {verdict}, every stage runs at scale{_cite_list(_scope(cl)[-1].citations[:1])}.")
        else:
            scope = _scope(cl)
            words = _in_words(scope, gap) if len(scope) > 1 else f"{_breaks(cl, gap)}{_cite_list(gap.citations[:1])}"
            out.append(f"{cl.country}: {verdict}; {words}.")
    return out


_CAPITALISED = re.compile(r"\b[A-Z][\w'-]*")


def entity_lead(entity: Entity, section_chunks: Callable[[str, str], list[Chunk]], book: CitationBook,
                doc_chunks: Callable[[str], list[Chunk]]) -> str:
    """An entity's registered one-sentence summary, cited to the sentences that hold its names and figures (at
    most four): from its source section first, then from the other documents that discuss it, since a summary
    may draw on several sections."""
    text = entity.summary.strip().rstrip(".")
    want = terms(entity.summary) | terms(" ".join(entity.names))
    # what the summary claims beyond naming the entity: its names (any capitalised word: "SARECO", "Canadian")
    # and figures
    key = terms(" ".join(_CAPITALISED.findall(entity.summary) + re.findall(r"\d[\w,.]*", entity.summary))) - terms(
        " ".join(entity.names))
    pool: list[tuple[int, Chunk, str, set[str]]] = []
    seen: set[str] = set()
    tiers = [(0, c) for c in section_chunks(entity.source.doc, entity.source.section)]
    tiers += [(1, c) for d in dict.fromkeys((entity.source.doc, *entity.docs)) for c in doc_chunks(d)]
    for tier, chunk in tiers:
        if chunk.id in seen:
            continue
        seen.add(chunk.id)
        for sent in sentences(chunk):
            shown = plain(sent)
            if len(shown.split()) >= 4 and not sent.lstrip().startswith("#"):
                pool.append((tier, chunk, sent, terms(shown)))
    marks: list[int] = []
    rest, rest_key = set(want), set(key)
    while pool and len(marks) < 4:  # each sentence adds names, figures or words the others lack
        tier, chunk, sent, st = max(pool, key=lambda x: (3 * len(rest_key & x[3]) + len(rest & x[3]), -x[0]))
        if not rest_key & st and (marks or not rest & st):
            break
        marks.append(book.cite(chunk, sent))
        rest -= st
        rest_key -= st
        pool = [x for x in pool if x[2] != sent]
    return f"{text}{_cite_list(sorted(set(marks)))}."
