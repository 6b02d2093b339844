"""The one storage seam for what users leave behind: conversations (with their resolved state) and feedback.

SQLite (WAL) in the indexes folder by default; PostgreSQL when REE_DATABASE_URL is a postgresql:// URL (several
app hosts behind a proxy). Both speak the same few SQL statements through `Database`.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
import time
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assistant.errors import StoreUnavailableError


class Database:
    """A connection per call (short statements, thread-safe); `?` placeholders on both engines."""

    def __init__(self, url: str | None, sqlite_path: Path) -> None:
        self.url = url
        self.postgres = bool(url and url.startswith(("postgresql://", "postgres://")))
        if url and not self.postgres:
            if not url.startswith("sqlite:///"):
                raise StoreUnavailableError(f"REE_DATABASE_URL '{url.split('@')[-1]}' is neither sqlite:///PATH "
                                            "nor postgresql://…")
            sqlite_path = Path(url[len("sqlite:///"):])
        self.path = sqlite_path
        if not self.postgres:
            self.path.parent.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def connect(self) -> Iterator[Any]:
        if self.postgres:
            try:
                import psycopg
            except ImportError:
                raise StoreUnavailableError("REE_DATABASE_URL is PostgreSQL but psycopg is not installed") from None
            try:
                conn = psycopg.connect(self.url, connect_timeout=10)
            except psycopg.OperationalError as exc:
                host = (self.url or "").split("@")[-1]
                raise StoreUnavailableError(f"PostgreSQL at {host} is unreachable: {exc}".strip()) from None
            try:
                with conn:
                    yield conn
            finally:
                conn.close()
            return
        conn = sqlite3.connect(self.path, timeout=10)
        try:
            conn.execute("pragma journal_mode=wal")
            conn.execute("pragma synchronous=normal")
            with conn:
                yield conn
        finally:
            conn.close()

    def sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.postgres else statement

    def execute(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.connect() as conn:
            cur = conn.execute(self.sql(statement), params)
            return list(cur.fetchall()) if cur.description else []

    def insert(self, statement: str, params: tuple[Any, ...]) -> int:
        """Run an insert and return the new row's id."""
        with self.connect() as conn:
            if self.postgres:
                return int(conn.execute(self.sql(statement) + " returning id", params).fetchone()[0])
            return int(conn.execute(statement, params).lastrowid or 0)

    def create(self, table: str, columns: str) -> None:
        """`columns` without the id; the id is an auto-increment primary key on either engine."""
        key = "id bigserial primary key" if self.postgres else "id integer primary key autoincrement"
        with self.connect() as conn:
            conn.execute(f"create table if not exists {table} ({key}, {columns})")


def database(settings: Any) -> Database:
    return Database(settings.database_url.get_secret_value() if settings.database_url else None,
                    settings.paths.feedback_path)


class ConversationStore:
    """Conversation turns (the resolved intent of each) by conversation id (web session, API id, Slack thread):
    persisted, so a restarted server or a second worker continues "And Japan?". Old turns expire."""

    def __init__(self, db: Database, max_turns: int = 20, retention_days: float = 30.0) -> None:
        self.db = db
        self.max_turns = max_turns
        self.retention_s = retention_days * 86400
        self._ready = False
        self._lock = threading.Lock()
        self._adds = 0

    def _init(self) -> None:
        if self._ready:
            return
        with self._lock:
            if not self._ready:
                self.db.create("conversations", "conversation text not null, created double precision not null, "
                                                 "intent text not null")
                self.db.execute("create index if not exists conversations_by_id on conversations (conversation, id)")
                self._purge()
                self._ready = True

    def _purge(self) -> None:
        self.db.execute("delete from conversations where created < ?", (time.time() - self.retention_s,))

    def last(self, conversation_id: str | None) -> Any:
        if not conversation_id:
            return None
        self._init()
        rows = self.db.execute("select intent from conversations where conversation = ? order by id desc limit 1",
                               (conversation_id,))
        return _intent(rows[0][0]) if rows else None

    def add(self, conversation_id: str | None, intent: Any) -> None:
        if not conversation_id:
            return
        self._init()
        with self.db.connect() as conn:  # the turn and the trim of old turns: one connection, one transaction
            conn.execute(self.db.sql("insert into conversations (conversation, created, intent) values (?, ?, ?)"),
                         (conversation_id, time.time(), json.dumps(dataclasses.asdict(intent), default=_plain)))
            conn.execute(self.db.sql("delete from conversations where conversation = ? and id not in (select id "
                                     "from conversations where conversation = ? order by id desc limit ?)"),
                         (conversation_id, conversation_id, self.max_turns))
        self._adds += 1
        if self._adds % 200 == 0:
            self._purge()


def _plain(value: Any) -> Any:
    """JSON for what `dataclasses.asdict` leaves as objects (pydantic models such as entities, sets)."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot store a {type(value).__name__} in a conversation turn")


def _intent(raw: str) -> Any:
    from assistant.understand.query import Intent

    return _decode(Intent, json.loads(raw))


def _decode(cls: Any, data: dict[str, Any]) -> Any:
    """A dataclass back from `dataclasses.asdict` JSON: nested dataclasses, lists and tuples restored by the
    type hints; fields that no longer exist are dropped, new ones take their defaults."""
    hints = typing.get_type_hints(cls)
    return cls(**{f.name: _value(hints[f.name], data[f.name]) for f in dataclasses.fields(cls) if f.name in data})


def _value(tp: Any, value: Any) -> Any:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if dataclasses.is_dataclass(tp) and isinstance(value, dict):
        return _decode(tp, value)
    if isinstance(tp, type) and hasattr(tp, "model_validate") and isinstance(value, dict):
        return tp.model_validate(value)
    if origin is list and args and isinstance(value, list):
        return [_value(args[0], v) for v in value]
    if origin is tuple and isinstance(value, list):
        return tuple(_value(args[0], v) for v in value) if args else tuple(value)
    return value


__all__ = ["ConversationStore", "Database", "database"]
