"""Answers from the tables of figures (USGS mine output and reserves by country): rankings, sets within
amounts, changes between two years, and how concentrated a stage is. Mixed into the RecordAnswerer, whose
filters (`_country_ok`) and builder (citations of table rows) they use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.answer.citations import CitationBook, terms
from assistant.answer.record_text import (
    RANKED,
    SHOWN,
    RecordAnswer,
    _cited,
    _count,
    _in_order,
    _level,
    _names,
    _ordinal,
    _ranks,
    _scope,
    _through_ties,
    _tonnes,
)
from assistant.knowledge.tables import MineOutput, Reserve, available, mine_production, reserves
from assistant.types import RecordQuery, doc_meta


def table_sources(builder: Any, corpus: Path) -> set[str]:
    """The publishers of the tables of figures, from their documents' sources (one passage of each document
    carries them; no pass over the whole index)."""
    docs = {r.doc_id for r in available(reserves, corpus)} | {r.doc_id for r in available(mine_production, corpus)}
    firsts = [chunks[0] for doc in docs if (chunks := builder.doc_chunks(doc))]
    return {str(s.get("publisher") or "") for c in firsts for s in (doc_meta(c.meta).get("sources") or [])}


def _table_rows(q: RecordQuery, rows: list[Any]) -> list[dict[str, Any]]:
    """The rows of a country table as the answer's `table` holds them."""
    return [{"country": r.country, "key": r.key, "tonnes": r.tonnes, "measure": q.measure,
             "source": r.source_title, "doc_id": r.doc_id} for r in rows]


class TableAnswers:
    """The country tables' part of the RecordAnswerer."""

    builder: Any
    corpus: Path
    name_of: Any

    def _country_ok(self, q: RecordQuery, key: str | None) -> bool:  # pragma: no cover - the RecordAnswerer's
        raise NotImplementedError

    # -- countries from the tables of figures -----------------------------------------------------------------
    def _table(self, q: RecordQuery) -> tuple[list[Reserve] | list[MineOutput], str, str]:
        if q.measure == "reserves":
            rows = available(reserves, self.corpus)
            if not rows:
                return [], "reserves (no table in this corpus)", ""
            editions = sorted({r.edition for r in rows})
            want = next((e for e in editions for y in q.years[-1:] if e.endswith(str(y + 1))), editions[-1])
            return [r for r in rows if r.edition == want], f"reserves (USGS {want})", want
        rows = available(mine_production, self.corpus)
        if not rows:
            return [], "mine production (no table in this corpus)", ""
        years = sorted({r.year for r in rows})
        year = q.years[-1] if q.years and q.years[-1] in years else years[-1]
        return [r for r in rows if r.year == year], f"mine production in {year} (USGS)", str(year)

    def _cite_row(self, r: Reserve | MineOutput, book: CitationBook) -> int | None:
        return self.builder.cite_line(r.doc_id, r.section, [r.country], book)

    def _bounded(self, q: RecordQuery, rows: list[Any]) -> list[Any]:
        """The rows in the places asked, with a figure, within the amounts asked."""
        return [r for r in rows if self._country_ok(q, r.key) and r.tonnes is not None
                and (q.at_least is None or r.tonnes >= q.at_least) and (q.at_most is None or r.tonnes <= q.at_most)]

    def _bounds(self, q: RecordQuery) -> str:
        parts = ([f"at least {_tonnes(q.at_least)} REO"] if q.at_least is not None else []) + (
            [f"at most {_tonnes(q.at_most)} REO"] if q.at_most is not None else [])
        return f" {' and '.join(parts)}" if parts else ""

    def _table_set(self, q: RecordQuery, book: CitationBook) -> RecordAnswer:
        """The countries a table gives a figure for, within the bounds asked, largest first."""
        rows, label, _ = self._table(q)
        rows = sorted(self._bounded(q, [r for r in rows if r.key]), key=lambda r: -(r.tonnes or 0))
        q.matched = len(rows)
        items = [(f"{r.country}: {'>' if getattr(r, 'lower_bound', False) else ''}{_tonnes(r.tonnes)} REO",
                  self._cite_row(r, book)) for r in rows[:SHOWN]]
        n, scope, bounds = len(rows), _scope(q, self.name_of), self._bounds(q)
        what = f"{bounds} of {label}" if bounds else f" a figure for {label}"
        lead = (f"{_count(n).capitalize()} countr{'ies' if n != 1 else 'y'}{scope} {'have' if n != 1 else 'has'}"
                f"{what}: {_names([r.country for r in rows])}")
        text = f"{lead}. {_cited(items)}" if rows else f"No country{scope} has{what}."
        out = _table_rows(q, rows)
        return RecordAnswer(text, out)

    def _rank_changes(self, q: RecordQuery, book: CitationBook) -> RecordAnswer:
        """Countries ranked by how a table's figure changed between two years: by tonnes or by percent."""
        (ra, label, la), (rb, _, lb) = (self._table(q.model_copy(update={"years": [y]})) for y in q.years[:2])
        label = label.split(" in ")[0].split(" (")[0]  # "mine production", "reserves"
        before = {r.key: r for r in self._bounded(q, ra) if r.key}
        pairs = [(before[r.key], r) for r in self._bounded(q, rb) if r.key in before and before[r.key].tonnes]
        relative = q.change == "relative"

        def delta(pair: tuple[Any, Any]) -> float:
            a, b = pair[0].tonnes or 0.0, pair[1].tonnes or 0.0
            return (b - a) / a if relative else b - a

        pairs.sort(key=delta, reverse=not q.ascending)
        q.matched = len(pairs)
        top = pairs[:q.limit or RANKED]
        items = []
        for i, (a, b) in enumerate(top, 1):  # the change, our arithmetic, follows the cited figures
            marks = "".join(f"[{n}]" for n in dict.fromkeys((self._cite_row(a, book), self._cite_row(b, book))) if n)
            items.append(f"{i}. {b.country}: {_tonnes(a.tonnes)} REO in {la} to {_tonnes(b.tonnes)} in {lb} {marks} "
                         f"({(b.tonnes - a.tonnes) / a.tonnes:+.0%}).")
        way = ("fell most" if q.ascending else "grew most") + (" in percentage terms" if relative else " in tonnes")
        lead = (f"Of the {len(pairs)} countries{_scope(q, self.name_of)} with {label} figures for both {la} and "
                f"{lb} (USGS), {_names([b.country for _, b in top])} {way}") if top else \
            f"No country{_scope(q, self.name_of)} has {label} figures for both {la} and {lb}"
        out = [{"country": b.country, "key": b.key, "from": a.tonnes, "to": b.tonnes, "measure": q.measure}
               for a, b in pairs]
        return RecordAnswer(f"{lead}. {' '.join(items)}" if top else f"{lead}.", out)

    def _rank_countries(self, q: RecordQuery, book: CitationBook) -> RecordAnswer:
        if q.kind in ("set", "count"):
            return self._table_set(q, book)
        if q.change and len(q.years) >= 2:
            return self._rank_changes(q, book)
        rows, label, _ = self._table(q)
        rows = self._bounded(q, rows)
        rows.sort(key=lambda r: (r.tonnes or 0) if q.ascending else -(r.tonnes or 0))
        q.matched = len(rows)
        if q.rank:
            return self._at_place(q, rows, label, book)
        top = _through_ties(rows, q.limit or RANKED, lambda r: r.tonnes)
        missing = [c for c in q.countries if not any(r.key == c for r in rows)]
        ranks = _ranks([r.tonnes for r in top])
        items = [(f"{rank}. {r.country}: {'>' if getattr(r, 'lower_bound', False) else ''}{_tonnes(r.tonnes)} REO",
                  self._cite_row(r, book)) for rank, r in zip(ranks, top, strict=True)]
        scope = _scope(q, self.name_of)
        names = _names([r.country for r in top])
        most = "smallest" if q.ascending else "largest"
        bounds = self._bounds(q)
        level = _level([r.country for r in top], [r.tonnes for r in top])
        if bounds:  # the countries within the amounts asked, in the order asked
            order = "smallest first" if q.ascending else "largest first"
            lead = (f"{_count(len(rows)).capitalize()} countr{'ies' if len(rows) != 1 else 'y'}{scope} "
                    f"{'have' if len(rows) != 1 else 'has'}{bounds} of {label}; {order}: {names}" if rows else
                    f"No country{scope} has{bounds} of {label}")
        elif len(q.countries) >= 2 and len(top) > 1 and q.ascending:  # the countries named, side by side
            lead = f"Of the countries asked, by {label}, smallest first: {names}"
        elif len(q.countries) >= 2 and len(top) > 1:  # … in an order that says which are level
            lead = f"Of the countries asked, by {label}: {_in_order([r.country for r in top], [r.tonnes for r in top])}"
            level = ""
        else:
            ties = f" ({_count(len(top))}, with ties)" if q.limit and len(top) > q.limit else ""
            lead = (f"The {_count(min(len(top), q.limit or len(top)))} {most} countries{ties}{scope} by {label} "
                    f"are {names}" if len(top) > 1 else
                    f"The {most}{scope} by {label} is {names}" if top else f"No country{scope} has {label}")
        text = f"{lead}. {level + ' ' if level else ''}{_cited(items)}" if top else f"{lead}."
        if len(top) == 1 and q.measure == "mine_production":
            text += self._producing_sites(top[0].key, book)
        if q.kind == "extreme" and len(rows) > len(top):  # the next one, for the scale of the lead
            r = rows[len(top)]
            n = self._cite_row(r, book)
            text += f" Next: {r.country}, {_tonnes(r.tonnes)} REO{f' [{n}]' if n else ''}."
        out = _table_rows(q, rows)
        return RecordAnswer(text, out, complete=not missing)

    def _at_place(self, q: RecordQuery, rows: list[Any], label: str, book: CitationBook) -> RecordAnswer:
        """The country at the place an ordinal asks for ("the second-largest"), with those ahead of it."""
        assert q.rank
        most = "smallest" if q.ascending else "largest"
        scope = _scope(q, self.name_of)
        out = _table_rows(q, rows)
        if len(rows) < q.rank:
            return RecordAnswer(f"Only {_count(len(rows))} countr{'ies' if len(rows) != 1 else 'y'}{scope} "
                                f"{'have' if len(rows) != 1 else 'has'} {label}.", out)
        one = rows[q.rank - 1]
        n = self._cite_row(one, book)
        ahead = [(f"{i}. {r.country}: {_tonnes(r.tonnes)} REO", self._cite_row(r, book))
                 for i, r in enumerate(rows[:q.rank - 1], 1)]
        level = [r.country for r in rows if r.tonnes == one.tonnes and r is not one]
        text = (f"The {_ordinal(q.rank)} {most}{scope} by {label} is {one.country}, with {_tonnes(one.tonnes)} REO"
                f"{' (level with ' + _names(level) + ')' if level else ''}"
                + (f" [{n}]" if n else "") + f". Ahead of it: {_cited(ahead)}")
        return RecordAnswer(text, out)

    def _producing_sites(self, key: str | None, book: CitationBook) -> str:
        """For the one country a question about mine output asks for: the mines the registry has operating
        there, each with the sentence of its documents that names it as a producer."""
        mines = [p for p in self.registry if p.country == key and "mining" in p.stages  # type: ignore[attr-defined]
                 and p.phase == "operating" and not p.pilot]
        shown = []
        for p in mines[:3]:
            found = self.builder.cite_about(list(p.docs), list(p.names()),  # type: ignore[attr-defined]
                                            terms("mine production output produced ore concentrate"), book,
                                            skip=set())
            if found:
                shown.append(f"{p.name}" + (f" ({p.operator})" if p.operator else "") + f" [{found[0]}]")
        return f" Its mine output comes from {', '.join(shown)}." if shown else ""

    def _change(self, q: RecordQuery, book: CitationBook) -> RecordAnswer:
        a, b = q.years[0], q.years[-1]
        lines = []
        out = []
        for key in q.countries:
            values = []
            for year in (a, b):
                sub = q.model_copy(update={"years": [year]})
                rows, label, _ = self._table(sub)
                row = next((r for r in rows if r.key == key), None)
                values.append((year, row, label))
            (ya, ra, la), (yb, rb, lb) = values
            name = self.name_of(key)
            if ra is None or rb is None or ra.tonnes is None or rb.tonnes is None:
                missing = ya if ra is None or ra.tonnes is None else yb
                lines.append(f"The tables hold no {q.measure.replace('_', ' ') if q.measure else 'figure'} for "
                             f"{name} in {missing}.")
                continue
            na, nb = self._cite_row(ra, book), self._cite_row(rb, book)
            delta = rb.tonnes - ra.tonnes
            pct = f" ({delta / ra.tonnes:+.0%})" if ra.tonnes else ""
            verb = "rose" if delta > 0 else "fell" if delta < 0 else "stayed"
            lines.append(f"{name}'s {la.split(' (')[0] if q.measure == 'reserves' else 'mine production'} {verb} "
                         f"from {_tonnes(ra.tonnes)} ({la}){f' [{na}]' if na else ''} to {_tonnes(rb.tonnes)} "
                         f"({lb}){f' [{nb}]' if nb else ''}{pct if delta else ''}.")
            out.append({"country": name, "from": {"year": ya, "tonnes": ra.tonnes, "source": la},
                        "to": {"year": yb, "tonnes": rb.tonnes, "source": lb}})
        q.matched = len(out)
        return RecordAnswer(" ".join(lines), out)

    # -- how concentrated a stage is ----------------------------------------------------------------------------
    def _concentration(self, q: RecordQuery, book: CitationBook) -> RecordAnswer:
        from assistant.knowledge.concentration import concentration

        stage = "deposit" if q.measure == "reserves" else q.stage or "mining"
        rows = [c for c in concentration(self.corpus) if c.stage == stage]
        q.matched = len(rows)
        full = [c for c in rows if c.hhi is not None]
        lines: list[str] = []
        if full:
            c = full[-1]
            band = ("highly concentrated" if c.hhi > 2500 else "moderately concentrated" if c.hhi > 1500
                    else "unconcentrated")
            lines.append(f"{stage.capitalize()} ({c.measure}, {c.year}): the top country, {c.top_country}, holds "
                         f"{c.top_share:.0f}%, the top three {c.top3_share:.0f}%, and the HHI is {c.hhi:,.0f} "
                         f"({band} by the US merger guidelines' bands).")
            top3 = c.inputs[:3]
            ns = [n for i in top3 if (n := self.builder.cite_line(i.doc_id, i.section, [i.country], book))]
            lines.append("Its inputs are the USGS rows " + ", ".join(f"{i.country} {i.tonnes:,.0f} t" for i in top3)
                         + " " + "".join(f"[{n}]" for n in ns) + ".")
        for c in (r for r in rows if r.hhi is None):
            n = self.builder.cite_line("analysis/china-share-by-stage.md", "Table: China's share by stage",
                                       [f"{c.china_share:.0f}"], book)
            lines.append(f"China's share of {stage} is {c.china_share:.0f}% ({c.source}, {c.year})"
                         f"{f' [{n}]' if n else ''}.")
        if not full and rows:
            lines.append("The corpus gives only China's share for this stage, so no HHI is computed.")
        return RecordAnswer(" ".join(lines), [c.model_dump(exclude={"inputs"}) for c in rows])
