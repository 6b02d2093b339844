"""Hybrid retrieval: dense (Chroma) + BM25, fused by weighted reciprocal rank or by normalised scores,
filtered, and diversified so one document cannot fill every slot. `as_langchain()` exposes it as a LangChain
BaseRetriever."""

from __future__ import annotations

from typing import Any

import numpy as np

from assistant.index.embedding import Embedder
from assistant.index.filters import matches
from assistant.index.keywords import KeywordIndex
from assistant.index.store import VectorStore
from assistant.settings import RetrievalSettings
from assistant.types import Filters, Passage

Ranking = list[tuple[str, float]]


def fuse(rankings: list[tuple[Ranking, float]], method: str = "rrf", rrf_k: int = 60) -> dict[str, float]:
    """Combine weighted (id, score) rankings, best first.

    `rrf`: Σ w / (rrf_k + rank). `minmax`: Σ w · (s - min) / (max - min) within each ranking. `zscore`:
    Σ w · (z - min z), z = (s - mean) / sd within each ranking, shifted so a ranking's last entry adds 0, like
    an id it does not hold. A ranking whose scores are all equal gives each of its ids the full weight."""
    scores: dict[str, float] = {}
    for ranking, weight in rankings:
        if not ranking:
            continue
        if method == "rrf":
            norm = [1.0 / (rrf_k + rank) for rank in range(1, len(ranking) + 1)]
        else:
            vals = np.array([v for _, v in ranking], dtype=np.float64)
            spread = float(vals.max() - vals.min()) if method == "minmax" else float(vals.std())
            if spread <= 0.0:
                norm = [1.0] * len(ranking)
            elif method == "minmax":
                norm = ((vals - vals.min()) / spread).tolist()
            elif method == "zscore":
                z = (vals - vals.mean()) / spread
                norm = (z - z.min()).tolist()
            else:
                raise ValueError(f"Unknown fusion method '{method}': use rrf, minmax or zscore")
        for (cid, _), v in zip(ranking, norm, strict=True):
            scores[cid] = scores.get(cid, 0.0) + weight * v
    return scores


def depth(cfg: RetrievalSettings, k: int) -> int:
    """Candidates taken from each retriever for a top-k search."""
    return max(cfg.candidates, k * 3)


def weights(cfg: RetrievalSettings) -> tuple[float, float]:
    """(dense, bm25) weights of the configured fusion: RRF's two weights, or alpha and 1 - alpha."""
    return (cfg.dense_weight, cfg.bm25_weight) if cfg.fusion == "rrf" else (cfg.alpha, 1.0 - cfg.alpha)


def diversify(passages: list[Passage], k: int, per_doc: int) -> list[Passage]:
    out: list[Passage] = []
    counts: dict[str, int] = {}
    for p in passages:
        if counts.get(p.chunk.doc_id, 0) < per_doc:
            out.append(p)
            counts[p.chunk.doc_id] = counts.get(p.chunk.doc_id, 0) + 1
        if len(out) == k:
            break
    return out


class Retriever:
    def __init__(self, store: VectorStore, keywords: KeywordIndex, embedder: Embedder,
                 cfg: RetrievalSettings) -> None:
        self.store = store
        self.keywords = keywords
        self.embedder = embedder
        self.cfg = cfg

    def search(self, query: str, k: int | None = None, filters: Filters | None = None,
               mode: str = "hybrid", per_doc: int | None = None, boost: list[Filters] | None = None) -> list[Passage]:
        """Top-k passages. `boost` adds rankings restricted to those filters (e.g. the countries a question
        names), so passages about them rise without excluding the rest."""
        k = k or self.cfg.k
        n = depth(self.cfg, k)
        w_dense, w_bm25 = weights(self.cfg)
        dense: list = []
        vec = None
        if mode in ("hybrid", "dense"):
            vec = self.embedder.embed([query])[0]
            dense = self.store.query(vec, n, filters, total=len(self.keywords.ids))
        sparse: list = []
        if mode in ("hybrid", "bm25"):
            sparse = self.keywords.search(query, n, filters)
        extra: list[tuple[Ranking, float]] = []
        boosted: list[int] = []
        for b in boost or []:
            both = b.model_copy(update={k2: v for k2, v in (filters.model_dump() if filters else {}).items() if v})
            if vec is not None:
                # Re-rank the dense candidates already in hand: a filtered vector query costs far more.
                extra.append(([(c.id, sim) for c, sim in dense if matches(c.meta, both)], w_dense * 0.5))
            if mode in ("hybrid", "bm25"):
                kw = self.keywords.search(query, n // 2, both)
                extra.append(([(self.keywords.ids[i], s) for i, s in kw], w_bm25 * 0.5))
                boosted += [i for i, _ in kw]
        by_id: dict[str, Passage] = {}
        for rank, (chunk, sim) in enumerate(dense, 1):
            by_id[chunk.id] = Passage(chunk=chunk, score=0.0, dense_rank=rank, similarity=sim)
        sparse_ranking: Ranking = []
        for rank, (i, bm25) in enumerate(sparse, 1):
            cid = self.keywords.ids[i]
            sparse_ranking.append((cid, bm25))
            if cid in by_id:
                by_id[cid].bm25_rank = rank
            else:
                by_id[cid] = Passage(chunk=self.keywords.chunk(i), score=0.0, bm25_rank=rank)
        for i in boosted:
            if self.keywords.ids[i] not in by_id:
                by_id[self.keywords.ids[i]] = Passage(chunk=self.keywords.chunk(i), score=0.0)
        scores = fuse([([(c.id, sim) for c, sim in dense], w_dense), (sparse_ranking, w_bm25), *extra],
                      self.cfg.fusion, self.cfg.rrf_k)
        for cid, p in by_id.items():
            p.score = scores.get(cid, 0.0)
        ranked = sorted(by_id.values(), key=lambda p: -p.score)
        return diversify(ranked, k, per_doc or self.cfg.per_doc)

    def best_similarity(self, passages: list[Passage]) -> float:
        sims = [p.similarity for p in passages if p.similarity is not None]
        return max(sims) if sims else 0.0

    def as_langchain(self, k: int | None = None, filters: Filters | None = None) -> Any:
        return make_langchain_retriever(self, k, filters)


def make_langchain_retriever(retriever: Retriever, k: int | None, filters: Filters | None) -> Any:
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document as LCDocument
    from langchain_core.retrievers import BaseRetriever

    class ReeRetriever(BaseRetriever):
        """REE Assistant's hybrid retriever as a LangChain retriever."""

        inner: Any
        k: int | None = None
        filters: Any = None

        def _get_relevant_documents(self, query: str, *,
                                    run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
            hits = self.inner.search(query, k=self.k, filters=self.filters)
            return [LCDocument(page_content=p.chunk.text, id=p.chunk.id,
                               metadata={"doc_id": p.chunk.doc_id, "section": p.chunk.section,
                                         "page": p.chunk.page, "score": p.score,
                                         "title": p.chunk.meta.get("title", "")}) for p in hits]

    return ReeRetriever(inner=retriever, k=k, filters=filters)
