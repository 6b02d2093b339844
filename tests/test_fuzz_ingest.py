"""Fuzzed ingestion: whatever bytes arrive, `load_bytes` gives a Document or a one-line LoadError (never another
exception, never a hang), and `chunk_document` keeps its invariants. A batch with bad files keeps the good ones
and leaves what is already indexed intact."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from assistant.errors import LoadError
from assistant.knowledge.chunking import chunk_document
from assistant.knowledge.loading import MAX_FILE_BYTES, Document, load_bytes
from assistant.settings import ChunkingSettings

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "mini"
NAMES = ["f.md", "f.txt", "f.html", "f.pdf"]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SECONDS = 10.0  # any single file taking longer than this counts as a hang
CFG = ChunkingSettings()


def load_or_error(data: bytes, name: str) -> Document | None:
    """The property every input must satisfy: a valid Document, or a LoadError with a one-line reason."""
    started = time.perf_counter()
    try:
        doc = load_bytes(data, name, f"fuzz/{name}")
    except LoadError as exc:
        msg = str(exc)
        assert msg.startswith(f"{name}: "), msg
        assert exc.reason.strip() and "\n" not in msg and len(msg) < 300, msg
        doc = None
    assert time.perf_counter() - started < SECONDS, f"{name} took {time.perf_counter() - started:.1f}s"
    if doc is not None:
        assert doc.text.strip() and doc.title and doc.hash and doc.format
        assert isinstance(doc.meta.get("sources"), list)
        check_chunks(doc)
    return doc


def check_chunks(doc: Document, cfg: ChunkingSettings = CFG) -> None:
    started = time.perf_counter()
    chunks = chunk_document(doc, cfg)
    assert time.perf_counter() - started < SECONDS
    # table rules and other bare markup ("|", "---") are not words; anything alphanumeric must be kept
    assert chunks or not any(ch.isalnum() for ch in doc.text), "a document with words gave no chunks"
    last = -1
    ids = set()
    for c in chunks:
        assert c.text == doc.text[c.start:c.end]
        assert c.text.strip() == c.text and c.text
        assert c.start > last, "chunk starts must increase"
        last = c.start
        assert len(c.text.split()) <= cfg.max_words
        assert c.doc_id == doc.id and c.id not in ids
        ids.add(c.id)


def _pdf(text: str = "Neodymium magnets need separated oxide.") -> bytes:
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=300, height=300)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})})
    stream = DecodedStreamObject()
    stream.set_data(f"BT /F1 12 Tf 20 200 Td ({text}) Tj ET".encode("latin-1"))
    page[NameObject("/Contents")] = writer._add_object(stream)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_pdf())))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


# -- hand-picked hostile inputs ------------------------------------------------------------------------
BILLION_LAUGHS = (b"---\na: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                  b"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n---\nBody text.\n")
HOSTILE: dict[str, tuple[str, bytes]] = {
    "empty": ("a.md", b""),
    "whitespace": ("a.txt", b" \n\t\r\n  "),
    "bom only": ("a.md", b"\xef\xbb\xbf"),
    "nul bytes": ("a.txt", b"text\x00more"),
    "invalid utf8": ("a.md", b"caf\xe9 au lait"),
    "lone surrogate": ("a.txt", "\ud800".encode("utf-8", "surrogatepass")),
    "billion laughs": ("a.md", BILLION_LAUGHS),
    "front matter list": ("a.md", b"---\n- a\n- b\n---\nBody.\n"),
    "front matter scalar": ("a.md", b"---\njust a string\n---\nBody.\n"),
    "title is a list": ("a.md", b"---\ntitle: [1, 2]\n---\nBody.\n"),
    "countries is a map": ("a.md", b"---\ncountries: {a: 1}\n---\nBody.\n"),
    "sources not list": ("a.md", b"---\nsources: 3\n---\nBody.\n"),
    "source not map": ("a.md", b"---\nsources: [1]\n---\nBody.\n"),
    "python tag": ("a.md", b"---\na: !!python/object/apply:os.system [echo hi]\n---\nBody.\n"),
    "bad date": ("a.md", b"---\nas_of: 2025-13-45\n---\nBody.\n"),
    "deep flow": ("a.md", b"---\na: " + b"[" * 5000 + b"]" * 5000 + b"\n---\nBody.\n"),
    "deep map": ("a.md", b"---\na: " + b"{a: " * 3000 + b"1" + b"}" * 3000 + b"\n---\nBody.\n"),
    "huge front matter": ("a.md", b"---\nt: " + b"x" * 100_000 + b"\n---\nBody.\n"),
    "unclosed front matter": ("a.md", b"---\ntitle: x\nBody.\n"),
    "only front matter": ("a.md", b"---\ntitle: x\n---\n\n"),
    "malformed yaml": ("a.md", b"---\ntitle: [unclosed\n---\nBody.\n"),
    "huge line": ("a.md", b"x" * 3_000_000),
    "many words one line": ("a.txt", b"word " * 300_000),
    "many sentences": ("a.txt", b"Ab cd. " * 150_000),
    "many table rows": ("a.md", b"| a | b |\n" * 60_000),
    "many headings": ("a.md", b"# h\nSome text here.\n" * 20_000),
    "deep html": ("a.html", b"<html><body>" + b"<div>" * 50_000 + b"deep text" + b"</div>" * 50_000),
    "script html": ("a.html", b"<html><body><script>alert(1)</script></body></html>"),
    "empty html": ("a.html", b"<html></html>"),
    "not html": ("a.html", b"\x01\x02\x03 plain bytes"),
    "not a pdf": ("a.pdf", b"hello, I am text"),
    "truncated pdf": ("a.pdf", b"%PDF-1.4\n"),
    "pdf garbage": ("a.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 20),
    "no suffix": ("README", b"text"),
    "unsupported": ("a.docx", b"PK\x03\x04"),
    "too big": ("a.txt", b"a"),  # replaced below by a sparse oversize buffer
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_inputs_give_document_or_load_error(case: str) -> None:
    name, data = HOSTILE[case]
    if case == "too big":
        data = b"a" * (MAX_FILE_BYTES + 1)
    doc = load_or_error(data, name)
    must_fail = {"empty", "whitespace", "bom only", "nul bytes", "invalid utf8", "lone surrogate", "billion laughs",
                 "front matter list", "front matter scalar", "title is a list", "countries is a map",
                 "sources not list", "source not map", "python tag", "bad date", "deep flow", "deep map",
                 "huge front matter", "unclosed front matter", "only front matter", "malformed yaml", "script html",
                 "empty html", "not a pdf", "truncated pdf", "pdf garbage", "no suffix", "unsupported", "too big"}
    if case in must_fail:
        assert doc is None, f"{case} was accepted"


def test_encrypted_pdf_is_refused_with_a_reason() -> None:
    with pytest.raises(LoadError, match="encrypted PDF"):
        load_bytes(_encrypted_pdf(), "secret.pdf", "secret.pdf")
    doc = load_bytes(_pdf(), "open.pdf", "open.pdf")  # the same PDF unencrypted loads, with its page
    assert "Neodymium" in doc.text and doc.pages == [(0, 1)]


def test_front_matter_values_arrive_typed() -> None:
    data = (b"---\ntitle: 42\nas_of: 2025-04-01\ncountries: estonia\nsources:\n  - publisher: P\n"
            b"    date: 2024\n---\nB.\n")
    doc = load_bytes(data, "t.md", "t.md")
    assert doc.title == "42" and doc.meta["as_of"] == "2025-04-01" and doc.meta["countries"] == ["estonia"]
    assert doc.meta["sources"][0] == {"publisher": "P", "title": "", "url": "", "via": "", "date": "2024"}


# -- property-based ------------------------------------------------------------------------------------
@FUZZ
@given(data=st.binary(max_size=4096), name=st.sampled_from(NAMES))
def test_random_bytes(data: bytes, name: str) -> None:
    load_or_error(data, name)


@FUZZ
@given(text=st.text(max_size=3000), name=st.sampled_from(["f.md", "f.txt"]))
def test_random_text(text: str, name: str) -> None:
    load_or_error(text.encode("utf-8", "surrogatepass"), name)


yaml_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20),
                        st.dates().map(str))
yaml_value = st.recursive(yaml_scalar, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(min_size=1, max_size=8), inner, max_size=4), max_leaves=12)
KEYS = ["title", "kind", "publisher", "url", "as_of", "date", "countries", "stages", "elements", "sources"]


@FUZZ
@given(fm=st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), yaml_value, max_size=8),
       body=st.text(min_size=0, max_size=500))
def test_front_matter_of_any_shape(fm: dict, body: str) -> None:
    import yaml

    try:
        head = yaml.safe_dump(fm, allow_unicode=True)
    except yaml.YAMLError:
        assume(False)
    data = f"---\n{head}---\n{body}".encode("utf-8", "surrogatepass")
    load_or_error(data, "fm.md")


@FUZZ
@given(raw=st.text(alphabet=st.sampled_from(list("-:[]{}&*!|>'\"#\n ?,%@`abc1")), max_size=400))
def test_front_matter_yaml_syntax_soup(raw: str) -> None:
    load_or_error(f"---\n{raw}\n---\nSome body text.\n".encode(), "soup.md")


tag = st.sampled_from(["div", "p", "span", "table", "tr", "td", "script", "style", "a", "b", "ul", "li", "h1"])


@st.composite
def html_docs(draw: st.DrawFn) -> str:
    depth = draw(st.integers(0, 400))
    tags = [draw(tag) for _ in range(min(depth, 20))] or ["div"]
    opened = "".join(f"<{tags[i % len(tags)]}>" for i in range(depth))
    closed = "".join(f"</{tags[i % len(tags)]}>" for i in reversed(range(depth))) if draw(st.booleans()) else ""
    body = draw(st.text(max_size=400))
    return f"<html><head><title>{draw(st.text(max_size=30))}</title></head><body>{opened}{body}{closed}</body></html>"


@FUZZ
@given(html=html_docs())
def test_html_of_any_shape(html: str) -> None:
    load_or_error(html.encode("utf-8", "surrogatepass"), "page.html")


PDF_SEEDS = [_pdf(), (FIXTURES / "report.pdf").read_bytes()]


@FUZZ
@given(seed=st.sampled_from(range(len(PDF_SEEDS))), cut=st.floats(0.0, 1.0),
       flips=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 255)), max_size=12))
def test_broken_pdfs(seed: int, cut: float, flips: list[tuple[float, int]]) -> None:
    data = bytearray(PDF_SEEDS[seed])
    for where, value in flips:
        data[min(int(where * len(data)), len(data) - 1)] = value
    if cut < 0.5:
        data = data[: max(1, int(len(data) * cut * 2))]
    load_or_error(bytes(data), "broken.pdf")


@FUZZ
@given(words=st.lists(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=14),
                      max_size=900),
       seps=st.lists(st.sampled_from([" ", "  ", "\n", "\n\n", ". ", "! ", "? ", "\n# ", "\n## ", "\n| ", "\n- ",
                                      "\n1. ", ".[S1] ", " [3] ", "\t"]), min_size=1, max_size=50),
       target=st.integers(20, 200), extra=st.integers(0, 200), overlap=st.integers(0, 100))
def test_chunk_invariants(words: list[str], seps: list[str], target: int, extra: int, overlap: int) -> None:
    text = "".join(w + seps[i % len(seps)] for i, w in enumerate(words))
    assume(text.strip())
    cfg = ChunkingSettings(target_words=target, max_words=max(40, target + extra), overlap_words=overlap)
    for fmt in ("markdown", "text"):
        doc = Document(id="d.md", path="d.md", format=fmt, text=text, title="T", kind="upload")
        check_chunks(doc, cfg)


# -- a batch with bad files ----------------------------------------------------------------------------
def test_bad_files_in_a_batch_keep_good_ones_and_the_index(mini_assistant, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = mini_assistant._store.doc_chunks()
    assert set(before) == {"guide.md", "notes.txt", "page.html", "report.pdf"}
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "good.md").write_text("# Good\n\nThe Quexil refinery separates terbium oxide at 90 tonnes a year.\n")
    (batch / "good.txt").write_text("Plain notes: the Vornak mine ships concentrate by rail.\n")
    (batch / "empty.md").write_bytes(b"")
    (batch / "binary.txt").write_bytes(b"\x00\x01\x02" * 50)
    (batch / "latin1.md").write_bytes(b"caf\xe9")
    (batch / "bomb.md").write_bytes(BILLION_LAUGHS)
    (batch / "deep.md").write_bytes(HOSTILE["deep map"][1])
    (batch / "locked.pdf").write_bytes(_encrypted_pdf())
    (batch / "broken.pdf").write_bytes(b"%PDF-1.4\n" + b"\xff" * 300)
    (batch / "nothing.html").write_bytes(b"<html><script>x()</script></html>")
    report = mini_assistant.ingest([batch, tmp_path / "missing-folder"])
    assert len(report.added) == 2 and not report.updated and not report.removed
    assert len(report.errors) == 9, report.errors
    for err in report.errors:
        assert "\n" not in err and ": " in err
    after = mini_assistant._store.doc_chunks()  # the upload went into a new live index beside the old one
    for doc_id, rec in before.items():  # already-indexed documents are untouched
        assert after[doc_id]["hashes"] == rec["hashes"] and sorted(after[doc_id]["ids"]) == sorted(rec["ids"])
    hits = mini_assistant.search("Quexil refinery terbium oxide", k=3)
    assert hits and "Quexil" in hits[0].chunk.text
    assert any("Zorblax" in p.chunk.text for p in mini_assistant.search("Zorblax cascade stages", k=3))
    # A corpus file that turns bad keeps its previous version on re-index: nothing is lost.
    corpus = mini_assistant.settings.paths.corpus
    (corpus / "notes.txt").write_bytes(b"\x00broken")
    report = mini_assistant.index()
    assert "notes.txt" not in report.removed and any("notes.txt" in e for e in report.errors)
    assert mini_assistant._store.doc_chunks()["notes.txt"]["hashes"] == before["notes.txt"]["hashes"]


@pytest.mark.parametrize("body", ["# Neodymium", "\n## Separated oxide\n", "# A\n## B\n"])
def test_a_document_of_headings_alone_keeps_its_words(body: str) -> None:
    """Found by the fuzzer: headings with no text under them were dropped, and the document with them."""
    doc = load_or_error(f"---\ntitle: x\n---\n{body}".encode(), "fm.md")
    assert doc is not None and " ".join(c.text for c in chunk_document(doc, CFG)).split("#")[-1].strip()
