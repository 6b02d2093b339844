"""The core pipeline on tiny real fixtures: loading, chunking, incremental indexing, hybrid retrieval, cited
answers, the JSON contract and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, SHARED, make_settings
from typer.testing import CliRunner

from assistant.answer.citations import plain
from assistant.errors import IndexMissingError, InputError, LoadError
from assistant.knowledge.chunking import chunk_document
from assistant.knowledge.loading import load_bytes, load_file
from assistant.settings import ChunkingSettings, Settings
from assistant.types import STAGES, Filters

USGS_PDF = SHARED / "data" / "usgs" / "mcs2025-rare-earths.pdf"


# -- loading and chunking ---------------------------------------------------------------------------------
def test_loads_every_format_with_metadata_and_pages() -> None:
    md = load_file(FIXTURES / "mini" / "guide.md", FIXTURES / "mini")
    assert md.id == "guide.md" and md.kind == "primer" and md.meta["countries"] == ["estonia"]
    assert md.sources[0]["publisher"] == "Test Publisher" and md.meta["as_of"] == "2026-01-15"
    assert not md.text.startswith("---")
    html = load_file(FIXTURES / "mini" / "page.html")
    assert "Snorkel" in html.text and "Subscribe" not in html.text and "Cookie" not in html.text  # main text only
    pdf = load_file(FIXTURES / "mini" / "report.pdf")
    assert pdf.pages == [(0, 1), (len(pdf.text.split("\n\n")[0]) + 2, 2)]
    assert pdf.page_at(pdf.text.index("refinery")) == 2
    txt = load_file(FIXTURES / "mini" / "notes.txt")
    assert txt.title == "notes" and "Plimber" in txt.text


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.md", b"  \n", "empty file"),
        ("blob.txt", b"\x00\x01\x02binary", "binary file"),
        ("latin.txt", "caf\xe9".encode("latin-1"), "not valid UTF-8"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj garbage", "PDF"),
        ("fake.pdf", b"hello", "not a PDF"),
        ("bad.md", b"---\ntitle: [unclosed\n---\nbody", "malformed YAML front matter"),
        ("bomb.md", b"---\na: &a [1,2]\nb: [*a, *a]\n---\nbody", "anchors/aliases"),
        ("list.md", b"---\n- 1\n- 2\n---\nbody", "must be a YAML mapping"),
        ("types.md", b"---\ncountries: {a: 1}\n---\nbody", "'countries' must be a list"),
        ("image.png", b"\x89PNG", "unsupported file type"),
    ],
)
def test_bad_files_get_a_one_line_reason(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(LoadError) as err:
        load_bytes(data, name, name)
    assert reason in str(err.value) and name in str(err.value) and "\n" not in str(err.value)


def test_chunks_keep_sections_offsets_and_content_hash_ids() -> None:
    doc = load_file(ROOT / "corpus" / "profiles" / "kazakhstan.md", ROOT / "corpus")
    cfg = ChunkingSettings()
    chunks = chunk_document(doc, cfg)
    assert len(chunks) > 5
    for c in chunks:
        assert doc.text[c.start : c.end] == c.text
        assert len(c.text.split()) <= cfg.max_words
        assert c.section.startswith("Kazakhstan")
    assert {c.meta["heading"] for c in chunks} >= {"Deposits and exploration", "Recycling"}
    assert len({c.id for c in chunks}) == len(chunks)
    assert [c.id for c in chunk_document(doc, cfg)] == [c.id for c in chunks]  # stable
    words = [len(c.text.split()) for c in chunks]
    assert sum(w >= 60 for w in words) >= len(words) // 2  # passages, not fragments


def test_index_name_changes_with_what_invalidates_it() -> None:
    a = Settings()
    b = Settings(chunking=ChunkingSettings(target_words=120))
    c = Settings(embedding={"model_name": "other-model"})
    assert len({a.index_name(), b.index_name(), c.index_name()}) == 3


def test_settings_reject_unknown_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        Settings(retrieval={"kk": 3})
    monkeypatch.setenv("REE_RETRIEVAL__K", "9")
    assert Settings().retrieval.k == 9


# -- indexing and retrieval ------------------------------------------------------------------------------
def test_incremental_index_embeds_only_changes(mini_assistant, mini_corpus: Path) -> None:  # type: ignore[no-untyped-def]
    first = mini_assistant.index()
    assert first.added == [] and first.updated == [] and first.unchanged == 4
    guide = mini_corpus / "guide.md"
    guide.write_text(guide.read_text().replace("412 mixer-settler", "512 mixer-settler"))
    (mini_corpus / "notes.txt").unlink()
    report = mini_assistant.index()
    assert report.updated == ["guide.md"] and report.removed == ["notes.txt"] and report.added == []
    assert report.chunks_embedded == len(chunk_document(load_file(guide, mini_corpus), ChunkingSettings()))
    hits = mini_assistant.search("Plimber deposit grade Grommet", k=10)
    assert all(h.chunk.doc_id != "notes.txt" for h in hits)
    for mode in ("dense", "bm25"):
        assert all(h.chunk.doc_id != "notes.txt" for h in mini_assistant.search("Plimber Grommet", mode=mode))
    assert "512 mixer-settler" in mini_assistant.search("Zorblax cascade stages", k=1)[0].chunk.text


def test_bad_file_in_batch_does_not_stop_the_rest(mini_assistant, mini_corpus: Path) -> None:  # type: ignore[no-untyped-def]
    (mini_corpus / "broken.pdf").write_bytes(b"%PDF-1.4 nonsense")
    (mini_corpus / "new.md").write_text("# New\n\nThe Quibble process separates invented oxides quickly.\n")
    report = mini_assistant.index()
    assert report.added == ["new.md"]
    assert len(report.errors) == 1 and "broken.pdf" in report.errors[0]
    assert mini_assistant.search("Quibble process", k=1)[0].chunk.doc_id == "new.md"


def test_a_file_that_breaks_keeps_its_indexed_version(mini_assistant, mini_corpus: Path) -> None:  # type: ignore[no-untyped-def]
    (mini_corpus / "notes.txt").write_bytes(b"\x00\x00 now binary")
    report = mini_assistant.index()
    assert report.removed == [] and "notes.txt" in report.errors[0]
    assert mini_assistant.search("Plimber Grommet", k=1)[0].chunk.doc_id == "notes.txt"


def test_hybrid_search_filters_and_diversity(mini_assistant) -> None:  # type: ignore[no-untyped-def]
    hits = mini_assistant.search("Zorblax separation cost", k=5)
    assert hits[0].chunk.doc_id == "guide.md"
    assert sum(h.chunk.doc_id == "guide.md" for h in hits) <= mini_assistant.settings.retrieval.per_doc
    only = mini_assistant.search("tonnes", k=5, filters=Filters(country="estonia"))
    assert only and {h.chunk.doc_id for h in only} == {"guide.md"}
    assert mini_assistant.search("tonnes", k=5, filters=Filters(kind="policy")) == []
    dated = mini_assistant.search("tonnes", k=5, filters=Filters(date_from="2026-01-01", date_to="2026-12-31"))
    assert {h.chunk.doc_id for h in dated} == {"guide.md"}
    with pytest.raises(InputError):
        mini_assistant.search("tonnes", filters=Filters(stage="smelting"))


def test_langchain_retriever(mini_assistant) -> None:  # type: ignore[no-untyped-def]
    from langchain_core.retrievers import BaseRetriever

    retriever = mini_assistant.retriever.as_langchain(k=2)
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke("Flumox refinery NdPr")
    assert docs[0].metadata["doc_id"] == "report.pdf" and docs[0].metadata["page"] == 2


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    from assistant.core import Assistant

    with pytest.raises(IndexMissingError, match="ree index"):
        Assistant(make_settings(FIXTURES / "mini", tmp_path / "none")).search("anything")


# -- answers ----------------------------------------------------------------------------------------------
def _assert_contract(payload: dict, source_root: Path) -> None:
    assert set(payload) >= {"question", "answer", "answerable", "citations", "checklist"}
    for c in payload["citations"]:
        assert set(c) >= {"n", "doc_id", "chunk_id", "title", "publisher", "url", "date", "section", "page", "quote"}
        text = load_file(source_root / c["doc_id"], source_root).text
        start, end = c["span"]
        assert plain(text[start:end]) == c["quote"], f"[{c['n']}] span is not the quote in {c['doc_id']}"
        assert "[S" not in c["quote"] and not c["quote"].lstrip().startswith("|"), c["quote"]
    assert [c["n"] for c in payload["citations"]] == list(range(1, len(payload["citations"]) + 1))


def test_answer_cites_verbatim_located_passages(mini_assistant, mini_corpus: Path) -> None:  # type: ignore[no-untyped-def]
    answer = mini_assistant.ask("How many mixer-settler stages does the Zorblax process use?")
    assert answer.answerable and "412" in answer.answer and "[1]" in answer.answer
    first = answer.citations[0]
    assert first.doc_id == "guide.md" and first.section.endswith("Overview")
    assert first.publisher == "Test Publisher" and first.url == "https://example.org/zorblax"
    _assert_contract(answer.to_json(), mini_corpus)
    pdf = mini_assistant.ask("How much fictional NdPr oxide did the Flumox refinery separate?")
    cite = next(c for c in pdf.citations if c.doc_id == "report.pdf")
    assert cite.page == 2 and "567" in cite.quote


def test_empty_and_oversized_questions_are_refused(mini_assistant) -> None:  # type: ignore[no-untyped-def]
    for bad in ("", "   \n\t", "\x00\x01"):
        with pytest.raises(InputError, match="empty"):
            mini_assistant.ask(bad)
    with pytest.raises(InputError, match="limit"):
        mini_assistant.ask("magnets " * 2000)


def test_usgs_pdf_answers_with_the_right_page(tmp_path: Path, model_cache: Path) -> None:
    """The real USGS MCS 2025 rare-earths chapter: Burma's 2024 mine production is on its second page."""
    from conftest import _share_models

    from assistant.core import Assistant

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "mcs2025-rare-earths.pdf").write_bytes(USGS_PDF.read_bytes())
    indexes = tmp_path / "indexes"
    _share_models(indexes, model_cache)
    assistant = Assistant(make_settings(corpus, indexes))
    report = assistant.index()
    assert report.errors == [] and report.added == ["mcs2025-rare-earths.pdf"]
    answer = assistant.ask("What was Burma's rare-earth mine production in 2024?")
    assert answer.answerable
    cited = [c for c in answer.citations if "31,000" in c.quote]
    assert cited and all(c.page == 2 for c in cited), [(c.page, c.quote[:80]) for c in answer.citations]
    pdf_text = load_file(corpus / "mcs2025-rare-earths.pdf", corpus).text
    assert all(plain(pdf_text[c.span[0]:c.span[1]]) == c.quote for c in answer.citations)


# -- the shipped corpus -------------------------------------------------------------------------------------
def test_kazakhstan_magnets_end_to_end(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_assistant.ask("Can Kazakhstan make magnets?")
    assert answer.answer.startswith("No: Kazakhstan cannot make rare-earth magnets")
    cl = answer.checklist
    assert cl.verdict == "no" and cl.target == "magnet" and [r.stage for r in cl.stages][0] == "deposit"
    assert all(r.citations for r in cl.stages), "every stage status rests on a quoted passage"
    _assert_contract(answer.to_json(), ROOT / "corpus")


# -- CLI ----------------------------------------------------------------------------------------------------
def test_cli_json_contract_batch_and_errors(corpus_indexes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.frontends.cli import app

    monkeypatch.setenv("REE_PATHS__INDEXES", str(corpus_indexes))
    runner = CliRunner()
    out = runner.invoke(app, ["ask", "--json", "Can Kazakhstan make magnets?"])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.stdout)
    _assert_contract(payload, ROOT / "corpus")
    assert payload["checklist"]["verdict"] == "no"
    batch = runner.invoke(app, ["ask", "--json", "-"],
                          input="How much did Myanmar mine in 2024?\n\nCan Japan make magnets?\n")
    lines = [json.loads(x) for x in batch.stdout.splitlines()]
    assert [x["question"] for x in lines] == ["How much did Myanmar mine in 2024?", "Can Japan make magnets?"]
    gaps = runner.invoke(app, ["gaps", "Kazakhstan", "--target", "separation", "--json"])
    sep = json.loads(gaps.stdout)["checklist"]
    # The whole chain is shown; the verdict and the binding gap concern deposit → separation.
    assert sep["target"] == "separation" and [r["stage"] for r in sep["stages"]] == list(STAGES)
    assert sep["binding_gap"] in STAGES[: STAGES.index("separation") + 1]
    bad = runner.invoke(app, ["gaps", "Atlantis"])
    assert bad.exit_code == 2 and "Unknown country 'Atlantis'" in bad.stderr and "Traceback" not in bad.output
    for args in (["sources", "--json"], ["search", "--json", "separation stages"],
                 ["compare", "Kazakhstan", "Vietnam"], ["sources", "--stale", "365"]):
        assert runner.invoke(app, args).exit_code == 0
    stale = json.loads(runner.invoke(app, ["sources", "--stale", "3650", "--json"]).stdout)
    ids = {e["id"] for e in stale}
    assert "japan/recycling" in ids and "china/mining" not in ids, "a 2014 stage is stale, a 2025 one is not"
    assert all(e["age_days"] is None or e["age_days"] > 3650 for e in stale)
    # every row of the checklist says how fresh its evidence is: the newest evidence date, never the corpus date
    rows = payload["checklist"]["stages"]
    assert all(r["as_of"] and r["as_of"] != "2026-11-26" for r in rows), rows


def test_cli_error_is_one_line_without_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "REE_PATHS__INDEXES": str(tmp_path), "REE_PATHS__CORPUS": str(tmp_path / "nope")}
    env.pop("REE_DEBUG", None)
    for args in (["gaps", "Kazakhstan", "--target", "smelting"], ["ask", "  "]):
        out = subprocess.run([sys.executable, "-m", "assistant.frontends.cli", *args], capture_output=True, text=True,
                             env=env, timeout=120)
        assert out.returncode == 2
        assert out.stderr.strip().count("\n") == 0 and out.stderr.startswith("ree: error:"), out.stderr
        assert not (tmp_path / "minilm").exists()
