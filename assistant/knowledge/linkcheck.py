"""`ree sources --check`: is every source address of the corpus still there, and still the same page?

Each distinct address a document's front matter gives (a source's `url` and its `via`) is fetched once with GET,
redirects followed, a bounded number at once (`links.concurrency`, at most `links.per_host` of one host), each
within `links.timeout_s`, with a User-Agent that names the project. An address is

    dead      an HTTP status of 400 or more, or no answer (connection refused, name unknown, timeout)
    moved     its redirects end at a different address (`final_url`)
    changed   the content hash differs from the one recorded by an earlier check
    new       first seen: its hash is recorded, nothing to compare yet
    ok        answered, not moved, same content as recorded

The record of earlier checks is a small JSON file (`paths.linkcheck`, default indexes/linkcheck.json, never
committed): per address its content hash and when it was seen. A dead answer leaves the record as it was; a
changed page's new hash replaces the old one, so a change is reported once.

No network: when none of the first addresses checked gets any HTTP answer and every failure is a connection
failure, the check stops, says so once (`offline`, `message`) and reports nothing dead.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from assistant.settings import LinkSettings

State = Literal["dead", "moved", "changed", "new", "ok"]
STATES: tuple[State, ...] = ("dead", "moved", "changed", "new", "ok")
Progress = Callable[[int, int, str], None]
_HTML = re.compile(rb"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.S | re.I)


@dataclass(frozen=True)
class Address:
    """One address to check: where it appears (`role`: url or via) and in which documents."""

    url: str
    role: Literal["url", "via"]
    docs: tuple[str, ...]


@dataclass
class LinkResult:
    url: str
    role: str
    docs: list[str]
    state: State
    status: int | None = None  # the final HTTP status; None when nothing answered
    final_url: str = ""  # where the redirects ended, for a moved address
    error: str = ""  # why a dead address is dead, in a few words
    changed: bool = False  # content differs from the record (also for a moved address)


@dataclass
class LinkReport:
    results: list[LinkResult] = field(default_factory=list)
    offline: bool = False
    message: str = ""
    record: str = ""  # the record file

    def counts(self) -> dict[str, int]:
        return {s: sum(r.state == s for r in self.results) for s in STATES}

    def to_json(self) -> dict[str, Any]:
        return {"offline": self.offline, "message": self.message, "record": self.record, "counts": self.counts(),
                "results": [asdict(r) for r in self.results]}


def source_addresses(docs: dict[str, list[dict[str, Any]]]) -> list[Address]:
    """The distinct http(s) addresses of the documents' sources (`url` and `via`), each with the documents that
    give it; an address used as a `url` anywhere counts as a url."""
    found: dict[str, tuple[set[str], set[str]]] = {}
    for doc_id, sources in docs.items():
        for src in sources:
            for role in ("url", "via"):
                url = str(src.get(role) or "").strip()
                if re.match(r"https?://", url, re.I):
                    roles, where = found.setdefault(url, (set(), set()))
                    roles.add(role)
                    where.add(doc_id)
    return [Address(url, "url" if "url" in roles else "via", tuple(sorted(where)))
            for url, (roles, where) in sorted(found.items())]


def same_address(a: str, b: str) -> bool:
    """Whether two addresses name the same page: scheme and host case, a fragment and an empty path aside."""

    def norm(u: str) -> str:
        p = urlsplit(u)
        return urlunsplit((p.scheme.lower(), p.netloc.lower(), p.path or "/", p.query, ""))

    return norm(a) == norm(b)


def content_hash(body: bytes, content_type: str) -> str:
    """sha256 of what a reader sees: for HTML, the text without scripts, styles, tags and spacing."""
    if "html" in content_type.lower():
        body = b" ".join(_HTML.sub(b" ", body).split())
    return hashlib.sha256(body).hexdigest()


def load_record(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    addresses = data.get("addresses") if isinstance(data, dict) else None
    return {k: v for k, v in addresses.items() if isinstance(v, dict)} if isinstance(addresses, dict) else {}


def save_record(path: Path, record: dict[str, dict[str, Any]]) -> None:
    """Written beside, then renamed into place: an interrupted check never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".linkcheck-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"version": 1, "addresses": record}, fh, indent=1, sort_keys=True)
    os.replace(tmp, path)


@dataclass
class _Fetched:
    status: int | None = None
    final_url: str = ""
    hash: str = ""
    error: str = ""
    no_connection: bool = False  # nothing answered at all: refused, unknown name, unreachable


async def _fetch(client: Any, url: str, max_bytes: int, timeout_s: float) -> _Fetched:
    import httpx

    try:
        async with client.stream("GET", url) as resp:
            body = bytearray()
            async for chunk in resp.aiter_bytes():
                body += chunk
                if len(body) >= max_bytes:
                    break
            return _Fetched(resp.status_code, str(resp.url),
                            content_hash(bytes(body[:max_bytes]), resp.headers.get("content-type", "")))
    except httpx.ConnectTimeout:
        return _Fetched(error=f"no connection within {timeout_s:g} s", no_connection=True)
    except httpx.TimeoutException:
        return _Fetched(error=f"no answer within {timeout_s:g} s")
    except httpx.ConnectError as exc:
        return _Fetched(error=f"connection failed: {str(exc)[:100]}", no_connection=True)
    except httpx.TooManyRedirects:
        return _Fetched(error="too many redirects")
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return _Fetched(error=f"{type(exc).__name__}: {str(exc)[:100]}")


async def _fetch_all(addresses: list[Address], cfg: LinkSettings, progress: Progress,
                     done: list[int], total: int) -> list[_Fetched]:
    import httpx

    gate = asyncio.Semaphore(cfg.concurrency)
    hosts: dict[str, asyncio.Semaphore] = {}
    timeout = httpx.Timeout(cfg.timeout_s)

    async with httpx.AsyncClient(follow_redirects=True, max_redirects=10, timeout=timeout,
                                 headers={"User-Agent": cfg.user_agent, "Accept": "*/*"}) as client:

        async def one(a: Address) -> _Fetched:
            host = hosts.setdefault(urlsplit(a.url).netloc.lower(), asyncio.Semaphore(cfg.per_host))
            async with gate, host:
                got = await _fetch(client, a.url, cfg.max_bytes, cfg.timeout_s)
            done[0] += 1
            progress(done[0], total, a.url)
            return got

        return list(await asyncio.gather(*(one(a) for a in addresses)))


def _judge(a: Address, got: _Fetched, record: dict[str, dict[str, Any]], now: str) -> LinkResult:
    out = LinkResult(url=a.url, role=a.role, docs=list(a.docs), state="ok", status=got.status)
    if got.status is None or got.status >= 400:
        out.state, out.error = "dead", got.error or f"HTTP {got.status}"
        return out
    before = record.get(a.url)
    out.changed = bool(before and before.get("hash") and before["hash"] != got.hash)
    if not same_address(a.url, got.final_url):
        out.state, out.final_url = "moved", got.final_url
    elif out.changed:
        out.state = "changed"
    elif before is None:
        out.state = "new"
    record[a.url] = {"hash": got.hash, "status": got.status, "final_url": got.final_url, "checked_at": now,
                     "first_seen": (before or {}).get("first_seen") or now,
                     "changed_at": now if out.changed else (before or {}).get("changed_at", "")}
    return out


def check_links(addresses: Iterable[Address], cfg: LinkSettings, record_path: Path,
                progress: Progress | None = None) -> LinkReport:
    """Fetch every address and judge it against the record (which is then updated); see the module's doc."""
    todo = list(addresses)
    report = LinkReport(record=str(record_path))
    if not todo:
        report.message = "No source addresses to check."
        return report
    step = progress or (lambda done, total, label: None)
    record = load_record(record_path)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    done = [0]
    probe = min(len(todo), max(4, cfg.concurrency))
    first = asyncio.run(_fetch_all(todo[:probe], cfg, step, done, len(todo)))
    if all(f.no_connection for f in first):
        report.offline = True
        which = f"the first {probe}" if probe < len(todo) else f"the {probe}"
        report.message = (f"No network: none of {which} source addresses could be reached ({first[0].error}). "
                          "Nothing was checked and nothing is reported dead.")
        return report
    fetched = first + asyncio.run(_fetch_all(todo[probe:], cfg, step, done, len(todo)))
    report.results = [_judge(a, f, record, now) for a, f in zip(todo, fetched, strict=True)]
    save_record(record_path, record)
    counts = report.counts()
    report.message = (f"{len(todo)} addresses checked: " + ", ".join(f"{counts[s]} {s}" for s in STATES)
                      + f". Record: {record_path}.")
    return report


__all__ = ["STATES", "Address", "LinkReport", "LinkResult", "check_links", "content_hash", "load_record",
           "same_address", "save_record", "source_addresses"]
