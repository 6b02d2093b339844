"""Uploads are written beside the live index: the live index is copied, the files are added to the copy, the
copy is checked and made live in one step, and the old one is dropped once no request holds it."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from assistant.errors import ReeError


def _folders(assistant) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(p.name for p in assistant.settings.index_dir().iterdir() if p.name.startswith("chroma"))


def test_ingest_switches_to_a_new_index_and_keeps_everything(mini_assistant, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = mini_assistant._snapshot()
    location, count = before.location, before.store.count()
    del before
    upload = tmp_path / "quarzite.md"
    upload.write_text("# Quarzite notes\n\nThe Quarzite plant separates 321 t of fictional NdPr oxide a year.\n")
    report = mini_assistant.ingest([upload])
    assert report.added and not report.errors
    after = mini_assistant._snapshot()
    assert after.location != location and after.store.count() > count
    assert mini_assistant.search("Quarzite plant NdPr", k=1)[0].chunk.doc_id.endswith("quarzite.md")
    assert mini_assistant.search("Zorblax mixer-settler stages", k=1)[0].chunk.doc_id == "guide.md"
    del after
    gc.collect()
    assert _folders(mini_assistant) == [mini_assistant._snapshot().location]


def test_a_failed_ingest_leaves_the_previous_index_live(mini_assistant, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from assistant import lifecycle

    location = mini_assistant._snapshot().location
    upload = tmp_path / "broken.md"
    upload.write_text("# Broken\n\nThis upload fails while it is being written.\n")

    def explode(self, paths, progress):  # type: ignore[no-untyped-def]
        raise ReeError("disk full while writing the upload")

    monkeypatch.setattr(lifecycle.Indexer, "ingest", explode)
    with pytest.raises(ReeError):
        mini_assistant.ingest([upload])
    assert mini_assistant._snapshot().location == location
    assert _folders(mini_assistant) == [location]
    assert mini_assistant.search("Zorblax mixer-settler stages", k=1)[0].chunk.doc_id == "guide.md"
