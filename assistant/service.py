"""What every front end needs around the core while serving: whether the index is ready (it is built in the
background on first start) and how uploads are saved and ingested. The API and the web UI both import this;
neither imports the other."""

from __future__ import annotations

import logging
import re
import threading
import time
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import IndexMissingError, InputError, ReeError
from assistant.knowledge.loading import SUFFIXES, doc_id_for
from assistant.types import IngestReport

if TYPE_CHECKING:
    from assistant.core import Assistant

log = logging.getLogger("ree.web")

UPLOAD_SUFFIXES = tuple(SUFFIXES)  # what the loader reads


# -- index status (the index is built in the background on first start) ------------------------------------
class IndexStatus:
    """Whether the index is ready, and a one-line progress message while it is being built."""

    def __init__(self, ready: bool) -> None:
        self.ready = ready
        self.message = "Index ready." if ready else "No index yet."
        self.error: str | None = None
        self.building = False
        self._last_log = 0.0

    @property
    def state(self) -> str:
        """starting (no index, no build yet) | building | failed | ready."""
        if self.error:
            return "failed"
        if self.ready:
            return "ready"
        return "building" if self.building else "starting"

    def progress(self, done: int, total: int, label: str) -> None:
        self.message = f"Building the index on first start: {done}/{total} — {label}" if total else label
        now = time.monotonic()
        if now - self._last_log > 2.0 or (total and done >= total):
            self._last_log = now
            log.info("indexing %s/%s %s", done, total, label)

    def require_ready(self) -> None:
        if self.error:
            raise IndexMissingError(f"Building the index failed: {self.error}. Run `ree index` to see why.")
        if not self.ready:
            raise IndexMissingError(f"{self.message.rstrip('.')}. Try again in a minute.")


def build_index_in_background(assistant: Assistant, status: IndexStatus) -> threading.Thread:
    """Build the missing index in a thread; `status` tells the UI and the API how far it got."""

    def run() -> None:
        started = time.monotonic()
        log.info("no index at %s; building it from %s (first start only)", assistant.settings.index_dir(),
                 assistant.settings.paths.corpus)
        try:
            report = assistant.ensure_index(progress=status.progress)
        except Exception as exc:  # noqa: BLE001 - reported to the UI and the log, the server stays up
            log.exception("building the index failed")
            status.error = str(exc) if isinstance(exc, ReeError) else f"{type(exc).__name__}: {exc}"
            status.message = f"Building the index failed: {status.error}"
            status.building = False
            return
        chunks = report.chunks_embedded if report else 0
        status.ready, status.building = True, False
        status.message = f"Index ready ({chunks} passages embedded in {time.monotonic() - started:.0f} s)."
        log.info(status.message)

    status.building = True  # before the thread starts, so that no poll ever sees "starting" after this
    thread = threading.Thread(target=run, name="ree-index-build", daemon=True)
    thread.start()
    return thread


def safe_filename(name: str) -> str:
    """A plain file name: no folders, no `..`, no control or odd characters, never empty or hidden."""
    name = unicodedata.normalize("NFKC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = re.sub(r"[^\w.\- ]+", "_", name).strip(" .")
    name = re.sub(r"\s+", "_", name)
    name = re.sub(r"\.{2,}", ".", name)
    return (name or "upload")[:120]


def save_upload(uploads: Path, name: str, data: bytes) -> Path:
    uploads.mkdir(parents=True, exist_ok=True)
    target = (uploads / safe_filename(name)).resolve()
    if target.parent != uploads.resolve():  # belt and braces: never write outside the uploads folder
        raise InputError(f"refused file name '{name[:80]}'", field="files")
    target.write_bytes(data)
    return target


def ingest_files(assistant: Assistant, files: list[tuple[str, bytes]], progress: Any = None,
                 channel: str = "api") -> IngestReport:
    """Save uploads under the uploads folder and ingest them, recording the channel (api, web) and the time; a
    bad file is reported and not kept (a previous version of it is put back), the rest still go in."""
    uploads = assistant.settings.paths.uploads_path
    errors: list[str] = []
    saved: list[tuple[Path, bytes | None, bytes]] = []  # (path, what was there before, what was written)
    for name, data in files:
        shown = safe_filename(name)
        if not shown.lower().endswith(UPLOAD_SUFFIXES):
            errors.append(f"{shown}: unsupported file type; use .md, .txt, .html or .pdf")
            continue
        if len(data) > assistant.settings.max_upload_bytes:
            errors.append(f"{shown}: larger than {assistant.settings.max_upload_bytes:,} bytes")
            continue
        target = (uploads / shown).resolve()
        before = target.read_bytes() if target.is_file() else None
        saved.append((save_upload(uploads, name, data), before, data))
    report = IngestReport()
    try:
        if saved:
            paths = [p for p, _, _ in saved]
            report = assistant.ingest(paths, progress=progress or _noop, via=channel)
    finally:
        kept = set(report.added) | set(report.updated)
        for path, before, data in saved:
            if doc_id_for(path, None) in kept or before == data:
                continue
            if before is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(before)
    prefix = str(uploads.resolve()) + "/"
    report.errors = errors + [e.replace(prefix, "").replace(str(uploads) + "/", "") for e in report.errors]
    return report


def _noop(done: int, total: int, label: str) -> None:
    pass


__all__ = ["UPLOAD_SUFFIXES", "IndexStatus", "build_index_in_background", "ingest_files", "safe_filename",
           "save_upload"]
