"""The one core every front end calls: Assistant.ask / search / gaps / compare / ingest / index / sources."""

from __future__ import annotations

import re
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.answer.answering import (
    NOT_FACTS,
    OFF_SUBJECT,
    compose,
    entity_passages,
    not_covered,
    table_passages,
    unknown_names,
    weak_evidence,
)
from assistant.answer.citations import CitationBook, plain, terms
from assistant.errors import InputError, UnknownCountryError
from assistant.index.indexing import Indexer, Progress, _noop
from assistant.knowledge.entities import PRODUCER_KINDS
from assistant.knowledge.loading import doc_id_for, load_file
from assistant.knowledge.taxonomy import COUNTRIES, country_name, country_names, find_countries, slug
from assistant.settings import Settings
from assistant.snapshot import ANY, Snapshot, SnapshotHolder, make_snapshot
from assistant.types import Answer, Checklist, Filters, IngestReport, Passage, SourceInfo, check_stage, doc_meta
from assistant.understand.names import fold
from assistant.understand.publishers import claimants, named_publisher, publisher_docs
from assistant.understand.query import Intent, boost_filters, clean_question


class Assistant:
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
        self._generator: Any = None
        self._sink = threading.local()  # stream(): where _generate puts LLM pieces (per thread)
        self._bulk: Any = None  # the torch embedder for indexing, loaded once (~10 s) and kept
        self._vc: Any = None
        self._reader_obj: Any = None
        self._records_obj: Any = None
        self._retiring: set[str] = set()  # replaced indexes that requests of this process may still read
        self._retire_lock = threading.Lock()

    # -- lifecycle -----------------------------------------------------------------------------------
    def _snapshot(self, create: bool = False) -> Snapshot:
        """The snapshot a request uses from start to end. Changes made by other processes are picked up at
        most every 2 s, by one thread, while the others go on with the snapshot they have. With `create`, an
        empty index is made when there is none (a writer's first write)."""
        snap = self._snaps.current
        if snap is not None and time.monotonic() - self._snaps.checked <= 2.0:
            return snap
        if snap is None:
            with self._refresh_lock:
                if self._snaps.current is None:
                    self._install(self._load(None, create=create), expected=None)
                return self._snaps.current  # type: ignore[return-value]
        if self._refresh_lock.acquire(blocking=False):
            try:
                self._snaps.checked = time.monotonic()
                fresh = self._load(snap)
                if fresh is not snap:
                    self._install(fresh, expected=snap)
            finally:
                self._refresh_lock.release()
        return self._snaps.current or snap

    def _load(self, previous: Snapshot | None, create: bool = False) -> Snapshot:
        """A snapshot of what is live on disk (or on the server) now; `previous` when nothing changed."""
        from assistant.index.embedding import quiet_environment
        from assistant.index.store import VectorStore, live_location

        quiet_environment()
        revision = None
        if previous is not None and live_location(self.settings, previous.store.client) == previous.location:
            store = previous.store
            revision = store.revision()
            if revision == previous.revision:
                return previous
        else:
            store = VectorStore(self.settings, create=create)
        return self._make(store, revision)

    def _make(self, store: Any, revision: str | None = None) -> Snapshot:
        return make_snapshot(self.settings, store, self._query_embedder(), self._value_chain(), revision)

    def _install(self, new: Snapshot, expected: object = ANY) -> None:
        """Swap `new` in; an index it replaced at another location is removed once no request uses it."""
        from assistant.index.store import drop_location

        old: Any = self._snaps.swap(new, expected)
        if old is ANY or old is None or old.location == new.location:
            return
        # Remove the replaced index once nothing uses its store any more (a request may hold only a part of
        # the snapshot, such as its retriever): at once when nothing does, else from a thread that waits for
        # it. Until then the next write's sweep leaves it alone.
        settings, location, client = self.settings, old.location, old.store.client
        gone = threading.Event()
        weakref.finalize(old.store, gone.set)
        del old
        if gone.is_set():
            drop_location(settings, location, client)
            return
        with self._retire_lock:
            self._retiring.add(location)

        def drop() -> None:
            gone.wait()
            drop_location(settings, location, client)
            with self._retire_lock:
                self._retiring.discard(location)

        threading.Thread(target=drop, name="ree-retire", daemon=True).start()

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

    def index_exists(self) -> bool:
        from assistant.index.store import live_location

        if self.settings.chroma_url:
            return True
        return (self.settings.index_dir() / live_location(self.settings)).exists()

    def index(self, rebuild: bool = False, progress: Progress = _noop, device: str | None = None) -> IngestReport:
        """Bring the index in line with the corpus folder (incremental unless `rebuild`). A rebuild is written
        beside the live index, checked, and made live in one step: answers go on meanwhile, and a crash at any
        moment leaves the previous index live."""
        from assistant.index.embedding import ensure_onnx

        def sync(store: Any) -> IngestReport:
            return Indexer(self.settings, store, lambda: self._bulk_embedder(device)).sync_corpus(progress)

        with self._write_lock:
            if rebuild and self._has_live_index():
                report = self._beside(sync, copy_live=False)
            else:
                report = self._in_place(sync)
            if self._bulk is not None:
                ensure_onnx(self.settings, self._bulk)
            return report

    def _has_live_index(self) -> bool:
        from assistant.errors import IndexMissingError

        try:
            return self._snapshot() is not None
        except IndexMissingError:
            return False

    def _in_place(self, write: Any) -> IngestReport:
        """Write into the live index (made empty when there is none), then take a new snapshot of it."""
        snap = self._snapshot(create=True)
        report = write(snap.store)
        self._install(self._make(snap.store))
        return report

    def _beside(self, write: Any, copy_live: bool) -> IngestReport:
        """Write a new index beside the live one (from empty, or from a copy of the live one), check that its
        vectors and keyword rows agree, then switch to it; on any failure the new one is dropped."""
        from assistant.errors import ReeError
        from assistant.index.store import VectorStore, drop_location, new_location, set_live_location, stale_locations

        # Hold no reference to the live snapshot past this point: it is dropped once no request holds it.
        with self._retire_lock:
            keep = {self._snapshot().location, *self._retiring}
        for name in stale_locations(self.settings, keep=keep):
            drop_location(self.settings, name)  # left by a killed or earlier write
        location = new_location(self.settings)
        store = VectorStore(self.settings, create=True, location=location)
        try:
            if copy_live:
                store.copy_from(self._snapshot().store)
            report = write(store)
            fresh = self._make(store)
            if fresh.store.count() != len(fresh.keywords.ids) or (not fresh.keywords.ids and report.errors):
                raise ReeError(f"the new index did not check out ({fresh.store.count()} chunks, "
                               f"{len(fresh.keywords.ids)} keyword rows); the previous index stays live")
        except BaseException:
            drop_location(self.settings, location, store.client)
            raise
        set_live_location(self.settings, location, store.client)
        self._install(fresh)
        return report

    def _bulk_embedder(self, device: str | None = None) -> Any:
        """The torch embedder for indexing and uploads: loaded on first need, then reused."""
        from assistant.index.embedding import TorchEmbedder

        device = device or self.settings.embedding.device
        if self._bulk is None or self._bulk.device != device:
            self._bulk = TorchEmbedder(self.settings, device=device)
        return self._bulk

    def ensure_index(self, progress: Progress = _noop) -> IngestReport | None:
        """Build the index on first start if it is missing."""
        if self.index_exists():
            return None
        return self.index(progress=progress)

    def ingest(self, paths: list[Path], progress: Progress = _noop, via: str = "cli") -> IngestReport:
        """Add the files to a copy of the live index written beside it, check the copy, and make it live in one
        step: readers never wait for the embedding, and a crash at any moment leaves the previous index live.
        Each passage records how it came (`via`: cli, api, web) and when, so a citation says it was uploaded."""
        stamp = {"uploaded_via": via, "uploaded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}

        def add(store: Any) -> IngestReport:
            return Indexer(self.settings, store, self._bulk_embedder, extra_meta=stamp).ingest(paths, progress)

        with self._write_lock:
            if self._has_live_index():
                return self._beside(add, copy_live=True)
            return self._in_place(add)

    def remove(self, doc_id: str) -> IngestReport:
        """Take an ingested document (an upload, `ree ingest`) out of the index the way ingest puts one in: a copy
        of the live index without its passages is written beside it, checked and made live in one step; the
        replaced index is dropped once no request reads it, and an uploaded file is deleted. A corpus document
        leaves when its file is deleted and `ree index` runs."""
        from assistant.errors import UnknownDocumentError

        def drop(store: Any) -> IngestReport:  # the live index copied without it: its text is never written
            store.copy_from(self._snapshot().store, skip_docs=frozenset({doc_id}))
            store.bump_revision()
            return IngestReport(removed=[doc_id])

        with self._write_lock:
            origins = {m.get("origin") for m in self._snapshot().keywords.metas if m["doc_id"] == doc_id}
            if not origins:
                raise UnknownDocumentError(f"No indexed document '{doc_id[:120]}'; see `ree sources`.", field="doc_id")
            if origins != {"ingest"}:
                raise InputError(f"'{doc_id[:120]}' is a corpus document: delete its file from the corpus folder "
                                 "and run `ree index`.", field="doc_id")
            report = self._beside(drop, copy_live=False)
            uploads = self.settings.paths.uploads_path.resolve()
            upload = (uploads / doc_id.rsplit("/", 1)[-1]).resolve()
            if upload.parent == uploads and upload.is_file() and doc_id_for(upload, None) == doc_id:
                upload.unlink()
            return report

    # -- questions -----------------------------------------------------------------------------------
    def search(self, query: str, k: int | None = None, filters: Filters | None = None,
               mode: str = "hybrid") -> list[Passage]:
        query = clean_question(query, self.settings.answer.max_question_chars)
        self._validate_filters(filters)
        return self._snapshot().retriever.search(query, k=k, filters=filters, mode=mode)

    def ask(self, question: str, conversation_id: str | None = None, filters: Filters | None = None) -> Answer:
        question = clean_question(question, self.settings.answer.max_question_chars)
        self._validate_filters(filters)
        snap = self._snapshot()
        keywords = snap.keywords
        intent, resolved = self._reader().resolve(question, self.conversations.last(conversation_id))
        shown_resolved = resolved if resolved != question else None

        def refuse(text: str) -> Answer:
            self.conversations.add(conversation_id, intent)
            return Answer(question=question, answer=text, answerable=False, citations=[], checklist=None,
                          conversation_id=conversation_id, resolved_question=shown_resolved)

        if intent.type == "out_of_scope":
            return refuse(OFF_SUBJECT.format(subject=intent.off_subject) if intent.off_subject else NOT_FACTS)
        if not intent.followup and (records := self._answer_records(resolved, intent, conversation_id,
                                                                     shown_resolved)) is not None:
            return records
        book = CitationBook(limit=self.settings.answer.max_citations)
        checklists: list[Checklist] = []
        if intent.wants_checklist:
            # The checklists share the citation budget, leaving room for the answer's own points.
            keys = intent.countries[:4 if intent.type == "comparison" else 1]
            budget = max(1, book.limit - 1) if book.limit else None
            for i, country in enumerate(keys):
                book.limit = budget and max(1, budget * (i + 1) // len(keys))
                checklists.append(snap.builder.build(country, intent.target, book))
            book.limit = self.settings.answer.max_citations
        publisher = named_publisher(question)
        source_names = [publisher] if publisher else []
        if publisher:
            # An entity named as the source of a claim is where to look, not what is asked about.
            source = next((e for e in intent.entities if any(fold(n) == fold(publisher) for n in e.names)), None)
            if source is not None:
                source_names = list(source.names)
                intent.entities = [e for e in intent.entities if e is not source]
        query = resolved
        if checklists:
            query = f"{resolved} {' '.join(country_name(c) for c in intent.countries[:2])} {intent.target}"
        # An entity asked about by another of its names (an acronym, a former name) adds its canonical name;
        # one discussed wherever the subject is and more widely only places it ("the EU's CRMA"), and adds nothing.
        subject = set(intent.entities[0].docs) if intent.entities else set()
        canonical = [e.name for e in intent.entities[:3] if fold(e.name) not in fold(resolved)
                     and (e is intent.entities[0] or not set(e.docs) > subject)]
        if canonical:
            query = f"{query} {' '.join(canonical)}"
        boost = boost_filters(intent)
        passages = snap.retriever.search(query, filters=filters, boost=boost)
        notices: list[str] = []
        if publisher:
            passages, note = self._prefer_publisher(snap, publisher, source_names, query, passages, filters, boost)
            if note:
                notices.append(note)
        best = snap.retriever.best_similarity(passages)
        # A country is known when it has a profile or a document names it by any of its names; the name of any
        # other is a word no document uses.
        known = {c for c in intent.countries if c in snap.builder.data.profiled
                 or any(all(keywords.knows(t) for t in terms(n)) for n in country_names(c))}
        named = set(intent.corrected) | {w for e in intent.entities for n in e.names for w in n.split()} | {
            w for c in known for n in country_names(c) for w in n.split()}
        strangers = [] if checklists or intent.entities else unknown_names(question, keywords.knows, named)
        entity_led = intent.type == "entity" and bool(intent.entities)
        if strangers or (not checklists and not entity_led and weak_evidence(
                intent, passages, best, self.settings.answer.min_similarity, keywords.years, keywords.knows,
                known)):
            return refuse(not_covered(strangers))
        if intent.countries and (intent.type == "numeric" or intent.years):
            passages = passages + table_passages(passages, intent.countries, snap.builder.doc_chunks)
        facility = next((e for e in intent.entities if e.kind in PRODUCER_KINDS), None)
        if facility is not None and intent.type == "numeric":
            passages = passages + entity_passages(passages, facility, snap.builder.doc_chunks)
        text = compose(intent, passages, checklists, book, self.settings.answer.max_sentences,
                       idf=keywords.idf, section_chunks=snap.builder.section_chunks,
                       doc_chunks=snap.builder.doc_chunks)
        if self.settings.answer.llm_url:
            text, more = self._generate(resolved, passages, checklists, book, text)
            notices += more
        self.conversations.add(conversation_id, intent)
        checklist: Checklist | list[Checklist] | None = None
        if len(checklists) == 1:
            checklist = checklists[0]
        elif checklists:
            checklist = checklists
        return Answer(question=question, answer=text, answerable=True, citations=book.items, checklist=checklist,
                      conversation_id=conversation_id, notices=notices, resolved_question=shown_resolved)

    def _prefer_publisher(self, snap: Any, publisher: str, names: list[str], query: str, passages: list[Passage],
                          filters: Filters | None, boost: list[Filters] | None) -> tuple[list[Passage], str | None]:
        """Passages from the named publisher's own documents first (an ingested primary source before notes
        about it); a notice when none of its documents is indexed."""
        own = publisher_docs(names, snap.keywords.metas, self.settings.primary_sources)
        claims = claimants(names, snap.keywords.metas, self.settings.primary_sources)
        passages = [p for p in passages if p.chunk.doc_id not in claims]  # an upload's claim is not X's word
        if not own:
            return passages, (f"No document published by {publisher} itself is indexed; the passages below report "
                              f"{publisher}'s figures through other documents.")
        k = self.settings.retrieval.k
        wide = snap.retriever.search(query, k=min(50, k * 4), filters=filters, boost=boost)
        # "According to X" is answered from X's own documents when the search finds any (an ingested primary
        # source first); otherwise from the passages that report X's figures.
        mine = sorted((p for p in wide if p.chunk.doc_id in own), key=lambda p: own[p.chunk.doc_id])
        return (mine[:k] if mine else passages), None

    def _reader(self) -> Any:
        """Question understanding, built once: entity registry, labelled intent examples, corpus vocabulary."""
        if self._reader_obj is not None:
            return self._reader_obj
        with self._init_lock:
            if self._reader_obj is not None:
                return self._reader_obj
            from assistant.understand.intent import IntentClassifier, load_examples
            from assistant.understand.names import NameIndex, load_entities
            from assistant.understand.query import Reader

            corpus = self.settings.paths.corpus
            names = NameIndex(load_entities(corpus / "entities.yaml"))
            cache = self.settings.paths.indexes / "intent-cache" / self.settings.index_name()
            classifier = IntentClassifier(load_examples(corpus / "eval" / "intents.yaml"),
                                          self._query_embedder().embed, names.mask, cache=cache)
            self._reader_obj = Reader(names, classifier, known_word=self._knows_word)
            from assistant.understand.records import KIND_NEIGHBOURS, KINDS, RecordReader

            # Every intent example is an example of a question answered from passages.
            kinds = load_examples(corpus / "query_kinds.yaml", key="kind")
            kinds += [(q, "none") for q, _ in load_examples(corpus / "eval" / "intents.yaml")]
            self._records_obj = RecordReader(IntentClassifier(kinds, self._query_embedder().embed, names.mask,
                                                              cache=cache, labels=(*KINDS, "none"),
                                                              neighbours=KIND_NEIGHBOURS))
        return self._reader_obj

    def registry(self) -> list[Any]:
        """The registry of projects and facilities (knowledge/registry.py): the one `supply()` reads its links
        against, so both always agree."""
        return self.supply()[2]

    def _answer_records(self, question: str, intent: Intent, conversation_id: str | None,
                        resolved: str | None) -> Answer | None:
        """The answer from records when the question is a query over them, else None."""
        from assistant.answer.records import RecordAnswerer
        from assistant.knowledge.entities import SITE_KINDS

        snap = self._snapshot()
        data = snap.builder.data
        regions = {f.region for k in data.keys() if (f := data.get(k)) and f.region}
        links, party_names, registry = self.supply()
        answerer = RecordAnswerer(snap.builder, registry, self.settings.paths.corpus,
                                  region_of=lambda k: (f.region if (f := data.get(k)) else ""), name_of=country_name,
                                  question=question)
        rq, intent = self._records_obj.read(question, intent, regions, SITE_KINDS,
                                            [s.programme for p in registry for s in p.support], party_names,
                                            answerer.table_sources())
        if rq is None:
            return None
        book = CitationBook(limit=None)
        if rq.kind in ("supply", "scenario"):  # from the supply links (views/supply_answers.py)
            from assistant.views.supply_answers import answer_scenario, answer_supply, evidence_citer

            cite, quote = evidence_citer(snap.builder, book)
            answer_links = answer_supply if rq.kind == "supply" else answer_scenario
            result = answer_links(rq, links, party_names, registry, cite, quote)
        else:
            result = answerer.answer(rq, book)
        if not result.complete:
            return None
        text = result.text if rq.matched else (
            f"{result.text} Nothing in the records matches this query (shown as `query` in the answer); the "
            f"passages were not searched instead.")
        text += answerer.context(intent.entities, book)
        self.conversations.add(conversation_id, intent)
        return Answer(question=question, answer=text, answerable=True, citations=book.items, checklist=None,
                      conversation_id=conversation_id, resolved_question=resolved, query=rq, table=result.rows)

    def _knows_word(self, word: str) -> bool:
        # Called for each candidate name while a question is read: the live snapshot, never a refresh mid-request.
        keywords = (self._snaps.current or self._snapshot()).keywords
        return any(keywords.knows(t) for t in terms(word))

    def stream(self, question: str, conversation_id: str | None = None,
               filters: Filters | None = None) -> Iterator[str | Answer]:
        """Text pieces as they are ready, then the final Answer (LLM tokens stream when one is configured)."""
        if self.settings.answer.llm_url:
            yield from self._stream_llm(question, conversation_id, filters)
            return
        answer = self.ask(question, conversation_id, filters)
        from assistant.knowledge.chunking import split_sentences

        for piece in split_sentences(answer.answer):
            yield piece + " "
        yield answer

    def _stream_llm(self, question: str, conversation_id: str | None,
                    filters: Filters | None) -> Iterator[str | Answer]:
        """Run ask() in a worker whose _generate streams checked sentences here; the last item is the Answer."""
        import queue

        pieces: queue.Queue[str | Answer | BaseException] = queue.Queue()

        def work() -> None:
            self._sink.queue = pieces
            try:
                pieces.put(self.ask(question, conversation_id, filters))
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread below
                pieces.put(exc)

        threading.Thread(target=work, name="ree-stream", daemon=True).start()
        while True:
            item = pieces.get()
            if isinstance(item, BaseException):
                raise item
            yield item
            if isinstance(item, Answer):
                return

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
            entities = load_entities(corpus / "entities.yaml") if (corpus / "entities.yaml").exists() else []
            registry = load_registry(corpus / "value_chain", entities)
            cached = (stamp, (load_links(corpus, registry, entities), party_names(registry, entities), registry))
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
                    self._vc = ValueChainData(self.settings.paths.corpus / "value_chain")
        return self._vc

    def _validate_filters(self, filters: Filters | None) -> None:
        if filters is None:
            return
        if filters.country:
            filters.country = self.country_key(filters.country)
        if filters.stage:
            check_stage(filters.stage, field="stage")
        for name in ("date_from", "date_to"):
            value = getattr(filters, name)
            if value and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
                raise InputError(f"{name} must look like 2025-04-01 (got '{value}').", field=name)

    def _generate(self, question: str, passages: list[Passage], checklists: list[Checklist], book: CitationBook,
                  fallback: str) -> tuple[str, list[str]]:
        from assistant.answer.llm import Generator

        if self._generator is None:
            self._generator = Generator(self.settings.answer)
        sink = getattr(self._sink, "queue", None)
        if sink is None:
            return self._generator.answer(question, passages, checklists, book, fallback)
        run = self._generator.stream(question, passages, checklists, book, fallback)
        while True:
            try:
                sink.put(next(run))
            except StopIteration as done:
                return done.value


# The public surface front ends use: the Assistant, plus the few pure helpers they render with (a quote as plain
# text, the known countries, a file's document id and its text, a question's clean form). A front end imports
# nothing else of ours but types, errors, settings, service and views (tests/test_architecture.py).
__all__ = ["COUNTRIES", "Assistant", "clean_question", "doc_id_for", "load_file", "plain"]
