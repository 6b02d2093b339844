"""Warm `ask`/`search` latency (shipped corpus; synthetic 10k/100k-chunk corpora) and cold `ree ask` wall time.

Synthetic corpora: chunks of ~120 words drawn from the shipped corpus vocabulary, with random unit vectors
inserted straight into a Chroma collection (no model embedding), then the read snapshot (chunks, BM25, vectors)
written by the real `keyword_index`, which the warm runs read as `ree ask` does. Questions are embedded by the
real query embedder, so warm figures include it (no LLM).
Built corpora are kept in indexes/bench/synth-N/ and reused. Warm figures leave out the first search and the first
ask (start-up: opening the index, reading the records); cold figures are whole `ree ask` processes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant.bench.common import bench_dir, emit, percentiles, timed
from assistant.bench.questions import gold_questions
from assistant.settings import PathSettings, Settings

DIM = 384


def synthetic_settings(n: int, base: Settings) -> Settings:
    folder = bench_dir(base) / f"synth-{n}"
    folder.mkdir(parents=True, exist_ok=True)
    models = folder / "models"
    if not models.exists():
        models.symlink_to((base.paths.indexes / "models").resolve(), target_is_directory=True)
    return Settings(paths=PathSettings(corpus=base.paths.corpus, indexes=folder), store={"collection": "synth"})


def build_synthetic(n: int, base: Settings, vocab: list[str], log: Any = print) -> tuple[Settings, float]:
    """(settings, seconds spent building now; 0 when reused)."""
    from assistant.index.readview import keyword_index
    from assistant.index.store import VectorStore

    settings = synthetic_settings(n, base)
    try:
        if VectorStore(settings).count() == n:
            return settings, 0.0
    except Exception:  # noqa: BLE001 - missing or broken: build it
        pass
    shutil.rmtree(settings.index_dir(), ignore_errors=True)
    started = time.perf_counter()
    store = VectorStore(settings, create=True)
    rng = np.random.default_rng(n)
    words = np.array(vocab)
    countries = ["kazakhstan", "japan", "china", "usa", "estonia", "vietnam", "brazil", "australia"]
    step = 5000
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        vecs = rng.normal(size=(hi - lo, DIM)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        texts = [" ".join(words[rng.integers(0, len(words), 120)]) for _ in range(hi - lo)]
        ids = [f"s{i:07d}" for i in range(lo, hi)]
        metas = [{"doc_id": f"synthetic/doc{i // 8:06d}.md", "start": 0, "end": len(t), "title": f"Doc {i // 8}",
                  "section": "", "kind": "analysis", "as_of": 20250101, "page": -1,
                  "doc_meta": "{}", f"c_{countries[i % len(countries)]}": True}
                 for i, t in zip(range(lo, hi), texts, strict=True)]
        store.upsert(ids, vecs, texts, metas)
        log(f"  synth-{n}: {hi} chunks")
    store.bump_revision()
    keyword_index(settings, store)
    return settings, time.perf_counter() - started


def corpus_vocab(settings: Settings) -> list[str]:
    from assistant.knowledge.loading import iter_files, load_file

    words: set[str] = set()
    for path in iter_files([settings.paths.corpus]):
        try:
            text = load_file(path, settings.paths.corpus).text
            words.update(w.lower() for w in re.findall(r"[A-Za-z][A-Za-z-]{2,}", text))
        except Exception:  # noqa: BLE001 - a file our loader refuses is simply not in the vocabulary
            continue
    return sorted(words)


def warm(settings: Settings, questions: list[str], repeat: int) -> dict[str, Any]:
    from assistant.core import Assistant

    assistant = Assistant(settings)
    t = time.perf_counter()
    assistant.search(questions[0])
    first = time.perf_counter() - t
    assistant.ask(questions[0])  # the first ask reads the records (supply links, registry): a start-up cost
    qs = (questions * (repeat // max(len(questions), 1) + 1))[:repeat]
    it = iter(qs)
    search = timed(lambda: assistant.search(next(it)), len(qs))
    it = iter(qs)
    ask = timed(lambda: assistant.ask(next(it)), len(qs))
    return {"chunks": assistant.health()["chunks"], "open_s": round(first, 2),
            **{f"search_{k}": v for k, v in percentiles(search).items() if k != "n"},
            **{f"ask_{k}": v for k, v in percentiles(ask).items()}}


def cold(runs: int, question: str) -> dict[str, Any]:
    ree = Path(sys.executable).parent / "ree"
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        proc = subprocess.run([str(ree), "ask", "--json", question], capture_output=True, text=True, timeout=120)
        times.append(time.perf_counter() - t)
        if proc.returncode != 0:
            raise RuntimeError(f"ree ask failed: {proc.stderr[-500:]}")
    ms = percentiles(times)
    return {"command": f'ree ask --json "{question}"', "runs": runs, "median_s": round(ms["p50_ms"] / 1000, 2),
            "max_s": round(max(times), 2), "min_s": round(min(times), 2)}


def main(args: Any) -> None:
    from assistant.core import Assistant
    from assistant.index.embedding import quiet_environment

    quiet_environment()
    base = Settings()
    Assistant(base).ensure_index()
    questions = [q["question"] for q in gold_questions(base.paths.corpus, with_docs=False)]
    rows = [{"corpus": "shipped", **warm(base, questions, args.queries)}]
    vocab = corpus_vocab(base)
    log = (lambda m: None) if args.json else (lambda m: print(m, file=sys.stderr))
    for n in [int(x) for x in args.sizes.split(",") if x.strip()]:
        settings, built = build_synthetic(n, base, vocab, log)
        rows.append({"corpus": f"synthetic {n}", "build_s": round(built, 1), **warm(settings, questions, args.queries)})
    cold_row = cold(args.cold_runs, "Can Kazakhstan make magnets?")
    emit({"warm": rows, "cold": cold_row}, [("Warm latency (no LLM)", rows), ("Cold `ree ask`", [cold_row])],
         args.json)
