"""The shipped corpus obeys docs/corpus-guide.md: front matter, sources, stage data, evidence pointers, profile
tables that agree with the YAML, our own words, and a gold set that measures."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import yaml
from conftest import ROOT, SHARED

from assistant.chunking import sections
from assistant.loading import iter_files, load_file
from assistant.taxonomy import COUNTRIES
from assistant.types import STAGES, STATUSES

CORPUS = ROOT / "corpus"
KINDS = {"primer", "profile", "policy", "analysis", "data"}
FOLDER_KIND = {"primers": "primer", "elements": "primer", "profiles": "profile", "policy": "policy",
               "analysis": "analysis", "data": "data"}
DOCS = [load_file(p, CORPUS) for p in iter_files([CORPUS])]
BY_ID = {d.id: d for d in DOCS}
VALUE_CHAIN = {p.stem: yaml.safe_load(p.read_text()) for p in sorted((CORPUS / "value_chain").glob("*.yaml"))}
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def test_corpus_size_and_coverage() -> None:
    kinds = Counter(d.kind for d in DOCS)
    assert len(DOCS) >= 60, kinds
    assert kinds["profile"] >= 20
    assert set(COUNTRIES) <= {d.id.split("/")[1][:-3] for d in DOCS if d.kind == "profile"}
    assert {f"primers/{s}.md" for s in STAGES} <= set(BY_ID)


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.id)
def test_front_matter(doc) -> None:  # type: ignore[no-untyped-def]
    m = doc.meta
    assert doc.id.endswith(".md")
    assert m.get("title") and doc.kind in KINDS and doc.kind == FOLDER_KIND[doc.id.split("/")[0]]
    assert DATE.match(m["as_of"]), m["as_of"]
    assert set(m["stages"]) <= set(STAGES), m["stages"]
    assert all(c in COUNTRIES or re.fullmatch(r"[a-z_]+", c) for c in m["countries"])
    assert isinstance(m["elements"], list)
    assert m["sources"], "every fact-bearing document lists its sources"
    for src in m["sources"]:
        assert src["publisher"] and src["title"], src
        assert src["url"].startswith(("http://", "https://")), src
        if src["date"]:
            assert DATE.match(src["date"]), src


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.id)
def test_source_markers_resolve_and_every_source_is_cited(doc) -> None:  # type: ignore[no-untyped-def]
    used = {int(n) for n in re.findall(r"\[S(\d+)\]", doc.text)}
    n = len(doc.sources)
    assert used <= set(range(1, n + 1)), f"markers without a source: {sorted(used - set(range(1, n + 1)))}"
    assert set(range(1, n + 1)) <= used, f"sources never cited: {sorted(set(range(1, n + 1)) - used)}"


@pytest.mark.parametrize("key", sorted(VALUE_CHAIN), ids=str)
def test_value_chain_data(key: str) -> None:
    data = VALUE_CHAIN[key]
    assert data["key"] == key and data["country"]
    assert list(data["stages"]) == list(STAGES), "all nine stage keys, in order"
    for stage, row in data["stages"].items():
        assert row["status"] in STATUSES, (stage, row["status"])
        assert row["detail"] and "\n" not in row["detail"].strip()
        assert DATE.match(str(row["as_of"]))
        assert row["evidence"], f"{stage} has no evidence"
        for ev in row["evidence"]:
            doc = BY_ID.get(ev["doc"])
            assert doc is not None, f"{stage}: evidence doc {ev['doc']} does not exist"
            headings = {h for _, h, _, _ in sections(doc)}
            assert ev["section"] in headings, f"{stage}: no heading '{ev['section']}' in {ev['doc']}"


@pytest.mark.parametrize("key", sorted(VALUE_CHAIN), ids=str)
def test_profile_table_agrees_with_value_chain(key: str) -> None:
    doc = BY_ID[f"profiles/{key}.md"]
    headings = [h for _, h, _, _ in sections(doc) if h and h != doc.title]
    assert headings[:9] == ["Summary", "Value-chain status", "Deposits and exploration", "Mining and concentrate",
                            "Cracking and separation", "Metal, alloy and magnets", "Recycling",
                            "Policy and partnerships", "Where sources disagree"]
    table = re.search(r"## Value-chain status\n(.*?)(?=\n## )", doc.text, re.S)
    assert table
    rows = {}
    for line in table.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0] in STAGES:
            rows[cells[0]] = cells[1].strip("`* ")
    expected = {s: r["status"] for s, r in VALUE_CHAIN[key]["stages"].items()}
    assert rows == expected


@pytest.mark.parametrize("key", sorted(VALUE_CHAIN), ids=str)
def test_profile_text_does_not_claim_scale_where_data_says_none(key: str) -> None:
    """A stage marked none/planned must not be described as operating commercially in its own row."""
    doc = BY_ID[f"profiles/{key}.md"]
    for stage, row in VALUE_CHAIN[key]["stages"].items():
        if row["status"] in ("none", "planned"):
            line = next(ln for ln in doc.text.splitlines() if ln.strip().startswith(f"| {stage} |"))
            assert not re.search(r"\b(at scale|commercial(ly)? (production|operation)|in full production)\b",
                                 line.split("|")[3], re.I), line


def _ngrams(text: str, n: int = 12) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_no_long_verbatim_overlap_with_research_notes() -> None:
    research = [p for p in (SHARED / "research").glob("*") if p.suffix in (".md", ".txt")]
    assert research, "shared/research is missing"
    theirs = set().union(*(_ngrams(p.read_text(encoding="utf-8")) for p in research))
    copied = {d.id: len(_ngrams(d.text) & theirs) for d in DOCS}
    assert not {k: v for k, v in copied.items() if v}, "12+ word runs copied from shared/research"


def test_kazakhstan_figures_show_both_readings() -> None:
    text = BY_ID["profiles/kazakhstan.md"].text + BY_ID["analysis/kazakhstan-20mt-claim.md"].text
    assert re.search(r"20 (Mt|million t)", text) and re.search(r"\bore\b", text) and re.search(r"metal", text)
    assert "JORC" in text and "NI 43-101" in text


def test_gold_set_measures() -> None:
    items = yaml.safe_load((CORPUS / "eval" / "questions.yaml").read_text())
    assert len(items) >= 80 and len({i["id"] for i in items}) == len(items)
    types = Counter(i["type"] for i in items)
    assert types["out_of_scope"] >= 8 and types["followup"] >= 4 and types["comparison"] >= 2
    assert types["capability"] >= 8 and types["numeric"] >= 8 and types["lookup"] >= 8
    for item in items:
        for fact in item.get("facts") or []:
            re.compile(fact)
        for doc in item.get("docs") or []:
            assert doc in BY_ID, f"{item['id']}: unknown doc {doc}"
        if item["type"] == "out_of_scope":
            assert not item.get("facts") and not item.get("docs")
        else:
            assert item.get("facts"), f"{item['id']} has no key facts"
            # every key fact must be findable in one of the documents named for it
            corpus_text = " ".join(BY_ID[d].text for d in item.get("docs") or [])
            if item.get("docs"):
                for fact in item["facts"]:
                    assert re.search(fact, corpus_text, re.I), f"{item['id']}: '{fact}' is in none of its docs"
        for country, statuses in (item.get("statuses") or {}).items():
            for stage, status in statuses.items():
                assert VALUE_CHAIN[country]["stages"][stage]["status"] == status, (item["id"], country, stage)
