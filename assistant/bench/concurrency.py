"""Ask latency while the index is being written: p50/p95 idle, during a ~1 MB upload, and during a rebuild.

Readers ask the gold questions in a loop through one Assistant (the same object a server shares between
requests) while a writer thread ingests a generated ~1 MB markdown file, then rebuilds the whole index. The
index is a private copy under indexes/bench/concurrency/, so uploads never reach the real one. Goal: p95
during an upload at most 2x the idle p95 (readers never wait for embedding).
"""

from __future__ import annotations

import random
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from assistant.bench.common import bench_dir, emit, percentiles
from assistant.bench.questions import gold_questions
from assistant.settings import PathSettings, Settings


def _private_copy(base: Settings) -> Settings:
    """A copy of the built index (built first if missing) that the benchmark may write to."""
    from assistant.core import Assistant

    Assistant(base).ensure_index()
    folder = bench_dir(base) / "concurrency"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copytree(base.index_dir(), folder / base.index_name(), ignore=shutil.ignore_patterns("bm25", "read"))
    (folder / "models").symlink_to((base.paths.indexes / "models").resolve(), target_is_directory=True)
    return base.model_copy(update={"paths": PathSettings(corpus=base.paths.corpus, indexes=folder)})


def _upload_file(folder: Path, corpus: Path, size: int = 1_000_000) -> Path:
    """~`size` bytes of markdown in the corpus's own words (so it chunks and embeds like real text)."""
    words = [w for p in sorted(corpus.glob("**/*.md"))[:40] for w in p.read_text(encoding="utf-8").split()
             if w.isalpha()] or ["rare", "earth", "magnet"]
    rng = random.Random(1)
    parts, total, n = ["# Bench upload\n"], 0, 0
    while total < size:
        n += 1
        para = f"\n## Part {n}\n\n" + " ".join(rng.choices(words, k=150)) + ".\n"
        parts.append(para)
        total += len(para)
    path = folder / "bench-upload.md"
    path.write_text("".join(parts), encoding="utf-8")
    return path


def _ask_while(assistant: Any, questions: list[str], busy: threading.Event | None, min_n: int,
               readers: int) -> tuple[list[float], int]:
    """Ask from `readers` threads until `busy` clears (or `min_n` asks when idle); (seconds per ask, errors)."""
    samples: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = threading.Event()

    def run(offset: int) -> None:
        i = offset
        while not stop.is_set():
            q = questions[i % len(questions)]
            i += readers
            t = time.perf_counter()
            try:
                assistant.ask(q)
            except Exception:  # noqa: BLE001 - counted; a benchmark reports, it does not stop
                with lock:
                    errors[0] += 1
                continue
            with lock:
                samples.append(time.perf_counter() - t)
                if busy is None and len(samples) >= min_n:
                    stop.set()

    threads = [threading.Thread(target=run, args=(k,), daemon=True) for k in range(readers)]
    for t in threads:
        t.start()
    if busy is not None:
        while busy.is_set():
            time.sleep(0.05)
        stop.set()
    for t in threads:
        t.join()
    return samples, errors[0]


def main(args: Any) -> None:
    from assistant.core import Assistant

    base = Settings()
    settings = _private_copy(base)
    assistant = Assistant(settings)
    questions = [q["question"] for q in gold_questions(settings.paths.corpus, with_docs=False)][:60]
    if not questions:
        questions = ["Can Kazakhstan make magnets?", "What was world rare-earth mine production in 2024?"]
    for q in questions[:5]:
        assistant.ask(q)  # warm: query embedder, keyword side, value-chain files
    assistant._bulk_embedder(args.device)  # the torch model is loaded before timing, as in a running server
    rows: list[dict[str, Any]] = []
    result: dict[str, Any] = {"readers": args.readers, "upload_kb": args.upload_kb,
                              "chunks": len(assistant._snapshot().keywords.ids)}

    samples, errors = _ask_while(assistant, questions, None, args.queries, args.readers)
    rows.append({"phase": "idle", **percentiles(samples), "errors": errors})

    upload = _upload_file(bench_dir(base), settings.paths.corpus, args.upload_kb * 1000)
    for phase, work in ((f"during {args.upload_kb} KB upload", lambda: assistant.ingest([upload])),
                        ("during rebuild", lambda: assistant.index(rebuild=True, device=args.device))):
        if phase == "during rebuild" and args.no_rebuild:
            continue
        busy = threading.Event()
        busy.set()
        took: dict[str, float] = {}

        def write(work: Any = work, busy: threading.Event = busy, took: dict[str, float] = took) -> None:
            t = time.perf_counter()
            try:
                work()
            finally:
                took["s"] = time.perf_counter() - t
                busy.clear()

        threading.Thread(target=write, daemon=True).start()
        samples, errors = _ask_while(assistant, questions, busy, 0, args.readers)
        rows.append({"phase": phase, **percentiles(samples or [float("nan")]), "errors": errors,
                     "writer_s": round(took.get("s", float("nan")), 1)})
    idle_p95 = rows[0]["p95_ms"]
    for r in rows:
        r["p95_vs_idle"] = round(r["p95_ms"] / idle_p95, 2) if idle_p95 else None
    result["rows"] = rows
    shutil.rmtree(settings.paths.indexes, ignore_errors=True)
    emit(result, [(f"Ask latency with {args.readers} reader thread(s) while the index is written", rows)],
         args.json)
