"""Corpus structures parsed once and kept beside the index, reused while nothing they were built from changed.

Parsing the corpus YAML (the value-chain facts, the entity registry, the supply links) and locating each
milestone's sentence takes about 0.2 s, on every cold start. `load_or_build` keeps the result in a file under the
index folder, stamped with the path, size and modification time of every input file and of the package's own
source (so a change to the code that parses them rebuilds it too). A missing, unreadable or stale file is
rebuilt; nothing is ever served from a stamp that does not match.

The file is Python's pickle, read only from the index folder the assistant itself writes (the same trust as the
index's own files); it is written to a temporary name and renamed, so a reader never sees half of one.
"""

from __future__ import annotations

import functools
import logging
import os
import pickle
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)
_PACKAGE = Path(__file__).resolve().parents[1]


@functools.lru_cache(maxsize=1)
def _code() -> tuple[tuple[str, int, int], ...]:
    """The package's source files as this process loaded them."""
    return _files(_PACKAGE.rglob("*.py"))


def stamp(paths: Iterable[Path]) -> tuple[tuple[str, int, int], ...]:
    """What the inputs and the package's code are now: each file's path, size and modification time."""
    return _files(paths) + _code()


def _files(paths: Iterable[Path]) -> tuple[tuple[str, int, int], ...]:
    out = []
    for p in sorted(set(map(Path, paths))):
        try:
            st = p.stat()
        except OSError:
            out.append((str(p), -1, -1))
            continue
        out.append((str(p), st.st_size, st.st_mtime_ns))
    return tuple(out)


def load_or_build(cache: Path | None, paths: Iterable[Path], build: Callable[[], T]) -> T:
    """`build()`'s result, from `cache` while its stamp matches the inputs (`paths`) and the code; otherwise
    built, and written to `cache` for the next start. Without a cache file, simply built."""
    if cache is None:
        return build()
    now = stamp(paths)
    try:
        with cache.open("rb") as f:
            kept, value = pickle.load(f)  # noqa: S301 - our own file under the index folder
        if kept == now:
            return value  # type: ignore[no-any-return]
    except FileNotFoundError:
        pass
    except Exception as exc:  # noqa: BLE001 - a damaged cache is rebuilt, never trusted
        log.info("rebuilding %s (%s)", cache, exc)
    value = build()
    _write(cache, (now, value))
    return value


def _write(cache: Path, payload: Any) -> None:
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
        with tmp.open("wb") as f:
            pickle.dump(payload, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache)
    except OSError as exc:  # a read-only index folder: built again next time, nothing lost
        log.info("not keeping %s (%s)", cache, exc)


__all__ = ["load_or_build", "stamp"]
