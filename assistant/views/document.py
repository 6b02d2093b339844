"""One indexed document as a reader opens it from a citation: its text exactly as it was indexed (so a citation's
`span` falls on the words it cites), its sources and, for an upload, how it came.

Only an indexed document can be opened, found by its doc_id among the index's own records, never by a path a
caller writes: its file is looked up under the corpus folder or the uploads folder, and used only when its
content hash is the one the index recorded. Otherwise (a file changed or gone since indexing, a file ingested
from elsewhere) the text is put back together from the indexed passages at their exact offsets, and the view
says it is incomplete.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import LoadError, UnknownDocumentError
from assistant.knowledge.loading import doc_id_for, load_file
from assistant.types import doc_meta

SOURCE_KEYS = ("publisher", "title", "url", "via", "date")


@dataclass(frozen=True)
class DocumentView:
    """A document's text and what it rests on. `sources` are the front matter's, each with publisher, title,
    url, via and date ('' when undated); `complete` is False when the text was put back together from the indexed
    passages (the words between passages are then missing)."""

    doc_id: str
    title: str
    kind: str
    text: str
    sources: list[dict[str, str]] = field(default_factory=list)
    as_of: str = ""
    uploaded: str = ""  # "uploaded via web on 2026-01-05T10:00:00Z" for an upload, else ""
    complete: bool = True

    def span(self, start: int, end: int) -> tuple[int, int] | None:
        """(start, end) when it is a non-empty range inside the text, else None."""
        return (start, end) if 0 <= start < end <= len(self.text) else None


def document_file(doc_id: str, corpus: Path, uploads: Path) -> Path | None:
    """The file behind an indexed doc_id: under the corpus folder, or an upload (`ext/<hash>/<name>` in the
    uploads folder); None when neither holds it. A doc_id never leads outside those two folders."""
    corpus = corpus.resolve()
    candidate = (corpus / doc_id).resolve()
    if candidate.is_relative_to(corpus) and candidate.is_file():
        return candidate
    parts = doc_id.split("/")
    if len(parts) == 3 and parts[0] == "ext":
        uploads = uploads.resolve()
        upload = (uploads / parts[2]).resolve()
        if upload.parent == uploads and upload.is_file() and doc_id_for(upload, None) == doc_id:
            return upload
    return None


def _file_text(path: Path, indexed_hash: str) -> str | None:
    """The file's text when the file is the one that was indexed (same sha256), else None."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if indexed_hash and hashlib.sha256(data).hexdigest() != indexed_hash:
        return None
    try:
        return load_file(path).text
    except LoadError:
        return None


def _reassembled(passages: list[tuple[int, int, str]]) -> str:
    """The text from passages at their exact offsets; what lies between them is blank."""
    size = max((end for _, end, _ in passages), default=0)
    chars = [" "] * size
    for start, end, text in passages:
        if end - start == len(text):
            chars[start:end] = text
    return "".join(chars)


def document_view(doc_id: str, texts: Sequence[str], metas: Sequence[dict[str, Any]], corpus: Path,
                  uploads: Path) -> DocumentView:
    """The indexed document `doc_id` (UnknownDocumentError when the index holds no such document)."""
    passages = [(int(m.get("start", 0)), int(m.get("end", 0)), t) for t, m in zip(texts, metas, strict=True)
                if m.get("doc_id") == doc_id]
    first = next((m for m in metas if m.get("doc_id") == doc_id), None)
    if first is None:
        raise UnknownDocumentError(f"No indexed document '{doc_id[:120]}'; see the sources browser or "
                                   "`ree sources`.", field="doc_id")
    dm = doc_meta(first)
    path = document_file(doc_id, corpus, uploads)
    text = _file_text(path, str(first.get("doc_hash") or "")) if path is not None else None
    uploaded = ""
    if first.get("origin") == "ingest":
        when = str(first.get("uploaded_at") or "")
        uploaded = f"uploaded via {first.get('uploaded_via') or 'ingest'}" + (f" on {when}" if when else "")
    sources = [{k: str(s.get(k) or "") for k in SOURCE_KEYS} for s in dm.get("sources") or [] if isinstance(s, dict)]
    if not sources and (dm.get("publisher") or dm.get("url")):  # a file that names one source for itself
        sources = [{k: str(dm.get(k) or "") for k in SOURCE_KEYS} | {"title": str(first.get("title") or "")}]
    return DocumentView(doc_id=doc_id, title=str(first.get("title") or doc_id), kind=str(first.get("kind") or ""),
                        text=text if text is not None else _reassembled(sorted(passages)), sources=sources,
                        as_of=str(dm.get("as_of") or ""), uploaded=uploaded, complete=text is not None)


__all__ = ["DocumentView", "document_file", "document_view"]
