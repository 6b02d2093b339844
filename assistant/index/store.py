"""Chroma (embedded PersistentClient, or a server via HttpClient) holds chunks, vectors and metadata: it is
the source of truth. The BM25 keyword index is derived from it and cached per collection revision."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import numpy as np

from assistant.errors import IndexMissingError, StoreUnavailableError
from assistant.settings import Settings
from assistant.types import Chunk, Filters

BATCH = 2000
T = TypeVar("T")


def date_int(value: str | None) -> int:
    """'2025-04-07' → 20250407; '2025' → 20250000; '' → 0."""
    digits = "".join(ch for ch in (value or "")[:10] if ch.isdigit())
    return int((digits + "00000000")[:8]) if digits else 0


def chunk_metadata(chunk: Chunk, doc_meta: dict[str, Any], doc_hash: str, origin: str) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "doc_id": chunk.doc_id, "doc_hash": doc_hash, "origin": origin, "section": chunk.section,
        "heading": chunk.meta.get("heading", ""), "title": chunk.meta.get("title", ""),
        "kind": chunk.meta.get("kind", "upload"), "start": chunk.start, "end": chunk.end,
        "page": chunk.page if chunk.page is not None else -1, "as_of": date_int(doc_meta.get("as_of")),
        "doc_meta": json.dumps({k: doc_meta.get(k) for k in ("sources", "as_of", "date", "publisher", "url",
                                                              "countries", "stages")}),
    }
    for c in doc_meta.get("countries") or []:
        meta[f"c_{c}"] = True
    for s in doc_meta.get("stages") or []:
        meta[f"s_{s}"] = True
    return meta


def chunk_from(cid: str, text: str, meta: dict[str, Any]) -> Chunk:
    page = meta.get("page", -1)
    return Chunk(id=cid, doc_id=meta["doc_id"], text=text, start=int(meta["start"]), end=int(meta["end"]),
                 section=meta.get("section", ""), page=None if page in (-1, None) else int(page), meta=meta)


def conditions(filters: Filters | None) -> list[tuple[str, str, Any]]:
    """The one reading of Filters: (metadata key, operator, value) triples that all must hold. Chroma's where
    clause, the per-chunk predicate and the keyword side's vectorised mask are all written from this."""
    if filters is None:
        return []
    out: list[tuple[str, str, Any]] = []
    if filters.country:
        out.append((f"c_{filters.country}", "$eq", True))
    if filters.stage:
        out.append((f"s_{filters.stage}", "$eq", True))
    if filters.kind:
        out.append(("kind", "$eq", filters.kind))
    if filters.date_from:
        out.append(("as_of", "$gte", date_int(filters.date_from)))
    if filters.date_to:
        out.append(("as_of", "$lte", date_int(filters.date_to) or 99999999))
    return out


_TEST = {"$eq": lambda a, b: a == b, "$gte": lambda a, b: a >= b, "$lte": lambda a, b: a <= b}


def _field(meta: dict[str, Any], key: str) -> Any:
    """A chunk's value for a filter key: flags default to False, as_of to 0."""
    if key == "as_of":
        return int(meta.get("as_of", 0) or 0)
    if key[:2] in ("c_", "s_"):
        return bool(meta.get(key, False))
    return meta.get(key)


def where_clause(filters: Filters | None) -> dict[str, Any] | None:
    conds = [{k: v} if op == "$eq" else {k: {op: v}} for k, op, v in conditions(filters)]
    if not conds:
        return None
    return conds[0] if len(conds) == 1 else {"$and": conds}


def matches(meta: dict[str, Any], filters: Filters | None) -> bool:
    """The same predicate as `where_clause`, for one chunk's metadata."""
    return all(_TEST[op](_field(meta, k), v) for k, op, v in conditions(filters))


def _client(settings: Settings, create: bool, folder: Path | None = None):  # type: ignore[no-untyped-def]
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if not url.hostname:
            raise StoreUnavailableError(f"REE_CHROMA_URL '{settings.chroma_url}' is not a URL like http://host:8000")
        _probe(settings.chroma_url, url.hostname, url.port or 8000, settings.store.timeout_s)
        try:
            client = chromadb.HttpClient(host=url.hostname, port=url.port or 8000, ssl=url.scheme == "https",
                                         settings=chroma_settings)
        except Exception as exc:  # noqa: BLE001 - any client failure means the server is unusable
            raise StoreUnavailableError(
                f"Chroma server at {settings.chroma_url} did not answer ({type(exc).__name__}); "
                "start it with `chroma run --path DIR --port N` or unset REE_CHROMA_URL"
            ) from None
        _bound_timeouts(client, settings.store.timeout_s)
        return client
    path = folder or settings.index_dir() / live_location(settings)
    if not create and not path.exists():
        raise IndexMissingError(f"No index at {settings.index_dir()}; build it with `ree index`.")
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def _probe(url: str, host: str, port: int, timeout: float) -> None:
    """An HTTP heartbeat with a deadline: chromadb's own client waits forever on a server that accepts the
    connection but never answers, so that case is caught here, before the client is built."""
    import http.client

    conn_cls = http.client.HTTPSConnection if url.startswith("https") else http.client.HTTPConnection
    conn = conn_cls(host, port, timeout=timeout)
    try:
        conn.request("GET", "/api/v2/heartbeat")
        status = conn.getresponse().status
    except OSError as exc:
        reason = f"no answer within {timeout:.0f} s" if isinstance(exc, TimeoutError) else (exc.strerror or exc)
        raise StoreUnavailableError(
            f"Chroma server at {url} is unreachable ({reason}); "
            "start it with `chroma run --path DIR --port N` or unset REE_CHROMA_URL"
        ) from None
    except http.client.HTTPException as exc:
        raise StoreUnavailableError(f"{url} did not answer like a Chroma server ({type(exc).__name__})") from None
    finally:
        conn.close()
    if status != 200:
        raise StoreUnavailableError(f"{url} answered HTTP {status} to a Chroma heartbeat; is it a Chroma 1.x server?")


def _bound_timeouts(client: Any, timeout: float) -> None:
    """chromadb's HTTP session has no timeout at all; bound connecting (a dead host) and waiting (a hung
    server) so a request fails with an error instead of hanging. Reads get far longer: big upserts are slow."""
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(connect=timeout, read=max(60.0, timeout), write=max(60.0, timeout),
                                        pool=timeout)


@contextmanager
def _guard(settings: Settings) -> Iterator[None]:
    """In server mode, a connection lost mid-session becomes a StoreUnavailableError naming the URL."""
    if not settings.chroma_url:
        yield
        return
    import httpx

    try:
        yield
    except httpx.TransportError as exc:
        raise StoreUnavailableError(
            f"Chroma server at {settings.chroma_url} stopped answering ({type(exc).__name__}: {exc}); "
            "check that `chroma run` is still up"
        ) from None


def _guarded(method: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(method)
    def wrapper(self: VectorStore, *args: Any, **kwargs: Any) -> T:
        with _guard(self.settings):
            return method(self, *args, **kwargs)

    return wrapper


# -- where the live index is: rebuilds are written beside it, then made live with one atomic switch ----------
LIVE_FILE = "LIVE"  # embedded: names the live Chroma folder inside index_dir(); absent = "chroma"
DEFAULT_FOLDER = "chroma"


def base_collection(settings: Settings) -> str:
    return f"{settings.store.collection}-{settings.index_name()}"


def _alias_collection(settings: Settings) -> str:
    return f"{base_collection(settings)}-alias"


_FOLDER = re.compile(r"chroma(-[0-9a-f]{8,32})?")  # an embedded index folder: the first, or a rebuild's

def live_location(settings: Settings, client: Any = None) -> str:
    """The live index: a folder name under index_dir() (embedded) or a collection name (server). In server
    mode the alias is the metadata of a small `<collection>-alias` collection; without one, the base name."""
    if not settings.chroma_url:
        try:
            name = (settings.index_dir() / LIVE_FILE).read_text(encoding="utf-8").strip()
        except OSError:
            return DEFAULT_FOLDER
        return name if _FOLDER.fullmatch(name) else DEFAULT_FOLDER
    if client is None:
        client = _client(settings, create=False)
    try:
        with _guard(settings):
            meta = client.get_collection(_alias_collection(settings), embedding_function=None).metadata or {}
    except StoreUnavailableError:
        raise
    except Exception:  # noqa: BLE001 - no alias record yet: the base name is live
        return base_collection(settings)
    return str(meta.get("live") or base_collection(settings))


def new_location(settings: Settings) -> str:
    """A fresh location for a rebuild, beside the live one."""
    tag = uuid.uuid4().hex[:12]
    return f"chroma-{tag}" if not settings.chroma_url else f"{base_collection(settings)}-{tag}"


def set_live_location(settings: Settings, name: str, client: Any = None) -> None:
    """Make `name` the live index in one atomic step (a file replaced, or one metadata write)."""
    if not settings.chroma_url:
        folder = settings.index_dir()
        tmp = folder / f"{LIVE_FILE}.tmp{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, folder / LIVE_FILE)
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return
    with _guard(settings):
        alias = client.get_or_create_collection(_alias_collection(settings), embedding_function=None,
                                                metadata={"live": name})
        alias.modify(metadata={"live": name})


def drop_location(settings: Settings, name: str, client: Any = None) -> None:
    """Remove an index that is no longer live (never the live one)."""
    if name == live_location(settings, client):
        return
    if not settings.chroma_url:
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()
        shutil.rmtree(settings.index_dir() / name, ignore_errors=True)
        return
    with contextlib.suppress(Exception):
        client.delete_collection(name)


def stale_locations(settings: Settings, keep: set[str]) -> list[str]:
    """Embedded folders left by earlier rebuilds (finished or killed) that nothing uses."""
    folder = settings.index_dir()
    if settings.chroma_url or not folder.exists():
        return []
    keep = keep | {live_location(settings)}
    return [p.name for p in folder.iterdir() if p.is_dir() and _FOLDER.fullmatch(p.name)
            and p.name not in keep]


class VectorStore:
    """One Chroma collection per index: in its own folder (embedded), or under its own name (server)."""

    def __init__(self, settings: Settings, create: bool = False, location: str | None = None) -> None:
        self.settings = settings
        if settings.chroma_url:
            self.client = _client(settings, create)
            self.location = location or live_location(settings, self.client)
            name = self.location
        else:
            self.location = location or live_location(settings)
            self.client = _client(settings, create, folder=settings.index_dir() / self.location)
            name = base_collection(settings)
        try:
            if create:
                self.collection = self.client.get_or_create_collection(
                    name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
                )
            else:
                self.collection = self.client.get_collection(name, embedding_function=None)
        except StoreUnavailableError:
            raise
        except Exception as exc:  # noqa: BLE001
            if settings.chroma_url and "does not exist" not in str(exc).lower() and "not found" not in str(
                exc
            ).lower():
                raise StoreUnavailableError(f"Chroma server at {settings.chroma_url} failed: {exc}") from None
            raise IndexMissingError(f"No index '{name}' yet; build it with `ree index`.") from None

    # -- writing -------------------------------------------------------------------------------------
    @_guarded
    def upsert(self, ids: list[str], vectors: np.ndarray, texts: list[str], metas: list[dict[str, Any]]) -> None:
        for i in range(0, len(ids), BATCH):
            self.collection.upsert(ids=ids[i : i + BATCH], embeddings=vectors[i : i + BATCH],
                                   documents=texts[i : i + BATCH], metadatas=metas[i : i + BATCH])

    @_guarded
    def copy_from(self, other: VectorStore, skip_docs: frozenset[str] = frozenset()) -> int:
        """Every record of `other` (vectors, texts, metadata) into this collection but those of `skip_docs`,
        which are never written here (so nothing of them is left in this store's files); the number copied."""
        total = other.collection.count()
        copied = 0
        for offset in range(0, total, BATCH):
            got = other.collection.get(include=["embeddings", "documents", "metadatas"], limit=BATCH, offset=offset)
            keep = [i for i, m in enumerate(got["metadatas"] or []) if m.get("doc_id") not in skip_docs]
            if keep:
                self.collection.upsert(ids=[got["ids"][i] for i in keep],
                                       embeddings=[got["embeddings"][i] for i in keep],
                                       documents=[got["documents"][i] for i in keep],
                                       metadatas=[got["metadatas"][i] for i in keep])
                copied += len(keep)
        return copied

    @_guarded
    def delete_ids(self, ids: list[str]) -> None:
        for i in range(0, len(ids), BATCH):
            self.collection.delete(ids=ids[i : i + BATCH])

    @_guarded
    def bump_revision(self) -> None:
        meta = dict(self.collection.metadata or {})
        meta["revision"] = uuid.uuid4().hex
        self.collection.modify(metadata=meta)

    # -- reading -------------------------------------------------------------------------------------
    @_guarded
    def revision(self) -> str:
        """The collection's revision mark and size. A server collection's handle keeps the metadata it was opened
        with, so it is fetched afresh: another host may have written since."""
        if self.settings.chroma_url:
            with contextlib.suppress(Exception):  # keep the handle we have; the next call retries
                self.collection = self.client.get_collection(self.collection.name, embedding_function=None)
        meta = self.collection.metadata or {}
        return f"{meta.get('revision', 'none')}-{self.collection.count()}"

    @_guarded
    def count(self) -> int:
        return self.collection.count()

    @_guarded
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

    @_guarded
    def all_chunks(self) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        ids: list[str] = []
        docs: list[str] = []
        metas: list[dict[str, Any]] = []
        total = self.collection.count()
        for offset in range(0, total, BATCH):
            got = self.collection.get(include=["documents", "metadatas"], limit=BATCH, offset=offset)
            ids += got["ids"]
            docs += got["documents"] or []
            metas += got["metadatas"] or []
        return ids, docs, metas

    @_guarded
    def query(self, vector: np.ndarray, n: int, filters: Filters | None,
              total: int | None = None) -> list[tuple[Chunk, float]]:
        """Nearest chunks; pass `total` (the known chunk count) to save a round trip."""
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


@dataclass
class ChunkTable:
    """The indexed chunks in keyword-row order: ids, texts and metadata, with lookups and filter columns."""

    ids: list[str]
    texts: list[str]
    metas: list[dict[str, Any]]

    def chunk(self, i: int) -> Chunk:
        return chunk_from(self.ids[i], self.texts[i], self.metas[i])

    def column(self, key: str) -> np.ndarray:
        """One metadata field across all chunks (cached), as `conditions` reads it."""
        cache = self.__dict__.setdefault("_columns", {})
        if key not in cache:
            if key == "as_of" or key[:2] in ("c_", "s_"):
                cache[key] = np.fromiter((_field(m, key) for m in self.metas),
                                         dtype=np.int64 if key == "as_of" else bool, count=len(self.metas))
            else:
                cache[key] = np.array([_field(m, key) for m in self.metas], dtype=object)
        return cache[key]

    def mask(self, filters: Filters) -> np.ndarray:
        """Which chunks pass the filters: `conditions`, vectorised."""
        mask = np.ones(len(self.metas), dtype=bool)
        for key, op, value in conditions(filters):
            mask &= np.asarray(_TEST[op](self.column(key), value), dtype=bool)
        return mask


@dataclass
class Vocabulary:
    """What the BM25 vocabulary tells about the corpus: which stems occur, how rare they are, which years."""

    bm25: Any
    rows: int

    @cached_property
    def years(self) -> set[int]:
        """Years (1950-2099) that appear in any chunk."""
        vocab = getattr(self.bm25, "vocab_dict", {})
        return {int(t) for t in vocab if isinstance(t, str) and re.fullmatch(r"19[5-9]\d|20\d\d", t)}

    def knows(self, term: str) -> bool:
        """Whether any chunk contains this stemmed term."""
        return term in getattr(self.bm25, "vocab_dict", {})

    def idf(self, term: str) -> float:
        """BM25 idf of a stemmed term (unknown terms count as rare)."""
        n = max(self.rows, 1)
        tid = getattr(self.bm25, "vocab_dict", {}).get(term)
        df = 0
        if tid is not None:
            indptr = self.bm25.scores["indptr"]
            df = int(indptr[tid + 1] - indptr[tid])
        return float(np.log((n - df + 0.5) / (df + 0.5) + 1.0))


class KeywordIndex:
    """Keyword search: bm25s over the chunks (title and section included). The chunk table and the vocabulary
    are its two parts; the plain attributes (ids, metas, chunk(), knows(), idf(), years) read through to them."""

    def __init__(self, table: ChunkTable, bm25: Any, stemmer: Any) -> None:
        self.table = table
        self.bm25 = bm25
        self.stemmer = stemmer
        self.vocabulary = Vocabulary(bm25, len(table.ids))
        self.ids, self.texts, self.metas = table.ids, table.texts, table.metas
        self.chunk, self.knows, self.idf = table.chunk, self.vocabulary.knows, self.vocabulary.idf

    @property
    def years(self) -> set[int]:
        return self.vocabulary.years

    @classmethod
    def build(cls, ids: list[str], texts: list[str], metas: list[dict[str, Any]]) -> KeywordIndex:
        import bm25s
        import Stemmer

        stemmer = Stemmer.Stemmer("english")
        corpus = [_keyword_text(t, m) for t, m in zip(texts, metas, strict=True)]
        model = bm25s.BM25()
        if corpus:
            tokens = bm25s.tokenize(corpus, stopwords="en", stemmer=stemmer, show_progress=False)
            model.index(tokens, show_progress=False)
        return cls(ChunkTable(ids, texts, metas), model, stemmer)

    def save(self, folder: Path) -> None:
        tmp = folder.with_name(f"{folder.name}.tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self.ids:
            self.bm25.save(str(tmp / "bm25"))
        (tmp / "chunks.json").write_text(json.dumps({"ids": self.ids, "texts": self.texts, "metas": self.metas}))
        try:
            tmp.rename(folder)
        except OSError:  # another process saved the same revision first
            shutil.rmtree(tmp, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex:
        import bm25s
        import Stemmer

        data = json.loads((folder / "chunks.json").read_text())
        model = bm25s.BM25.load(str(folder / "bm25")) if data["ids"] else bm25s.BM25()
        return cls(ChunkTable(data["ids"], data["texts"], data["metas"]), model, Stemmer.Stemmer("english"))

    def search(self, query: str, n: int, filters: Filters | None) -> list[tuple[int, float]]:
        import bm25s

        if not self.ids:
            return []
        # Tokens as strings: ids from tokenize() index the query's own vocabulary, not the corpus's.
        words = bm25s.tokenize([query], stopwords="en", stemmer=self.stemmer, show_progress=False,
                               return_ids=False)[0]
        if not words:
            return []
        scores = self.bm25.get_scores(words)
        scores = np.asarray(scores)
        if filters is not None:
            scores = np.where(self.table.mask(filters), scores, 0.0)
        top = np.argpartition(-scores, n)[:n] if len(scores) > n else np.arange(len(scores))
        top = top[np.argsort(-scores[top])]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


def _keyword_text(text: str, meta: dict[str, Any]) -> str:
    return f"{meta.get('title', '')} {meta.get('section', '')}\n{text}"


def keyword_index(settings: Settings, store: VectorStore, rev: str | None = None) -> KeywordIndex:
    """Load the cached BM25 side for the store's revision `rev` (read now when not given), or rebuild it."""
    rev = rev or store.revision()
    folder = settings.index_dir() / "bm25" / _safe(rev)
    if (folder / "chunks.json").exists():
        try:
            return KeywordIndex.load(folder)
        except (OSError, ValueError, KeyError):
            shutil.rmtree(folder, ignore_errors=True)
    ids, texts, metas = store.all_chunks()
    kw = KeywordIndex.build(ids, texts, metas)
    if len(ids) != store.count() or store.revision() != rev:
        return kw  # written to while we read (another process ingesting): use it, but never cache it as `rev`
    try:
        parent = folder.parent
        if parent.exists():
            for old in parent.iterdir():
                if old.name != folder.name:
                    shutil.rmtree(old, ignore_errors=True)
        kw.save(folder)
    except OSError:
        pass  # a read-only index folder still answers; the cache is an optimisation
    return kw


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)[:80]
