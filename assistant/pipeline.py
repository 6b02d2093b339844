"""The path of one question, in order: read it once (understand/reading.py); answer a query over records from
the records (answer/records.py, views/supply_answers.py); otherwise gather the evidence (answer/evidence.py),
decide in one place whether to refuse (answer/refusal.py), and compose the answer from the passages
(answer/answering.py), through the optional LLM (answer/generation.py). Each step reads what the step before
it returned; none goes back to the question."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from assistant.answer.answering import compose
from assistant.answer.citations import CitationBook
from assistant.answer.evidence import checklists_for, gather, widen
from assistant.answer.refusal import (
    Refusal,
    conversation_may_answer,
    decide,
    documents_silent,
    unknown_subject,
    unprofiled_records,
)
from assistant.knowledge.taxonomy import country_name
from assistant.types import Answer, Checklist, Citation, Filters
from assistant.understand.followups import antecedent
from assistant.understand.reading import Reading, RecordContext

if TYPE_CHECKING:
    from assistant.core import Assistant


def record_context(a: Assistant) -> RecordContext:
    """What the records hold, for reading a question as a query over them."""
    from assistant.answer.table_answers import table_sources
    from assistant.knowledge.entities import SITE_KINDS

    snap = a._snapshot()
    data = snap.builder.data
    _links, party_names, registry = a.supply()
    return RecordContext(regions={f.region for k in data.keys() if (f := data.get(k)) and f.region},
                         sites=SITE_KINDS, programmes=[s.programme for p in registry for s in p.support],
                         parties=party_names,
                         table_sources=table_sources(snap.builder, a.settings.paths.corpus))


def ask(a: Assistant, question: str, conversation_id: str | None, filters: Filters | None) -> Answer:
    snap = a._snapshot()
    reading = a.read(question, conversation_id, records=True)
    if reading.query is not None:
        # (a query over the records about what no document names would list records about something else)
        if (stranger := unknown_subject(reading, snap.keywords, snap.builder.data.profiled)) is not None:
            a.conversations.add(conversation_id, reading.intent)
            return refuse(reading, stranger, conversation_id)
        if (answer := answer_records(a, reading, conversation_id)) is not None:
            return answer
    book = CitationBook(limit=a.settings.answer.max_citations)
    evidence = None
    if reading.intent.type != "out_of_scope":
        checklists = checklists_for(snap, reading, book, a.settings.answer)
        evidence = gather(snap, reading, filters, a.settings, checklists)
    refusal = decide(reading, evidence, a.settings.answer.min_similarity, snap.keywords, snap.builder.data.profiled)
    if refusal is not None and conversation_may_answer(reading, refusal, snap.keywords.knows) and (
            placed := _in_conversation(a, reading, conversation_id, filters)) is not None:
        reading, evidence, book = placed
        refusal = None
    if refusal is not None:
        a.conversations.add(conversation_id, reading.intent)
        return refuse(reading, refusal, conversation_id)
    assert evidence is not None  # decide() refuses every question it was not searched for
    passages = widen(snap, reading, evidence.passages)
    text = compose(reading.intent, passages, evidence.checklists, book, a.settings.answer.max_sentences,
                   idf=snap.keywords.idf, section_chunks=snap.builder.section_chunks,
                   doc_chunks=snap.builder.doc_chunks)
    quoted = CitationBook(limit=a.settings.answer.max_citations)
    if (silent := documents_silent(reading.intent, text, passages, quoted)) is not None:
        a.conversations.add(conversation_id, reading.intent)
        cited = quoted.items or book.items  # (the passage it quotes, or the answer's lead)
        return refuse(reading, silent, conversation_id, [c for c in cited if c.n in silent.cites])
    if reading.intent.type == "capability" and len(evidence.checklists) == 1:
        text = _with_abroad(a, evidence.checklists[0], text, book)
    notices = list(evidence.notices)
    if a.settings.answer.llm_url:
        text, more = a.generation.generate(reading.resolved, passages, evidence.checklists, book, text)
        notices += more
    a.conversations.add(conversation_id, a._reader().with_answer(reading.intent, text))
    return Answer(question=question, answer=text, answerable=True, citations=book.items,
                  checklist=_one_or_list(evidence.checklists), conversation_id=conversation_id, notices=notices,
                  resolved_question=reading.shown_resolved)


def _with_abroad(a: Assistant, checklist: Checklist, text: str, book: CitationBook) -> str:
    """The answer with what the supply links say happens abroad to the country's material, where it does not run
    the stage asked about at scale (answer/leads.done_abroad), as a paragraph of its own."""
    from assistant.views.supply_answers import done_abroad, evidence_citer

    links, _names, _registry = a.supply()
    cite, quote = evidence_citer(a._snapshot().builder, book)
    line = done_abroad(checklist, links, cite, quote, already=text)
    return f"{text}\n\n{line}" if line else text


def _in_conversation(a: Assistant, reading: Reading, conversation_id: str | None,
                     filters: Filters | None) -> tuple[Reading, Any, CitationBook] | None:
    """The question read once more about what the turn before named last (`refusal.conversation_may_answer`
    says which questions may be): its reading, evidence and citations where the passages then answer it, else
    None (and it is refused as it stands)."""
    previous = a.conversations.last(conversation_id)
    name = antecedent(previous) if previous is not None else None
    if not name:
        return None
    snap = a._snapshot()
    placed = replace(a._understanding().read(f"{reading.question.rstrip(' ?.')} ({name})?", None),
                     question=reading.question)
    book = CitationBook(limit=a.settings.answer.max_citations)
    checklists = checklists_for(snap, placed, book, a.settings.answer)
    evidence = gather(snap, placed, filters, a.settings, checklists)
    if decide(placed, evidence, a.settings.answer.min_similarity, snap.keywords, snap.builder.data.profiled):
        return None
    return placed, evidence, book


def refuse(reading: Reading, refusal: Refusal, conversation_id: str | None,
           citations: list[Citation] | None = None) -> Answer:
    return Answer(question=reading.question, answer=refusal.text, answerable=False, citations=citations or [],
                  checklist=None, conversation_id=conversation_id, resolved_question=reading.shown_resolved,
                  refusal=refusal.reason)


def _one_or_list(checklists: list[Checklist]) -> Checklist | list[Checklist] | None:
    if len(checklists) == 1:
        return checklists[0]
    return checklists or None


def answer_records(a: Assistant, reading: Reading, conversation_id: str | None) -> Answer | None:
    """The answer from records for a question read as a query over them; None when the records cannot answer it
    completely (the passages answer it then)."""
    from assistant.answer.records import RecordAnswerer

    rq, intent = reading.query, reading.record_intent or reading.intent
    assert rq is not None
    snap = a._snapshot()
    data = snap.builder.data
    links, party_names, registry = a.supply()
    answerer = RecordAnswerer(snap.builder, registry, a.settings.paths.corpus,
                              region_of=lambda k: (f.region if (f := data.get(k)) else ""), name_of=country_name,
                              question=reading.resolved)
    book = CitationBook(limit=None)
    result: Any
    if rq.kind in ("supply", "scenario"):  # from the supply links (views/supply_answers.py)
        from assistant.views.supply_answers import answer_scenario, answer_supply, evidence_citer

        cite, quote = evidence_citer(snap.builder, book)
        answer_links = answer_supply if rq.kind == "supply" else answer_scenario
        result = answer_links(rq, links, party_names, registry, cite, quote)
    else:
        result = answerer.answer(rq, book)
    if not result.complete:
        return None
    if (refusal := unprofiled_records(rq.countries, rq.matched, data.profiled)) is not None:
        a.conversations.add(conversation_id, intent)
        return refuse(reading, refusal, conversation_id)
    text = result.text if rq.matched else (
        f"{result.text} Nothing in the records matches this query (shown as `query` in the answer); the "
        f"passages were not searched instead.")
    text += answerer.context(intent.entities, book)
    a.conversations.add(conversation_id, a._reader().with_answer(intent, text))
    return Answer(question=reading.resolved, answer=text, answerable=True, citations=book.items, checklist=None,
                  conversation_id=conversation_id, resolved_question=reading.shown_resolved, query=rq,
                  table=result.rows)


__all__ = ["answer_records", "ask", "record_context", "refuse"]
