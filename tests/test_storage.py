"""Conversations and feedback through the storage seam, on SQLite (the default) and on a real PostgreSQL server
that this module starts in a temporary folder on loopback. The same tests run on both."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ROOT, free_port, make_settings, serving
from pydantic import SecretStr


def _pg_bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None)
    assert found, f"PostgreSQL's {name} is missing: install the postgresql package (make test does)"
    return found


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server: initdb in a temp folder, listening on 127.0.0.1 only."""
    folder = Path(tempfile.mkdtemp(prefix="ree-pg-"))
    as_pg: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run it as the package's own user
        shutil.chown(folder, "postgres")
        as_pg = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", free_port()
    subprocess.run([*as_pg, _pg_bin("initdb"), "-D", str(data), "-A", "trust", "-U", "ree", "--no-sync"],
                   check=True, capture_output=True, timeout=120)
    subprocess.run([*as_pg, _pg_bin("pg_ctl"), "-D", str(data), "-w", "-t", "60", "-l", str(folder / "log"),
                    "-o", f"-h 127.0.0.1 -p {port} -k {folder} -F", "start"], check=True, capture_output=True,
                   timeout=120)
    try:
        yield f"postgresql://ree@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_pg, _pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, corpus_indexes: Path, tmp_path: Path) -> Any:
    """The shipped corpus's index, storing in a fresh SQLite file or in the PostgreSQL server (fresh tables)."""
    from assistant.settings import PathSettings

    base = make_settings(ROOT / "corpus", corpus_indexes)
    if request.param == "sqlite":
        paths = PathSettings(corpus=ROOT / "corpus", indexes=corpus_indexes, feedback_db=tmp_path / "state.sqlite3")
        return base.model_copy(update={"paths": paths})
    url = request.getfixturevalue("postgres_url")
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("drop table if exists conversations, feedback")
    return base.model_copy(update={"database_url": SecretStr(url)})


def test_a_restarted_server_continues_the_conversation(settings: Any) -> None:
    from assistant.core import Assistant
    from assistant.frontends.api import create_app

    with serving(create_app(Assistant(settings), ui=False)) as url:
        r = httpx.post(f"{url}/api/ask", json={"question": "Can Kazakhstan make magnets?", "conversation_id": "t1"},
                       timeout=60)
        assert r.status_code == 200
    # A new process-worth of state: a new Assistant and a new server, nothing shared in memory.
    with serving(create_app(Assistant(settings), ui=False)) as url:
        r = httpx.post(f"{url}/api/ask", json={"question": "And Japan?", "conversation_id": "t1"}, timeout=60)
        assert r.status_code == 200
        assert "Japan" in (r.json()["resolved_question"] or ""), r.json()
        other = httpx.post(f"{url}/api/ask", json={"question": "And Japan?", "conversation_id": "t2"}, timeout=60)
        assert not other.json()["resolved_question"]  # another conversation has no context


def test_turns_are_bounded_and_expire(settings: Any) -> None:
    from assistant.state.storage import ConversationStore, database
    from assistant.understand.query import Intent

    store = ConversationStore(database(settings), max_turns=3, retention_days=1)
    for country in ("kazakhstan", "japan", "vietnam", "estonia"):
        store.add("bounded", Intent(question=f"Can {country} make magnets?", type="capability", countries=[country]))
    assert store.last("bounded").countries == ["estonia"]
    assert store.db.execute("select count(*) from conversations where conversation = ?", ("bounded",))[0][0] == 3
    store.db.execute("update conversations set created = ? where conversation = ?",
                     (time.time() - 2 * 86400, "bounded"))
    ConversationStore(database(settings), retention_days=1).last("x")  # opening purges expired turns
    assert store.last("bounded") is None
    assert store.last(None) is None and store.last("never-seen") is None


def test_feedback_goes_through_the_same_seam(settings: Any) -> None:
    from assistant.core import Assistant
    from assistant.errors import InputError
    from assistant.state.feedback import FeedbackStore
    from assistant.state.storage import database

    a = Assistant(settings)
    fid = a.feedback(question="Can Japan make magnets?", answer="Yes.", rating=1, comment="good", source="api",
                     conversation_id="f1", user="U9")
    rows = FeedbackStore(database(settings)).all()
    row = next(r for r in rows if r["id"] == fid)
    assert (row["rating"], row["comment"], row["user"], row["conversation_id"]) == (1, "good", "U9", "f1")
    with pytest.raises(InputError, match="rating"):
        a.feedback(question="q", rating=5)


def test_an_unreachable_database_is_one_clear_error(mini_assistant: Any) -> None:
    from assistant.core import Assistant
    from assistant.errors import StoreUnavailableError

    url = f"postgresql://ree@127.0.0.1:{free_port()}/postgres"
    a = Assistant(mini_assistant.settings.model_copy(update={"database_url": SecretStr(url)}))
    with pytest.raises(StoreUnavailableError, match="unreachable"):
        a.ask("Can Japan make magnets?", conversation_id="x")


def test_a_stored_turn_comes_back_whole() -> None:
    """Entities (frozen dataclasses with tuples) and every other field survive the JSON round trip."""
    import dataclasses
    import json

    from assistant.knowledge.entities import Entity, EntitySource
    from assistant.state.storage import _intent, _plain
    from assistant.understand.query import Intent

    lynas = Entity(name="Lynas", kind="company", aliases=("Lynas Rare Earths",), country="australia",
                   docs=("a.md",), summary="A separator.", source=EntitySource(doc="a.md", section="Overview"))
    turn = Intent(question="Can Lynas separate?", type="entity", countries=["australia"], years=[2024],
                  entities=[lynas], corrected={"Lynus": "Lynas"}, scores={"entity": 0.9})
    back = _intent(json.dumps(dataclasses.asdict(turn), default=_plain))
    assert back == turn and back.entities[0].names == ("Lynas", "Lynas Rare Earths")
