"""Table rows and lists read as sentences ('Thailand: 13,000 t REO in 2024'), a sentence that introduces a list
shown with it, and the passages of the retrieved documents that hold a row or a figure about what is asked."""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.answer.citations import plain, table_cells
from assistant.knowledge.entities import Entity
from assistant.knowledge.tables import parse_number
from assistant.knowledge.taxonomy import YEAR, find_countries
from assistant.types import STATUS_LABEL, Chunk, Passage

_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
# A figure: a number standing on its own, not a digit inside a name or formula ("Nd2Fe14B", "F-35" counts).
NUMBER = re.compile(r"(?<![A-Za-z])\d|\b(dozens|hundreds|thousands|millions|billions)\b", re.I)

def _table_header(text: str, row_start: int) -> list[str] | None:
    """The header cells of the Markdown table a row belongs to."""
    lines = text[:row_start].splitlines()
    header = None
    for line in reversed(lines):
        if table_cells(line) is None and not re.fullmatch(r"\s*\|[\s:|-]+\|\s*", line):
            break
        cells = table_cells(line)
        if cells is not None:
            header = cells
    return header


def _unit(header: str) -> tuple[str, str]:
    """A column header's label and its unit, the unit being a bracket without digits: '2024 (t REO)' →
    ('2024', 't REO'); '2022 (MCS 2024)' is a label alone."""
    head = plain(header)
    m = re.fullmatch(r"(.*?)\s*\(([^)\d]+)\)", head)
    return (m.group(1), m.group(2)) if m else (head, "")


def _is_figure(cell: str) -> bool:
    return parse_number(plain(cell))[0] is not None


def _cell(header: str, value: str) -> str:
    """One cell read with its column: the unit after the figure, a year column as 'in <year>'."""
    label, unit = _unit(header)
    value = plain(value)
    value = STATUS_LABEL.get(value, value)  # a status key reads as every front end writes it ("at scale")
    figure = f"{value} {unit}" if unit and _is_figure(value) else value
    if YEAR.fullmatch(label):
        return f"{figure} in {label}"
    return f"{label}: {figure}" if label else figure


def row_sentence(row: str, chunk_text: str, years: list[int], about: str | None = None) -> str | None:
    """A table row as a sentence, each cell read with its column: 'Thailand: 13,000 t REO in 2024; 3,600 t REO
    in 2023'. Where the question names a year that heads a column, that column comes first. A row of a document
    about one country (`about`) whose first cell names no country is read with it: 'Greenland, mining: …'."""
    cells = table_cells(row)
    if cells is None:
        return None
    header = _table_header(chunk_text, chunk_text.find(row))
    if not header or len(header) != len(cells) or header == cells:
        return plain(row)
    pairs = [(h, c) for h, c in zip(header[1:], cells[1:], strict=True) if plain(c) and plain(h)]
    wanted = [p for p in pairs if any(str(y) in p[0] for y in years)]
    pairs = wanted + [p for p in pairs if p not in wanted]
    first = plain(cells[0])
    if about and not find_countries(first):
        first = f"{about}, {first}"
    return f"{first[:1].upper()}{first[1:]}: " + "; ".join(_cell(h, c) for h, c in pairs)


def _introduced(text: str, sent: str) -> tuple[str, str] | None:
    """A sentence ending in a colon together with the list or table it introduces: the verbatim span, and how it
    reads ('…by 2030: Extracted in the EU, at least 10%; Processed in the EU, at least 40%.'). None when no list
    or table follows it."""
    start = text.find(sent)
    pos = start + len(sent)
    items: list[str] = []
    end = pos
    lines = text[pos:].split("\n")
    offset = pos
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            if items:
                break
        else:
            cells = table_cells(stripped)
            nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
            if re.fullmatch(r"[|\-:\s]+", stripped) or cells is not None and re.fullmatch(r"\|[\s|:-]+\|", nxt):
                pass  # a table's header and the line under it
            elif cells is not None:
                items.append(", ".join(plain(c) for c in cells if plain(c)))
            elif _LIST_ITEM.match(line):
                items.append(plain(stripped))
            else:
                break
            end = offset + len(line.rstrip())
        offset += len(line) + 1
    if not items or start < 0:
        return None
    return text[start:end], plain(sent).rstrip(":") + ": " + "; ".join(items) + "."


def _more_of_retrieved(passages: list[Passage], doc_chunks: Callable[[str], list[Chunk]],
                       wanted: Callable[[Chunk], bool], docs: set[str] | None = None) -> list[Passage]:
    """Chunks of the retrieved documents (those in `docs`, when given) that are `wanted` and were not retrieved
    themselves, as passages ranked after the retrieved ones. Each carries its document's best similarity to the
    question: it is read because its document was found."""
    have = {p.chunk.id for p in passages}
    best: dict[str, float] = {}
    for p in passages:
        if p.similarity is not None:
            best[p.chunk.doc_id] = max(best.get(p.chunk.doc_id, p.similarity), p.similarity)
    out: list[Passage] = []
    for doc in dict.fromkeys(p.chunk.doc_id for p in passages if docs is None or p.chunk.doc_id in docs):
        for chunk in doc_chunks(doc):
            if chunk.id not in have and wanted(chunk):
                out.append(Passage(chunk=chunk, score=0.0, similarity=best.get(doc)))
                have.add(chunk.id)
    return out


def table_passages(passages: list[Passage], countries: list[str],
                   doc_chunks: Callable[[str], list[Chunk]]) -> list[Passage]:
    """Passages of the retrieved documents that hold a table row about one of the countries: a document found for
    a question of figures is read for its table as well as its prose."""
    def has_row(chunk: Chunk) -> bool:
        rows = (table_cells(line) for line in chunk.text.splitlines())
        return any(cells and set(find_countries(cells[0])) & set(countries) for cells in rows)

    return _more_of_retrieved(passages, doc_chunks, has_row)


def entity_passages(passages: list[Passage], entity: Entity,
                    doc_chunks: Callable[[str], list[Chunk]], first_only: bool = False) -> list[Passage]:
    """Passages that name an entity and hold a figure, from the retrieved documents that discuss it (with
    `first_only`, the first of them in the search's order, its main document for the question): a document found
    for a figure about a named plant, mine or company is read for every passage about it."""
    names = [re.compile(r"\b" + re.escape(n) + r"\b", re.I) for n in entity.names]
    docs = set(entity.docs)
    if first_only:
        first = next((p.chunk.doc_id for p in passages if p.chunk.doc_id in docs and any(
            n.search(p.chunk.text) for n in names)), None)
        docs = {first} if first else set()
    return _more_of_retrieved(passages, doc_chunks, lambda c: bool(NUMBER.search(c.text)) and any(
        n.search(c.text) for n in names), docs)
