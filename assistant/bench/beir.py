"""Fusion variants scored on a BEIR-format folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv) and on our
own paraphrase set (corpus/eval/paraphrases.yaml), so the retrieval defaults are chosen on both.

BEIR: every document is one passage, embedded as "title\\ntext" exactly like `chunking.embedding_text`; the
dense side is a real Chroma collection (`VectorStore`), the keyword side our `KeywordIndex` (bm25s, stemming,
title included). Rankings are computed once per query (depth 200), then each variant cuts them to its own
depth (`retrieval.depth`, as the live retriever does for k=10) and combines them with the live
`retrieval.fuse` and `retrieval.weights`. Corpus embeddings are cached in indexes/bench/ keyed by a hash of
corpus.jsonl and the model.

Paraphrases: every item with expected documents goes through the real `Retriever` on the shipped-corpus index,
one instance per variant, with the question as the answerer resolves it (history turns included) and the
answerer's country boost; hit@5 and MRR@5 over documents, as `ree eval` counts them.
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

DEPTH = 200  # BEIR rankings are taken this deep once; every variant's depth is at most this
NDCG_K = 10
# The grid: RRF constant x dense weight, score-fusion alpha, each at two candidate depths.
RRF_KS = (5, 20, 60)
DENSE_WEIGHTS = (0.5, 0.75, 1.0)
ALPHAS = (0.3, 0.4, 0.5, 0.6, 0.7)
DEPTHS = (40, 100)


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
    from assistant.index.embedding import TorchEmbedder, model_path

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


def fused_ranking(dense: Ranking, sparse: Ranking, cfg: RetrievalSettings, k: int = NDCG_K) -> list[str]:
    """One variant over (id, score) rankings, as the live retriever fuses them for a top-k search: the same
    depth, weights and `fuse` (no country boost: BEIR has none)."""
    from assistant.index.retrieval import depth, fuse, weights

    n = depth(cfg, k)
    w_dense, w_bm25 = weights(cfg)
    scores = fuse([(dense[:n], w_dense), (sparse[:n], w_bm25)], cfg.fusion, cfg.rrf_k)
    return [c for c, _ in sorted(scores.items(), key=lambda kv: -kv[1])]


def describe(cfg: RetrievalSettings) -> str:
    from assistant.index.retrieval import depth

    if cfg.fusion == "rrf":
        return f"rrf k={cfg.rrf_k} w={cfg.dense_weight}:{cfg.bm25_weight} depth={depth(cfg, NDCG_K)}"
    return f"{cfg.fusion} alpha={cfg.alpha} depth={depth(cfg, NDCG_K)}"


def variants(live: RetrievalSettings, tune: bool) -> list[tuple[str, RetrievalSettings]]:
    """(label, settings): the live defaults exactly, plain RRF, then the grid."""
    out = [("hybrid, current defaults", live),
           ("hybrid, plain rrf", live.model_copy(update={"fusion": "rrf", "rrf_k": 60, "dense_weight": 1.0,
                                                         "bm25_weight": 1.0, "candidates": 100}))]
    if tune:
        for depth in DEPTHS:
            for rrf_k in RRF_KS:
                for wd in DENSE_WEIGHTS:
                    out.append(("grid", live.model_copy(update={"fusion": "rrf", "rrf_k": rrf_k, "dense_weight": wd,
                                                                "bm25_weight": 1.0, "candidates": depth})))
            for method in ("minmax", "zscore"):
                for alpha in ALPHAS:
                    out.append(("grid", live.model_copy(update={"fusion": method, "alpha": alpha,
                                                                "candidates": depth})))
    return out


def beir_rankings(data_dir: Path, split: str, device: str | None) -> tuple[BeirData, dict[str, Ranking],
                                                                          dict[str, Ranking], dict[str, float]]:
    """The data, and dense and BM25 rankings (depth 200) for every query."""
    from assistant.index.embedding import quiet_environment
    from assistant.index.keywords import KeywordIndex
    from assistant.index.store import VectorStore

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
    return data, dense_runs, sparse_runs, timings


class _MemoEmbedder:
    """The index's query embedder, each query embedded once across all variants."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.memo: dict[str, np.ndarray] = {}

    def embed(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in texts if t not in self.memo]
        if missing:
            for t, v in zip(missing, self.inner.embed(missing), strict=True):
                self.memo[t] = v
        return np.stack([self.memo[t] for t in texts])


class Paraphrases:
    """The paraphrase items with expected documents, resolved once the way the answerer resolves them."""

    def __init__(self, settings: Settings, path: Path | None = None) -> None:
        import yaml

        from assistant.core import Assistant
        from assistant.types import Filters

        path = path or settings.paths.corpus / "eval" / "paraphrases.yaml"
        if not path.exists():
            raise InputError(f"No paraphrase set at {path}")
        assistant = Assistant(settings)
        if not assistant.index_exists():
            raise InputError("No index of the shipped corpus: run `ree index` first")
        snap = assistant._snapshot()
        reader = assistant._reader()
        self.store, self.keywords = snap.store, snap.keywords
        self.embedder = _MemoEmbedder(snap.retriever.embedder)
        self.items: list[tuple[str, list[Any] | None, set[str]]] = []
        for item in yaml.safe_load(path.read_text()) or []:
            if not item.get("docs"):
                continue
            previous = None
            for turn in item.get("history") or []:
                previous, _ = reader.resolve(turn, previous)
            intent, query = reader.resolve(item["question"], previous)
            boost = [Filters(country=c) for c in intent.countries[:2]] or None
            self.items.append((query, boost, set(item["docs"])))

    def score(self, cfg: RetrievalSettings) -> dict[str, float]:
        from assistant.index.retrieval import Retriever

        retriever = Retriever(self.store, self.keywords, self.embedder, cfg)
        hits = mrr = 0.0
        for query, boost, docs in self.items:
            ranked = [p.chunk.doc_id for p in retriever.search(query, k=5, boost=boost)]
            rank = next((i for i, d in enumerate(ranked, 1) if d in docs), None)
            hits += rank is not None
            mrr += 1.0 / rank if rank else 0.0
        n = len(self.items) or 1
        return {"para_hit@5": round(hits / n, 4), "para_mrr": round(mrr / n, 4)}


def choose(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The retrieval score: the mean of SciFact nDCG@10 and paraphrase MRR, each divided by its best value among
    the variants; ties go to paraphrase hit@5, then nDCG@10. Adds `score` to every row and returns the best row
    (the defaults are the best row under which `ree eval` also passes; docs/benchmarks.md)."""
    best_ndcg = max(r["ndcg@10"] for r in rows) or 1.0
    best_mrr = max(r["para_mrr"] for r in rows) or 1.0
    for r in rows:
        r["score"] = round((r["ndcg@10"] / best_ndcg + r["para_mrr"] / best_mrr) / 2, 4)
    return max(rows, key=lambda r: (r["score"], r["para_hit@5"], r["ndcg@10"]))


def run(data_dir: Path, split: str, device: str | None = None, tune: bool = True) -> dict[str, Any]:
    data, dense_runs, sparse_runs, timings = beir_rankings(data_dir, split, device)
    qids = list(data.queries)
    live = Settings()
    para = Paraphrases(live)
    rows: list[dict[str, Any]] = []

    def single(name: str, runs: dict[str, Ranking], mode: str) -> None:
        from assistant.index.retrieval import Retriever

        beir = evaluate({q: [c for c, _ in r] for q, r in runs.items()}, data.qrels)
        retriever = Retriever(para.store, para.keywords, para.embedder, live.retrieval)
        hits = mrr = 0.0
        for query, boost, docs in para.items:
            ranked = [p.chunk.doc_id for p in retriever.search(query, k=5, boost=boost, mode=mode)]
            rank = next((i for i, d in enumerate(ranked, 1) if d in docs), None)
            hits += rank is not None
            mrr += 1.0 / rank if rank else 0.0
        n = len(para.items) or 1
        rows.append({"system": name, "params": "", "ndcg@10": beir["ndcg@10"], "recall@10": beir["recall@10"],
                     "para_hit@5": round(hits / n, 4), "para_mrr": round(mrr / n, 4)})

    single("dense (MiniLM)", dense_runs, "dense")
    single("bm25 (bm25s, stem, title)", sparse_runs, "bm25")
    hybrid: list[dict[str, Any]] = []
    t = time.perf_counter()
    for label, cfg in variants(live.retrieval, tune):
        beir = evaluate({q: fused_ranking(dense_runs[q], sparse_runs[q], cfg) for q in qids}, data.qrels)
        hybrid.append({"system": label, "params": describe(cfg), "ndcg@10": beir["ndcg@10"],
                       "recall@10": beir["recall@10"], **para.score(cfg)})
    timings["variants_s"] = round(time.perf_counter() - t, 1)
    chosen = choose(hybrid)
    rows += [r for r in hybrid if r["system"] != "grid"]
    grid = [r for r in hybrid if r["system"] == "grid"]
    for method in ("rrf", "minmax", "zscore"):
        mine = [g for g in grid if g["params"].startswith(method)]
        if mine:
            best = max(mine, key=lambda g: (g["score"], g["para_hit@5"], g["ndcg@10"]))
            rows.append({**best, "system": f"hybrid {method}, best retrieval score"})
    return {"dataset": data_dir.name, "split": split, "queries": len(qids), "paraphrases": len(para.items),
            "timings": timings, "rows": rows, "grid": grid, "chosen": chosen}


def main(args: Any) -> None:
    result = run(Path(args.data), args.split, args.device, tune=not args.no_tune)
    title = (f"Fusion on BEIR {result['dataset']} ({result['split']} split, {result['queries']} queries, nDCG@10) "
             f"and the paraphrase set ({result['paraphrases']} questions, hit@5 / MRR)")
    tables = [(title, result["rows"]), ("Indexing and query time", [result["timings"]])]
    if result["grid"]:
        tables.append(("Every variant (score = mean of nDCG@10 and paraphrase MRR, each over its best)",
                       sorted(result["grid"], key=lambda g: -g["score"])))
        tables.append(("Best retrieval score (a default must also pass `ree eval`: docs/benchmarks.md)",
                       [result["chosen"]]))
    emit(result, tables, args.json)
