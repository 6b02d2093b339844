"""👍/👎 feedback with an optional comment, kept in SQLite (shared by the web UI, the API and Slack)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from assistant.errors import InputError

SCHEMA = """
create table if not exists feedback (
    id integer primary key autoincrement,
    created real not null,
    source text not null,
    question text not null,
    answer text not null,
    rating integer not null check (rating in (-1, 1)),
    comment text not null default '',
    conversation_id text,
    user text
)
"""


class FeedbackStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10)
        db.execute("pragma journal_mode=wal")
        return db

    def add(self, *, question: str, answer: str = "", rating: int, comment: str = "", source: str = "api",
            conversation_id: str | None = None, user: str | None = None) -> int:
        if rating not in (-1, 1):
            raise InputError("rating must be 1 (👍) or -1 (👎)", field="rating")
        if not question or not question.strip():
            raise InputError("feedback needs the question it is about", field="question")
        if len(comment) > 5000:
            raise InputError("comment is longer than 5,000 characters", field="comment")
        with self._lock, self._connect() as db:
            cur = db.execute(
                "insert into feedback (created, source, question, answer, rating, comment, conversation_id, user)"
                " values (?, ?, ?, ?, ?, ?, ?, ?)",
                (time.time(), source, question[:5000], answer[:20000], rating, comment, conversation_id, user),
            )
            return int(cur.lastrowid or 0)

    def all(self) -> list[dict[str, Any]]:
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute("select * from feedback order by id")]
