"""Chroma (embedded PersistentClient, or a server via HttpClient) holds chunks, vectors and metadata: it is the
system of record. Every write goes through it; a store opened only to read answers from the read snapshot written
beside the index (`assistant.index.readview`) while that still matches the collection, and opens Chroma only when
it does not (or when something is written)."""

from __future__ import annotations

import logging
import threading
import uuid
from typing import Any

import numpy as np

from assistant.errors import IndexMissingError, StoreUnavailableError
from assistant.index.chroma import (
    base_collection,
    drop_location,
    fingerprint,
    guarded,
    live_location,
    make_client,
    new_location,
    set_live_location,
    stale_locations,
)
from assistant.index.filters import ChunkTable, chunk_from, chunk_metadata, matches, where_clause
from assistant.index.keywords import KeywordIndex
from assistant.index.readview import ReadView, keyword_index, load_view
from assistant.settings import Settings
from assistant.types import Chunk, Filters

BATCH = 2000
log = logging.getLogger("ree.index")


class VectorStore:
    """One Chroma collection per index: in its own folder (embedded), or under its own name (server).

    `view` is the read snapshot this store answers from (None: Chroma answers). `client` is None while an
    embedded store reads only from its snapshot; Chroma is opened on the first call that needs it."""

    def __init__(self, settings: Settings, create: bool = False, location: str | None = None) -> None:
        self.settings = settings
        self.create = create
        self.view: ReadView | None = None
        self.client: Any = None
        self._collection: Any = None
        self._opening = threading.Lock()
        if settings.chroma_url:
            self.client = make_client(settings, create)
            self.location = location or live_location(settings, self.client)
            self._open()
            return
        self.location = location or live_location(settings)
        if not create:
            if not (settings.index_dir() / self.location).exists():
                raise IndexMissingError(f"No index at {settings.index_dir()}; build it with `ree index`.")
            current = self.fingerprint()
            if current is not None:
                view = load_view(settings, self.location, fingerprint=current)
                self.view = view if view is not None and view.dense is not None else None
        if self.view is None:
            self._open()

    @property
    def name(self) -> str:
        """The collection's name: the location on a server, one fixed name in each embedded folder."""
        return self.location if self.settings.chroma_url else base_collection(self.settings)

    def _open(self) -> Any:
        """Open the Chroma collection (once)."""
        if self._collection is not None:
            return self._collection
        with self._opening:
            return self._open_locked()

    def _open_locked(self) -> Any:
        if self._collection is not None:
            return self._collection
        if self.client is None:
            self.client = make_client(self.settings, self.create,
                                      folder=self.settings.index_dir() / self.location)
        try:
            if self.create:
                self._collection = self.client.get_or_create_collection(
                    self.name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
                )
            else:
                self._collection = self.client.get_collection(self.name, embedding_function=None)
        except StoreUnavailableError:
            raise
        except Exception as exc:  # noqa: BLE001
            text = str(exc).lower()
            if self.settings.chroma_url and "does not exist" not in text and "not found" not in text:
                raise StoreUnavailableError(f"Chroma server at {self.settings.chroma_url} failed: {exc}") from None
            raise IndexMissingError(f"No index '{self.name}' yet; build it with `ree index`.") from None
        return self._collection

    @property
    def collection(self) -> Any:
        return self._open()

    @collection.setter
    def collection(self, value: Any) -> None:
        self._collection = value

    def chroma(self) -> Any:
        """The Chroma client, opened if the store has been reading from its snapshot."""
        self._open()
        return self.client

    def fingerprint(self) -> str | None:
        """The embedded collection's fingerprint as it is on disk now (None on a server)."""
        if self.settings.chroma_url:
            return None
        return fingerprint(self.settings.index_dir() / self.location, self.name)

    # -- writing -------------------------------------------------------------------------------------
    @guarded
    def upsert(self, ids: list[str], vectors: np.ndarray, texts: list[str], metas: list[dict[str, Any]]) -> None:
        self.view = None
        for i in range(0, len(ids), BATCH):
            self.collection.upsert(ids=ids[i : i + BATCH], embeddings=vectors[i : i + BATCH],
                                   documents=texts[i : i + BATCH], metadatas=metas[i : i + BATCH])

    @guarded
    def copy_from(self, other: VectorStore, skip_docs: frozenset[str] = frozenset()) -> int:
        """Every record of `other` (vectors, texts, metadata) into this collection but those of `skip_docs`,
        which are never written here (so nothing of them is left in this store's files); the number copied."""
        self.view = None
        source = other.collection
        total = source.count()
        copied = 0
        for offset in range(0, total, BATCH):
            got = source.get(include=["embeddings", "documents", "metadatas"], limit=BATCH, offset=offset)
            keep = [i for i, m in enumerate(got["metadatas"] or []) if m.get("doc_id") not in skip_docs]
            if keep:
                self.collection.upsert(ids=[got["ids"][i] for i in keep],
                                       embeddings=[got["embeddings"][i] for i in keep],
                                       documents=[got["documents"][i] for i in keep],
                                       metadatas=[got["metadatas"][i] for i in keep])
                copied += len(keep)
        return copied

    @guarded
    def delete_ids(self, ids: list[str]) -> None:
        self.view = None
        for i in range(0, len(ids), BATCH):
            self.collection.delete(ids=ids[i : i + BATCH])

    @guarded
    def bump_revision(self) -> None:
        self.view = None
        meta = dict(self.collection.metadata or {})
        meta["revision"] = uuid.uuid4().hex
        self.collection.modify(metadata=meta)

    # -- reading -------------------------------------------------------------------------------------
    @guarded
    def revision(self) -> str:
        """The collection's revision mark and size. A store reading from its snapshot checks the fingerprint on
        disk and opens Chroma when another process has written since. A server collection's handle keeps the
        metadata it was opened with, so it is fetched afresh: another host may have written since."""
        view = self.view
        if self._collection is None and view is not None:
            if self.fingerprint() == view.fingerprint:
                return view.revision
            log.info("read snapshot of %s is stale (the collection changed since it was written); reading Chroma",
                     self.location)
            self.view = None
        if self.settings.chroma_url:
            try:
                self.collection = self.client.get_collection(self.collection.name, embedding_function=None)
            except Exception:  # noqa: BLE001 - keep the handle we have; the next call retries
                pass
        meta = self.collection.metadata or {}
        return f"{meta.get('revision', 'none')}-{self.collection.count()}"

    @guarded
    def count(self) -> int:
        view = self.view
        if self._collection is None and view is not None:
            return len(view.keywords.ids)
        return self.collection.count()

    @guarded
    def doc_chunks(self) -> dict[str, dict[str, Any]]:
        """doc_id → {hashes, origin, ids}: what is indexed, derived from Chroma itself."""
        out: dict[str, dict[str, Any]] = {}
        total = self.collection.count()
        for offset in range(0, total, BATCH):
            got = self.collection.get(include=["metadatas"], limit=BATCH, offset=offset)
            for cid, meta in zip(got["ids"], got["metadatas"] or [], strict=False):
                rec = out.setdefault(meta["doc_id"], {"hashes": set(), "origin": meta.get("origin"), "ids": []})
                rec["hashes"].add(meta.get("doc_hash"))
                rec["ids"].append(cid)
        return out

    def all_chunks(self) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        ids, docs, metas, _ = self.records(vectors=False)
        return ids, docs, metas

    @guarded
    def records(self, vectors: bool) -> tuple[list[str], list[str], list[dict[str, Any]], np.ndarray | None]:
        """Every record in Chroma: ids, texts, metadata and (with `vectors`) the embeddings, row for row."""
        ids: list[str] = []
        docs: list[str] = []
        metas: list[dict[str, Any]] = []
        vecs: list[np.ndarray] = []
        include = ["documents", "metadatas"] + (["embeddings"] if vectors else [])
        total = self.collection.count()
        for offset in range(0, total, BATCH):
            got = self.collection.get(include=include, limit=BATCH, offset=offset)
            ids += got["ids"]
            docs += got["documents"] or []
            metas += got["metadatas"] or []
            if vectors and len(got["ids"]):
                vecs.append(np.asarray(got["embeddings"], dtype=np.float32))
        if not vectors:
            return ids, docs, metas, None
        return ids, docs, metas, np.concatenate(vecs) if vecs else np.zeros((0, 0), dtype=np.float32)

    @guarded
    def query(self, vector: np.ndarray, n: int, filters: Filters | None,
              total: int | None = None) -> list[tuple[Chunk, float]]:
        """Nearest chunks (from the read snapshot when the store has one); pass `total` (the known chunk count)
        to save a round trip to Chroma."""
        view = self.view  # one read: a writer may drop it meanwhile
        if view is not None and view.dense is not None:
            return view.query(vector, n, filters)
        total = self.collection.count() if total is None else total
        if total == 0:
            return []
        res = self.collection.query(query_embeddings=[vector], n_results=min(n, total),
                                    where=where_clause(filters), include=["documents", "metadatas", "distances"])
        out = []
        for cid, text, meta, dist in zip(res["ids"][0], res["documents"][0], res["metadatas"][0],
                                         res["distances"][0], strict=False):
            out.append((chunk_from(cid, text, meta), 1.0 - float(dist)))
        return out


__all__ = [
    "BATCH", "ChunkTable", "KeywordIndex", "VectorStore", "base_collection", "chunk_from", "chunk_metadata",
    "drop_location", "keyword_index", "live_location", "matches", "new_location", "set_live_location",
    "stale_locations", "where_clause",
]
