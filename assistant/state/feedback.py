"""👍/👎 feedback with an optional comment (shared by the web UI, the API and Slack), kept through the storage
seam: SQLite beside the index by default, PostgreSQL with REE_DATABASE_URL."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from assistant.errors import InputError
from assistant.state.storage import Database

COLUMNS = ("id", "created", "source", "question", "answer", "rating", "comment", "conversation_id", "user")


class FeedbackStore:
    def __init__(self, db: Database | Path) -> None:
        self.db = db if isinstance(db, Database) else Database(None, db)
        self.db.create("feedback", "created double precision not null, source text not null, question text not null, "
                                   "answer text not null, rating integer not null check (rating in (-1, 1)), "
                                   "comment text not null default '', conversation_id text, \"user\" text")

    def add(self, *, question: str, answer: str = "", rating: int, comment: str = "", source: str = "api",
            conversation_id: str | None = None, user: str | None = None) -> int:
        if rating not in (-1, 1):
            raise InputError("rating must be 1 (👍) or -1 (👎)", field="rating")
        if not question or not question.strip():
            raise InputError("feedback needs the question it is about", field="question")
        if len(comment) > 5000:
            raise InputError("comment is longer than 5,000 characters", field="comment")
        return self.db.insert(
            'insert into feedback (created, source, question, answer, rating, comment, conversation_id, "user")'
            " values (?, ?, ?, ?, ?, ?, ?, ?)",
            (time.time(), source, question[:5000], answer[:20000], rating, comment, conversation_id, user),
        )

    def all(self) -> list[dict[str, Any]]:
        """Every record, for the operator (no endpoint serves this)."""
        rows = self.db.execute(f"select {', '.join(c if c != 'user' else chr(34) + c + chr(34) for c in COLUMNS)} "
                               "from feedback order by id")
        return [dict(zip(COLUMNS, r, strict=True)) for r in rows]
