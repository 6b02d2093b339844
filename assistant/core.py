"""The one core every front end calls: Assistant.ask / search / gaps / compare / ingest / index / sources."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.answer.answering import compose
from assistant.answer.citations import CitationBook, plain, terms
from assistant.errors import InputError, UnknownCountryError
from assistant.knowledge.loading import doc_id_for, load_file
from assistant.knowledge.taxonomy import COUNTRIES, country_name, find_countries, slug
from assistant.lifecycle import IndexLifecycle
from assistant.settings import Settings
from assistant.snapshot import SnapshotHolder
from assistant.types import Answer, Filters, Passage, SourceInfo, check_stage, doc_meta
from assistant.understand.query import Intent, clean_question

if TYPE_CHECKING:
    from assistant.understand.reading import Reading


class Assistant(IndexLifecycle):
    """Open lazily: nothing heavy happens until the first question or index build."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self._conversations: Any = None
        self._snaps = SnapshotHolder()  # the live Snapshot; swapping it is the only locked step readers see
        self._refresh_lock = threading.Lock()  # one reader at a time checks for changes made by other processes
        self._write_lock = threading.RLock()  # writers (ingest, index) one at a time; readers never take it
        self._init_lock = threading.RLock()  # lazily built shared parts (query embedder, reader, stores)
        self._embedder: Any = None
        self._feedback: Any = None
        self._generation: Any = None
        self._bulk: Any = None  # the torch embedder for indexing, loaded once (~10 s) and kept
        self._vc: Any = None
        self._understanding_obj: Any = None
        self._retiring: set[str] = set()  # replaced indexes that requests of this process may still read
        self._retire_lock = threading.Lock()

    def _query_embedder(self) -> Any:
        if self._embedder is None:
            with self._init_lock:
                if self._embedder is None:
                    from assistant.index.embedding import query_embedder

                    self._embedder = query_embedder(self.settings)
        return self._embedder

    @property
    def conversations(self) -> Any:
        """Conversation turns, persisted (SQLite beside the index, or PostgreSQL with REE_DATABASE_URL)."""
        if self._conversations is None:
            with self._init_lock:
                if self._conversations is None:
                    from assistant.state.storage import ConversationStore, database

                    self._conversations = ConversationStore(database(self.settings),
                                                            retention_days=self.settings.conversation_days)
        return self._conversations

    @property
    def _store(self) -> Any:
        return self._snapshot().store

    @property
    def _keywords(self) -> Any:
        return self._snapshot().keywords

    # -- questions -----------------------------------------------------------------------------------
    def search(self, query: str, k: int | None = None, filters: Filters | None = None,
               mode: str = "hybrid") -> list[Passage]:
        query = clean_question(query, self.settings.answer.max_question_chars)
        return self._snapshot().retriever.search(query, k=k, filters=self._validate_filters(filters), mode=mode)

    def ask(self, question: str, conversation_id: str | None = None, filters: Filters | None = None) -> Answer:
        """Answer a question (pipeline.py: read once, records or passages, one refusal decision, compose)."""
        from assistant.pipeline import ask

        question = clean_question(question, self.settings.answer.max_question_chars)
        return ask(self, question, conversation_id, self._validate_filters(filters))

    def read(self, question: str, conversation_id: str | None = None, records: bool = False) -> Reading:
        """How a question is read in its conversation (understand/reading.py); with `records`, whether it is a
        query over the records, too."""
        from assistant.pipeline import record_context

        question = clean_question(question, self.settings.answer.max_question_chars)
        previous = self.conversations.last(conversation_id)
        return self._understanding().read(question, previous, (lambda: record_context(self)) if records else None)

    def _understanding(self) -> Any:
        """Question understanding, built once: entity registry, labelled examples, corpus vocabulary."""
        if self._understanding_obj is None:
            with self._init_lock:
                if self._understanding_obj is None:
                    from assistant.understand.reading import QuestionReader

                    cache = self.settings.paths.indexes / "intent-cache" / self.settings.index_name()
                    from assistant.understand.names import load_entities

                    path = self.settings.paths.corpus / "entities.yaml"
                    entities = self._parsed("entities", [path], lambda: load_entities(path))
                    self._understanding_obj = QuestionReader(self.settings.paths.corpus, cache,
                                                             self._query_embedder().embed, self._knows_word,
                                                             entities)
        return self._understanding_obj

    def _reader(self) -> Any:
        """The question reader alone (understand/query.py), for tests and benchmarks of intent reading."""
        return self._understanding().reader

    def registry(self) -> list[Any]:
        """The registry of projects and facilities (knowledge/registry.py): the one `supply()` reads its links
        against, so both always agree."""
        return self.supply()[2]

    def _knows_word(self, word: str) -> bool:
        # Called for each candidate name while a question is read: the live snapshot, never a refresh mid-request.
        keywords = (self._snaps.current or self._snapshot()).keywords
        return any(keywords.knows(t) for t in terms(word))

    def stream(self, question: str, conversation_id: str | None = None,
               filters: Filters | None = None) -> Iterator[str | Answer]:
        """Text pieces as they are ready, then the final Answer (LLM tokens stream when one is configured)."""
        if self.settings.answer.llm_url:
            yield from self.generation.stream(lambda: self.ask(question, conversation_id, filters))
            return
        answer = self.ask(question, conversation_id, filters)
        from assistant.knowledge.chunking import split_sentences

        for piece in split_sentences(answer.answer):
            yield piece + " "
        yield answer

    def gaps(self, country: str, target: str = "magnet") -> Answer:
        """The gap checklist for one country, deposit → target."""
        return self._checklists([self.country_key(country)], check_stage(target))

    def compare(self, a: str, b: str, target: str = "magnet") -> Answer:
        """Side-by-side checklists for two countries."""
        return self._checklists([self.country_key(a), self.country_key(b)], check_stage(target))

    def _checklists(self, keys: list[str], target: str) -> Answer:
        snap = self._snapshot()
        book = CitationBook()
        cls = [snap.builder.build(k, target, book) for k in keys]
        names = [cl.country for cl in cls]
        intent = Intent(question=" vs ".join(names), type="comparison" if len(cls) > 1 else "capability",
                        countries=keys, stages=[target], target=target)
        text = compose(intent, [], cls, book, self.settings.answer.max_sentences)
        title = " vs ".join(names) if len(cls) > 1 else f"Gap checklist: {names[0]} up to {target}"
        return Answer(question=title, answer=text, answerable=True, citations=book.items,
                      checklist=cls if len(cls) > 1 else cls[0])

    def projects(self, country: str | None = None, region: str | None = None, stage: str | None = None,
                 phase: str | None = None, support: str | None = None,
                 expected_by: int | None = None) -> list[dict[str, Any]]:
        """The registry's projects and facilities that pass every filter given, as flat records (views/projects.py).
        `support` is a programme's name or part of it ("CRMA", "DFC"), or "any"."""
        from assistant.knowledge.registry import PHASES, select
        from assistant.views.projects import project_row

        if stage is not None:
            check_stage(stage, field="stage")
        if phase is not None and phase not in PHASES:
            raise InputError(f"Unknown phase '{phase[:40]}'. Use one of: {', '.join(PHASES)}.", field="phase")
        if expected_by is not None and not 1900 <= expected_by <= 2100:
            raise InputError("expected_by is a year, such as 2027.", field="expected_by")
        keys = [self.country_key(country)] if country else []
        data = self._snapshot().builder.data
        found = select(self.registry(), countries=keys, region=region, stage=stage, phases=[phase] if phase else [],
                       supported=bool(support), programmes=[support] if support and support != "any" else [],
                       expected_by=expected_by, region_of=lambda k: (f.region if (f := data.get(k)) else ""))
        return [project_row(p, country_name) for p in found]

    def metrics(self) -> list[Any]:
        """Concentration by stage and year (top share, top three, China's share, HHI), from the corpus tables."""
        from assistant.knowledge.concentration import concentration

        return concentration(self.settings.paths.corpus)

    def capability_map(self, target: str = "magnet", stage: str | None = None, status: str | None = None,
                       region: str | None = None, sort: str = "verdict") -> Any:
        """Countries × stages coloured by status, every cell from the checklist builder (see capmap.py)."""
        from assistant.views.capmap import build_map

        return build_map(self._snapshot().builder, self.settings.paths.corpus / "value_chain", target=target,
                         stage=stage, status=status, region=region, sort=sort)

    def brief(self, country: str, fmt: str = "md") -> tuple[bytes, str]:
        """One country's brief as (document bytes, media type); fmt is md | html | pdf (see brief.py)."""
        from assistant.views.brief import check_format, render_brief

        fmt = check_format(fmt)
        return render_brief(self, self.country_key(country), fmt)

    def brief_data(self, country: str) -> Any:
        """What a brief shows: checklists deposit → magnet and → recycling on one citation numbering, and what the
        chain depends on (its supply links), every view of the brief drawing on the same data."""
        from assistant.views.brief import add_dependencies, collect
        from assistant.views.capmap import region_of

        key = self.country_key(country)
        builder = self._snapshot().builder
        book = CitationBook()
        stages = builder.build(key, "recycling", book)
        checklist = builder.build(key, "magnet", book)
        folder = self.settings.paths.corpus / "value_chain"
        brief = collect(key, checklist, stages, book.items, self.settings.paths.corpus, region_of(folder, key))
        return add_dependencies(brief, self.exposure(key, "magnet"))

    def supply(self) -> tuple[list[Any], Any, list[Any]]:
        """The supply links, the names of their parties and the project registry (knowledge/supply.py), read
        from the corpus files alone (no index) and re-read when one of those files changes."""
        from assistant.knowledge.entities import load_entities
        from assistant.knowledge.registry import load_registry
        from assistant.knowledge.supply import load_links, party_names

        corpus = self.settings.paths.corpus
        files = [corpus / "supply_links.yaml", corpus / "entities.yaml", *sorted((corpus / "value_chain").glob("*"))]
        stamp = tuple(p.stat().st_mtime if p.exists() else 0.0 for p in files)
        cached = getattr(self, "_supply", None)
        if cached is None or cached[0] != stamp:
            def build() -> tuple[list[Any], Any, list[Any]]:
                entities = load_entities(corpus / "entities.yaml") if (corpus / "entities.yaml").exists() else []
                registry = load_registry(corpus / "value_chain", entities)
                return load_links(corpus, registry, entities), party_names(registry, entities), registry

            # kept beside the index while no corpus file (documents included: milestones quote them) changes
            inputs = [p for p in corpus.rglob("*") if p.is_file() and "eval" not in p.relative_to(corpus).parts]
            cached = (stamp, self._parsed("supply", inputs, build))
            self._supply = cached
        return cached[1]

    def exposure(self, country: str, target: str = "magnet") -> Any:
        """What a country's chain, deposit → target, takes in from abroad and from whom (views/exposure.py)."""
        from assistant.views.exposure import exposure

        links, _names, _registry = self.supply()
        return exposure(links, self.country_key(country), check_stage(target))

    def scenario(self, stop: str, material: str | None = None, elements: list[str] | None = None,
                 stage: str | None = None) -> Any:
        """What breaks when a country, company or facility stops supplying (views/exposure.py)."""
        from assistant.views.exposure import scenario

        links, names, registry = self.supply()
        stop = (stop or "").strip()
        if not stop:
            raise InputError("No stopped supplier given.", field="stop")
        if stage:
            check_stage(stage, field="stage")
        try:  # a registered name first ("Lynas Malaysia" is a plant, not Malaysia), then a country's
            names.resolve(stop)
        except ValueError:
            stop = self.country_key(stop)
        try:
            return scenario(links, names, registry, stop, material or None, elements or [], stage or None)
        except ValueError as exc:
            raise InputError(str(exc)[:200], field="stop" if "party" in str(exc) else "material") from None

    def country_key(self, name: str) -> str:
        name = (name or "").strip()
        if not name:
            raise InputError("No country given.", field="country")
        if slug(name) in COUNTRIES or slug(name) in self._value_chain().keys():
            return slug(name)
        found = find_countries(name)
        if found:
            return found[0]
        known = ", ".join(sorted(COUNTRIES[k][0] for k in COUNTRIES))
        shown = name if len(name) <= 80 else name[:77] + "..."  # never echo a huge input back in full
        raise UnknownCountryError(f"Unknown country '{shown}'. Profiled countries: {known}.", field="country")

    def sources(self) -> list[SourceInfo]:

        out: dict[str, SourceInfo] = {}
        for meta in self._snapshot().keywords.metas:
            doc = meta["doc_id"]
            if doc not in out:
                dm = doc_meta(meta)
                src = (dm.get("sources") or [{}])[0]
                out[doc] = SourceInfo(doc_id=doc, title=meta.get("title", ""), kind=meta.get("kind", ""),
                                      publisher=src.get("publisher") or dm.get("publisher") or "",
                                      date=src.get("date") or dm.get("date") or "", as_of=dm.get("as_of") or "",
                                      chunks=0, countries=dm.get("countries") or [])
            out[doc].chunks += 1
        return sorted(out.values(), key=lambda s: s.doc_id)

    def document(self, doc_id: str) -> Any:
        """An indexed document to read a citation in: its text as indexed (a citation's `span` falls on the words it
        cites), its sources and how an upload came (views.document.DocumentView); UnknownDocumentError for an id
        the index does not hold."""
        from assistant.views.document import document_view

        kw = self._snapshot().keywords
        return document_view(doc_id, kw.texts, kw.metas, self.settings.paths.corpus, self.settings.paths.uploads_path)

    def check_sources(self, progress: Any = None) -> Any:
        """`ree sources --check`: fetch every source address (url and via) of the indexed documents and report
        dead, moved and changed pages (knowledge.linkcheck.LinkReport); says so when there is no network."""
        from assistant.knowledge.linkcheck import check_links, source_addresses

        docs: dict[str, list[dict[str, Any]]] = {}
        for meta in self._snapshot().keywords.metas:
            if meta["doc_id"] not in docs:
                docs[meta["doc_id"]] = doc_meta(meta).get("sources") or []
        return check_links(source_addresses(docs), self.settings.links, self.settings.paths.linkcheck_path,
                           progress)

    def stale(self, days: int | None = None) -> list[Any]:
        """Indexed documents and value-chain stages whose newest evidence is older than `days` (default: the
        `stale_days` setting), oldest first."""

        from assistant.knowledge.valuechain import stale_entries

        docs: dict[str, list[str]] = {}
        for meta in self._snapshot().keywords.metas:
            if meta["doc_id"] not in docs:
                dm = doc_meta(meta)
                docs[meta["doc_id"]] = [s.get("date") or "" for s in dm.get("sources") or []] or [dm.get("date") or ""]
        return stale_entries(docs, self.settings.paths.corpus / "value_chain",
                             self.settings.stale_days if days is None else days)

    def health(self) -> dict[str, Any]:
        snap = self._snapshot()
        return {"status": "ok", "index": self.settings.index_name(), "chunks": snap.store.count(),
                "documents": len({m["doc_id"] for m in snap.keywords.metas}), "revision": snap.revision,
                "store": "server" if self.settings.chroma_url else "embedded",
                "llm": bool(self.settings.answer.llm_url)}

    def feedback(self, **record: Any) -> int:
        from assistant.state.feedback import FeedbackStore

        if self._feedback is None:
            with self._init_lock:
                if self._feedback is None:
                    from assistant.state.storage import database

                    self._feedback = FeedbackStore(database(self.settings))
        return self._feedback.add(**record)

    @property
    def retriever(self) -> Any:
        return self._snapshot().retriever

    # -- internals -----------------------------------------------------------------------------------
    def _value_chain(self) -> Any:
        from assistant.answer.checklist import ValueChainData

        if self._vc is None:
            with self._init_lock:
                if self._vc is None:
                    folder = self.settings.paths.corpus / "value_chain"
                    vc = ValueChainData(folder)
                    vc.preload(self._parsed("value-chain", sorted(folder.glob("*.yaml")), vc.read_all))
                    self._vc = vc
        return self._vc

    def _parsed(self, name: str, inputs: list[Path], build: Any) -> Any:
        """`build()`'s result, kept beside the index while its input files and the code are unchanged
        (knowledge/stamped.py): a cold start reads it instead of parsing the corpus YAML again."""
        from assistant.knowledge.stamped import load_or_build

        keep = self.settings.paths.indexes / "parsed" / f"{name}-{self.settings.index_name()}.pickle"
        return load_or_build(keep, inputs, build)

    def _validate_filters(self, filters: Filters | None) -> Filters | None:
        """The filters with the country as its key, checked; the caller's object is left as it was."""
        if filters is None:
            return None
        for name in ("date_from", "date_to"):
            value = getattr(filters, name)
            if value and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
                raise InputError(f"{name} must look like 2025-04-01 (got '{value}').", field=name)
        if filters.stage:
            check_stage(filters.stage, field="stage")
        if filters.country:
            return filters.model_copy(update={"country": self.country_key(filters.country)})
        return filters

    @property
    def generation(self) -> Any:
        """The optional LLM step (answer/generation.py), built on first use."""
        if self._generation is None:
            with self._init_lock:
                if self._generation is None:
                    from assistant.answer.generation import Generation

                    self._generation = Generation(self.settings.answer)
        return self._generation


# The public surface front ends use: the Assistant, plus the few pure helpers they render with (a quote as plain
# text, the known countries, a file's document id and its text, a question's clean form). A front end imports
# nothing else of ours but types, errors, settings, service and views (tests/test_architecture.py).
__all__ = ["COUNTRIES", "Assistant", "clean_question", "doc_id_for", "load_file", "plain"]
