"""One immutable view of the index for one request: store handle, keyword index, retriever, value-chain data
and revision, taken together at the start of a request and used for all of it.

Writers (ingest, index, rebuild) build a new Snapshot beside the live one and swap it in; only the swap is
under a lock, so readers never wait for embedding and never see a half-built keyword index. Chroma itself is
written incrementally (new chunks first, stale ones last), so a reader's dense hits are always whole chunks.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.answer.checklist import ChecklistBuilder, ValueChainData
    from assistant.index.keywords import KeywordIndex
    from assistant.index.retrieval import Retriever
    from assistant.index.store import VectorStore


@dataclass(frozen=True, eq=False)
class Snapshot:
    store: VectorStore
    keywords: KeywordIndex
    retriever: Retriever
    builder: ChecklistBuilder
    revision: str

    @property
    def location(self) -> str:
        """The Chroma folder (embedded) or collection (server) this snapshot reads."""
        return self.store.location


def make_snapshot(settings: Any, store: VectorStore, embedder: Any, value_chain: ValueChainData,
                  revision: str | None = None) -> Snapshot:
    """Read the keyword side for the store's revision (read now when not given), from its cache or rebuilt."""
    from assistant.answer.checklist import ChecklistBuilder
    from assistant.index.readview import keyword_index
    from assistant.index.retrieval import Retriever

    revision = revision or store.revision()
    keywords = keyword_index(settings, store, revision)
    return Snapshot(store=store, keywords=keywords, revision=revision,
                    retriever=Retriever(store, keywords, embedder, settings.retrieval),
                    builder=ChecklistBuilder(value_chain, keywords))


ANY = object()  # `swap(expected=ANY)`: a writer's snapshot replaces whatever is live


class SnapshotHolder:
    """The live snapshot and the one lock that guards swapping it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: Snapshot | None = None
        self.checked = 0.0  # monotonic time of the last freshness check

    @property
    def current(self) -> Snapshot | None:
        return self._current

    def swap(self, new: Snapshot, expected: object = ANY) -> Snapshot | None | object:
        """Make `new` live unless another swap got there first (when `expected` is given). Returns the
        snapshot it replaced, or ANY when it did not swap."""
        with self._lock:
            if expected is not ANY and self._current is not expected:
                return ANY
            old, self._current = self._current, new
            self.checked = time.monotonic()
            return old


__all__ = ["ANY", "Snapshot", "SnapshotHolder", "make_snapshot"]
