"""Corpus structures kept beside the index (knowledge/stamped.py): reused while their inputs are unchanged, rebuilt
when one changes or the kept file is damaged, and never required (a read-only folder only costs a rebuild)."""

from __future__ import annotations

import os
from pathlib import Path

from assistant.knowledge.stamped import load_or_build


def _counting(value: object) -> tuple[list[int], object]:
    calls: list[int] = []

    def build() -> object:
        calls.append(1)
        return value

    return calls, build


def test_a_second_start_reads_the_kept_copy(tmp_path: Path) -> None:
    src = tmp_path / "facts.yaml"
    src.write_text("a: 1\n")
    keep = tmp_path / "parsed" / "facts.pickle"
    calls, build = _counting({"a": 1})
    assert load_or_build(keep, [src], build) == {"a": 1}
    assert load_or_build(keep, [src], build) == {"a": 1}
    assert len(calls) == 1 and keep.exists()


def test_a_changed_input_is_parsed_again(tmp_path: Path) -> None:
    src = tmp_path / "facts.yaml"
    src.write_text("a: 1\n")
    keep = tmp_path / "facts.pickle"
    load_or_build(keep, [src], lambda: "old")
    src.write_text("a: 22\n")  # another size
    assert load_or_build(keep, [src], lambda: "new") == "new"
    st = src.stat()
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # same size, later time
    assert load_or_build(keep, [src], lambda: "newer") == "newer"
    extra = tmp_path / "more.yaml"  # an input added
    extra.write_text("b: 2\n")
    assert load_or_build(keep, [src, extra], lambda: "with more") == "with more"


def test_a_damaged_copy_is_rebuilt_not_trusted(tmp_path: Path) -> None:
    src = tmp_path / "facts.yaml"
    src.write_text("a: 1\n")
    keep = tmp_path / "facts.pickle"
    load_or_build(keep, [src], lambda: "first")
    keep.write_bytes(b"not a pickle")
    assert load_or_build(keep, [src], lambda: "rebuilt") == "rebuilt"
    assert load_or_build(keep, [src], lambda: "unused") == "rebuilt"


def test_an_unwritable_folder_only_costs_a_rebuild(tmp_path: Path) -> None:
    src = tmp_path / "facts.yaml"
    src.write_text("a: 1\n")
    blocker = tmp_path / "file"
    blocker.write_text("")
    keep = blocker / "facts.pickle"  # under a file: cannot be written
    calls, build = _counting(7)
    assert load_or_build(keep, [src], build) == 7
    assert load_or_build(keep, [src], build) == 7
    assert len(calls) == 2


def test_the_assistant_keeps_its_parsed_corpus_and_answers_the_same(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    """A fresh Assistant on the same index reads the kept copies, and its records are the same as parsed."""
    from assistant.core import Assistant

    kept = corpus_assistant.settings.paths.indexes / "parsed"
    corpus_assistant.supply()
    corpus_assistant._value_chain()
    names = {p.name.split("-")[0] for p in kept.glob("*.pickle")}
    assert {"supply", "value"} <= names
    again = Assistant(corpus_assistant.settings)
    assert [p.name for p in again.registry()] == [p.name for p in corpus_assistant.registry()]
    assert again._value_chain().get("japan") == corpus_assistant._value_chain().get("japan")
