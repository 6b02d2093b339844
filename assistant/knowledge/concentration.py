"""Concentration of the chain, from the tables the corpus already parses: for each stage and year, the top
country's share, the top three's share, China's share and the Herfindahl–Hirschman index (HHI, the sum of squared
percentage shares: 10,000 is one supplier; above 2,500 is "highly concentrated" in the US merger guidelines).

Mine output and reserves have a row per country, so every figure is computed; the other stages have only China's
share in the corpus (its by-stage table), so their other figures are absent rather than guessed. Each figure names
its inputs (document, section, rows).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from assistant.knowledge.tables import available, china_share, mine_production, reserves


class Input(BaseModel):
    country: str
    tonnes: float
    doc_id: str
    section: str


class Concentration(BaseModel):
    stage: str  # mining | deposit (reserves) | a stage of China's by-stage table
    year: str  # the year, or the edition for reserves
    measure: str
    top_country: str | None = None
    top_share: float | None = None  # %
    top3_share: float | None = None  # %
    china_share: float | None = None  # %
    hhi: float | None = None
    hhi_note: str = ""
    source: str = ""
    inputs: list[Input] = Field(default_factory=list)


def _from_rows(stage: str, year: str, measure: str, rows: list, total: float | None) -> Concentration | None:
    """Shares of the world total where the table gives one, else of the listed countries' sum."""
    known = sorted((r for r in rows if r.key and r.tonnes), key=lambda r: -(r.tonnes or 0))
    if not known:
        return None
    listed = sum(r.tonnes for r in known)
    base = total if total and total >= listed else listed
    shares = [100.0 * r.tonnes / base for r in known]
    china = next((s for r, s in zip(known, shares, strict=True) if r.key == "china"), 0.0)
    rest = 100.0 - sum(shares)
    note = ("" if rest < 0.5 else
            f"computed over the listed countries; {rest:.1f}% of the world total is not assigned to a country, so the "
            f"true HHI is at most {sum(s * s for s in shares) + rest * rest:,.0f}")
    return Concentration(
        stage=stage, year=year, measure=measure, top_country=known[0].country, top_share=round(shares[0], 1),
        top3_share=round(sum(shares[:3]), 1), china_share=round(china, 1),
        hhi=round(sum(s * s for s in shares)), hhi_note=note, source=known[0].source_title,
        inputs=[Input(country=r.country, tonnes=r.tonnes, doc_id=r.doc_id, section=r.section) for r in known])


def concentration(corpus: Path) -> list[Concentration]:
    out: list[Concentration] = []
    mines = available(mine_production, corpus)
    for year in sorted({r.year for r in mines}):
        rows = [r for r in mines if r.year == year]
        total = next((r.tonnes for r in rows if r.key is None and "world" in r.country.lower()), None)
        if c := _from_rows("mining", str(year), "mine production, t REO", rows, total):
            out.append(c)
    res = available(reserves, corpus)
    for edition in sorted({r.edition for r in res}):
        rows = [r for r in res if r.edition == edition]
        total = next((r.tonnes for r in rows if r.key is None and "world" in r.country.lower()), None)
        if c := _from_rows("deposit", edition, "reserves, t REO", rows, total):
            out.append(c)
    for s in available(china_share, corpus):
        out.append(Concentration(stage=s.stage, year=str(s.year), measure=s.label, china_share=s.share_pct,
                                 source=s.source, hhi_note="only China's share is in the corpus for this stage"))
    return out


__all__ = ["Concentration", "Input", "concentration"]
