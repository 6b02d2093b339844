"""Small helpers shared by the benchmarks: tables, percentiles, timing, the bench folder."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from assistant.settings import Settings


def bench_dir(settings: Settings | None = None) -> Path:
    folder = (settings or Settings()).paths.indexes / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def file_hash(*paths: Path, extra: str = "") -> str:
    h = hashlib.sha256(extra.encode())
    for p in paths:
        with open(p, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:16]


def percentiles(samples_s: list[float]) -> dict[str, float]:
    ms = np.asarray(samples_s) * 1000.0
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2), "p95_ms": round(float(np.percentile(ms, 95)), 2),
            "n": len(samples_s)}


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def table(rows: list[dict[str, Any]], title: str = "") -> str:
    """A Markdown table (pastes straight into docs/benchmarks.md)."""
    if not rows:
        return f"{title}\n(no rows)\n"
    cols = list(dict.fromkeys(k for r in rows for k in r))
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.4f}" if abs(v) < 10 else f"{v:.1f}"
        return "" if v is None else str(v)
    lines = ([f"### {title}", ""] if title else []) + [
        "| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(cell(r.get(c)) for c in cols) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def emit(result: dict[str, Any], tables: list[tuple[str, list[dict[str, Any]]]], as_json: bool) -> None:
    if as_json:
        json.dump(result, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        for title, rows in tables:
            print(table(rows, title))


def rss_peak_mb(pid: int | str = "self") -> float:
    """Peak resident set size (VmHWM) of a process, in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def rss_now_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")
