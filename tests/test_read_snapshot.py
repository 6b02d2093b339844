"""The read snapshot (assistant/index/readview.py): written beside the index whenever it is built or changed, it
answers what Chroma answers, follows every ingest and removal, is ignored (with a log line) when it is stale or
broken, and lets `ree ask` answer without importing chromadb."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.types import Filters

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ["Zorblax mixer-settler stages", "Plimber deposit", "solvent extraction", "rare earth magnets",
           "what does the report say about tonnes", "fictional separation plant"]


def _fresh_store(assistant: Any) -> Any:
    from assistant.index.store import VectorStore

    return VectorStore(assistant.settings)


def _dense(store: Any, assistant: Any, query: str, k: int, filters: Filters | None = None) -> list[str]:
    vec = assistant._query_embedder().embed([query])[0]
    return [c.id for c, _ in store.query(vec, k, filters)]


def _manifest(assistant: Any) -> dict[str, Any]:
    from assistant.index.readview import MANIFEST, view_dir

    location = assistant._snapshot().location
    return json.loads((view_dir(assistant.settings, location) / MANIFEST).read_text())


def test_built_index_has_a_snapshot_that_answers_like_chroma(mini_assistant: Any) -> None:
    manifest = _manifest(mini_assistant)
    store = _fresh_store(mini_assistant)
    assert store.view is not None and store.client is None  # read from the snapshot, Chroma not opened
    assert manifest["rows"] == store.count() == len(store.view.keywords.ids) > 0
    chroma = _fresh_store(mini_assistant)
    chroma.view = None
    chroma.chroma()
    assert chroma.count() == store.count()
    for query in QUERIES:
        for filters in (None, Filters(kind="upload"), Filters(date_from="2020")):
            k = min(5, store.count())
            assert _dense(store, mini_assistant, query, k, filters) == _dense(chroma, mini_assistant, query, k,
                                                                               filters), (query, filters)
    vec = mini_assistant._query_embedder().embed([QUERIES[0]])[0]
    sims = [s for _, s in store.query(vec, 3, None)]
    assert np.allclose(sims, [s for _, s in chroma.query(vec, 3, None)], atol=1e-4)


def test_ingest_and_remove_rewrite_the_snapshot(mini_assistant: Any, tmp_path: Path) -> None:
    from assistant.core import Assistant

    upload = tmp_path / "quibbleite.md"
    upload.write_text("# Quibbleite notes\n\nThe Quibbleite refinery separates 77 t of fictional NdPr oxide.\n")
    report = mini_assistant.ingest([upload])
    assert report.added and not report.errors
    doc_id = report.added[0]
    store = _fresh_store(mini_assistant)
    assert store.view is not None and store.client is None
    assert doc_id in {m["doc_id"] for m in store.view.keywords.metas}
    reader = Assistant(mini_assistant.settings)  # a new process's view of the index
    assert reader.search("Quibbleite refinery", k=1)[0].chunk.doc_id == doc_id
    assert reader._snapshot().store.client is None

    mini_assistant.remove(doc_id)
    store = _fresh_store(mini_assistant)
    assert store.view is not None and store.client is None
    assert doc_id not in {m["doc_id"] for m in store.view.keywords.metas}
    vec = mini_assistant._query_embedder().embed(["Quibbleite refinery"])[0]
    assert all(c.doc_id != doc_id for c, _ in store.query(vec, 50, None))
    fresh = Assistant(mini_assistant.settings)
    assert all(p.chunk.doc_id != doc_id for p in fresh.search("Quibbleite refinery", k=10))
    assert all(p.chunk.doc_id != doc_id for p in fresh.search("Quibbleite", k=10, mode="bm25"))


def test_a_stale_snapshot_is_ignored_and_rewritten(mini_assistant: Any, caplog: pytest.LogCaptureFixture) -> None:
    from assistant.core import Assistant

    writer = _fresh_store(mini_assistant)
    writer.chroma()  # another process writing to Chroma directly, behind the snapshot's back
    vec = np.full(384, 1 / np.sqrt(384), dtype=np.float32)
    meta = {"doc_id": "behind.md", "start": 0, "end": 40, "title": "Behind", "section": "", "kind": "upload",
            "as_of": 0, "page": -1, "doc_meta": "{}", "origin": "ingest", "doc_hash": "x"}
    writer.upsert(["behind-1"], vec[None, :], ["Snorkelquartz is a fictional ore of cerium."], [meta])
    with caplog.at_level(logging.INFO, logger="ree.index"):
        store = _fresh_store(mini_assistant)
    assert store.view is None and store.client is not None  # Chroma answers
    assert any("stale" in r.getMessage() for r in caplog.records)
    reader = Assistant(mini_assistant.settings)
    assert reader.search("Snorkelquartz cerium", k=1)[0].chunk.doc_id == "behind.md"
    rewritten = _fresh_store(mini_assistant)  # the reader wrote a new snapshot from Chroma
    assert rewritten.view is not None and "behind-1" in rewritten.view.keywords.ids


@pytest.mark.parametrize("damage", ["chunks", "vectors", "manifest"])
def test_a_broken_snapshot_is_ignored(mini_assistant: Any, caplog: pytest.LogCaptureFixture, damage: str) -> None:
    from assistant.core import Assistant
    from assistant.index.readview import MANIFEST, view_dir

    root = view_dir(mini_assistant.settings, mini_assistant._snapshot().location)
    folder = root / _manifest(mini_assistant)["folder"]
    if damage == "chunks":
        (folder / "chunks.json").write_text('{"ids": [')
    elif damage == "vectors":
        data = (folder / "vectors.npy").read_bytes()
        (folder / "vectors.npy").write_bytes(data[: len(data) // 2])
    else:
        (root / MANIFEST).write_text("{not json")
    with caplog.at_level(logging.INFO, logger="ree.index"):
        store = _fresh_store(mini_assistant)
    assert store.view is None and store.client is not None
    assert any(r.levelno == logging.WARNING and "unreadable" in r.getMessage() for r in caplog.records)
    assert Assistant(mini_assistant.settings).search("Zorblax mixer-settler stages", k=1)[0].chunk.doc_id == "guide.md"
    assert _fresh_store(mini_assistant).view is not None  # written again from Chroma


ASK = r"""
import sys
sys.argv = ["ree", "ask", "--json", "How many mixer-settler stages does the Zorblax cascade use?"]
from assistant.frontends.cli import main
try:
    main()
except SystemExit as exc:
    if exc.code:
        raise
heavy = sorted(m for m in ("chromadb", "bm25s", "scipy", "torch", "sentence_transformers", "gradio")
               if m in sys.modules)
print("HEAVY=" + ",".join(heavy))
"""


def test_ree_ask_on_a_built_index_does_not_import_chromadb(mini_assistant: Any) -> None:
    settings = mini_assistant.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("REE_")}
    env.update(REE_PATHS__CORPUS=str(settings.paths.corpus), REE_PATHS__INDEXES=str(settings.paths.indexes),
               PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", ASK], capture_output=True, text=True, env=env, timeout=300,
                          cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    answer = json.loads(proc.stdout[: proc.stdout.rindex("HEAVY")])
    assert answer["citations"], answer
    assert proc.stdout.strip().splitlines()[-1] == "HEAVY=", proc.stdout[-300:]
