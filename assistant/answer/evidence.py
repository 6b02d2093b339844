"""The evidence for a question answered from passages: the checklists a country question rests on, the passages
searched for it (a named publisher's own documents first), how close the best of them is, and, once the question
is to be answered, the table rows and entity passages of the documents found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assistant.answer.citations import CitationBook
from assistant.answer.rows import entity_passages, table_passages
from assistant.knowledge.taxonomy import COUNTRY_WORDS
from assistant.types import Checklist, Filters, Passage
from assistant.understand.grammar import has_any
from assistant.understand.intent_model import CHECKLIST_TYPES
from assistant.understand.publishers import claimants, publisher_docs
from assistant.understand.query import boost_filters
from assistant.understand.reading import Reading

if TYPE_CHECKING:
    from assistant.settings import AnswerSettings


@dataclass
class Evidence:
    passages: list[Passage]
    best: float  # the best passage's similarity to the question
    checklists: list[Checklist] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    publisher_indexed: bool = False  # a publisher the question names ("according to X") has documents of its own


def checklists_for(snap: Any, reading: Reading, book: CitationBook, settings: AnswerSettings) -> list[Checklist]:
    """A checklist per country asked about (up to four compared, else one), sharing a citation budget of their
    own (`max_checklist_citations`): the answer's own points keep their full budget (`max_citations`) after it."""
    intent = reading.intent
    if not intent.wants_checklist:
        return []
    keys = intent.countries[:4 if intent.type == "comparison" else 1]
    budget = settings.max_checklist_citations
    out = []
    for i, country in enumerate(keys):
        book.limit = max(1, budget * (i + 1) // len(keys))
        # a capability verdict on one country says, clause by cited clause, what is at its target stage (where the
        # chain does not run at scale all the way: a "yes" names its facilities already)
        out.append(snap.builder.build(country, intent.target, book,
                                      say_detail=intent.type == "capability" and not intent.why and len(keys) == 1))
    book.limit = len(book.items) + settings.max_citations
    return out


def gather(snap: Any, reading: Reading, filters: Filters | None, settings: Any,
           checklists: list[Checklist]) -> Evidence:
    """The passages searched for the question as read."""
    intent = reading.intent
    query = reading.search_query(intent.countries if checklists else None)
    boost = boost_filters(intent)
    passages = snap.retriever.search(query, filters=filters, boost=boost)
    notices: list[str] = []
    note = None
    if reading.publisher:
        passages, note = prefer_publisher(snap, reading, query, passages, filters, boost, settings)
        if note:
            notices.append(note)
    return Evidence(passages=passages, best=snap.retriever.best_similarity(passages), checklists=checklists,
                    notices=notices, publisher_indexed=bool(reading.publisher) and note is None)


def prefer_publisher(snap: Any, reading: Reading, query: str, passages: list[Passage], filters: Filters | None,
                     boost: list[Filters] | None, settings: Any) -> tuple[list[Passage], str | None]:
    """Passages from the named publisher's own documents first (an ingested primary source before notes about
    it); a notice when none of its documents is indexed. An upload's claim about what X says is not X's word."""
    publisher, names = reading.publisher or "", list(reading.source_names)
    own = publisher_docs(names, snap.keywords.metas, settings.primary_sources)
    claims = claimants(names, snap.keywords.metas, settings.primary_sources)
    passages = [p for p in passages if p.chunk.doc_id not in claims]
    if not own:
        return passages, (f"No document published by {publisher} itself is indexed; the passages below report "
                          f"{publisher}'s figures through other documents.")
    k = settings.retrieval.k
    wide = snap.retriever.search(query, k=min(50, k * 4), filters=filters, boost=boost)
    # "According to X" is answered from X's own documents when the search finds any (an ingested primary source
    # first); otherwise from the passages that report X's figures.
    # Of X's own documents found, those it vouched for most (an ingested primary source before a corpus note of
    # its figures) are the ones read.
    mine = [p for p in wide if p.chunk.doc_id in own]
    best = min((own[p.chunk.doc_id] for p in mine), default=None)
    mine = [p for p in mine if own[p.chunk.doc_id] == best]
    return (mine[:k] if mine else passages), None


def widen(snap: Any, reading: Reading, passages: list[Passage]) -> list[Passage]:
    """The passages read for the answer: a question of figures about countries reads the tables of the documents
    found, and any question but a verdict on a country's chain that is about a named thing (a plant, company,
    agency, policy; not a place or a product) reads every passage of them that names it."""
    intent = reading.intent
    if intent.countries and (intent.type == "numeric" or intent.years):
        passages = passages + table_passages(passages, intent.countries, snap.builder.doc_chunks)
    if intent.type in (*CHECKLIST_TYPES, "entity"):
        return passages
    # (an agency or organisation named in a question about countries, named or asked for, is where their figures
    # come from, not what they are about)
    about_countries = bool(intent.countries) or has_any(intent.question, COUNTRY_WORDS)
    named = next((e for e in intent.entities if e.kind not in ("place", "product") and not (
        about_countries and e.kind in ("agency", "organisation"))), None)
    # (asked for anything but a figure, only its main document, the first found that names it, is read whole)
    return passages + entity_passages(passages, named, snap.builder.doc_chunks, intent.type != "numeric") \
        if named is not None else passages


__all__ = ["Evidence", "checklists_for", "gather", "prefer_publisher", "widen"]
