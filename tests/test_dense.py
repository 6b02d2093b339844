"""Dense search over the read snapshot (assistant/index/dense.py): exact up to EXACT_ROWS chunks; beyond, coarse
lists that a query reads only the nearest of, which keeps nearly every true neighbour on clustered vectors, always
honours a filter, and survives a save and load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.index import dense
from assistant.index.dense import DenseIndex


def _clustered(rows: int, dim: int = 64, centres: int = 40, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    hubs = rng.normal(size=(centres, dim))
    vecs = hubs[rng.integers(0, centres, rows)] + 0.35 * rng.normal(size=(rows, dim))
    return (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(np.float32)


def _exact(vecs: np.ndarray, q: np.ndarray, n: int, mask: np.ndarray | None = None) -> list[int]:
    sims = vecs @ (q / np.linalg.norm(q))
    if mask is not None:
        sims = np.where(mask, sims, -np.inf)
    return [int(i) for i in np.argsort(-sims, kind="stable")[:n] if np.isfinite(sims[i])]


def test_up_to_the_limit_every_vector_is_compared() -> None:
    vecs = _clustered(3000)
    index = DenseIndex.build(vecs)
    assert index.centroids is None
    rng = np.random.default_rng(1)
    mask = rng.random(3000) < 0.2
    for q in rng.normal(size=(10, 64)).astype(np.float32):
        assert [r for r, _ in index.search(q, 25)] == _exact(vecs, q, 25)
        assert [r for r, _ in index.search(q, 25, mask)] == _exact(vecs, q, 25, mask)


def test_coarse_lists_keep_the_neighbours_and_the_filters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dense, "EXACT_ROWS", 1000)  # a small corpus stands for a large one
    vecs = _clustered(12000)
    index = DenseIndex.build(vecs, exact_rows=1000)
    assert index.centroids is not None and index.order is not None
    assert sorted(index.order.tolist()) == list(range(12000))
    index.save(tmp_path)
    loaded = DenseIndex.load(tmp_path, 12000, 64, len(index.centroids))
    rng = np.random.default_rng(2)
    queries = vecs[rng.integers(0, 12000, 30)] + 0.1 * rng.normal(size=(30, 64)).astype(np.float32)
    recall = []
    for q in queries:
        got = loaded.search(q, 20)
        assert [s for _, s in got] == sorted((s for _, s in got), reverse=True)
        assert all(abs(s - float(vecs[r] @ (q / np.linalg.norm(q)))) < 1e-5 for r, s in got)
        recall.append(len({r for r, _ in got} & set(_exact(vecs, q, 20))) / 20)
    assert np.mean(recall) >= 0.9, np.mean(recall)
    narrow = np.zeros(12000, dtype=bool)
    narrow[rng.choice(12000, 300, replace=False)] = True  # fewer than the limit: compared one by one
    wide = rng.random(12000) < 0.5
    for q in queries[:10]:
        assert [r for r, _ in loaded.search(q, 15, narrow)] == _exact(vecs, q, 15, narrow)
        got = loaded.search(q, 15, wide)
        assert len(got) == 15 and all(wide[r] for r, _ in got)
    with pytest.raises(ValueError):
        DenseIndex.load(tmp_path, 11999, 64, len(index.centroids))
