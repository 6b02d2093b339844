"""Tables, running heads and broken lines in PDFs a user ingests (issue 19, part 5): the USGS MCS 2025 rare-earths
chapter is read into the corpus tables' records, checked against the corpus's own copy of those tables; a PDF drawn
here with other wording checks that the rules are general; and the question a new user asked is answered with
the figure, cited to its page."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, SHARED, _share_models, make_settings

from assistant.knowledge.loading import Document, load_bytes, load_file
from assistant.knowledge.tables import document_figures, mine_production, reserves, us_salient

USGS_PDF = SHARED / "data" / "usgs" / "mcs2025-rare-earths.pdf"
needs_pdf = pytest.mark.skipif(not USGS_PDF.exists(), reason="the USGS PDF is in ../shared/data/usgs")


@pytest.fixture(scope="module")
def usgs() -> Document:
    return load_file(USGS_PDF)


def _page(doc: Document, number: int) -> str:
    starts = [s for s, _ in doc.pages] + [len(doc.text)]
    i = [n for _, n in doc.pages].index(number)
    return doc.text[starts[i]:starts[i + 1]]


@needs_pdf
def test_usgs_pdf_loses_its_header_footer_contact_and_page_numbers(usgs: Document) -> None:
    assert "648" not in usgs.text and "@usgs.gov" not in usgs.text  # "Prepared by … [(703) 648–7707, …]"
    lines = [ln.strip() for ln in usgs.text.splitlines()]
    assert "144" not in lines and "145" not in lines
    assert not any(re.fullmatch(r"RARE EARTHS\d*", ln) for ln in lines)  # the running head of both pages
    # A sentence broken over three lines of the PDF is one line of text, and the paragraph ends at its end.
    assert ("An estimated 45,000 tons of REO in mineral concentrates were produced and were valued at $260 "
            "million.") in _page(usgs, 1)
    assert re.search(r"and polishing\.\n\n", usgs.text)


@needs_pdf
def test_usgs_pdf_tables_are_pipe_tables_without_footnote_marks(usgs: Document) -> None:
    page1, page2 = _page(usgs, 1), _page(usgs, 2)
    assert "| Production: Mineral concentrates | 39,000 | 42,400 | 42,500 | 41,600 | 45,000 |" in page1
    assert "| Imports: Metals: Ferrocerium, alloys | 270 | 330 | 395 | 259 | 220 |" in page1
    # Superscript footnote marks ("¹²16,000") are not read into the figures.
    assert "| Australia | 16,000 | 13,000 | 5,700,000 |" in page2
    assert "| China | 255,000 | 270,000 | 44,000,000 |" in page2


@needs_pdf
def test_usgs_pdf_figures_match_the_corpus_tables(usgs: Document) -> None:
    stats, mines, reserve_rows = document_figures(usgs)
    corpus = ROOT / "corpus"
    concentrates = {s.year: s for s in stats if s.item == "Production: Mineral concentrates"}
    assert concentrates[2024].value == 45000 and concentrates[2024].page == 1
    ours = {(s.year, s.value) for s in us_salient(corpus) if s.item == "Mine production, mineral concentrates"}
    assert {(y, s.value) for y, s in concentrates.items()} == ours
    # Every country's mine output and reserves, as the corpus's own tables give them for MCS 2025.
    want_mine = {(m.key, m.year): m.tonnes for m in mine_production(corpus) if m.key and m.edition == "MCS 2025"}
    got_mine = {(m.key, m.year): m.tonnes for m in mines if m.key}
    assert len(got_mine) >= 30 and all(m.page == 2 and m.edition == "MCS 2025" for m in mines)
    common = want_mine.keys() & got_mine.keys()  # the corpus's table leaves out countries that mined nothing
    assert len(common) >= 24 and {k: want_mine[k] for k in common} == {k: got_mine[k] for k in common}
    assert got_mine[("united_states", 2024)] == 45000
    want_res = {r.key: r.tonnes for r in reserves(corpus) if r.key and r.edition == "MCS 2025"}
    got_res = {r.key: r.tonnes for r in reserve_rows if r.key}
    assert len(got_res) >= 14 and {k: want_res.get(k) for k in got_res} == got_res


def _drawn_pdf() -> bytes:
    """Three pages in other words than USGS's: a running head and page numbers, a contact line, a paragraph that
    wraps, and a table of figures with superscript marks and indented groups."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    width, height = A4
    wrapped = ["The smelter shipped more cerium carbonate than in any earlier quarter, and the",
               "board expects the same rate for the rest of the financial year."]
    for n in range(1, 4):
        c.setFont("Helvetica", 9)
        c.drawString(60, height - 30, "Acme Minerals Quarterly Review")
        c.drawString(width / 2, 25, str(n))
        c.setFont("Helvetica", 10)
        y = height - 90
        if n == 1:
            c.drawString(60, y, "Contact: Jo Bloggs, tel. +44 20 7946 0958, jo.bloggs@example.org")
            y -= 30
        for line in wrapped:
            c.drawString(60, y, line)
            y -= 12
        if n == 2:
            y -= 20
            c.drawString(60, y, "Output by plant")
            for x, year in zip((300, 360, 420), ("2022", "2023", "2024"), strict=True):
                c.drawString(x, y, year)
            rows = [(60, "Shipments:", None), (70, "Carbonate", ("1,200", "1,450", "1,900")),
                    (70, "Oxide", ("300", "—", "410")), (60, "Employees", ("88", "91", "97"))]
            for x0, label, figures in rows:
                y -= 12
                c.drawString(x0, y, label)
                for x, fig in zip((300, 360, 420), figures or (), strict=False):
                    c.setFont("Helvetica", 6)
                    c.drawString(x - 8, y + 4, "7")  # a footnote mark before the figure
                    c.setFont("Helvetica", 10)
                    c.drawString(x, y, fig)
        c.showPage()
    c.save()
    return buf.getvalue()


def test_general_rules_hold_for_a_pdf_in_other_words() -> None:
    doc = load_bytes(_drawn_pdf(), "acme.pdf", "ext/test/acme.pdf")
    assert "Acme Minerals Quarterly Review" not in doc.text  # repeated in every page's margin
    assert "7946" not in doc.text and "example.org" not in doc.text
    assert not any(ln.strip() in ("1", "2", "3") for ln in doc.text.splitlines())
    assert doc.text.count("than in any earlier quarter, and the board expects the same rate") == 3
    assert "| Shipments: Carbonate | 1,200 | 1,450 | 1,900 |" in doc.text
    assert "| Shipments: Oxide | 300 | — | 410 |" in doc.text
    assert "| Employees | 88 | 91 | 97 |" in doc.text
    stats, mines, _ = document_figures(doc)
    assert not mines
    assert {(s.item, s.year, s.value, s.page) for s in stats if s.year == 2024} == {
        ("Shipments: Carbonate", 2024, 1900.0, 2), ("Shipments: Oxide", 2024, 410.0, 2), ("Employees", 2024, 97.0, 2)}


@needs_pdf
def test_ingested_usgs_pdf_answers_the_figure_cited_to_its_page(tmp_path: Path, model_cache: Path) -> None:
    from assistant.core import Assistant

    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURES / "mini", corpus)
    indexes = tmp_path / "indexes"
    _share_models(indexes, model_cache)
    # The user vouches for the upload as USGS's own document (REE_PRIMARY_SOURCES), so "according to the USGS"
    # may answer from it.
    vouched = {hashlib.sha256(USGS_PDF.read_bytes()).hexdigest(): "U.S. Geological Survey"}
    assistant = Assistant(make_settings(corpus, indexes, primary_sources=vouched))
    assistant.index()
    assistant.ingest([USGS_PDF])
    answer = assistant.ask("What quantity of rare-earth oxide in mineral concentrates did the United States "
                           "produce in 2024 according to the USGS?")
    first = answer.answer.split("\n\n")[0].split(". ")[0]
    assert "45,000" in first, answer.answer
    n = int(re.search(r"\[(\d+)\]", answer.answer[answer.answer.index("45,000"):]).group(1))
    cited = answer.citations[n - 1]
    assert cited.doc_id.endswith("mcs2025-rare-earths.pdf") and cited.page == 1 and "45,000" in cited.quote
    for c in answer.citations:  # no running head, contact line or sentence cut by a line end is a point
        assert not re.search(r"\(\d{3}\)|@|RARE EARTHS|\n", c.quote), c.quote
