"""Incremental indexing: only new or changed documents are embedded; deleted corpus documents are removed.

Order of writes keeps the previous index usable if the run is killed: new chunks are upserted first
(ids are content hashes, so a re-run is idempotent), then the document's stale chunks are deleted, and the
collection revision is bumped last so the BM25 cache is rebuilt from what Chroma actually holds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

from assistant.errors import LoadError
from assistant.index.embedding import Embedder
from assistant.index.filters import chunk_metadata
from assistant.index.store import VectorStore
from assistant.knowledge.chunking import chunk_document, embedding_text
from assistant.knowledge.loading import Document, iter_files, load_file
from assistant.settings import Settings
from assistant.types import IngestReport

Progress = Callable[[int, int, str], None]
EMBED_BATCH = 512  # chunks per embedding call


def _noop(done: int, total: int, label: str) -> None:
    pass


class Indexer:
    def __init__(self, settings: Settings, store: VectorStore, embedder_factory: Callable[[], Embedder],
                 extra_meta: dict[str, str] | None = None) -> None:
        self.settings = settings
        self.extra_meta = extra_meta or {}  # written on every passage (an upload's channel and time)
        self.store = store
        self._factory = embedder_factory
        self._embedder: Embedder | None = None

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self._factory()
        return self._embedder

    def sync_corpus(self, progress: Progress = _noop) -> IngestReport:
        """Make the index match `corpus/`: add, update and remove documents that came from it."""
        root = self.settings.paths.corpus
        return self._run(list(iter_files([root])), root, origin="corpus", prune=True, progress=progress)

    def ingest(self, paths: Iterable[Path], progress: Progress = _noop) -> IngestReport:
        """Add or update files from anywhere (uploads, `ree ingest`); nothing else is touched."""
        report = IngestReport()
        files: list[Path] = []
        for p in paths:
            try:
                files += list(iter_files([p]))
            except LoadError as exc:
                report.errors.append(str(exc))
        root = self.settings.paths.corpus
        result = self._run(files, root, origin="ingest", prune=False, progress=progress)
        result.errors = report.errors + result.errors
        return result

    def ingest_documents(self, docs: list[Document], origin: str = "ingest",
                         progress: Progress = _noop) -> IngestReport:
        report = IngestReport()
        started = time.perf_counter()
        existing = self.store.doc_chunks()
        self._write(docs, existing, origin, report, progress)
        if report.added or report.updated:
            self.store.bump_revision()
        report.seconds = round(time.perf_counter() - started, 3)
        return report

    def _run(self, files: list[Path], root: Path, origin: str, prune: bool, progress: Progress) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        docs: list[Document] = []
        for i, path in enumerate(files, 1):
            progress(i, len(files), f"reading {path.name}")
            try:
                docs.append(load_file(path, root))
            except LoadError as exc:
                report.errors.append(str(exc))
        existing = self.store.doc_chunks()
        self._write(docs, existing, origin, report, progress)
        if prune:
            seen = {d.id for d in docs}
            failed = {str(Path(e.split(": ", 1)[0]).resolve()) for e in report.errors}
            for doc_id, rec in existing.items():
                if rec["origin"] != origin or doc_id in seen:
                    continue
                if str((root / doc_id).resolve()) in failed:
                    continue  # a file that failed to load keeps its previous version: nothing is lost
                self.store.delete_ids(rec["ids"])
                report.removed.append(doc_id)
        if report.added or report.updated or report.removed:
            self.store.bump_revision()
        report.seconds = round(time.perf_counter() - started, 3)
        return report

    def _write(self, docs: list[Document], existing: dict, origin: str, report: IngestReport,
               progress: Progress) -> None:
        todo = []
        for doc in docs:
            rec = existing.get(doc.id)
            if rec and rec["hashes"] == {doc.hash}:
                report.unchanged += 1
                continue
            todo.append((doc, rec))
        total = len(todo)
        # Embed several documents' chunks per call (the model is far faster in full batches), but write each
        # document as a whole: its new chunks first, then its stale ones removed.
        group: list[tuple[Document, dict | None, list]] = []
        size = 0
        for i, (doc, rec) in enumerate(todo, 1):
            progress(i, total, f"embedding {doc.id}")
            chunks = chunk_document(doc, self.settings.chunking)
            if not chunks:
                report.errors.append(f"{doc.path}: no text to index")
                continue
            group.append((doc, rec, chunks))
            size += len(chunks)
            if size >= EMBED_BATCH or i == total:
                self._embed_and_write(group, origin, report)
                group, size = [], 0
        if group:
            self._embed_and_write(group, origin, report)

    def _embed_and_write(self, group: list[tuple[Document, dict | None, list]], origin: str,
                         report: IngestReport) -> None:
        vectors = self.embedder.embed([embedding_text(c) for _, _, chunks in group for c in chunks])
        offset = 0
        for doc, rec, chunks in group:
            vecs = vectors[offset : offset + len(chunks)]
            offset += len(chunks)
            metas = [chunk_metadata(c, {**doc.meta, "title": doc.title}, doc.hash, origin) for c in chunks]
            for m in metas:
                m["title"] = doc.title
                m["kind"] = doc.kind
                m.update(self.extra_meta)
            self.store.upsert([c.id for c in chunks], vecs, [c.text for c in chunks], metas)
            if rec:
                new_ids = {c.id for c in chunks}
                self.store.delete_ids([cid for cid in rec["ids"] if cid not in new_ids])
                report.updated.append(doc.id)
            else:
                report.added.append(doc.id)
            report.chunks_embedded += len(chunks)
