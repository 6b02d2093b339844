"""A passage's metadata and the one reading of Filters: Chroma's where clause, the per-chunk predicate and the
vectorised mask over a table of chunks are all written from `conditions`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.types import Chunk, Filters


def date_int(value: str | None) -> int:
    """'2025-04-07' → 20250407; '2025' → 20250000; '' → 0."""
    digits = "".join(ch for ch in (value or "")[:10] if ch.isdigit())
    return int((digits + "00000000")[:8]) if digits else 0


def chunk_metadata(chunk: Chunk, doc_meta: dict[str, Any], doc_hash: str, origin: str) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "doc_id": chunk.doc_id, "doc_hash": doc_hash, "origin": origin, "section": chunk.section,
        "heading": chunk.meta.get("heading", ""), "title": chunk.meta.get("title", ""),
        "kind": chunk.meta.get("kind", "upload"), "start": chunk.start, "end": chunk.end,
        "page": chunk.page if chunk.page is not None else -1, "as_of": date_int(doc_meta.get("as_of")),
        "doc_meta": json.dumps({k: doc_meta.get(k) for k in ("sources", "as_of", "date", "publisher", "url",
                                                              "countries", "stages")}),
    }
    for c in doc_meta.get("countries") or []:
        meta[f"c_{c}"] = True
    for s in doc_meta.get("stages") or []:
        meta[f"s_{s}"] = True
    return meta


def chunk_from(cid: str, text: str, meta: dict[str, Any]) -> Chunk:
    page = meta.get("page", -1)
    return Chunk(id=cid, doc_id=meta["doc_id"], text=text, start=int(meta["start"]), end=int(meta["end"]),
                 section=meta.get("section", ""), page=None if page in (-1, None) else int(page), meta=meta)


def conditions(filters: Filters | None) -> list[tuple[str, str, Any]]:
    """The one reading of Filters: (metadata key, operator, value) triples that all must hold. Chroma's where
    clause, the per-chunk predicate and the chunk table's vectorised mask are all written from this."""
    if filters is None:
        return []
    out: list[tuple[str, str, Any]] = []
    if filters.country:
        out.append((f"c_{filters.country}", "$eq", True))
    if filters.stage:
        out.append((f"s_{filters.stage}", "$eq", True))
    if filters.kind:
        out.append(("kind", "$eq", filters.kind))
    if filters.date_from:
        out.append(("as_of", "$gte", date_int(filters.date_from)))
    if filters.date_to:
        out.append(("as_of", "$lte", date_int(filters.date_to) or 99999999))
    return out


TESTS = {"$eq": lambda a, b: a == b, "$gte": lambda a, b: a >= b, "$lte": lambda a, b: a <= b}


def field(meta: dict[str, Any], key: str) -> Any:
    """A chunk's value for a filter key: flags default to False, as_of to 0."""
    if key == "as_of":
        return int(meta.get("as_of", 0) or 0)
    if key[:2] in ("c_", "s_"):
        return bool(meta.get(key, False))
    return meta.get(key)


def where_clause(filters: Filters | None) -> dict[str, Any] | None:
    conds = [{k: v} if op == "$eq" else {k: {op: v}} for k, op, v in conditions(filters)]
    if not conds:
        return None
    return conds[0] if len(conds) == 1 else {"$and": conds}


def matches(meta: dict[str, Any], filters: Filters | None) -> bool:
    """The same predicate as `where_clause`, for one chunk's metadata."""
    return all(TESTS[op](field(meta, k), v) for k, op, v in conditions(filters))


@dataclass
class ChunkTable:
    """The indexed chunks in row order (the keyword index's and the read snapshot's vectors'): ids, texts and
    metadata, with lookups and filter columns."""

    ids: list[str]
    texts: list[str]
    metas: list[dict[str, Any]]

    def chunk(self, i: int) -> Chunk:
        return chunk_from(self.ids[i], self.texts[i], self.metas[i])

    def column(self, key: str) -> np.ndarray:
        """One metadata field across all chunks (cached), as `conditions` reads it. The country and stage flags
        are read in one pass over the chunks the first time any of them is asked for (a new flag per question
        would otherwise cost a pass each: ~0.1 s at 100k chunks)."""
        cache = self.__dict__.setdefault("_columns", {})
        if key not in cache:
            if key[:2] in ("c_", "s_"):
                if not self.__dict__.get("_flags_read"):
                    cache.update(self._flag_columns())
                    self.__dict__["_flags_read"] = True
                cache.setdefault(key, np.zeros(len(self.metas), dtype=bool))
            elif key == "as_of":
                cache[key] = np.fromiter((field(m, key) for m in self.metas), dtype=np.int64, count=len(self.metas))
            else:
                cache[key] = np.array([field(m, key) for m in self.metas], dtype=object)
        return cache[key]

    def _flag_columns(self) -> dict[str, np.ndarray]:
        """Every c_/s_ flag column, as `field` reads a flag (a true value, absent = False)."""
        rows: dict[str, list[int]] = {}
        for i, meta in enumerate(self.metas):
            for key, value in meta.items():
                if key[:2] in ("c_", "s_") and value:
                    rows.setdefault(key, []).append(i)
        out = {}
        for key, hits in rows.items():
            col = np.zeros(len(self.metas), dtype=bool)
            col[hits] = True
            out[key] = col
        return out

    def mask(self, filters: Filters) -> np.ndarray:
        """Which chunks pass the filters: `conditions`, vectorised."""
        mask = np.ones(len(self.metas), dtype=bool)
        for key, op, value in conditions(filters):
            mask &= np.asarray(TESTS[op](self.column(key), value), dtype=bool)
        return mask
