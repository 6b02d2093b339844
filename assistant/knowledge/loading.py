"""Files → Documents: Markdown with YAML front matter, plain text, HTML and PDF (with page offsets)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.errors import LoadError

SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".html": "html", ".htm": "html",
            ".pdf": "pdf"}
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_FRONT_MATTER = 64 * 1024
SKIP_DIRS = {"value_chain", "eval"}
MAX_YAML_DEPTH = 20
_OPEN = (yaml.FlowSequenceStartToken, yaml.FlowMappingStartToken, yaml.BlockSequenceStartToken,
         yaml.BlockMappingStartToken)
_CLOSE = (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken, yaml.BlockEndToken)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: same rules, faster
_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*\r?\n", re.S)


@dataclass
class Document:
    id: str
    path: str
    format: str
    text: str
    title: str
    kind: str
    meta: dict[str, Any] = field(default_factory=dict)
    pages: list[tuple[int, int]] = field(default_factory=list)  # (start offset, page number), PDFs only
    hash: str = ""

    def page_at(self, offset: int) -> int | None:
        page = None
        for start, number in self.pages:
            if start <= offset:
                page = number
            else:
                break
        return page

    @property
    def sources(self) -> list[dict[str, str]]:
        return self.meta.get("sources") or []


def doc_id_for(path: Path, corpus_root: Path | None) -> str:
    path = path.resolve()
    if corpus_root is not None:
        try:
            return path.relative_to(corpus_root.resolve()).as_posix()
        except ValueError:
            pass
    digest = hashlib.sha1(str(path.parent).encode()).hexdigest()[:8]
    return f"ext/{digest}/{path.name}"


def _as_text(value: Any) -> str:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()[:10]
    return "" if value is None else str(value)


def _str_list(value: Any, name: str, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise LoadError(where, f"front matter '{name}' must be a list of strings")
    return [str(v) for v in value]


def _safe_yaml(text: str, where: str) -> dict[str, Any]:
    if len(text) > MAX_FRONT_MATTER:
        raise LoadError(where, "front matter is larger than 64 KB")
    try:
        depth = 0
        for token in yaml.scan(text, Loader=_LOADER):
            if isinstance(token, yaml.AliasToken | yaml.AnchorToken):
                raise LoadError(where, "front matter uses YAML anchors/aliases, which are not allowed")
            if isinstance(token, _OPEN):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    raise LoadError(where, f"front matter is nested more than {MAX_YAML_DEPTH} levels deep")
            elif isinstance(token, _CLOSE):
                depth -= 1
        data = yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:  # e.g. `as_of: 2025-13-45`
        raise LoadError(where, f"invalid value in YAML front matter ({str(exc)[:80]})") from None
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        at = f" (line {line + 2})" if line is not None else ""
        raise LoadError(where, f"malformed YAML front matter{at}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise LoadError(where, "front matter must be a YAML mapping")
    return data


def _normalise_meta(raw: dict[str, Any], where: str) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for key in ("title", "kind", "publisher", "url"):
        if key in raw and raw[key] is not None and not isinstance(raw[key], str | int | float):
            raise LoadError(where, f"front matter '{key}' must be a string")
        if key in raw and raw[key] is not None:
            meta[key] = str(raw[key])
    meta["as_of"] = _as_text(raw.get("as_of"))
    meta["date"] = _as_text(raw.get("date"))
    for key in ("countries", "stages", "elements"):
        meta[key] = _str_list(raw.get(key), key, where)
    sources = raw.get("sources") or []
    if not isinstance(sources, list):
        raise LoadError(where, "front matter 'sources' must be a list")
    clean = []
    for i, src in enumerate(sources, 1):
        if not isinstance(src, dict):
            raise LoadError(where, f"source {i} in front matter must be a mapping with publisher, title, url, date")
        # `via`: the copy the source was read through (a syndication or mirror); `url` stays the original.
        clean.append({k: _as_text(src.get(k)) for k in ("publisher", "title", "url", "via", "date")})
    meta["sources"] = clean
    return meta


def _decode(data: bytes, where: str) -> str:
    if not data.strip():
        raise LoadError(where, "empty file")
    if b"\x00" in data[:8192]:
        raise LoadError(where, "binary file (contains NUL bytes); expected text, Markdown, HTML or PDF")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(where, f"not valid UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise LoadError(where, "empty file")
    return text


def _first_heading(text: str) -> str | None:
    m = re.search(r"^#\s+(.+)$", text, re.M)
    return m.group(1).strip() if m else None


def parse_markdown(data: bytes, where: str) -> tuple[str, dict[str, Any]]:
    text = _decode(data, where)
    meta: dict[str, Any] = {"sources": [], "countries": [], "stages": [], "elements": []}
    m = _FRONT.match(text)
    if m:
        meta = _normalise_meta(_safe_yaml(m.group(1), where), where)
        text = text[m.end():]
    elif text.startswith("---\n"):
        raise LoadError(where, "front matter starts with '---' but has no closing '---' line")
    if not text.strip():
        raise LoadError(where, "no text after the front matter")
    return text, meta


def _html(data: bytes, where: str) -> tuple[str, dict[str, Any]]:
    import trafilatura

    raw = _decode(data, where)
    try:
        text = trafilatura.extract(raw, include_comments=False, include_tables=True, favor_recall=True)
        meta_obj = trafilatura.extract_metadata(raw)
    except (RecursionError, ValueError, TypeError) as exc:  # deeply nested or broken markup
        raise LoadError(where, f"could not parse HTML ({type(exc).__name__})") from None
    if not text or not text.strip():
        raise LoadError(where, "no main text found in the HTML")
    meta: dict[str, Any] = {"sources": [], "countries": [], "stages": [], "elements": []}
    if meta_obj is not None:
        if meta_obj.title:
            meta["title"] = meta_obj.title
        if meta_obj.date:
            meta["date"] = str(meta_obj.date)
        if meta_obj.sitename or meta_obj.author:
            meta["publisher"] = meta_obj.sitename or meta_obj.author
        if meta_obj.url:
            meta["url"] = meta_obj.url
    return text.replace("\r\n", "\n"), meta


def _pdf(data: bytes, where: str) -> tuple[str, dict[str, Any], list[tuple[int, int]]]:
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    from assistant.knowledge.pdftext import read_pages

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    if not data.startswith(b"%PDF"):
        raise LoadError(where, "not a PDF file (missing %PDF header)")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise LoadError(where, "encrypted PDF; remove the password and try again")
        parts: list[str] = []
        pages: list[tuple[int, int]] = []
        offset = 0
        # Headers, footers, page numbers and contact lines dropped, broken lines joined, tables as pipe tables.
        for number, page_text in enumerate(read_pages(reader), 1):
            chunk = page_text.replace("\r\n", "\n").strip()
            pages.append((offset, number))
            parts.append(chunk)
            offset += len(chunk) + 2
        info = reader.metadata
    except LoadError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError,
            AssertionError, OSError) as exc:
        raise LoadError(where, f"broken PDF ({type(exc).__name__}: {str(exc)[:80]})") from None
    text = "\n\n".join(parts)
    if not text.strip():
        raise LoadError(where, "PDF has no extractable text (scanned images?)")
    meta: dict[str, Any] = {"sources": [], "countries": [], "stages": [], "elements": []}
    try:
        if info and info.title:
            meta["title"] = str(info.title)
        if info and info.author:
            meta["publisher"] = str(info.author)  # who published the PDF, shown on its citations
    except Exception:  # noqa: BLE001 - broken metadata must not lose the text
        logging.getLogger("ree.loading").warning("%s: unreadable PDF metadata ignored", where, exc_info=True)
    return text, meta, pages


def load_bytes(data: bytes, name: str, doc_id: str, where: str | None = None) -> Document:
    """Parse one file's bytes. Raises LoadError with a one-line reason."""
    where = where or name
    suffix = Path(name).suffix.lower()
    fmt = SUFFIXES.get(suffix)
    if fmt is None:
        raise LoadError(where, f"unsupported file type '{suffix or '(none)'}'; use .md, .txt, .html or .pdf")
    if len(data) > MAX_FILE_BYTES:
        raise LoadError(where, f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    pages: list[tuple[int, int]] = []
    if fmt == "markdown":
        text, meta = parse_markdown(data, where)
    elif fmt == "text":
        text = _decode(data, where)
        meta = {"sources": [], "countries": [], "stages": [], "elements": []}
    elif fmt == "html":
        text, meta = _html(data, where)
    else:
        text, meta, pages = _pdf(data, where)
    title = meta.get("title") or _first_heading(text) or Path(name).stem.replace("_", " ").replace("-", " ")
    kind = meta.get("kind") or "upload"
    digest = hashlib.sha256(data).hexdigest()
    return Document(id=doc_id, path=where, format=fmt, text=text, title=title, kind=kind, meta=meta,
                    pages=pages, hash=digest)


def load_file(path: Path, corpus_root: Path | None = None) -> Document:
    where = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(where, f"cannot read file ({exc.strerror or exc})") from None
    return load_bytes(data, path.name, doc_id_for(path, corpus_root), where)


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Supported files under the given files/folders, in a stable order (value_chain/ and eval/ skipped)."""
    for path in paths:
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                rel = p.relative_to(path).parts
                if p.is_file() and p.suffix.lower() in SUFFIXES and not (set(rel[:-1]) & SKIP_DIRS) and not any(
                    part.startswith(".") for part in rel
                ):
                    yield p
        elif path.exists():
            yield path
        else:
            raise LoadError(str(path), "no such file or folder")
