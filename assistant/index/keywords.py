"""Keyword search: BM25 over the chunks (title and section included). bm25s builds the index (tokenising,
stemming and scoring every chunk); answering a query needs only its score arrays, its vocabulary and the same
tokeniser, which live here in numpy, so a process that only reads never imports bm25s (nor the scipy it brings).
"""

from __future__ import annotations

import json
import re
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from assistant.index.filters import ChunkTable
from assistant.types import Filters

TOKEN = re.compile(r"(?u)\b\w\w+\b")  # bm25s.tokenize's default token pattern (scikit-learn's)
ARRAYS = ("data", "indices", "indptr")


class Bm25Scores:
    """A built BM25 index as bm25s leaves it: per-term score columns (CSC arrays: `data`, `indices`, `indptr`),
    the stem → term id vocabulary, and the query tokeniser bm25s uses (lowercase, stopwords out, stemmed)."""

    def __init__(self, vocab: dict[str, int], data: np.ndarray, indices: np.ndarray, indptr: np.ndarray,
                 num_docs: int, stopwords: list[str], stemmer: Any = None) -> None:
        self.vocab_dict = vocab
        self.scores = {"data": data, "indices": indices, "indptr": indptr, "num_docs": num_docs}
        self.stopwords = frozenset(stopwords)
        self._stemmer = stemmer

    @classmethod
    def from_bm25s(cls, model: Any, stopwords: list[str], stemmer: Any) -> Bm25Scores:
        scores = getattr(model, "scores", None) or {}
        if "data" not in scores:  # an index of no chunks
            empty = np.zeros(0, dtype=np.float32)
            return cls({}, empty, np.zeros(0, dtype=np.int32), np.zeros(1, dtype=np.int32), 0, stopwords, stemmer)
        return cls(dict(model.vocab_dict), np.asarray(scores["data"]), np.asarray(scores["indices"]),
                   np.asarray(scores["indptr"]), int(scores["num_docs"]), stopwords, stemmer)

    @property
    def stemmer(self) -> Any:
        if self._stemmer is None:
            import Stemmer

            self._stemmer = Stemmer.Stemmer("english")
        return self._stemmer

    def tokens(self, text: str) -> list[str]:
        """`bm25s.tokenize([text], stopwords=..., stemmer=..., return_ids=False)[0]`, in numpy-free Python."""
        words = [w for w in TOKEN.findall(text.lower()) if w not in self.stopwords]
        if not words:
            return []
        unique = list(dict.fromkeys(words))
        stem = dict(zip(unique, self.stemmer.stemWords(unique), strict=True))
        return [stem[w] for w in words]

    def get_scores(self, tokens: list[str]) -> np.ndarray:
        """Each chunk's BM25 score for the query tokens (those outside the vocabulary add nothing), summed over
        the tokens as bm25s sums them."""
        data, indices, indptr = self.scores["data"], self.scores["indices"], self.scores["indptr"]
        out = np.zeros(int(self.scores["num_docs"]), dtype=data.dtype if len(data) else np.float32)
        for token in tokens:
            tid = self.vocab_dict.get(token)
            if tid is None or tid + 1 >= len(indptr):
                continue
            lo, hi = int(indptr[tid]), int(indptr[tid + 1])
            np.add.at(out, indices[lo:hi], data[lo:hi])
        return out

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name in ARRAYS:
            np.save(folder / f"{name}.npy", self.scores[name])
        (folder / "vocab.json").write_text(json.dumps({"vocab": self.vocab_dict, "num_docs": self.scores["num_docs"],
                                                       "stopwords": sorted(self.stopwords)}))

    @classmethod
    def load(cls, folder: Path) -> Bm25Scores:
        head = json.loads((folder / "vocab.json").read_text())
        data, indices, indptr = (np.load(folder / f"{name}.npy") for name in ARRAYS)
        columns = len(indptr) - 1  # bm25s gives every term a column but the empty one it may add last
        if max((i for t, i in head["vocab"].items() if t), default=-1) >= columns:
            raise ValueError(f"{folder}: {columns} score columns for {len(head['vocab'])} terms")
        return cls(head["vocab"], data, indices, indptr, int(head["num_docs"]), head["stopwords"])


class Vocabulary:
    """What the BM25 vocabulary tells about the corpus: which stems occur, how rare they are, which years."""

    def __init__(self, bm25: Bm25Scores, rows: int) -> None:
        self.bm25 = bm25
        self.rows = rows

    @cached_property
    def years(self) -> set[int]:
        """Years (1950-2099) that appear in any chunk."""
        return {int(t) for t in self.bm25.vocab_dict if isinstance(t, str) and re.fullmatch(r"19[5-9]\d|20\d\d", t)}

    def knows(self, term: str) -> bool:
        """Whether any chunk contains this stemmed term."""
        return term in self.bm25.vocab_dict

    def idf(self, term: str) -> float:
        """BM25 idf of a stemmed term (unknown terms count as rare)."""
        n = max(self.rows, 1)
        tid = self.bm25.vocab_dict.get(term)
        df = 0
        if tid is not None:
            indptr = self.bm25.scores["indptr"]
            df = int(indptr[tid + 1] - indptr[tid])
        return float(np.log((n - df + 0.5) / (df + 0.5) + 1.0))


class KeywordIndex:
    """Keyword search over a chunk table. The chunk table and the vocabulary are its two parts; the plain
    attributes (ids, metas, chunk(), knows(), idf(), years) read through to them."""

    def __init__(self, table: ChunkTable, bm25: Bm25Scores) -> None:
        self.table = table
        self.bm25 = bm25
        self.vocabulary = Vocabulary(bm25, len(table.ids))
        self.ids, self.texts, self.metas = table.ids, table.texts, table.metas
        self.chunk, self.knows, self.idf = table.chunk, self.vocabulary.knows, self.vocabulary.idf

    @property
    def years(self) -> set[int]:
        return self.vocabulary.years

    @classmethod
    def build(cls, ids: list[str], texts: list[str], metas: list[dict[str, Any]]) -> KeywordIndex:
        """Index the chunks with bm25s (the only place it is imported)."""
        import bm25s
        import Stemmer
        from bm25s.stopwords import STOPWORDS_EN

        stemmer = Stemmer.Stemmer("english")
        corpus = [keyword_text(t, m) for t, m in zip(texts, metas, strict=True)]
        model = bm25s.BM25()
        if corpus:
            tokens = bm25s.tokenize(corpus, stopwords="en", stemmer=stemmer, show_progress=False)
            model.index(tokens, show_progress=False)
        return cls(ChunkTable(ids, texts, metas), Bm25Scores.from_bm25s(model, list(STOPWORDS_EN), stemmer))

    def save(self, folder: Path) -> None:
        """chunks.json and bm25/ into `folder` (which the caller makes live atomically)."""
        self.bm25.save(folder / "bm25")
        (folder / "chunks.json").write_text(json.dumps({"ids": self.ids, "texts": self.texts, "metas": self.metas}))

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex:
        data = json.loads((folder / "chunks.json").read_text())
        table = ChunkTable(data["ids"], data["texts"], data["metas"])
        bm25 = Bm25Scores.load(folder / "bm25")
        if bm25.scores["num_docs"] != len(table.ids):
            raise ValueError(f"{folder}: {bm25.scores['num_docs']} BM25 rows for {len(table.ids)} chunks")
        return cls(table, bm25)

    def search(self, query: str, n: int, filters: Filters | None) -> list[tuple[int, float]]:
        if not self.ids:
            return []
        words = self.bm25.tokens(query)
        if not words:
            return []
        scores = self.bm25.get_scores(words)
        if filters is not None:
            scores = np.where(self.table.mask(filters), scores, 0.0)
        top = np.argpartition(-scores, n)[:n] if len(scores) > n else np.arange(len(scores))
        top = top[np.argsort(-scores[top])]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


def keyword_text(text: str, meta: dict[str, Any]) -> str:
    return f"{meta.get('title', '')} {meta.get('section', '')}\n{text}"
