"""Concurrent use of one Assistant: readers ask while a writer ingests and rebuilds in a loop. Every request
works on one snapshot, so no ask fails and every answer is whole; a rebuild is made live in one step."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

from conftest import make_settings

QUESTION = "How many mixer-settler stages does the Zorblax process use?"


def _valid(answer) -> None:  # type: ignore[no-untyped-def]
    assert answer.answerable, answer.answer
    assert "412" in answer.answer
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    assert cited and cited <= {c.n for c in answer.citations}


def _upload(folder: Path, i: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"upload_{i}.md"
    path.write_text(f"# Upload {i}\n\nThe Quillmoor{i} refinery separates {100 + i} tonnes of didymium oxide a year "
                    "in a solvent-extraction cascade.\n")
    return path


def _chroma_folders(assistant) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(p.name for p in assistant.settings.index_dir().iterdir() if p.name.startswith("chroma"))



def _race(reader: Callable[[int], None], readers: int, writer: Callable[[], None], done: threading.Event,
          reader_timeout: float) -> None:
    """Run `readers` reader threads while the writer runs (bounded in time), then stop them."""
    threads = [threading.Thread(target=reader, args=(n,)) for n in range(readers)]
    for t in threads:
        t.start()
    w = threading.Thread(target=writer)
    w.start()
    w.join(300)
    done.set()
    for t in threads:
        t.join(reader_timeout)
    assert not w.is_alive(), "the writer hung"
    assert not any(t.is_alive() for t in threads), "a reader hung"

def test_eight_readers_while_a_writer_ingests_and_rebuilds(mini_assistant, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assistant = mini_assistant
    _valid(assistant.ask(QUESTION))
    done = threading.Event()
    errors: list[str] = []
    answers = [0]
    count_lock = threading.Lock()

    def reader(n: int) -> None:
        while not done.is_set():
            try:
                _valid(assistant.ask(QUESTION, conversation_id=f"reader-{n}"))
                with count_lock:
                    answers[0] += 1
            except Exception as exc:  # noqa: BLE001 - collected and reported below
                errors.append(f"{type(exc).__name__}: {exc}")

    rebuilds: list[float] = []

    def writer() -> None:
        try:
            for i in range(3):
                assistant.ingest([_upload(tmp_path / "uploads", i)])
                started = time.monotonic()
                assistant.index(rebuild=True)
                rebuilds.append(time.monotonic() - started)
        except Exception as exc:  # noqa: BLE001
            errors.append(f"writer {type(exc).__name__}: {exc}")
        finally:
            done.set()

    _race(reader, 8, writer, done, reader_timeout=60)
    assert not errors, errors[:5]
    print(f"{answers[0]} answers during 3 ingests + 3 rebuilds; rebuilds took {rebuilds}")
    assert len(rebuilds) == 3 and answers[0] >= 8
    # The rebuilt index is live here and in a new process's view; the replaced folders are removed.
    _valid(assistant.ask(QUESTION))
    from assistant.core import Assistant

    _valid(Assistant(assistant.settings).ask(QUESTION))
    deadline = time.monotonic() + 30
    while len(_chroma_folders(assistant)) > 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(_chroma_folders(assistant)) == 1, _chroma_folders(assistant)


def test_ingested_document_is_searchable_and_snapshot_stays_whole(mini_assistant, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = mini_assistant._snapshot()
    report = mini_assistant.ingest([_upload(tmp_path / "up", 7)])
    assert len(report.added) == 1 and report.added[0].endswith("upload_7.md")
    after = mini_assistant._snapshot()
    assert after is not before and after.revision != before.revision
    # The old snapshot still answers from its own keyword table: whoever held it is not disturbed.
    assert all(m["doc_id"] != report.added[0] for m in before.keywords.metas)
    hits = mini_assistant.search("Quillmoor7 didymium", k=3)
    assert hits and hits[0].chunk.doc_id == report.added[0]


def test_rebuild_in_process_leaves_an_index_the_next_process_opens(mini_corpus: Path, tmp_path: Path,
                                                                  model_cache: Path) -> None:
    from conftest import _share_models

    from assistant.core import Assistant

    indexes = tmp_path / "idx"
    _share_models(indexes, model_cache)
    settings = make_settings(mini_corpus, indexes)
    first = Assistant(settings)
    first.index()
    _valid(first.ask(QUESTION))
    report = first.index(rebuild=True)
    assert report.chunks_embedded > 0 and len(report.added) == 4
    _valid(first.ask(QUESTION))
    _valid(Assistant(settings).ask(QUESTION))


def test_twenty_http_clients_while_uploads_and_rebuilds_run(mini_assistant, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import httpx
    from conftest import serving

    from assistant.core import Assistant
    from assistant.frontends.api import create_app
    from assistant.settings import ApiSettings

    settings = mini_assistant.settings.model_copy(
        update={"api": ApiSettings(workers=8, queue=32, rate_ask="", rate_ingest="")})
    assistant = Assistant(settings)
    done = threading.Event()
    errors: list[str] = []
    codes: dict[int, int] = {}
    writes: list[int] = []
    lock = threading.Lock()
    with serving(create_app(assistant, ui=False)) as url:

        def client(n: int) -> None:
            with httpx.Client(base_url=url, timeout=120) as http:
                while not done.is_set():
                    try:
                        r = http.post("/api/ask", json={"question": QUESTION, "conversation_id": f"c{n}"})
                        with lock:
                            codes[r.status_code] = codes.get(r.status_code, 0) + 1
                        assert r.status_code == 200, r.text
                        body = r.json()
                        assert body["answerable"] and "412" in body["answer"], body
                    except Exception as exc:  # noqa: BLE001 - collected and reported below
                        errors.append(f"{type(exc).__name__}: {exc}")

        def writer() -> None:
            try:
                with httpx.Client(base_url=url, timeout=300) as http:
                    for i in range(2):
                        path = _upload(tmp_path / "http", 20 + i)
                        r = http.post("/api/ingest", files={"files": (path.name, path.read_bytes())})
                        assert r.status_code == 200 and r.json()["added"], r.text
                        assistant.index(rebuild=True)
                        writes.append(i)
            except Exception as exc:  # noqa: BLE001
                errors.append(f"writer {type(exc).__name__}: {exc}")
            finally:
                done.set()

        _race(client, 20, writer, done, reader_timeout=120)
    print(f"HTTP status counts with 20 clients: {codes}")
    assert not errors, errors[:5]
    assert codes.get(200, 0) >= 20 and writes == [0, 1]


def test_a_snapshot_still_held_survives_the_next_writes_sweep(mini_assistant, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A request that still reads a replaced index keeps it: the next write's sweep of old folders passes it
    by, and it is removed once the request lets go."""
    assistant = mini_assistant
    held = assistant._snapshot()  # a request still running on the index that is live now
    for i in range(2):  # the first write replaces it; the second sweeps folders nothing should use
        assistant.ingest([_upload(tmp_path / "held", 40 + i)])
    assert held.location in _chroma_folders(assistant)
    hits = held.retriever.search("mixer-settler stages Zorblax", k=3)
    assert hits and "412" in " ".join(h.chunk.text for h in hits)
    location = held.location
    del held, hits
    deadline = time.monotonic() + 30
    while location in _chroma_folders(assistant) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert location not in _chroma_folders(assistant)


def test_a_request_holding_only_the_retriever_keeps_its_index(mini_assistant, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`assistant._snapshot().retriever.search(...)` holds the retriever, not the snapshot: the replaced index
    it reads must stay open until the retriever is let go."""
    assistant = mini_assistant
    retriever = assistant._snapshot().retriever
    location = assistant._snapshot().location
    assistant.ingest([_upload(tmp_path / "part", 50)])
    assert assistant._snapshot().location != location
    hits = retriever.search("mixer-settler stages Zorblax", k=3)
    assert hits and "412" in " ".join(h.chunk.text for h in hits)
    assert location in _chroma_folders(assistant)
    del retriever, hits
    deadline = time.monotonic() + 30
    while location in _chroma_folders(assistant) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert location not in _chroma_folders(assistant)

