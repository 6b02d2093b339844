"""Side by side on the gold questions: REE Assistant's retrieval vs a plain LangChain pipeline
(`RecursiveCharacterTextSplitter` → `HuggingFaceEmbeddings` (the same local all-MiniLM-L6-v2) →
`langchain_chroma.Chroma.from_documents` → `similarity_search`). hit@5: a gold document in the top 5."""

from __future__ import annotations

import time
from typing import Any

from assistant.bench.common import emit, percentiles
from assistant.bench.questions import gold_questions
from assistant.settings import Settings


def main(args: Any) -> None:
    from assistant.core import Assistant
    from assistant.index.embedding import model_path, quiet_environment
    from assistant.knowledge.loading import iter_files, load_file

    quiet_environment()
    base = Settings()
    items = gold_questions(base.paths.corpus)
    ours = Assistant(base)
    ours.ensure_index()

    import chromadb
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    t = time.perf_counter()
    docs = []
    for path in iter_files([base.paths.corpus]):
        try:
            d = load_file(path, base.paths.corpus)
        except Exception:  # noqa: BLE001 - same files our indexer skips
            continue
        docs.append(Document(page_content=d.text, metadata={"doc_id": d.id}))
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=150).split_documents(docs)
    embeddings = HuggingFaceEmbeddings(model_name=str(model_path(base)), model_kwargs={"device": "cpu"},
                                       encode_kwargs={"normalize_embeddings": True})
    client = chromadb.EphemeralClient(settings=chromadb.config.Settings(anonymized_telemetry=False))
    lc = Chroma.from_documents(chunks, embeddings, client=client, collection_name="lc_baseline",
                               collection_metadata={"hnsw:space": "cosine"})
    lc_build = time.perf_counter() - t

    def lc_top(q: str) -> list[str]:
        return [d.metadata["doc_id"] for d in lc.similarity_search(q, k=5)]

    def ours_top(q: str) -> list[str]:
        return [p.chunk.doc_id for p in ours.search(q, k=5)]

    rows = []
    for name, fn, extra in (("REE Assistant (hybrid, ONNX query)", ours_top, {"chunks": ours.health()["chunks"]}),
                            ("LangChain Chroma + HuggingFaceEmbeddings", lc_top,
                             {"chunks": len(chunks), "build_s": round(lc_build, 1)})):
        fn(items[0]["question"])  # warm
        hits, times = 0, []
        for _ in range(args.repeat):
            hits = 0
            for it in items:
                t = time.perf_counter()
                top = fn(it["question"])
                times.append(time.perf_counter() - t)
                hits += bool(set(top) & set(it["docs"]))
        rows.append({"pipeline": name, **extra, "questions": len(items), "hit@5": round(hits / len(items), 3),
                     **percentiles(times)})
    emit({"rows": rows}, [("Retrieval vs a plain LangChain pipeline (same model, same corpus)", rows)], args.json)
