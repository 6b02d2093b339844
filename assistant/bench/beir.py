"""Retrieval quality on a BEIR-format folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv).

Every document is one passage, embedded as "title\\ntext" exactly like `chunking.embedding_text`; the dense
side is a real Chroma collection (`VectorStore`), the keyword side our `KeywordIndex` (bm25s, stemming, title
included), and hybrid runs go through `retrieval.fuse`. Rankings are computed once per query (depth 200) and
then every fusion variant is scored on them, so the grid costs seconds. Corpus embeddings are cached in
indexes/bench/ keyed by a hash of corpus.jsonl and the model.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.bench.common import bench_dir, emit, file_hash
from assistant.errors import InputError
from assistant.settings import PathSettings, RetrievalSettings, Settings

DEPTH = 200


@dataclass
class BeirData:
    ids: list[str]
    titles: list[str]
    texts: list[str]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def load_beir(folder: Path, split: str) -> BeirData:
    qrels_file = folder / "qrels" / f"{split}.tsv"
    if not (folder / "corpus.jsonl").exists() or not (folder / "queries.jsonl").exists():
        raise InputError(f"{folder} is not a BEIR folder: it needs corpus.jsonl, queries.jsonl and qrels/<split>.tsv")
    if not qrels_file.exists():
        have = sorted(p.stem for p in (folder / "qrels").glob("*.tsv"))
        raise InputError(f"No qrels for split '{split}' in {folder}/qrels; available: {', '.join(have) or 'none'}")
    ids, titles, texts = [], [], []
    for line in (folder / "corpus.jsonl").read_text().splitlines():
        if line.strip():
            d = json.loads(line)
            ids.append(str(d["_id"]))
            titles.append(d.get("title") or "")
            texts.append(d.get("text") or "")
    qrels: dict[str, dict[str, int]] = {}
    for i, line in enumerate(qrels_file.read_text().splitlines()):
        parts = line.split("\t")
        if i == 0 and not parts[-1].strip().lstrip("-").isdigit():
            continue  # header
        if len(parts) >= 3 and int(parts[2]) > 0:
            qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    queries = {}
    for line in (folder / "queries.jsonl").read_text().splitlines():
        if line.strip():
            q = json.loads(line)
            if str(q["_id"]) in qrels:
                queries[str(q["_id"])] = q["text"]
    return BeirData(ids, titles, texts, queries, qrels)


def ndcg_at(ranked: list[str], rels: dict[str, int], k: int = 10) -> float:
    dcg = sum(rels.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(rels.values(), reverse=True)[:k]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: list[str], rels: dict[str, int], k: int) -> float:
    return len(set(ranked[:k]) & set(rels)) / len(rels) if rels else 0.0


def evaluate(runs: dict[str, list[str]], qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    qids = [q for q in runs if q in qrels]
    return {
        "ndcg@10": round(float(np.mean([ndcg_at(runs[q], qrels[q]) for q in qids])), 4),
        "recall@10": round(float(np.mean([recall_at(runs[q], qrels[q], 10) for q in qids])), 4),
        "recall@100": round(float(np.mean([recall_at(runs[q], qrels[q], 100) for q in qids])), 4),
    }


def embed_cached(settings: Settings, texts: list[str], key: str, device: str | None) -> tuple[np.ndarray, float]:
    """(vectors, seconds spent embedding now; 0.0 when read from the cache)."""
    from assistant.embedding import TorchEmbedder, model_path

    cache = bench_dir(settings) / f"emb-{key}-{model_path(settings).name}.npy"
    if cache.exists():
        vecs = np.load(cache)
        if len(vecs) == len(texts):
            return vecs, 0.0
    emb = TorchEmbedder(settings, device=device)
    t = time.perf_counter()
    vecs = emb.embed(texts)
    spent = time.perf_counter() - t
    np.save(cache, vecs)
    return vecs, spent


Ranking = list[tuple[str, float]]


def fuse_scores(dense: Ranking, sparse: Ranking, method: str, depth: int, rrf_k: int = 60, w_dense: float = 1.0,
                w_bm25: float = 1.0, alpha: float = 0.5) -> list[str]:
    """One fusion variant over (id, score) rankings; `rrf` uses the pipeline's own `fuse`."""
    from assistant.retrieval import fuse

    d, s = dense[:depth], sparse[:depth]
    if method == "rrf":
        scores = fuse([([c for c, _ in d], w_dense), ([c for c, _ in s], w_bm25)], rrf_k)
    else:
        scores = {}
        for ranking, weight in ((d, alpha), (s, 1.0 - alpha)):
            if not ranking:
                continue
            vals = np.array([v for _, v in ranking])
            if method == "minmax":
                lo, hi = float(vals.min()), float(vals.max())
                norm = (vals - lo) / (hi - lo) if hi > lo else np.ones_like(vals)
            else:  # zscore
                sd = float(vals.std()) or 1.0
                norm = (vals - float(vals.mean())) / sd
            floor = float(norm.min())
            for (cid, _), v in zip(ranking, norm, strict=True):
                scores[cid] = scores.get(cid, 0.0) + weight * (float(v) - floor if method == "zscore" else float(v))
    return [c for c, _ in sorted(scores.items(), key=lambda kv: -kv[1])]


def run(data_dir: Path, split: str, device: str | None = None, tune: bool = True) -> dict[str, Any]:
    from assistant.embedding import quiet_environment
    from assistant.store import KeywordIndex, VectorStore

    quiet_environment()
    data = load_beir(data_dir, split)
    base = Settings()
    key = file_hash(data_dir / "corpus.jsonl", extra="title\\ntext")
    doc_texts = [f"{t}\n{x}" if t else x for t, x in zip(data.titles, data.texts, strict=True)]
    vecs, embed_s = embed_cached(base, doc_texts, key, device)
    qids = list(data.queries)
    qvecs, _ = embed_cached(base, [data.queries[q] for q in qids], f"q-{key}-{split}-{len(qids)}", device)

    timings: dict[str, float] = {"embed_s": round(embed_s, 1), "docs": len(data.ids)}
    with tempfile.TemporaryDirectory(prefix="ree-beir-") as tmp:
        settings = Settings(paths=PathSettings(corpus=Path(tmp), indexes=Path(tmp)),
                            store={"collection": "beir"})
        store = VectorStore(settings, create=True)
        metas = [{"doc_id": i, "start": 0, "end": len(x), "title": t, "section": "", "kind": "beir"}
                 for i, t, x in zip(data.ids, data.titles, data.texts, strict=True)]
        t = time.perf_counter()
        store.upsert(data.ids, vecs, data.texts, metas)
        timings["chroma_insert_s"] = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        kw = KeywordIndex.build(data.ids, data.texts, metas)
        timings["bm25_build_s"] = round(time.perf_counter() - t, 1)

        dense_runs: dict[str, Ranking] = {}
        sparse_runs: dict[str, Ranking] = {}
        t = time.perf_counter()
        for qid, qv in zip(qids, qvecs, strict=True):
            dense_runs[qid] = [(c.doc_id, sim) for c, sim in store.query(qv, DEPTH, None)]
        timings["dense_query_ms"] = round((time.perf_counter() - t) / len(qids) * 1000, 2)
        t = time.perf_counter()
        for qid in qids:
            sparse_runs[qid] = [(kw.ids[i], s) for i, s in kw.search(data.queries[qid], DEPTH, None)]
        timings["bm25_query_ms"] = round((time.perf_counter() - t) / len(qids) * 1000, 2)
        del store

    cfg = RetrievalSettings()
    rows: list[dict[str, Any]] = []

    def score(name: str, runs: dict[str, list[str]], **params: Any) -> dict[str, Any]:
        row = {"system": name, **params, **evaluate(runs, data.qrels)}
        return row

    rows.append(score("dense (MiniLM)", {q: [c for c, _ in r] for q, r in dense_runs.items()}))
    rows.append(score("bm25 (bm25s, stem, title)", {q: [c for c, _ in r] for q, r in sparse_runs.items()}))

    def hybrid(method: str, depth: int, **kw_: Any) -> dict[str, list[str]]:
        return {q: fuse_scores(dense_runs[q], sparse_runs[q], method, depth, **kw_) for q in qids}

    rows.append(score("hybrid, current defaults", hybrid(cfg.fusion if hasattr(cfg, "fusion") else "rrf",
                                                           max(cfg.candidates, 100), **_current(cfg)),
                      params=_describe(cfg)))
    plain = dict(rrf_k=60, w_dense=1.0, w_bm25=1.0)
    rows.append(score("hybrid rrf k=60 (plain)", hybrid("rrf", 100, **plain), params="rrf k=60 w=1:1 depth=100"))
    grid: list[dict[str, Any]] = []
    if tune:
        for depth in (40, 100, 200):
            for rrf_k in (5, 10, 20, 40, 60, 100):
                for wd in (0.5, 0.75, 1.0, 1.25, 1.5, 2.0):
                    res = evaluate(hybrid("rrf", depth, rrf_k=rrf_k, w_dense=wd, w_bm25=1.0), data.qrels)
                    grid.append({"method": "rrf", "depth": depth, "rrf_k": rrf_k, "w_dense": wd, **res})
            for method in ("minmax", "zscore"):
                for alpha in np.round(np.arange(0.2, 0.85, 0.05), 2):
                    res = evaluate(hybrid(method, depth, alpha=float(alpha)), data.qrels)
                    grid.append({"method": method, "depth": depth, "alpha": float(alpha), **res})
        for method in ("rrf", "minmax", "zscore"):
            best = max((g for g in grid if g["method"] == method), key=lambda g: g["ndcg@10"])
            params = ", ".join(f"{k}={best[k]}" for k in ("depth", "rrf_k", "w_dense", "alpha") if k in best)
            rows.append({"system": f"hybrid {method}, best on {split}", "params": params,
                         **{m: best[m] for m in ("ndcg@10", "recall@10", "recall@100")}})
    return {"dataset": data_dir.name, "split": split, "queries": len(qids), "timings": timings, "rows": rows,
            "grid": grid}


def _current(cfg: RetrievalSettings) -> dict[str, Any]:
    fusion = getattr(cfg, "fusion", "rrf")
    if fusion == "rrf":
        return {"rrf_k": cfg.rrf_k, "w_dense": cfg.dense_weight, "w_bm25": cfg.bm25_weight}
    return {"alpha": getattr(cfg, "alpha", 0.5)}


def _describe(cfg: RetrievalSettings) -> str:
    fusion = getattr(cfg, "fusion", "rrf")
    if fusion == "rrf":
        return f"rrf k={cfg.rrf_k} w={cfg.dense_weight}:{cfg.bm25_weight} depth={max(cfg.candidates, 100)}"
    return f"{fusion} alpha={getattr(cfg, 'alpha', 0.5)} depth={max(cfg.candidates, 100)}"


def main(args: Any) -> None:
    result = run(Path(args.data), args.split, args.device, tune=not args.no_tune)
    tables = [(f"BEIR {result['dataset']} ({result['split']} split, {result['queries']} queries)", result["rows"]),
              ("Indexing and query time", [result["timings"]])]
    if args.json:
        emit(result, tables, True)
    else:
        emit(result, tables, False)
        if result["grid"]:
            top = sorted(result["grid"], key=lambda g: -g["ndcg@10"])[:10]
            emit(result, [("Top 10 fusion settings (by nDCG@10)", top)], False)
