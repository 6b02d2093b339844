"""Reaching Chroma: the client (embedded PersistentClient, or a server through HttpClient, with deadlines), where the
live index is (rebuilds are written beside it, then made live with one atomic switch), and the fingerprint of an
embedded collection, read from its SQLite file without importing chromadb.

chromadb itself is imported only when a client is made: the read path of `ree ask` never needs it."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

from assistant.errors import IndexMissingError, StoreUnavailableError
from assistant.settings import Settings

T = TypeVar("T")


def make_client(settings: Settings, create: bool, folder: Path | None = None) -> Any:
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
def guard(settings: Settings) -> Iterator[None]:
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


def guarded(method: Callable[..., T]) -> Callable[..., T]:
    """A store method run under `guard(self.settings)`."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> T:
        with guard(self.settings):
            return method(self, *args, **kwargs)

    return wrapper


# -- where the live index is: rebuilds are written beside it, then made live with one atomic switch ----------
LIVE_FILE = "LIVE"  # embedded: names the live Chroma folder inside index_dir(); absent = "chroma"
DEFAULT_FOLDER = "chroma"
READ_FOLDER = "read"  # index_dir()/read/<location>/: the read snapshot of each location (assistant.index.readview)


def read_dir(settings: Settings, location: str) -> Path:
    """Where the read snapshot of a location is written."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in location)[:80]
    return settings.index_dir() / READ_FOLDER / safe


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
        client = make_client(settings, create=False)
    try:
        with guard(settings):
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
    with guard(settings):
        alias = client.get_or_create_collection(_alias_collection(settings), embedding_function=None,
                                                metadata={"live": name})
        alias.modify(metadata={"live": name})


def drop_location(settings: Settings, name: str, client: Any = None) -> None:
    """Remove an index that is no longer live (never the live one), and its read snapshot."""
    if name == live_location(settings, client):
        return
    shutil.rmtree(read_dir(settings, name), ignore_errors=True)
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


# -- the fingerprint of an embedded collection ------------------------------------------------------------------
def fingerprint(folder: Path, collection: str) -> str | None:
    """What changes with every write to the collection, and with nothing else: its metadata (the revision mark),
    the last write applied to its metadata segment and its record count, read from Chroma's SQLite file
    (read-only; nothing of chromadb is imported). Chroma's own bookkeeping that runs later (the vector segment
    catching up, the write log being trimmed) is left out. None when the file cannot be read this way (no index
    yet, or a Chroma whose tables differ): then only Chroma itself can say what it holds."""
    path = folder / "chroma.sqlite3"
    if not path.is_file():
        return None
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)
    except sqlite3.Error:
        return None
    try:
        row = con.execute("SELECT id FROM collections WHERE name = ?", (collection,)).fetchone()
        if row is None:
            return None
        cid = row[0]
        meta = con.execute("SELECT key, str_value, int_value, float_value FROM collection_metadata "
                           "WHERE collection_id = ? ORDER BY key", (cid,)).fetchall()
        segment = con.execute("SELECT id FROM segments WHERE collection = ? AND scope = 'METADATA'",
                              (cid,)).fetchone()
        if segment is None:
            return None
        seq = con.execute("SELECT seq_id FROM max_seq_id WHERE segment_id = ?", segment).fetchone()
        count = con.execute("SELECT count(*) FROM embeddings WHERE segment_id = ?", segment).fetchone()
    except sqlite3.Error:
        return None
    finally:
        con.close()
    seq_id = seq[0] if seq else None
    if isinstance(seq_id, bytes):
        seq_id = seq_id.hex()
    mark = repr((cid, meta, seq_id, count[0] if count else None))
    return hashlib.sha256(mark.encode()).hexdigest()[:32]
