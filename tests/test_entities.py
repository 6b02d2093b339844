"""The entity registry (corpus/entities.yaml) obeys docs/corpus-guide.md: it validates, every entity is named in each
document it lists, its summary rests on a real section that holds the summary's figures, names never point at two
entities, and every corpus document has at least one entity."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pycountry
import pytest
from conftest import ROOT

from assistant.errors import LoadError
from assistant.knowledge.chunking import sections
from assistant.knowledge.entities import Entity, load_entities
from assistant.knowledge.loading import iter_files, load_file
from assistant.knowledge.taxonomy import COUNTRIES, slug

CORPUS = ROOT / "corpus"
DOCS = {d.id: d for d in (load_file(p, CORPUS) for p in iter_files([CORPUS]))}
ENTITIES = load_entities(CORPUS / "entities.yaml")
KNOWN_COUNTRIES = set(COUNTRIES) | {slug(getattr(c, "common_name", None) or c.name) for c in pycountry.countries}
# A number: digits with internal separators ("23,000", "1.7", "2024/1252"); a trailing full stop is not part of it.
NUMBER = re.compile(r"\d(?:[\d,./]*\d)?")
# Abbreviations and initials ("Karl J. Strnat") whose full stop does not end a sentence.
ABBREVIATIONS = re.compile(r"\b(?:U\.S\.|No\.|Co\.|Corp\.|St\.|Inc\.|[A-Z]\.(?= [A-Z][a-z]))")


def fold(text: str) -> str:
    """Case- and diacritic-folded text (NFKD, combining marks dropped)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


def named_in(entity: Entity, text: str) -> bool:
    folded = fold(text)
    return any(re.search(r"(?<!\w)" + re.escape(fold(n)) + r"(?!\w)", folded) for n in entity.names)


def section_text(doc_id: str, heading: str) -> str | None:
    doc = DOCS[doc_id]
    spans = [(start, end) for _, h, start, end in sections(doc) if h == heading]
    return " ".join(heading + " " + doc.text[start:end] for start, end in spans) if spans else None


def test_registry_size_and_kinds() -> None:
    assert 150 <= len(ENTITIES) <= 400
    kinds = {e.kind for e in ENTITIES}
    assert {"company", "plant", "mine", "deposit", "agency", "programme", "place", "product", "policy",
            "organisation"} <= kinds


@pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.name)
def test_named_in_each_of_its_docs(entity: Entity) -> None:
    for doc_id in entity.docs:
        assert doc_id in DOCS, f"{doc_id} is not a corpus document"
        assert named_in(entity, DOCS[doc_id].text), f"neither {entity.name} nor an alias appears in {doc_id}"


@pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.name)
def test_summary_rests_on_its_source_section(entity: Entity) -> None:
    src = entity.source
    assert src.doc in DOCS, f"source doc {src.doc} does not exist"
    text = section_text(src.doc, src.section)
    assert text is not None, f"no heading {src.section!r} in {src.doc}"
    missing = [n for n in NUMBER.findall(entity.summary) if n not in text]
    assert not missing, f"figures {missing} of the summary are not in {src.doc} § {src.section}"


@pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.name)
def test_summary_is_one_sentence(entity: Entity) -> None:
    body = ABBREVIATIONS.sub("ABBR", entity.summary[:-1])
    assert not re.search(r"[.!?] +[A-Z]", body), f"more than one sentence: {entity.summary}"


def test_names_and_aliases_never_point_at_two_entities() -> None:
    owner: dict[str, str] = {}
    clashes = []
    for e in ENTITIES:
        for n in dict.fromkeys(fold(n) for n in e.names):
            if n in owner:
                clashes.append(f"{n!r}: {owner[n]} / {e.name}")
            owner[n] = e.name
    assert not clashes, clashes


def test_countries_are_known() -> None:
    unknown = [(e.name, e.country) for e in ENTITIES if e.country is not None and e.country not in KNOWN_COUNTRIES]
    assert not unknown, unknown


def test_every_corpus_document_has_an_entity() -> None:
    covered = {d for e in ENTITIES for d in e.docs}
    assert set(DOCS) <= covered, f"documents with no entity: {sorted(set(DOCS) - covered)}"


@pytest.mark.parametrize(("content", "reason"), [
    ("name: x\n", "expected a YAML list of entities"),
    ("- {name: X, kind: spaceship, aliases: [], country: null, docs: [a.md], summary: X is.,"
     " source: {doc: a.md, section: S}}\n", "entity 1 (X): kind"),
    ("- {name: X, kind: company, aliases: [], country: null, docs: [a.md], summary: X is.,"
     " source: {doc: b.md, section: S}}\n", "source doc b.md is not among docs"),
    ("- [unclosed\n", "not valid YAML"),
])
def test_bad_registry_gives_one_line_error(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "entities.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LoadError) as info:
        load_entities(path)
    assert reason in str(info.value) and "\n" not in str(info.value)
