"""Sources named in a question ("according to the USGS ...") and the documents that publisher itself wrote."""

from __future__ import annotations

import re
from typing import Any

from assistant.types import doc_meta
from assistant.understand.names import fold

# "according to X", "X says/reports/estimates": the grammar of attributing a claim to a source.
# ("per" only in lower case: "Per Geijer" is a name)
_ACCORDING = re.compile(r"\b(?:(?i:according to|as reported by|in the view of)|per)\s+(?i:the\s+)?"
                        r"((?:[A-Z][\w.&'-]*)(?:\s+(?:of\s+|for\s+|the\s+)?[A-Z][\w.&'-]*)*)")
_SAYS = re.compile(r"\b((?:[A-Z][\w.&'-]*\s+){0,3}[A-Z][\w.&'-]*)'?s?\s+(?i:says?|said|reports?|estimates?|data|"
                   r"figures?)\b")


def named_publisher(question: str) -> str | None:
    for pat in (_ACCORDING, _SAYS):
        m = pat.search(question)
        if m:
            name = m.group(1).strip()
            if name and not name.lower().startswith(("what", "how", "which", "who", "is", "does", "do")):
                return name
    return None


def _acronym(name: str) -> str:
    words = [w for w in re.findall(r"[A-Za-z][\w'-]*", name) if w[0].isupper()]  # "U.S." gives U, S
    return "".join(w[0] for w in words).lower()


def _matches(name: str, publisher: str) -> bool:
    a, b = fold(name).replace(".", ""), fold(publisher).replace(".", "")
    if not a or not b:
        return False
    return a == b or re.search(r"\b" + re.escape(a) + r"\b", b) is not None or a == _acronym(publisher)


_FIRSTS: tuple[object, list[dict[str, Any]]] = (None, [])


def _one_per_document(metas: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first chunk's metadata of each document (every chunk of a document carries the same document fields:
    origin, kind, hash, sources), kept for the last chunk list asked about, so a question's scan runs over the
    documents once instead of decoding every chunk's metadata (~0.8 s at 100k chunks)."""
    global _FIRSTS
    held, firsts = _FIRSTS
    if held is not metas:
        seen: set[Any] = set()
        firsts = []
        for meta in metas:
            if meta.get("doc_id") not in seen:
                seen.add(meta.get("doc_id"))
                firsts.append(meta)
        _FIRSTS = (metas, firsts)
    return firsts


def publisher_docs(names: list[str], metas: list[dict[str, Any]],
                   primary: dict[str, str] | None = None) -> dict[str, int]:
    """doc_id → preference (0 = an upload the user marked as that publisher's primary source by its checksum,
    `primary`: sha256 → publisher; 1 = a corpus document whose only source is that publisher's publication) for
    the documents that are the publisher's own, under any of its `names`. An upload that only claims the
    publisher in its own front matter or title is never one of them."""
    out: dict[str, int] = {}
    vouched = {h.lower(): p for h, p in (primary or {}).items()}

    def named(text: str) -> bool:
        return any(_matches(n, text) for n in names)

    for meta in _one_per_document(metas):
        doc = str(meta.get("doc_id"))
        if meta.get("origin") == "ingest" or meta.get("kind") == "upload":
            owner = vouched.get(str(meta.get("doc_hash") or "").lower())
            if owner is not None and named(owner):
                out[doc] = 0
            continue
        sources = doc_meta(meta).get("sources") or []
        if len(sources) == 1 and named(str(sources[0].get("publisher", ""))):
            out[doc] = 1
    return out


names_match = _matches  # a name, an acronym of it or a part of it names this publisher


def claimants(names: list[str], metas: list[dict[str, Any]], primary: dict[str, str] | None = None) -> set[str]:
    """Uploads that name the publisher in their own front matter or title but that nobody vouched for by
    checksum (`primary`): "according to X" never answers from them."""
    own = publisher_docs(names, metas, primary)
    out: set[str] = set()
    for meta in _one_per_document(metas):
        doc = str(meta.get("doc_id"))
        if doc in own or meta.get("origin") != "ingest":
            continue
        dm = doc_meta(meta)
        claimed = [str(dm.get("publisher") or ""), str(meta.get("title") or "")]
        claimed += [str(src.get("publisher", "")) for src in dm.get("sources") or []]
        if any(_matches(n, text) for n in names for text in claimed):
            out.add(doc)
    return out
