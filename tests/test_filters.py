"""One filter implementation: Chroma's where clause, the per-chunk predicate and the keyword side's mask are all
written from `conditions`, and agree on every combination (here against a real Chroma collection too)."""

from __future__ import annotations

import itertools
import random
from typing import Any

import numpy as np


def test_where_clause_predicate_and_mask_agree(mini_assistant: Any) -> None:
    from assistant.index.filters import ChunkTable, matches, where_clause
    from assistant.types import Filters

    rng = random.Random(3)
    metas = []
    for i in range(200):
        meta: dict[str, Any] = {"doc_id": f"d{i}", "kind": rng.choice(["analysis", "news", "upload"]),
                                "as_of": rng.choice([0, 20200101, 20230505, 20250101])}
        for c in rng.sample(["japan", "china", "kazakhstan"], rng.randint(0, 2)):
            meta[f"c_{c}"] = True
        for s in rng.sample(["mining", "magnet"], rng.randint(0, 1)):
            meta[f"s_{s}"] = True
        metas.append(meta)
    kw = ChunkTable(ids=[str(i) for i in range(200)], texts=["x"] * 200, metas=metas)
    # A real Chroma collection holding the same metadata answers the where clause the same way.
    client = mini_assistant._store.chroma()
    coll = client.get_or_create_collection("filters-check", embedding_function=None)
    coll.add(ids=kw.ids, embeddings=np.ones((200, 4), dtype=np.float32), metadatas=metas)
    try:
        for country, stage, kind, start, end in itertools.product(
                (None, "japan"), (None, "mining"), (None, "news"), (None, "2021"), (None, "2024-06")):
            f = Filters(country=country, stage=stage, kind=kind, date_from=start, date_to=end)
            expected = {kw.ids[i] for i, m in enumerate(metas) if matches(m, f)}
            assert {kw.ids[i] for i in np.flatnonzero(kw.mask(f))} == expected, f
            where = where_clause(f)
            got = set(coll.get(where=where)["ids"]) if where else set(kw.ids)
            assert got == expected, (f, where)
    finally:
        client.delete_collection("filters-check")
