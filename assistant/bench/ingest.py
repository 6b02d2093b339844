"""Ingestion throughput end to end (load → chunk → embed → Chroma upsert → revision) against bare
`SentenceTransformer.encode` on the same texts with the same model instance, in the same run; and the peak RSS
of a `chroma run` server holding the synthetic N-chunk corpus built by the latency benchmark."""

from __future__ import annotations

import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from assistant.bench.common import emit, rss_peak_mb
from assistant.settings import PathSettings, Settings


def throughput(base: Settings, device: str | None, limit: int) -> dict[str, Any]:
    import shutil

    from assistant.index.embedding import TorchEmbedder
    from assistant.index.indexing import Indexer
    from assistant.index.store import VectorStore
    from assistant.knowledge.chunking import chunk_document, embedding_text
    from assistant.knowledge.loading import iter_files, load_file

    files = list(iter_files([base.paths.corpus]))
    if limit:
        files = files[:limit]
    embedder = TorchEmbedder(base, device=device)
    embedder.embed(["warm up"])
    with tempfile.TemporaryDirectory(prefix="ree-ingest-") as tmp:
        corpus = Path(tmp) / "corpus"
        for f in files:
            dest = corpus / f.relative_to(base.paths.corpus)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(f, dest)
        settings = Settings(paths=PathSettings(corpus=corpus, indexes=Path(tmp) / "indexes"),
                            embedding={"device": device or base.embedding.device})
        store = VectorStore(settings, create=True)
        t = time.perf_counter()
        report = Indexer(settings, store, lambda: embedder).sync_corpus()
        e2e = time.perf_counter() - t
        texts = []
        for f in iter_files([corpus]):
            try:
                texts += [embedding_text(c) for c in chunk_document(load_file(f, corpus), settings.chunking)]
            except Exception:  # noqa: BLE001 - the same files the indexer skipped
                continue
    t = time.perf_counter()
    embedder.model.encode(texts, batch_size=base.embedding.batch_size, normalize_embeddings=True,
                          convert_to_numpy=True, show_progress_bar=False)
    bare = time.perf_counter() - t
    n = report.chunks_embedded
    return {"device": str(embedder.model.device), "files": len(files), "chunks": n,
            "end_to_end_s": round(e2e, 1), "end_to_end_chunks_s": round(n / e2e, 1),
            "bare_encode_s": round(bare, 1), "bare_chunks_s": round(len(texts) / bare, 1),
            "ratio": round((n / e2e) / (len(texts) / bare), 3)}


def server_rss(base: Settings, n: int) -> dict[str, Any]:
    """Start `chroma run` on the synthetic corpus folder, read it all back and query it, report peak RSS."""
    import socket
    import subprocess

    import numpy as np

    from assistant.bench.latency import synthetic_settings
    from assistant.index.store import VectorStore

    synth = synthetic_settings(n, base)
    folder = synth.index_dir() / "chroma"
    if not folder.exists():
        return {"chunks": n, "error": f"no synthetic corpus at {folder}; run `python -m assistant.bench latency`"}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    chroma = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen([str(chroma), "run", "--path", str(folder), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        idle = rss_peak_mb(proc.pid)
        settings = synth.model_copy(update={"chroma_url": url})
        store = VectorStore(settings)
        count = store.count()
        rng = np.random.default_rng(1)
        t = time.perf_counter()
        for _ in range(50):
            v = rng.normal(size=384).astype(np.float32)
            store.query(v / np.linalg.norm(v), 40, None)
        query_ms = (time.perf_counter() - t) / 50 * 1000
        store.all_chunks()  # what a new app process does to build its BM25 side
        peak = rss_peak_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {"chunks": count, "server_rss_idle_mb": idle, "server_rss_peak_mb": peak,
            "query_ms_over_http": round(query_ms, 2)}


def main(args: Any) -> None:
    from assistant.index.embedding import quiet_environment

    quiet_environment()
    base = Settings()
    row = throughput(base, args.device, args.limit)
    rss = server_rss(base, args.server_chunks)
    emit({"throughput": row, "server": rss}, [("Ingestion throughput", [row]), ("Chroma server memory", [rss])],
         args.json)
