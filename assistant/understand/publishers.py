"""Sources named in a question ("according to the USGS ...") and the documents that publisher itself wrote."""

from __future__ import annotations

import re
from typing import Any

from assistant.types import doc_meta
from assistant.understand.names import fold

# "according to X", "X says/reports/estimates": the grammar of attributing a claim to a source.
_ACCORDING = re.compile(r"\b(?i:according to|per|as reported by|in the view of)\s+(?i:the\s+)?"
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


def publisher_docs(names: list[str], metas: list[dict[str, Any]]) -> dict[str, int]:
    """doc_id → preference (0 = an ingested upload by that publisher, 1 = a corpus document whose only source is
    that publisher's publication) for the documents that are the publisher's own, under any of its `names`."""
    out: dict[str, int] = {}

    def named(text: str) -> bool:
        return any(_matches(n, text) for n in names)

    for meta in metas:
        doc = str(meta.get("doc_id"))
        if doc in out:
            continue
        dm = doc_meta(meta)
        sources = dm.get("sources") or []
        if meta.get("kind") == "upload":
            if named(str(dm.get("publisher") or "")) or named(str(meta.get("title") or "")) or any(
                    named(str(s.get("publisher", ""))) for s in sources):
                out[doc] = 0
            continue
        if len(sources) == 1 and named(str(sources[0].get("publisher", ""))):
            out[doc] = 1
    return out
