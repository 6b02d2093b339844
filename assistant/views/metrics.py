"""`ree metrics`: the concentration figures (knowledge/concentration.py) as a plain-text table."""

from __future__ import annotations

from assistant.knowledge.concentration import Concentration


def to_text(rows: list[Concentration]) -> str:
    def pct(v: float | None) -> str:
        return "-" if v is None else f"{v:.0f}%"

    lines = [f"{'stage':<12}{'year':<12}{'top':<18}{'top 1':>7}{'top 3':>7}{'China':>7}{'HHI':>8}  source"]
    for c in rows:
        lines.append(f"{c.stage:<12}{c.year[:11]:<12}{(c.top_country or '-')[:17]:<18}{pct(c.top_share):>7}"
                     f"{pct(c.top3_share):>7}{pct(c.china_share):>7}{'-' if c.hhi is None else f'{c.hhi:,.0f}':>8}"
                     f"  {c.source[:40]}")
    return "\n".join(lines)


__all__ = ["to_text"]
