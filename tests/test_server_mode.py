"""Server mode: REE_CHROMA_URL points the store at a real `chroma run` on loopback (started here, once per
session). Chroma is the source of truth; each Assistant keeps its own BM25 cache keyed by the collection revision,
so several processes can share one server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import FIXTURES, _share_models, free_port, make_settings

CHROMA = Path(sys.executable).parent / "chroma"


def _start_chroma(folder: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = open(folder / "chroma.log", "wb")  # noqa: SIM115 - closed by the caller via the process
    proc = subprocess.Popen([str(CHROMA), "run", "--path", str(folder / "data"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chroma run exited with {proc.returncode}: {(folder / 'chroma.log').read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1) as resp:
                if resp.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"chroma run did not answer its heartbeat at {url} within 60 s")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Chroma server on a free loopback port, for the whole session."""
    proc, url = _start_chroma(tmp_path_factory.mktemp("chroma-server"))
    yield url
    _stop(proc)


@pytest.fixture
def server_settings(chroma_server: str, tmp_path: Path, model_cache: Path):  # type: ignore[no-untyped-def]
    """Settings for one test: its own collection on the shared server, its own copy of the mini corpus."""
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURES / "mini", corpus)
    indexes = tmp_path / "indexes"
    _share_models(indexes, model_cache)
    return make_settings(corpus, indexes, chroma_url=chroma_server,
                         store={"collection": f"t{uuid.uuid4().hex[:8]}"})


def _second_process_settings(settings, tmp_path: Path, model_cache: Path):  # type: ignore[no-untyped-def]
    """The same server and collection, but a separate local folder: what another app process would have."""
    indexes = tmp_path / "indexes-b"
    _share_models(indexes, model_cache)
    return settings.model_copy(update={"paths": settings.paths.model_copy(update={"indexes": indexes})})


def _doc_ids(passages) -> set[str]:  # type: ignore[no-untyped-def]
    return {p.chunk.doc_id for p in passages}


def test_index_ask_and_search_through_the_server(server_settings) -> None:  # type: ignore[no-untyped-def]
    from assistant.core import Assistant

    assistant = Assistant(server_settings)
    report = assistant.index()
    assert sorted(report.added) == ["guide.md", "notes.txt", "page.html", "report.pdf"]
    assert not report.errors
    # Chroma holds the chunks; nothing was written to an embedded store on local disk.
    assert not (server_settings.index_dir() / "chroma").exists()
    assert assistant.health()["store"] == "server"
    assert assistant.health()["chunks"] >= 4

    answer = assistant.ask("How many mixer-settler stages does the Zorblax cascade have?")
    assert answer.answerable
    assert "412" in answer.answer
    assert answer.citations and answer.citations[0].doc_id == "guide.md"

    for mode in ("dense", "bm25", "hybrid"):
        hits = assistant.search("Plimber deposit grade", k=3, mode=mode)
        assert hits and hits[0].chunk.doc_id == "notes.txt", mode


def test_incremental_reindex_on_the_server(server_settings, tmp_path: Path,  # type: ignore[no-untyped-def]
                                           model_cache: Path) -> None:
    from assistant.core import Assistant

    assistant = Assistant(server_settings)
    first = assistant.index()
    assert len(first.added) == 4
    notes_chunks = sum(1 for p in assistant.search("Plimber", k=50, mode="bm25") if p.chunk.doc_id == "notes.txt")
    assert notes_chunks >= 1, (assistant.health(), assistant.search("Plimber", k=50, mode="bm25"))

    corpus = server_settings.paths.corpus
    with open(corpus / "notes.txt", "a") as fh:
        fh.write("\nA later survey found quibbleite crystals in the Plimber core samples.\n")
    second = assistant.index()
    assert second.updated == ["notes.txt"]
    assert second.added == [] and second.removed == []
    assert second.unchanged == 3
    assert second.chunks_embedded == notes_chunks  # only the changed file was embedded again
    assert _doc_ids(assistant.search("quibbleite crystals", k=3, mode="bm25")) == {"notes.txt"}

    (corpus / "guide.md").unlink()
    third = assistant.index()
    assert third.removed == ["guide.md"] and third.chunks_embedded == 0
    for probe in (assistant, Assistant(_second_process_settings(server_settings, tmp_path, model_cache))):
        assert "guide.md" not in _doc_ids(probe.search("Zorblax mixer-settler cascade", k=10, mode="bm25"))
        assert "guide.md" not in _doc_ids(probe.search("Zorblax mixer-settler cascade", k=10, mode="dense"))
        assert "guide.md" not in {s.doc_id for s in probe.sources()}


def test_two_assistants_share_one_server(server_settings, tmp_path: Path,  # type: ignore[no-untyped-def]
                                         model_cache: Path) -> None:
    from assistant.core import Assistant

    writer = Assistant(server_settings)
    writer.index()
    reader = Assistant(_second_process_settings(server_settings, tmp_path, model_cache))
    assert _doc_ids(reader.search("Plimber deposit", k=3, mode="bm25")) >= {"notes.txt"}
    assert reader.search("snorkelwort", k=3, mode="bm25") == []

    upload = tmp_path / "upload" / "snorkel.md"
    upload.parent.mkdir()
    upload.write_text("# Snorkelwort\n\nSnorkelwort is an invented plant that accumulates dysprosium in its "
                      "leaves; the fictional Snorkel Valley farm harvests it twice a year.\n")
    report = writer.ingest([upload])
    assert report.added and not report.errors

    # The reader's BM25 side is rebuilt when it sees the new collection revision (checked every 2 s).
    deadline = time.monotonic() + 15
    hits: list = []
    while time.monotonic() < deadline and not hits:
        hits = reader.search("snorkelwort dysprosium", k=3, mode="bm25")
        if not hits:
            time.sleep(0.5)
    assert hits and hits[0].chunk.doc_id.endswith("snorkel.md")
    dense = reader.search("plant that accumulates dysprosium in its leaves", k=3, mode="dense")
    assert dense[0].chunk.doc_id.endswith("snorkel.md")

    # An edit in place on the writer's host keeps the chunk count; the reader sees it by the revision mark alone.
    notes = server_settings.paths.corpus / "notes.txt"
    notes.write_text(notes.read_text().replace("Grommet Mining Company", "Quibbleton Mining Company"))
    before = reader.search("Plimber", k=1, mode="bm25")  # the reader holds its current snapshot
    count = writer._snapshot().store.count()
    writer.index()
    assert writer._snapshot().store.count() == count and before
    deadline = time.monotonic() + 15
    hits = []
    while time.monotonic() < deadline and not hits:
        hits = reader.search("Quibbleton", k=3, mode="bm25")
        if not hits:
            time.sleep(0.5)
    assert hits and hits[0].chunk.doc_id == "notes.txt"


def test_nothing_listening_is_a_clear_error_naming_the_url(tmp_path: Path) -> None:
    from assistant.core import Assistant
    from assistant.errors import StoreUnavailableError

    url = f"http://127.0.0.1:{free_port()}"
    settings = make_settings(FIXTURES / "mini", tmp_path / "indexes", chroma_url=url)
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError) as err:
        Assistant(settings).search("Plimber")
    assert url in str(err.value)
    assert time.monotonic() - started < 5


def test_a_silent_server_is_an_error_not_a_hang(tmp_path: Path) -> None:
    """Something accepts connections on the port but never answers (a hung server): chromadb's own client
    would wait forever."""
    from assistant.core import Assistant
    from assistant.errors import StoreUnavailableError

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    settings = make_settings(FIXTURES / "mini", tmp_path / "indexes", chroma_url=url, store={"timeout_s": 1.0})
    started = time.monotonic()
    try:
        with pytest.raises(StoreUnavailableError) as err:
            Assistant(settings).search("Plimber")
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()
    assert url in str(err.value)
    assert time.monotonic() - started < 5


def test_a_server_that_dies_mid_session_is_a_clear_error(tmp_path: Path, model_cache: Path) -> None:
    from assistant.core import Assistant
    from assistant.errors import StoreUnavailableError
    from assistant.index.store import VectorStore

    folder = tmp_path / "dying"
    folder.mkdir()
    proc, url = _start_chroma(folder)
    try:
        indexes = tmp_path / "indexes"
        _share_models(indexes, model_cache)
        settings = make_settings(FIXTURES / "mini", indexes, chroma_url=url)
        store = VectorStore(settings, create=True)
        rng = np.random.default_rng(0)
        vecs = rng.normal(size=(3, 384)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        texts = ["Plimber clay holds yttrium.", "Zorblax cascades separate neodymium.", "Grommet owns Plimber."]
        store.upsert(["a", "b", "c"], vecs, texts,
                     [{"doc_id": f"d{i}.md", "start": 0, "end": len(t)} for i, t in enumerate(texts)])
        store.bump_revision()
        assistant = Assistant(settings)
        assert _doc_ids(assistant.search("Plimber yttrium", k=2, mode="bm25")) >= {"d0.md"}
    finally:
        _stop(proc)
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError) as err:
        assistant.search("Plimber yttrium", k=2, mode="hybrid")
    assert url in str(err.value)
    with pytest.raises(StoreUnavailableError):
        store.count()
    assert time.monotonic() - started < 5


def test_rebuild_on_the_server_switches_the_alias(server_settings, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                   model_cache: Path) -> None:
    """A rebuild goes into a new collection; the alias record makes it live; the old collection is dropped;
    another process follows the alias."""
    import chromadb

    from assistant.core import Assistant
    from assistant.index.store import base_collection, live_location

    writer = Assistant(server_settings)
    writer.index()
    reader = Assistant(_second_process_settings(server_settings, tmp_path, model_cache))
    question = "How many mixer-settler stages does the Zorblax cascade have?"
    assert "412" in reader.ask(question).answer
    report = writer.index(rebuild=True)
    assert len(report.added) == 4
    live = live_location(server_settings)
    assert live != base_collection(server_settings) and live.startswith(base_collection(server_settings))
    assert "412" in writer.ask(question).answer
    time.sleep(2.1)  # the reader checks the alias every 2 s
    assert "412" in reader.ask(question).answer
    assert reader._snapshot().location == live
    url = server_settings.chroma_url.rsplit(":", 1)
    client = chromadb.HttpClient(host="127.0.0.1", port=int(url[1]))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        names = {c.name for c in client.list_collections() if c.name.startswith(base_collection(server_settings))}
        if base_collection(server_settings) not in names:
            break
        time.sleep(0.2)
    assert names == {live, f"{base_collection(server_settings)}-alias"}, names
