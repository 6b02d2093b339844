"""One reading of a question, in one pass: what is asked (the intent), about what (countries, entities, the
source it is attributed to), in which conversation (a follow-up's standalone rewording), and whether it is a
query over records. Everything after this step reads the `Reading`; nothing reads the question again to decide
what it asks."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from assistant.knowledge.taxonomy import country_name
from assistant.types import RecordQuery
from assistant.understand.names import fold
from assistant.understand.publishers import named_publisher
from assistant.understand.query import Intent


@dataclass(frozen=True)
class RecordContext:
    """What the records hold, for reading a question as a query over them: the regions the value-chain data
    names, the entity kinds that are projects, the support programmes, the supply links' party names and the
    publishers of the tables of figures."""

    regions: Iterable[str] = ()
    sites: Iterable[str] = ()
    programmes: Iterable[str] = ()
    parties: Any = None
    table_sources: Iterable[str] = ()


@dataclass(frozen=True)
class Reading:
    """A question as the assistant reads it."""

    question: str  # as asked
    resolved: str  # as answered: a follow-up's standalone rewording, else the question
    intent: Intent
    publisher: str | None = None  # "according to X": X, where the claim is to be looked up
    source_names: tuple[str, ...] = ()  # every name of that source
    query: RecordQuery | None = None  # the query over records, when the question is one
    record_intent: Intent | None = None  # the intent as the records read it (the tables' publisher is not a subject)
    subjects: tuple[str, ...] = field(default_factory=tuple)  # the canonical names the search adds

    @property
    def shown_resolved(self) -> str | None:
        return self.resolved if self.resolved != self.question else None

    def search_query(self, checklist_countries: list[str] | None = None) -> str:
        """What the passages are searched with: the question as answered, with the country and stage of a
        checklist question, and the canonical names of entities asked about by another of their names."""
        query = self.resolved
        if checklist_countries:
            query = f"{query} {' '.join(country_name(c) for c in checklist_countries[:2])} {self.intent.target}"
        return f"{query} {' '.join(self.subjects)}" if self.subjects else query


def _source(intent: Intent, question: str) -> tuple[Intent, str | None, tuple[str, ...]]:
    """The publisher a claim is attributed to: an entity named as the source of a claim is where to look, not
    what is asked about, so it leaves the intent's entities."""
    publisher = named_publisher(question)
    if not publisher:
        return intent, None, ()
    source = next((e for e in intent.entities if any(fold(n) == fold(publisher) for n in e.names)), None)
    if source is None:
        return intent, publisher, (publisher,)
    return replace(intent, entities=[e for e in intent.entities if e is not source]), publisher, tuple(source.names)


def _subjects(intent: Intent, resolved: str) -> tuple[str, ...]:
    """An entity asked about by another of its names (an acronym, a former name) adds its canonical name; one
    discussed wherever the subject is and more widely only places it ("the EU's CRMA"), and adds nothing."""
    subject = set(intent.entities[0].docs) if intent.entities else set()
    return tuple(e.name for e in intent.entities[:3] if fold(e.name) not in fold(resolved)
                 and (e is intent.entities[0] or not set(e.docs) > subject))


def mask_key(entities: Path) -> str:
    """What masking a question depends on: the entity registry and the code that finds names (understand/names.py,
    knowledge/taxonomy.py). The examples' vectors are cached under it, so a start does not mask them again."""
    import hashlib

    from assistant.knowledge import taxonomy
    from assistant.understand import names

    digest = hashlib.sha256()
    for path in (entities, Path(names.__file__), Path(taxonomy.__file__)):
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()


class QuestionReader:
    """Question understanding, built once per Assistant: the entity registry, the labelled intent examples, the
    labelled query-kind examples and the corpus vocabulary."""

    def __init__(self, corpus: Path, cache: Path, embed: Callable[..., Any], known_word: Callable[[str], bool],
                 entities: list[Any] | None = None):
        from assistant.understand.intent import IntentClassifier, load_examples
        from assistant.understand.names import NameIndex, load_entities
        from assistant.understand.query import Reader
        from assistant.understand.records import KIND_NEIGHBOURS, KINDS, RecordReader

        names = NameIndex(load_entities(corpus / "entities.yaml") if entities is None else entities)
        intents = load_examples(corpus / "eval" / "intents.yaml")
        key = mask_key(corpus / "entities.yaml")
        self.reader = Reader(names, IntentClassifier(intents, embed, names.mask, cache=cache, mask_key=key),
                             known_word=known_word)
        # Every intent example is an example of a question answered from passages.
        kinds = load_examples(corpus / "query_kinds.yaml", key="kind") + [(q, "none") for q, _ in intents]
        self.records = RecordReader(IntentClassifier(kinds, embed, names.mask, cache=cache, labels=(*KINDS, "none"),
                                                     neighbours=KIND_NEIGHBOURS, mask_key=key))

    def read(self, question: str, previous: Intent | None = None,
             records: Callable[[], RecordContext] | None = None) -> Reading:
        """The one reading of `question`, the previous turn's intent given. `records` gives what the records hold;
        without it (or for a follow-up or an out-of-scope question) no query over records is read."""
        intent, resolved = self.reader.resolve(question, previous)
        query, record_intent = None, None
        if records is not None and not intent.followup and intent.type != "out_of_scope":
            ctx = records()
            query, record_intent = self.records.read(resolved, intent, ctx.regions, ctx.sites, ctx.programmes,
                                                     ctx.parties, ctx.table_sources)
        intent, publisher, source_names = _source(intent, question)
        return Reading(question=question, resolved=resolved, intent=intent, publisher=publisher,
                       source_names=source_names, query=query, record_intent=record_intent,
                       subjects=_subjects(intent, resolved))


__all__ = ["QuestionReader", "Reading", "RecordContext"]
