"""Dense search over the read snapshot's vectors, in numpy (no chromadb): every vector up to EXACT_ROWS chunks
(exact cosine top-k, what Chroma's HNSW approximates); beyond that, the vectors are kept in coarse lists (spherical
k-means, about √rows lists, written with the snapshot) and a query reads only the lists nearest to it, at least
PROBE_SHARE of the chunks, as an approximate index does. At 100k chunks that is ~10k vectors a query instead of
100k (the whole matrix is ~150 MB: ~15 ms of memory traffic on its own)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

EXACT_ROWS = 20_000  # up to this many chunks every vector is compared
PROBE_SHARE = 0.1  # beyond it, the nearest lists holding at least this share of the chunks (and EXACT_ROWS // 2)
KMEANS_ROUNDS = 8
BATCH = 8192


@dataclass(frozen=True, eq=False)
class DenseIndex:
    """Unit vectors, stored list by list when there are lists: `order[i]` is the chunk row of stored vector i."""

    vectors: np.ndarray  # (rows, dim) float32
    order: np.ndarray | None = None  # (rows,) chunk row of each stored vector; None: stored in chunk-row order
    centroids: np.ndarray | None = None  # (lists, dim) unit centroids
    starts: np.ndarray | None = None  # (lists + 1,) first stored vector of each list

    @classmethod
    def build(cls, vectors: np.ndarray, exact_rows: int | None = None) -> DenseIndex:
        """From unit vectors in chunk-row order; coarse lists when there are more than `exact_rows`."""
        limit = EXACT_ROWS if exact_rows is None else exact_rows
        if len(vectors) <= limit:
            return cls(vectors)
        centroids, assign = _kmeans(vectors, max(2, int(np.sqrt(len(vectors)))))
        order = np.argsort(assign, kind="stable")
        starts = np.searchsorted(assign[order], np.arange(len(centroids) + 1)).astype(np.int64)
        return cls(np.ascontiguousarray(vectors[order]), order.astype(np.int64), centroids, starts)

    @property
    def rows(self) -> int:
        return len(self.vectors)

    def save(self, folder: Path) -> None:
        np.save(folder / "vectors.npy", self.vectors)
        if self.order is not None:
            np.save(folder / "order.npy", self.order)
            np.save(folder / "centroids.npy", self.centroids)
            np.save(folder / "starts.npy", self.starts)

    @classmethod
    def load(cls, folder: Path, rows: int, dim: int, lists: int) -> DenseIndex:
        vectors = np.load(folder / "vectors.npy", mmap_mode="r")
        if vectors.shape != (rows, dim) or vectors.dtype != np.float32:
            raise ValueError(f"vectors {vectors.shape} {vectors.dtype} for {rows} chunks")
        if not lists:
            return cls(vectors)
        order, centroids, starts = (np.load(folder / f"{name}.npy") for name in ("order", "centroids", "starts"))
        if order.shape != (rows,) or centroids.shape != (lists, dim) or starts.shape != (lists + 1,) or \
                int(starts[-1]) != rows:
            raise ValueError(f"coarse lists do not fit {rows} vectors of {dim}")
        return cls(vectors, order, centroids, starts)

    def search(self, vector: np.ndarray, n: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(chunk row, cosine similarity) of the n nearest vectors, best first; `mask` (by chunk row) limits the
        rows that may be returned."""
        if not self.rows or n <= 0:
            return []
        v = np.asarray(vector, dtype=np.float32).reshape(-1)
        v = v / max(float(np.linalg.norm(v)), 1e-12)
        stored_mask = None if mask is None else (mask if self.order is None else mask[self.order])
        if self.centroids is None or (stored_mask is not None and int(stored_mask.sum()) <= EXACT_ROWS):
            positions = np.arange(self.rows) if stored_mask is None else np.flatnonzero(stored_mask)
            sims = self.vectors @ v if stored_mask is None else self.vectors[positions] @ v
        else:
            positions, sims = self._probe(v, n, stored_mask)
        if not len(positions):
            return []
        k = min(n, len(sims))
        top = np.argpartition(-sims, k - 1)[:k] if len(sims) > k else np.arange(len(sims))
        top = top[np.argsort(-sims[top], kind="stable")]
        rows = positions[top] if self.order is None else self.order[positions[top]]
        return [(int(r), float(s)) for r, s in zip(rows, sims[top], strict=True)]

    def _probe(self, v: np.ndarray, n: int, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """The stored positions and similarities of the nearest lists: at least PROBE_SHARE of the chunks (and
        EXACT_ROWS // 2), and at least n that pass the mask."""
        assert self.centroids is not None and self.starts is not None
        target = max(int(self.rows * PROBE_SHARE), EXACT_ROWS // 2)
        parts: list[np.ndarray] = []
        sims: list[np.ndarray] = []
        seen = passing = 0
        for c in np.argsort(-(self.centroids @ v)):
            lo, hi = int(self.starts[c]), int(self.starts[c + 1])
            if hi == lo:
                continue
            where = np.arange(lo, hi)
            if mask is not None:
                where = where[mask[lo:hi]]
            if len(where):
                parts.append(where)
                sims.append(self.vectors[lo:hi] @ v if mask is None else self.vectors[where] @ v)
            seen += hi - lo
            passing += len(where)
            if seen >= target and passing >= n:
                break
        if not parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return np.concatenate(parts), np.concatenate(sims)


def _kmeans(vectors: np.ndarray, lists: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Spherical k-means: unit centroids and each vector's list (a fixed number of rounds from a seeded sample;
    an emptied list is reseeded with a random vector)."""
    rng = np.random.default_rng(seed)
    centroids = np.array(vectors[rng.choice(len(vectors), lists, replace=False)], dtype=np.float32)
    assign = _assign(vectors, centroids)
    for _ in range(KMEANS_ROUNDS):
        order = np.argsort(assign, kind="stable")
        starts = np.searchsorted(assign[order], np.arange(lists + 1))
        grouped = vectors[order]
        for c in range(lists):
            lo, hi = starts[c], starts[c + 1]
            centroids[c] = grouped[lo:hi].sum(axis=0) if hi > lo else vectors[rng.integers(len(vectors))]
        centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
        assign = _assign(vectors, centroids)
    return centroids, assign


def _assign(vectors: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    out = np.empty(len(vectors), dtype=np.int64)
    for lo in range(0, len(vectors), BATCH):
        out[lo : lo + BATCH] = np.argmax(np.asarray(vectors[lo : lo + BATCH]) @ centroids.T, axis=1)
    return out
