"""PDF pages → readable text, from where pypdf places each piece of text on the page:

- superscript markers (a short piece in a smaller font, raised above its line: footnote numbers, "e" for
  estimated) are dropped, so "Australia ¹²16,000" reads 16,000, not 1216,000;
- running headers and footers (a line in the page's top or bottom margin that repeats across pages, or is short
  and no sentence), page numbers and contact lines (a telephone number or an e-mail address) are dropped;
- lines broken inside a paragraph are joined, and paragraphs (a larger gap above a line) are separated by a
  blank line, so a sentence is one sentence;
- a table of figures (a line of year columns, then rows of a label and as many figures) is written as a Markdown
  pipe table, rows grouped under the label lines above them by indentation, so the table loader (`tables.py`)
  and the answer's reading of table rows serve it as they serve the corpus's own tables.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

_YEAR_TOKEN = re.compile(r"(?:19|20)\d\d")
# A figure cell: a number (with its thousands commas, a decimal part, a sign of bound, a currency or a percent),
# or one of the marks statistical tables put in place of a number (zero, not available, withheld, net exporter).
_FIGURE = re.compile(r"[<>≥≤~]?\$?\d[\d,]*(?:\.\d+)?%?|[—–-]|NA|W|E|XX|n/a", re.I)
_PHONE = re.compile(r"\(\d{3}\)\s*\d{3}\s*[-–]\s*\d{4}|\+\d{1,3}[ .-]\(?\d{1,4}\)?[ .-]\d{2,4}[ .-]?\d{2,4}"
                    r"|\b(?:tel|telephone|phone|fax)\b\.?:?\s*[+(]?\d", re.I)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_PAGE_NUMBER = re.compile(r"(?:page\s+)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?|[ivxlc]{1,6}|[-–—]\s*\d{1,4}\s*[-–—]",
                          re.I)
MARGIN = 0.07  # the top and bottom 7% of a page hold its running header and footer
SUPERSCRIPT_SIZE = 0.8  # a superscript's font is at most this share of its line's


@dataclass
class Piece:
    text: str
    x: float
    y: float
    size: float


@dataclass
class Line:
    text: str
    x: float
    y: float
    size: float
    page: int
    margin: bool = False  # in the page's top or bottom margin


def _pieces(page: Any) -> list[Piece]:
    """The page's text as pypdf shows it, piece by piece, with each piece's position and font size."""
    out: list[Piece] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if not text:
            return
        scale = abs(tm[3] * cm[3]) or abs(tm[0] * cm[0]) or 1.0
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        out.append(Piece(text, x, y, abs(size or 1.0) * scale))

    page.extract_text(visitor_text=visit)
    return out


def _superscripts(pieces: list[Piece]) -> set[int]:
    """Pieces that are superscript marks: short, in a smaller font than the text they sit on, and raised above
    its baseline."""
    shown = [i for i, p in enumerate(pieces) if p.text.strip()]
    out: set[int] = set()
    for j, i in enumerate(shown):
        p = pieces[i]
        if len(p.text.strip()) > 4:
            continue
        refs = []
        for step in (-1, 1):  # the nearest piece of full size before and after, past other marks
            k = j + step
            while 0 <= k < len(shown) and abs(k - j) <= 5:
                q = pieces[shown[k]]
                if p.size <= SUPERSCRIPT_SIZE * q.size:
                    refs.append(q)
                    break
                k += step
        if any(abs(q.y - p.y) < q.size and p.y > q.y + 0.15 * q.size for q in refs):
            out.add(i)
    return out


def page_lines(page: Any, number: int) -> list[Line]:
    """The page's lines in pypdf's reading order, superscript marks dropped, each with the position and size of
    its first piece of text."""
    pieces = _pieces(page)
    marks = _superscripts(pieces)
    lines: list[Line] = []
    parts: list[str] = []
    sizes: Counter[float] = Counter()
    first: Piece | None = None

    def flush() -> None:
        nonlocal parts, first
        text = " ".join("".join(parts).split())
        if text and first is not None:
            size = sizes.most_common(1)[0][0]  # the type most of the line is set in
            if first.size < SUPERSCRIPT_SIZE * size:
                text = re.sub(r"^\d{1,3}(?=[A-Z][A-Za-z])", "", text)  # a footnote's mark: '12Estimated based…'
            lines.append(Line(text, first.x, first.y, size, number))
        parts, first = [], None
        sizes.clear()
        if len(lines) >= 2:  # pieces pypdf put on lines of their own but that sit on one baseline are one line
            a, b = lines[-2], lines[-1]
            if abs(a.y - b.y) < 0.3 * a.size and b.x > a.x:
                lines[-2:] = [Line(f"{a.text} {b.text}", a.x, a.y, max(a.size, b.size), number)]

    for i, p in enumerate(pieces):
        text = re.sub(r"\S", "", p.text) if i in marks else p.text
        for k, part in enumerate(text.split("\n")):
            if k:
                flush()
            if part.strip() and first is None:
                first = p
            parts.append(part)
            sizes[round(p.size, 1)] += len(part.strip())
    flush()
    if lines:  # a line in a smaller type than the page's text is a footnote: it loses the mark it opens with
        body = Counter(round(ln.size, 1) for ln in lines for _ in ln.text).most_common(1)[0][0]
        for ln in lines:
            if ln.size < SUPERSCRIPT_SIZE * body:
                ln.text = re.sub(r"^\d{1,3}(?=[A-Z][A-Za-z])", "", ln.text)
    try:
        box = page.mediabox
        bottom, top = float(box.bottom), float(box.top)
    except (AttributeError, TypeError, ValueError, KeyError):
        return lines
    band = MARGIN * (top - bottom)
    for line in lines:
        line.margin = line.y > top - band or line.y < bottom + band
    return lines


def _key(text: str) -> str:
    """A line as it repeats from page to page: page numbers, footnote marks and punctuation aside."""
    return " ".join(re.sub(r"[\d\W_]+", " ", text).lower().split())


def is_contact(text: str) -> bool:
    return bool(_PHONE.search(text) or _EMAIL.search(text))


def drop_furniture(pages: list[list[Line]]) -> list[list[Line]]:
    """The pages without their running headers and footers, page numbers and contact lines."""
    seen = Counter(k for lines in pages for k in {_key(ln.text) for ln in lines if ln.margin} if k)
    out = []
    for lines in pages:
        kept = []
        for ln in lines:
            text = ln.text
            if is_contact(text) or _PAGE_NUMBER.fullmatch(text.strip()):
                continue
            if ln.margin and (seen[_key(text)] >= 2 and len(pages) >= 2
                              or len(text.split()) <= 12 and not text.rstrip().endswith((".", "!", "?"))):
                continue
            kept.append(ln)
        out.append(kept)
    return out


def _split_figures(text: str) -> tuple[str, list[str]]:
    """A line's label and the figures that end it: 'Brazil 140 20 21,000,000' → ('Brazil', ['140', '20', …])."""
    tokens = text.split()
    k = len(tokens)
    while k > 0 and _FIGURE.fullmatch(tokens[k - 1]):
        k -= 1
    return " ".join(tokens[:k]), tokens[k:]


def _year_header(text: str) -> tuple[str, list[str]] | None:
    """A line that heads year columns: its label and the column names ('2023', 'FY 2024'), else None."""
    tokens = text.split()
    first = next((i for i, t in enumerate(tokens) if _YEAR_TOKEN.fullmatch(t)), None)
    if first is None:
        return None
    start = first - 1 if first > 0 and re.fullmatch(r"[A-Z]{1,3}", tokens[first - 1]) else first
    cols: list[str] = []
    prefix = ""
    for t in tokens[start:]:
        if _YEAR_TOKEN.fullmatch(t):
            cols.append(f"{prefix} {t}".strip())
            prefix = ""
        elif re.fullmatch(r"[A-Z]{1,3}", t) and not prefix:
            prefix = t
        else:
            return None
    if len(cols) < 2 or prefix:
        return None
    return " ".join(tokens[:start]), cols


def _is_group(text: str) -> bool:
    """A label line inside a table that the rows below it belong to ('Imports:', 'Metals:')."""
    words = len(text.split())
    return (text.endswith(":") and words <= 14) or (words <= 6 and not text.endswith((".", "!", "?")))


def _cell(text: str) -> str:
    return text.replace("|", "/").strip()


@dataclass
class _Table:
    start: int  # index of its first line (the super-header or the year header)
    end: int  # index after its last row
    markdown: str


def _spacing(lines: list[Line]) -> float:
    gaps = [a.y - b.y for a, b in zip(lines, lines[1:], strict=False) if 0 < a.y - b.y < 2.5 * a.size]
    if not gaps:
        return max((ln.size for ln in lines), default=10.0) * 1.2
    return sorted(gaps)[len(gaps) // 2]


def _table_at(lines: list[Line], h: int, spacing: float) -> _Table | None:
    head = _year_header(lines[h].text)
    if head is None:
        return None
    label, years = head
    # The rows: lines ending in figures, and the label lines that group them, until anything else.
    body: list[tuple[int, str, list[str]]] = []
    i = h + 1
    while i < len(lines):
        text = lines[i].text
        name, figures = _split_figures(text)
        if figures and name:
            body.append((i, name, figures))
        elif not figures and _is_group(text):
            body.append((i, text, []))
        else:
            break
        i += 1
    counts = Counter(len(f) for _, _, f in body if f)
    if not counts:
        return None
    width, _ = counts.most_common(1)[0]
    if width < len(years):
        return None
    extra = width - len(years)
    columns = list(years)
    start = h
    if extra:
        # Columns past the years are named by the line above the years ('Mine production  Reserves'): its
        # phrases, each opening with a capital, name the year group and then each further column.
        above = lines[h - 1] if h > 0 else None
        if above is None or _split_figures(above.text)[1] or above.y - lines[h].y > 1.6 * spacing:
            return None
        phrases = [p.strip() for p in re.findall(r"[A-Z][^A-Z]*", above.text)]
        if len(phrases) == extra + 1:
            columns = [f"{phrases[0]} {y}" for y in years] + phrases[1:]
        elif len(phrases) == extra:
            columns = columns + phrases
        else:
            return None
        start = h - 1
    rows: list[str] = []
    groups: list[tuple[float, str]] = []
    end = h + 1
    for i, name, figures in body:
        x = lines[i].x
        if len(figures) < width:
            if figures:
                break
            groups = [g for g in groups if g[0] < x - 1] + [(x, name.rstrip(":").strip())]
            end = i + 1
            continue
        groups = [g for g in groups if g[0] < x - 1]
        label_row = ": ".join([g for _, g in groups] + [" ".join([name, *figures[:-width]])])
        rows.append("| " + " | ".join(_cell(c) for c in [label_row, *figures[-width:]]) + " |")
        end = i + 1
    if len(rows) < 2:
        return None
    while end > h + 1 and not _split_figures(lines[end - 1].text)[1]:
        end -= 1  # a label line after the last row belongs to what follows
    header = "| " + " | ".join(_cell(c) for c in [label.rstrip(":"), *columns]) + " |"
    rule = "|" + "---|" * (width + 1)
    return _Table(start, end, "\n".join([header, rule, *rows]))


def page_text(lines: list[Line]) -> str:
    """One page's lines as paragraphs and pipe tables, separated by blank lines."""
    spacing = _spacing(lines)
    blocks: list[str] = []
    para: list[str] = []
    prev: Line | None = None

    def close() -> None:
        nonlocal para
        if para:
            blocks.append(para[0] + "".join(("" if re.search(r"[A-Za-z]-$", a) and b[:1].islower() else " ") + b
                                            for a, b in zip(para, para[1:], strict=False)))
        para = []

    i = 0
    while i < len(lines):
        table = _table_at(lines, i + 1, spacing) if i + 1 < len(lines) and _year_header(lines[i + 1].text) else None
        if table is None or table.start != i:
            table = _table_at(lines, i, spacing) if _year_header(lines[i].text) else None
        if table is not None and table.start == i:
            close()
            blocks.append(table.markdown)
            prev = None
            i = table.end
            continue
        line = lines[i]
        name, figures = _split_figures(line.text)
        if name and len(figures) >= 2:
            close()  # a row of figures outside a table it could be read into stands on its own
            blocks.append(line.text)
            prev = None
            i += 1
            continue
        gap = prev.y - line.y if prev is not None else 0.0
        if prev is not None and (gap > 1.6 * spacing or gap < -0.5 * line.size
                                 or abs(line.size - prev.size) > 0.15 * prev.size):
            close()
        para.append(line.text)
        prev = line
        i += 1
    close()
    return "\n\n".join(blocks)


def read_pages(reader: Any) -> list[str]:
    """Every page's text: superscripts, headers, footers, page numbers and contact lines dropped, paragraphs
    joined and tables of figures written as pipe tables."""
    pages = [page_lines(page, n) for n, page in enumerate(reader.pages, 1)]
    return [page_text(lines) for lines in drop_furniture(pages)]
