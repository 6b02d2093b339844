"""The read snapshot: what a question needs from the index, written beside it whenever it is built or changed, so
that answering never imports chromadb (nor bm25s).

`index_dir()/read/<location>/` holds `manifest.json` (which folder is current, the collection's revision and
fingerprint, the row count and a digest of the ids) and that folder: `chunks.json` (ids, texts, metadata),
`bm25/` (the keyword index's score arrays) and the unit-length embeddings (`vectors.npy`; beyond 20k chunks
stored in coarse lists, `assistant.index.dense`). Chroma stays the system of record: a snapshot is used only while
the fingerprint read from the collection's SQLite file equals the one it was written from; a stale, partial or
unreadable snapshot is ignored (with a log line) and Chroma answers, and the next snapshot is written from Chroma.
With a Chroma server there is no fingerprint: the folder then only caches the keyword side for the collection's
revision, as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.index.chroma import read_dir
from assistant.index.dense import DenseIndex
from assistant.index.filters import conditions
from assistant.index.keywords import KeywordIndex
from assistant.settings import Settings
from assistant.types import Chunk, Filters

if TYPE_CHECKING:
    from assistant.index.store import VectorStore

log = logging.getLogger("ree.index")
FORMAT = 1
MANIFEST = "manifest.json"


@dataclass(frozen=True, eq=False)
class ReadView:
    """One written snapshot of a collection: its chunks and keyword index, and (embedded) its vectors."""

    location: str
    revision: str
    fingerprint: str | None
    keywords: KeywordIndex
    dense: DenseIndex | None  # the unit vectors, one per chunk row of `keywords`

    def query(self, vector: np.ndarray, n: int, filters: Filters | None) -> list[tuple[Chunk, float]]:
        """The n nearest chunks by cosine similarity, best first: what Chroma's query answers."""
        assert self.dense is not None
        table = self.keywords.table
        mask = table.mask(filters) if conditions(filters) else None  # type: ignore[arg-type]
        return [(table.chunk(row), sim) for row, sim in self.dense.search(vector, n, mask)]


def view_dir(settings: Settings, location: str) -> Path:
    return read_dir(settings, location)


def ids_digest(ids: list[str]) -> str:
    return hashlib.sha256("\n".join(ids).encode()).hexdigest()[:32]


def load_view(settings: Settings, location: str, *, fingerprint: str | None, revision: str | None = None,
              vectors: bool = True) -> ReadView | None:
    """The current snapshot of `location` if it was written from the collection as it is now: from the same
    `fingerprint` (embedded), or for the same `revision` when there is no fingerprint (server). None when there
    is none yet, when it is stale, or when it is unreadable; the last two are logged."""
    folder = view_dir(settings, location)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        log.info("no read snapshot of %s yet; reading Chroma", location)
        return None
    except (OSError, ValueError) as exc:
        log.warning("read snapshot of %s is unreadable (%s); reading Chroma", location, exc)
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("location") != location:
        log.warning("read snapshot of %s has another format or location; reading Chroma", location)
        return None
    if fingerprint is not None and manifest.get("fingerprint") != fingerprint:
        log.info("read snapshot of %s is stale (the collection changed since it was written); reading Chroma",
                 location)
        return None
    if fingerprint is None and (revision is None or manifest.get("revision") != revision):
        log.info("read snapshot of %s is for another revision; reading Chroma", location)
        return None
    try:
        return _read(folder / str(manifest["folder"]), manifest, location, vectors)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("read snapshot of %s is unreadable (%s: %s); reading Chroma", location, type(exc).__name__, exc)
        return None


def _read(folder: Path, manifest: dict[str, Any], location: str, vectors: bool) -> ReadView:
    keywords = KeywordIndex.load(folder)
    rows = int(manifest["rows"])
    if len(keywords.ids) != rows or ids_digest(keywords.ids) != manifest["ids"]:
        raise ValueError(f"{len(keywords.ids)} chunks where the manifest lists {rows}")
    dense = None
    if vectors and manifest.get("dim"):
        dense = DenseIndex.load(folder, rows, int(manifest["dim"]), int(manifest.get("lists") or 0))
    return ReadView(location=location, revision=str(manifest["revision"]), fingerprint=manifest.get("fingerprint"),
                    keywords=keywords, dense=dense)


def write_view(settings: Settings, location: str, revision: str, fingerprint: str | None,
               keywords: KeywordIndex, vectors: np.ndarray | None) -> ReadView | None:
    """Write a snapshot beside the index and make it current in one step (a new folder, then the manifest
    replaced); the one it replaces stays until the next write, for readers still loading it. None when the
    index folder cannot be written (a read-only index still answers, from Chroma)."""
    root = view_dir(settings, location)
    tag = uuid.uuid4().hex[:16]
    tmp = root / f".tmp-{os.getpid()}-{tag}"
    dense = None
    if vectors is not None and len(keywords.ids):
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(keywords.ids), -1)
        dense = DenseIndex.build(vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12))
    lists = 0 if dense is None or dense.centroids is None else len(dense.centroids)
    manifest = {"format": FORMAT, "location": location, "revision": revision, "fingerprint": fingerprint,
                "folder": tag, "rows": len(keywords.ids), "dim": 0 if dense is None else int(dense.vectors.shape[1]),
                "lists": lists, "ids": ids_digest(keywords.ids)}
    try:
        previous = json.loads((root / MANIFEST).read_text(encoding="utf-8")).get("folder")
    except (OSError, ValueError, AttributeError):
        previous = None
    try:
        tmp.mkdir(parents=True)
        keywords.save(tmp)
        if dense is not None:
            dense.save(tmp)
        tmp.rename(root / tag)
        _replace_file(root / MANIFEST, json.dumps(manifest))
    except OSError as exc:
        log.warning("could not write the read snapshot of %s (%s); answers read Chroma", location, exc)
        shutil.rmtree(tmp, ignore_errors=True)
        return None
    _sweep(root, keep={tag, previous})
    shutil.rmtree(settings.index_dir() / "bm25", ignore_errors=True)  # the keyword cache's earlier home
    if dense is not None:  # read back as readers will: mapped, not held twice
        dense = DenseIndex.load(root / tag, len(keywords.ids), int(manifest["dim"]), lists)
    return ReadView(location=location, revision=revision, fingerprint=fingerprint, keywords=keywords, dense=dense)


def _sweep(root: Path, keep: set[str | None]) -> None:
    """Remove snapshot folders nothing points at: not the current one (read again now, since another process may
    have just made its own current), not the one it replaced, and not another writer's unfinished folder (unless
    it is an hour old: left by a killed run)."""
    try:
        keep = keep | {json.loads((root / MANIFEST).read_text(encoding="utf-8")).get("folder")}
    except (OSError, ValueError, AttributeError):
        pass
    for old in root.iterdir():
        if not old.is_dir() or old.name in keep:
            continue
        with contextlib.suppress(OSError):
            if old.name.startswith(".tmp-") and time.time() - old.stat().st_mtime < 3600:
                continue
            shutil.rmtree(old, ignore_errors=True)


def _replace_file(path: Path, text: str) -> None:
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def keyword_index(settings: Settings, store: VectorStore, rev: str | None = None) -> KeywordIndex:
    """The keyword side for the store's revision `rev` (read now when not given): from the store's read snapshot,
    from the one written beside the index, or built from Chroma, which then writes a new snapshot."""
    rev = rev or store.revision()
    if store.view is not None and store.view.revision == rev:
        return store.view.keywords
    fingerprint = store.fingerprint()  # before anything is read: a write from now on makes it differ
    embedded = not settings.chroma_url and fingerprint is not None
    cached = load_view(settings, store.location, fingerprint=fingerprint, revision=rev, vectors=embedded)
    if cached is not None and cached.revision == rev:
        if cached.dense is not None:
            store.view = cached
        return cached.keywords
    ids, texts, metas, vectors = store.records(vectors=embedded)
    keywords = KeywordIndex.build(ids, texts, metas)
    if len(ids) != store.count() or store.revision() != rev or store.fingerprint() != fingerprint:
        return keywords  # written to while we read (another process ingesting): use it, but never save it as `rev`
    view = write_view(settings, store.location, rev, fingerprint, keywords, vectors)
    if view is not None and view.dense is not None:
        store.view = view
    return keywords

