"""Hybrid retrieval: dense (Chroma) + BM25, fused by weighted reciprocal rank, filtered, and diversified so
one document cannot fill every slot. `as_langchain()` exposes it as a LangChain BaseRetriever."""

from __future__ import annotations

from typing import Any

from assistant.embedding import Embedder
from assistant.settings import RetrievalSettings
from assistant.store import KeywordIndex, VectorStore, matches
from assistant.types import Filters, Passage


def fuse(rankings: list[tuple[list[str], float]], rrf_k: int) -> dict[str, float]:
    """Weighted reciprocal rank fusion: score(d) = Σ w / (k + rank)."""
    scores: dict[str, float] = {}
    for ids, weight in rankings:
        for rank, cid in enumerate(ids, 1):
            scores[cid] = scores.get(cid, 0.0) + weight / (rrf_k + rank)
    return scores


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
        n = max(self.cfg.candidates, k * 3)
        dense: list = []
        vec = None
        if mode in ("hybrid", "dense"):
            vec = self.embedder.embed([query])[0]
            dense = self.store.query(vec, n, filters, total=len(self.keywords.ids))
        sparse: list = []
        if mode in ("hybrid", "bm25"):
            sparse = self.keywords.search(query, n, filters)
        extra: list[tuple[list[str], float]] = []
        boosted: list[int] = []
        for b in boost or []:
            both = b.model_copy(update={k2: v for k2, v in (filters.model_dump() if filters else {}).items() if v})
            if vec is not None:
                # Re-rank the dense candidates already in hand: a filtered vector query costs far more.
                hits = [c for c, _ in dense if matches(c.meta, both)]
                extra.append(([c.id for c in hits], self.cfg.dense_weight * 0.5))
            if mode in ("hybrid", "bm25"):
                kw = self.keywords.search(query, n // 2, both)
                extra.append(([self.keywords.ids[i] for i, _ in kw], self.cfg.bm25_weight * 0.5))
                boosted += [i for i, _ in kw]
        by_id: dict[str, Passage] = {}
        for rank, (chunk, sim) in enumerate(dense, 1):
            by_id[chunk.id] = Passage(chunk=chunk, score=0.0, dense_rank=rank, similarity=sim)
        sparse_ids = []
        for rank, (i, _score) in enumerate(sparse, 1):
            cid = self.keywords.ids[i]
            sparse_ids.append(cid)
            if cid in by_id:
                by_id[cid].bm25_rank = rank
            else:
                by_id[cid] = Passage(chunk=self.keywords.chunk(i), score=0.0, bm25_rank=rank)
        for i in boosted:
            if self.keywords.ids[i] not in by_id:
                by_id[self.keywords.ids[i]] = Passage(chunk=self.keywords.chunk(i), score=0.0)
        scores = fuse([([c.id for c, _ in dense], self.cfg.dense_weight),
                       (sparse_ids, self.cfg.bm25_weight), *extra], self.cfg.rrf_k)
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
