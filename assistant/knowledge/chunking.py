"""Documents → Chunks: Markdown headings become a section path; sentences are packed into ~100-250-word
passages with overlap; each chunk keeps exact character offsets into the document text."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

from assistant.knowledge.loading import Document
from assistant.settings import ChunkingSettings
from assistant.types import Chunk

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.M)
_SENTENCE_END = re.compile(r"(?<=[.!?])(?:\[[^\]\n]{1,20}\])*[\"”’)]?\s+(?=[A-Z0-9\"“(\[])")
_WORD = re.compile(r"\S+")
_ABBREV = re.compile(r"(?:\b(?:No|Nos|Art|Fig|Co|Corp|Inc|Ltd|St|Dr|Mr|Ms|Mrs|Prof|approx|vs|etc|Jan|Feb|Mar|Apr|"
                     r"Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|e\.g|i\.e|U\.S|U\.K|[A-Z])\.)$")


def units(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """Sentence-like units as (start, end) offsets: sentences in prose, one line per table row or list item."""
    end = len(text) if end is None else end
    for para in re.finditer(r"(?:[^\n]|\n(?!\s*\n))+", text[start:end]):
        p0 = start + para.start()
        block = para.group(0)
        lines = block.split("\n")
        if all(ln.lstrip().startswith(("|", "-", "*", "+")) or re.match(r"\s*\d+[.)]\s", ln) for ln in lines
               if ln.strip()):
            off = p0
            for ln in lines:
                s = off + (len(ln) - len(ln.lstrip()))
                e = off + len(ln.rstrip())
                if e > s and not re.fullmatch(r"[|\-:\s]+", ln):
                    yield s, e
                off += len(ln) + 1
            continue
        pos = 0
        for m in _SENTENCE_END.finditer(block):
            if _ABBREV.search(block, max(0, m.start() - 12), m.start()):
                continue  # "No. 18", "U.S. Army", "e.g. Lynas": not a sentence end
            cut = m.start() + len(m.group(0).rstrip())
            seg = block[pos:cut]
            if seg.strip():
                lead = len(seg) - len(seg.lstrip())
                yield p0 + pos + lead, p0 + pos + len(seg.rstrip())
            pos = m.end()
        seg = block[pos:]
        if seg.strip():
            lead = len(seg) - len(seg.lstrip())
            yield p0 + pos + lead, p0 + pos + len(seg.rstrip())


def sections(doc: Document) -> list[tuple[str, str, int, int]]:
    """(section path, last heading, start, end) spans: Markdown headings, PDF pages (so every chunk sits on
    one page), or the whole text."""
    if doc.format == "pdf" and doc.pages:
        bounds = [start for start, _ in doc.pages[1:]] + [len(doc.text)]
        return [(f"p. {number}", f"p. {number}", start, end) for (start, number), end in zip(doc.pages, bounds,
                                                                                               strict=True)
                if doc.text[start:end].strip()]
    if doc.format != "markdown":
        return [("", "", 0, len(doc.text))]
    heads = list(_HEADING.finditer(doc.text))
    spans: list[tuple[str, str, int, int]] = []
    stack: list[tuple[int, str]] = []
    if not heads or heads[0].start() > 0:
        first = heads[0].start() if heads else len(doc.text)
        if doc.text[:first].strip():
            spans.append(("", "", 0, first))
    for i, h in enumerate(heads):
        level, title = len(h.group(1)), h.group(2).strip()
        stack = [(lv, t) for lv, t in stack if lv < level] + [(level, title)]
        body_end = heads[i + 1].start() if i + 1 < len(heads) else len(doc.text)
        path = " > ".join(t for _, t in stack)
        if doc.text[h.end():body_end].strip():
            spans.append((path, title, h.end(), body_end))
    # a document whose only words are its headings keeps them: its whole text is one section
    return spans or ([("", "", 0, len(doc.text))] if doc.text.strip() else [])


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def _split_long(text: str, s: int, e: int, max_words: int) -> Iterator[tuple[int, int]]:
    words = list(_WORD.finditer(text, s, e))
    for i in range(0, len(words), max_words):
        part = words[i : i + max_words]
        yield part[0].start(), part[-1].end()


def chunk_document(doc: Document, cfg: ChunkingSettings) -> list[Chunk]:
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    base_meta = {"title": doc.title, "kind": doc.kind}
    for path, heading, s0, e0 in sections(doc):
        sents: list[tuple[int, int, int]] = []
        for s, e in units(doc.text, s0, e0):
            n = _words(doc.text[s:e])
            if n > cfg.max_words:
                sents += [(a, b, _words(doc.text[a:b])) for a, b in _split_long(doc.text, s, e, cfg.max_words)]
            elif n:
                sents.append((s, e, n))
        # Words from sentence i to the end of the section (so the remainder check below is O(1), not O(n)).
        rest = [0] * (len(sents) + 1)
        for x in range(len(sents) - 1, -1, -1):
            rest[x] = rest[x + 1] + sents[x][2]
        i = 0
        while i < len(sents):
            j, words = i, 0
            while j < len(sents) and (words < cfg.target_words) and (words + sents[j][2] <= cfg.max_words or j == i):
                words += sents[j][2]
                j += 1
            # Fold a small remainder into this chunk rather than leaving a fragment.
            if j < len(sents) and rest[j] < cfg.target_words // 3 and words + rest[j] <= cfg.max_words:
                j = len(sents)
            start, end = sents[i][0], sents[j - 1][1]
            text = doc.text[start:end]
            key = hashlib.sha256(f"{doc.id}\x00{path}\x00{text}".encode()).hexdigest()[:20]
            seen[key] = seen.get(key, 0) + 1
            cid = key if seen[key] == 1 else f"{key}-{seen[key]}"
            chunks.append(Chunk(id=cid, doc_id=doc.id, text=text, start=start, end=end, section=path,
                                page=doc.page_at(start), meta={**base_meta, "heading": heading}))
            if j >= len(sents):
                break
            # Overlap: step back over whole sentences worth about `overlap_words`.
            k, back = j, 0
            while k - 1 > i and back + sents[k - 1][2] <= cfg.overlap_words:
                k -= 1
                back += sents[k][2]
            i = k if k > i else j
    return chunks


def embedding_text(chunk: Chunk) -> str:
    """What is embedded and keyword-indexed: title and section give the passage its context."""
    head = chunk.meta.get("title", "")
    if chunk.section:
        head = f"{head} | {chunk.section}"
    return f"{head}\n{chunk.text}" if head else chunk.text

# Where a sentence of generated or composed text ends: a full stop (with closing quotes or brackets and any [n]
# citation markers after it), or a line break.
ANSWER_SENTENCE_END = re.compile(r"[.!?][\"”')\]]*(?:\s*\[[\d\s,;–-]+\])*(?=\s)|\n")


def split_sentences(text: str) -> list[str]:
    """Sentences of a model reply, each with the [n] markers that follow its full stop."""
    out, pos = [], 0
    for m in ANSWER_SENTENCE_END.finditer(text):
        seg = text[pos:m.end()].strip()
        if seg:
            out.append(seg)
        pos = m.end()
    if text[pos:].strip():
        out.append(text[pos:].strip())
    return out
