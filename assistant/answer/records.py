"""Answers from records: a query over the registry, the value-chain facts and the tables of figures, written as a
direct answer first, then one cited sentence per item; a long list is cut with "and N more", the full table
travelling with the answer (`Answer.table`).

The statuses are the map's (the one rule in `knowledge.valuechain`), so a set answer can never contradict the Map
tab; every figure is a table row or a value-chain fact, cited to the line or sentence that holds it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.answer.checklist import ChecklistBuilder
from assistant.answer.citations import CitationBook, plain, terms
from assistant.answer.milestones import cite_quote
from assistant.answer.project_fields import (
    FIELDS,
    cite_figure,
    cite_holding,
    core_name,
    fields,
    figure_text,
    figures_of,
)
from assistant.answer.record_text import (
    RANKED,
    SHOWN,
    RecordAnswer,
    _count,
    _evidenced,
    _level,
    _names,
    _ordinal,
    _ranks,
    _scope,
    _through_ties,
)
from assistant.answer.table_answers import TableAnswers
from assistant.knowledge.registry import Project, family, fold, select
from assistant.types import STAGES, STATUS_LABEL, RecordQuery


def _planned(p: Project, f: Any) -> bool:
    """A figure of what is not built: a target, or any figure of a project still being studied or built."""
    return f.kind == "target" or p.phase in ("exploration", "feasibility", "construction")


class RecordAnswerer(TableAnswers):
    def __init__(self, builder: ChecklistBuilder, registry: list[Project], corpus: Path,
                 region_of: Any, name_of: Any, question: str = "") -> None:
        self.builder = builder
        self.registry = registry
        self.corpus = corpus
        self.region_of = region_of  # country key -> region
        self.name_of = name_of  # country key -> display name
        self.want = terms(question)  # what the question asks, for the sentences about what it names

    def about(self, docs: list[str], names: list[str], book: CitationBook) -> tuple[int, str] | None:
        """The sentence of these documents that names one of `names` and best answers the question, cited."""
        return self.builder.cite_about(docs, names, self.want, book, skip={c.verbatim for c in book.items})

    def best_sentence(self, p: Project, book: CitationBook, most: int = 3) -> list[str]:
        """The sentences of a compared project's documents that together best answer the question about it: the
        best one, then each next one for what the question asks that those before did not say (up to `most`)."""
        out: list[str] = []
        want = self.want - terms(" ".join(p.names()))
        for _ in range(most):
            found = self.builder.cite_about(list(p.docs), list(p.names()), want, book,
                                            skip={c.verbatim for c in book.items})
            if found is None:
                break
            out.append(f"{plain(found[1])} [{found[0]}]")
            want = want - terms(found[1])
        return out

    def context(self, entities: list[Any], book: CitationBook) -> str:
        """For a policy, programme or agency the question names: the sentence that best answers it about it."""
        for e in (e for e in entities if e.kind in ("policy", "programme", "agency")):
            found = self.about(list(e.docs), list(e.names), book)
            if found:
                return f" On {e.name}: {plain(found[1]).rstrip(' .')} [{found[0]}]."
        return ""

    # -- filters shared by every kind -------------------------------------------------------------------------
    def _country_ok(self, q: RecordQuery, key: str | None) -> bool:
        if key is None or key in q.exclude:
            return False
        in_region = not q.region or q.region in self.region_of(key).lower()
        if q.countries and q.region:  # "in Europe plus the UK": either
            return in_region or key in q.countries
        if q.countries and key not in q.countries:
            return False
        return in_region

    def projects(self, q: RecordQuery) -> list[Project]:
        keep = {p.country for p in self.registry if self._country_ok(q, p.country)}
        if not keep:
            return []
        found = select(self.registry, countries=keep, exclude=q.exclude, stage=q.stage,
                       phases=q.phases, supported=q.supported, programmes=q.programmes,
                       first_output_in=q.years if q.kind in ("set", "count") else ())
        if q.operators:  # the sites the companies named run or own
            wanted = [fold(c) for c in q.operators]
            found = [p for p in found if any(w in fold(p.operator) for w in wanted)]
        if q.milestone and not (q.years or q.year_from or q.year_to):  # the projects that reached the milestone
            found = [p for p in found if any(m.kind == q.milestone and m.done for m in p.milestones)]
        return found

    def answer(self, q: RecordQuery, book: CitationBook) -> RecordAnswer:
        if q.subject == "stage":
            return self._stages_of(q, book)
        if q.kind == "compare":
            return self._compare(q, book)
        if q.kind == "change" and q.measure == "milestone":
            return self._milestone_change(q, book)
        if q.kind == "change":
            return self._change(q, book)
        if q.subject == "project" and q.milestone and (q.years or q.year_from or q.year_to):
            return self._milestone_set(q, book)
        if q.kind == "concentration":
            return self._concentration(q, book)
        if q.kind in ("ranking", "extreme"):
            return self._rank_projects(q, book) if q.subject == "project" else self._rank_countries(q, book)
        if q.subject == "country" and q.measure in ("reserves", "mine_production"):
            return self._rank_countries(q, book)  # a set or count of the countries in a table of figures
        return self._set_projects(q, book) if q.subject == "project" else self._set_countries(q, book)

    # -- countries by the map's status ------------------------------------------------------------------------
    def _set_countries(self, q: RecordQuery, book: CitationBook) -> RecordAnswer:
        stage = q.stage or "magnet"
        wanted = q.statuses or ["at_scale", "emerging", "planned"]
        keys = [k for k in self.builder.data.keys() if self._country_ok(q, k)]
        if q.countries and q.subject == "country":
            keys = [k for k in keys if k in q.countries] or keys
        rows = []
        for k in keys:
            facts = self.builder.data.get(k)
            if facts is None:
                continue
            status = facts.status(stage)
            rows.append({"country": facts.country, "key": k, "region": self.region_of(k), "stage": stage,
                         "status": status, "detail": facts.stages[stage].detail})
        q.matched = sum(r["status"] in wanted for r in rows)
        scope = _scope(q, self.name_of)
        parts: list[str] = []
        items: list[tuple[str, int | None]] = []
        for i, status in enumerate(wanted):
            group = [r for r in rows if r["status"] == status]
            label = STATUS_LABEL[status]
            if i == 0:
                lead = (f"{_count(len(group)).capitalize()} of the {len(rows)} profiled countries{scope} "
                        f"{'has' if len(group) == 1 else 'have'} the {stage} stage {label} (the map's status)")
            elif group:
                lead = f"{_count(len(group)).capitalize()} more {'have' if len(group) != 1 else 'has'} it {label}"
            else:
                continue
            parts.append(f"{lead}: {_names([r['country'] for r in group])}." if group else f"{lead}.")
            items += [(f"{r['country']} ({stage} {label})", r["key"]) for r in group]
        matched = [r for r in rows if r["status"] in wanted]
        shown = [(label, [n] if (n := self.builder.cite_stage(key, stage, book)) else [])
                 for label, key in items[:SHOWN]]
        return RecordAnswer(" ".join(parts) + (" " + _evidenced(shown, book) if shown else ""), matched)

    # -- one country's stages by the map's status --------------------------------------------------------------
    def _stages_of(self, q: RecordQuery, book: CitationBook) -> RecordAnswer:
        """The stages of one country's chain, grouped by status (the statuses asked first), each group cited."""
        key = q.countries[0]
        facts = self.builder.data.get(key)
        name = self.name_of(key)
        if facts is None:
            q.matched = 0
            return RecordAnswer(f"{name} has no value-chain record.", [])
        rows = [{"country": facts.country, "key": key, "stage": st, "status": facts.status(st),
                 "detail": facts.stages[st].detail} for st in STAGES]
        order = list(dict.fromkeys([*q.statuses, "at_scale", "emerging", "planned", "none", "unknown"]))
        q.matched = sum(r["status"] in (q.statuses or order) for r in rows)
        parts, items = [], []
        for i, status in enumerate(order):
            group = [r["stage"] for r in rows if r["status"] == status]
            if not group and i:
                continue
            label = STATUS_LABEL[status]
            head = (f"{name} has {_count(len(group))} of the {_count(len(STAGES))} value-chain stages {label}"
                    if i == 0 else f"{label.capitalize()} ({_count(len(group))})")
            parts.append(f"{head}: {_names(group)}.")
            if status != "unknown":  # each stage with the sentence that says what is there, or is not
                items += [(f"{st.capitalize()} ({label})", [n] if (n := self.builder.cite_stage(key, st, book))
                           else []) for st in group]
        evidence = _evidenced(items, book)
        return RecordAnswer(" ".join(parts) + " These are the map's statuses, from the value-chain facts. "
                            + evidence, rows)

    # -- projects from the registry ---------------------------------------------------------------------------
    def _cite_project(self, p: Project, book: CitationBook) -> list[int]:
        """The sentences that say what the item's sentence says: one naming the project, then one for each of its
        operator and capacity that the first does not hold."""
        names = terms(" ".join(p.names()))
        wants = [names, terms(p.operator) | names if p.operator else set()]
        if p.capacity:
            wants.append(names | {f"{p.capacity.value:,.0f}"})
        cited: list[int] = []
        quotes = ""
        for want in wants:
            if not want or (cited and want - names and want - names <= terms(quotes)):
                continue
            for ev in p.evidence:
                n = self.builder.cite_in(ev.doc, ev.section, want, book)
                if n is not None:
                    if n not in cited:
                        cited.append(n)
                        quotes += " " + book.items[n - 1].quote
                    break
        return cited

    def _describe(self, p: Project) -> str:
        bits = [self.name_of(p.country)]
        if p.operator:
            bits.append(p.operator)
        bits.append(p.phase + (", pilot" if p.pilot else ""))
        if p.capacity:
            bits.append(f"{p.capacity.value:,.0f} {p.capacity.unit} {p.capacity.basis}")
        if p.first_output:
            bits.append(f"first output {p.first_output}")
        return f"{p.name} ({', '.join(bits)})"

    def _row(self, p: Project) -> dict[str, Any]:
        return {"name": p.name, "country": self.name_of(p.country), "region": p.region, "stages": list(p.stages),
                "operator": p.operator, "phase": p.phase, "pilot": p.pilot,
                **{k: f.model_dump(exclude={"evidence"}) if (f := getattr(p, k)) else None
                   for k in ("capacity", "output", "resource", "reserves")},
                "first_output": p.first_output,
                "support": [s.programme for s in p.support]}

    def _set_projects(self, q: RecordQuery, book: CitationBook) -> RecordAnswer:
        found = self.projects(q)
        q.matched = len(found)
        what = f"{q.stage} " if q.stage else ""
        phase = f" {' or '.join(q.phases)}" if q.phases else ""
        year = f" with first output in {', '.join(map(str, q.years))}" if q.years else ""
        backed = (f" supported as {' or '.join(q.programmes)}" if q.programmes else
                  " with public support" if q.supported else "")
        run = f" run by {q.operators[0]}" if q.operators else ""
        held = f" holding a {q.milestone.replace('_', ' ')}" if q.milestone else ""
        lead = (f"The registry holds {_count(len(found))} {what}project{'s' if len(found) != 1 else ''}"
                f"{run}{_scope(q, self.name_of)}{phase}{year}{held}{backed}")
        items = [(self._describe(p), self._cite_project(p, book)) for p in found[:SHOWN]]
        text = f"{lead}: {_names([p.name for p in found])}. {_evidenced(items, book)}" if found else f"{lead}."
        return RecordAnswer(text, [self._row(p) for p in found])

    def _rank_projects(self, q: RecordQuery, book: CitationBook) -> RecordAnswer:
        """Projects by a figure of theirs: capacity (or what the question calls output), resource or reserves,
        on the bases the question names. Named projects are ranked with their other facilities, each by its
        largest such figure; otherwise every facility that passes the filters."""
        if q.measure == "first_output":
            return self._rank_by_age(q, book)
        field = q.measure if q.measure in ("resource", "reserves") else "capacity"
        if q.names:
            named = [p for n in q.names if (p := next((p for p in self.registry if n in p.names()), None))]
            groups = [(p, family(self.registry, p)) for p in dict.fromkeys(named)]
        else:
            groups = [(p, [p]) for p in self.projects(q)]
            if field == "capacity" and not (q.phases or q.statuses or q.years):
                # Unasked, a ranking is of what stands: a plan's target outranks no built plant, so targets count
                # only where no built or running capacity is on record.
                built = [(p, fam) for p, fam in groups if (f := getattr(p, field)) is not None and not _planned(p, f)]
                groups = built or groups
        basis = q.basis
        if not basis and field in ("resource", "reserves") and any(
                figures_of(fam, field, ["REO"]) for _, fam in groups):
            # Deposits compare by the oxide they contain: tonnes of ore at different grades do not rank.
            basis = ["REO"]
        ranked = []
        for p, fam in groups:
            figures = figures_of(fam, field, basis)
            if figures:
                ranked.append((p, *figures[0]))
        ranked.sort(key=lambda r: (1 if q.ascending else -1) * r[2].value)
        q.matched = len(ranked)
        top = ranked if q.names else _through_ties(ranked, q.limit or RANKED, lambda r: r[2].value)
        if q.rank:  # the one place asked for ("the second-largest"), after those ahead of it
            top = ranked[:q.rank] if len(ranked) >= q.rank else []
        ranks = _ranks([f.value for _, _, f in top])
        items = [(f"{rank}. {p.name} ({self.name_of(p.country)}): {figure_text(f)}"
                  + (f" at {o.name}" if o is not p else ""), [n] if (n := cite_figure(self.builder, book, o, f))
                  else self._cite_project(p, book)) for rank, (p, o, f) in zip(ranks, top, strict=True)]
        label = dict(FIELDS)[field]
        shown_basis = f" ({' or '.join(basis)})" if basis else ""
        what = f"{q.stage} " if q.stage and not q.names else ""
        most = "smallest" if q.ascending else "largest"
        lead = (f"By recorded {label}{shown_basis}, the {most} {what}project{'s' if len(top) != 1 else ''}"
                f"{_scope(q, self.name_of) if not q.names else ''} of the {len(ranked)} with one on record "
                f"{'are' if len(top) != 1 else 'is'} {_names([p.name for p, _, _ in top])}")
        if q.rank and top:
            lead = (f"By recorded {label}{shown_basis}, the {_ordinal(q.rank)} {most} {what}project"
                    f"{_scope(q, self.name_of)} of the {len(ranked)} with one on record is {top[-1][0].name}, after "
                    f"{_names([p.name for p, _, _ in top[:-1]])}")
        missing = [p.name for p, _ in groups if q.names and p.name not in {r[0].name for r in ranked}]
        note = (f" The records give no {label}{shown_basis} for {_names(missing)}." if missing else "") + (
            "" if basis else " Figures are on the basis each source gives (ore, oxide, metal, magnet): compare "
                             "like with like.")
        if q.kind == "extreme" and len(ranked) > len(top):  # the next one, for the scale of the lead
            p, o, f = ranked[len(top)]
            n = cite_figure(self.builder, book, o, f)
            note = f" Next: {p.name} ({self.name_of(p.country)}), {figure_text(f)}{f' [{n}]' if n else ''}." + note
        level = _level([p.name for p, _, _ in top], [f.value for _, _, f in top])
        text = (f"{lead}. {level + ' ' if level else ''}{_evidenced(items, book)}{note}" if items else
                f"No {what}project{_scope(q, self.name_of)} has a {label}{shown_basis} on record.")
        return RecordAnswer(text, [self._row(p) for p, _, _ in ranked])

    def _rank_by_age(self, q: RecordQuery, book: CitationBook) -> RecordAnswer:
        """Sites by the year their output began, oldest first (newest first where asked), each with the
        sentence that dates it."""
        found = sorted((p for p in self.projects(q) if p.first_output), key=lambda p: p.first_output or 0,
                       reverse=not q.ascending)
        q.matched = len(found)
        top = found[:q.limit or RANKED]
        items = []
        for i, p in enumerate(top, 1):
            began = next((m for m in p.milestones if m.kind == "first_output" and m.done), None)
            n = cite_quote(self.builder, book, began.evidence) if began else cite_holding(
                self.builder, book, p.docs, [core_name(p.name), str(p.first_output)])
            items.append((f"{i}. {p.name} ({self.name_of(p.country)}): producing since {p.first_output}",
                          [n] if n else []))
        what = f"{q.stage} " if q.stage else ""
        order = "oldest" if q.ascending else "newest"
        lead = (f"By the year output began, the {order} {what}site{'s' if len(top) != 1 else ''}"
                f"{_scope(q, self.name_of)} of the {len(found)} with a start date on record "
                f"{'are' if len(top) != 1 else 'is'} {_names([p.name for p in top])}")
        text = (f"{lead}. {_evidenced(items, book)}" if top else
                f"No {what}site{_scope(q, self.name_of)} has a start of output on record.")
        return RecordAnswer(text, [self._row(p) for p in found])

    # -- projects by their milestones (answer/milestones.py) ---------------------------------------------------
    def _milestone_change(self, q: RecordQuery, book: CitationBook) -> RecordAnswer:
        """What changed at the projects named, the companies' projects or a country's, in date order; where the
        records hold nothing dated for it, the passages answer."""
        from assistant.answer.milestones import answer_change

        text, rows = answer_change(q, self.registry, self.builder, book, lambda k: self._country_ok(q, k),
                                   self.name_of, self.want)
        return RecordAnswer(text, rows, complete=bool(text))

    def _milestone_set(self, q: RecordQuery, book: CitationBook) -> RecordAnswer:
        """The projects that reached, or expect, a milestone in the years asked, earliest first."""
        from assistant.answer.milestones import answer_dated

        found = self.projects(q.model_copy(update={"years": [], "milestone": None}))  # answer_dated dates them
        text, rows = answer_dated(q, found, book, self.builder, lambda p: self._cite_project(p, book),
                                  self._describe, _scope(q, self.name_of))
        return RecordAnswer(text, rows)

    # -- named projects side by side --------------------------------------------------------------------------
    def _compare(self, q: RecordQuery, book: CitationBook) -> RecordAnswer:
        """The named projects side by side, field by field (answer/project_fields.py), each followed by the
        sentences of its documents that best answer what else the question asks."""
        found = []
        for name in q.names:
            p = next((p for p in self.registry if name in p.names()), None)
            if p is not None and p not in found:
                found.append(p)
        q.matched = len(found)
        lines = []
        for p in found:
            lines.append(fields(p, family(self.registry, p), self.builder, book, self.name_of))
            lines += self.best_sentence(p, book)
        missing = [n for n in q.names if not any(n in p.names() for p in found)]
        if missing:
            lines.append(f"The registry holds no record for {', '.join(missing)}.")
        return RecordAnswer(" ".join(lines), [self._row(p) for p in found])


__all__ = ["RecordAnswer", "RecordAnswerer"]
