"""The index's lifecycle, mixed into the Assistant: the live snapshot a request reads (refreshed when another
process changed the index), and every write (index, rebuild, ingest, remove) made beside or into the live index and
swapped in one step, so that readers never wait and a crash leaves the previous index live."""

from __future__ import annotations

import threading
import time
import weakref
from pathlib import Path
from typing import Any

from assistant.errors import InputError
from assistant.index.indexing import Indexer, Progress, _noop
from assistant.knowledge.loading import doc_id_for
from assistant.settings import Settings
from assistant.snapshot import ANY, Snapshot, SnapshotHolder, make_snapshot
from assistant.types import IngestReport


class IndexLifecycle:
    """Needs, from the class it is mixed into: `settings`, the locks and holders `__init__` makes, the query
    embedder and the value-chain data."""

    settings: Settings
    _snaps: SnapshotHolder
    _refresh_lock: threading.Lock
    _write_lock: threading.RLock
    _retiring: set[str]
    _retire_lock: threading.Lock
    _bulk: Any

    def _query_embedder(self) -> Any:
        raise NotImplementedError

    def _value_chain(self) -> Any:
        raise NotImplementedError

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
