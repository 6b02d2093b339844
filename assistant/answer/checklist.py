"""The gap checklist: stage statuses from `corpus/value_chain/*.yaml`, each backed by a quoted passage; the
verdict and binding gap computed from the statuses alone; what closing each gap takes, cited from primers."""

from __future__ import annotations

import re
import unicodedata
from functools import cached_property
from pathlib import Path
from typing import Any

from assistant.answer.citations import CitationBook, best_sentence, plain, sentences, strip_markers, terms
from assistant.index.keywords import KeywordIndex
from assistant.knowledge.taxonomy import STAGE_WORDS, country_name, find_countries
from assistant.knowledge.valuechain import CountryFacts, Facility, detail_line, load_country
from assistant.types import STAGES, Checklist, Chunk, NextStep, StageRow
from assistant.understand.query import stage_range
from assistant.understand.words import is_common

# What closing a missing stage takes, in one line (the figures come from the cited primers).
STAGE_ACTIONS = {
    "deposit": "Prove a resource: drilling, assays and a JORC or NI 43-101 (or equivalent) resource estimate.",
    "mining": "Permit, finance and open a mine with a bankable feasibility study and offtake agreements.",
    "concentrate": "Build a beneficiation plant (crushing, grinding, flotation or gravity/magnetic separation).",
    "cracking": "Build acid or alkaline cracking and leaching, with licensed handling of thorium/uranium residues.",
    "separation": "Build a solvent-extraction plant (hundreds of mixer-settler stages) and hire the scarce "
                  "process know-how to run it.",
    "metal": "Build oxide-to-metal reduction (molten-salt electrolysis for Nd/Pr, calciothermic for Dy/Tb).",
    "alloy": "Build alloying and strip casting to turn metals into magnet-grade alloy flake.",
    "magnet": "Build a magnet plant (hydrogen decrepitation, jet milling, pressing, sintering, grain-boundary "
              "diffusion) and pass customer qualification.",
    "recycling": "Collect magnet scrap and build short-loop (hydrogen) or long-loop (hydrometallurgical) recycling.",
}
# A sentence speaks of a stage's cost or time only if it names that stage (stricter than STAGE_WORDS, where "process"
# or "metal" would match a cracking plant's sentence) and gives money or a duration.
_STAGE_SPEAKS = {stage: re.compile(r"\b(" + words + r")", re.I) for stage, words in {
    "deposit": "deposit|reserve|resource|exploration", "mining": "mine|mining",
    "concentrate": "concentrat|beneficiat|flotation", "cracking": "crack|leach|digestion",
    "separation": "separat|solvent extraction",
    "metal": "metal-making|metal making|metal plant|metallis|metalliz|electroly",
    "alloy": "alloy|strip.cast", "magnet": "magnet", "recycling": "recycl"}.items() if words}
_COST = re.compile(r"((US|A|C)?\$\s?\d|[€£¥₹]\s?\d|\d[\d,.]*\s*(million|billion|bn)\b|\d+(\.\d+)?\s*(years?|months?)\b"
                   r"|\b(one|two|three|four|five|six|seven|eight|nine|ten)( and a half)? (years?|months?)\b)", re.I)
_FIGURE = re.compile(r"(US\$|A\$|\$|€|£|¥|₹|\bmillion\b|\bbillion\b|\byears?\b|\bmonths?\b)", re.I)


def verdict_for(statuses: list[str]) -> str | None:
    """yes | partly | not yet | no, from the stage statuses deposit → target (target last). None = unknown."""
    if not statuses:
        return None
    target, upstream = statuses[-1], statuses[:-1]
    if target == "at_scale":
        return "yes" if all(s == "at_scale" for s in upstream) else "partly"
    if target == "emerging":
        return "partly"
    if target == "planned":
        return "not yet"
    if target == "none":
        return "no"
    return None


def binding_gap(rows: list[StageRow]) -> str | None:
    for row in rows:
        if row.status != "at_scale":
            return row.stage
    return None


def leading(facilities: list[Facility]) -> list[Facility]:
    """The facilities a stage's status rests on: those furthest along (operating, then commissioning, …), commercial
    lines before pilots; where those are pilots, the commercial plants being built or commissioned as well."""
    order = ("operating", "commissioning", "construction", "feasibility", "exploration", "suspended", "closed")
    ranked = sorted(facilities, key=lambda f: (order.index(f.phase) if f.phase in order else len(order), f.pilot))
    top = [f for f in ranked if (f.phase, f.pilot) == (ranked[0].phase, ranked[0].pilot)] if ranked else []
    if top and all(f.pilot for f in top):  # pilots only: the commercial plants on the way count too
        top += [f for f in ranked if not f.pilot and f.phase in ("commissioning", "construction")]
    return top


def _without_asides(name: str) -> str:
    """A name without its asides in brackets ("SARECO (closed)" → "SARECO")."""
    return re.sub(r"\s*\([^)]*\)", "", name).strip()


def operator_named(operator: str, facility: str, text: str) -> str | None:
    """How the text names a facility's operator, where the facility's name does not already: by its whole name,
    its initials ("ASM" for Australian Strategic Materials) or its first word where that word is a name rather
    than general English ("Lynas", not "Australian" or "China")."""
    words = re.findall(r"[\w'’-]+", _without_asides(operator))
    if not words or operator.lower() in facility.lower() or words[0].lower() in facility.lower():
        return None
    if any(w[:1].islower() for w in words if len(w) > 3):
        return None  # an operator described ("Chinese company"), not named
    forms = [" ".join(words)]
    caps = [w for w in words if w[:1].isupper()]
    if len(caps) >= 2:
        forms.append("".join(w[0] for w in caps))
    # (a word of letters alone is looked up in the word list; one with a hyphen or digits is a name as it stands;
    # a country's name names the country: "China Northern Rare Earth")
    if len(words) > 1 and not (words[0].isalpha() and is_common(words[0].lower(), 3.5)) and not find_countries(
            words[0]):
        forms.append(words[0])
    for form in forms:
        if re.search(r"(?<![\w-])" + re.escape(form) + r"(?![\w-])", text):
            return form
    return None


def named_in(name: str, text: str) -> str | None:
    """How the text names a facility: its whole name, asides in brackets left out, when every capitalised word of
    it is there ("Solvay La Rochelle", not "separation plant"), else its place (after the last comma: "Ellesmere
    Port") when that is."""
    low = text.lower()

    def there(part: str) -> bool:
        proper = [w for w in re.findall(r"[\w'’-]+", part) if w[:1].isupper()]
        return bool(proper) and all(w.lower() in low for w in proper)

    name = _without_asides(name)  # an aside in brackets ("(metal from 2027)") is not the name
    if there(name):
        return name
    place = name.rsplit(",", 1)[-1].strip() if "," in name else ""
    return place if place and there(place) else None


_FIGURE = re.compile(r"\d[\d,.]*\d|\d")
# The target stage's record is said in at most this many cited clauses: the answer's own points need citations too.
DETAIL_CLAUSES = 4
_CAPITALISED = re.compile(r"\b[A-Z][\w'’-]*")


def _folded(text: str) -> str:
    """Lower case, accents and thousands separators gone: 'Sillamäe' and 'Sillamae', '3,000' and '3000' match."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower().replace(",", "")


class ValueChainData:
    """`value_chain/<key>.yaml` files, each read (and validated by `knowledge.valuechain`) the first time it is
    needed. Statuses come from `derive_status`, never from the file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._cache: dict[str, CountryFacts | None] = {}

    def keys(self) -> list[str]:
        return sorted(self.profiled)

    @cached_property
    def profiled(self) -> frozenset[str]:
        """The countries with a value-chain file, listed once (the files are read once too, by `get`)."""
        return frozenset(p.stem for p in self.folder.glob("*.yaml")) if self.folder.exists() else frozenset()

    def read_all(self) -> dict[str, CountryFacts]:
        """Every country's facts, read now (for keeping beside the index: knowledge/stamped.py)."""
        return {k: f for k in self.keys() if (f := self.get(k)) is not None}

    def preload(self, facts: dict[str, CountryFacts]) -> None:
        """Facts already read (from the parsed copy kept beside the index), so `get` reads no file for them."""
        self._cache.update(facts)

    def get(self, key: str) -> CountryFacts | None:
        if key not in self._cache:
            path = self.folder / f"{key}.yaml"
            self._cache[key] = load_country(path) if path.exists() else None
        return self._cache[key]


class ChecklistBuilder:
    def __init__(self, data: ValueChainData, keywords: KeywordIndex) -> None:
        self.data = data
        self.keywords = keywords

    @cached_property
    def _by_doc(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for i, meta in enumerate(self.keywords.metas):
            out.setdefault(str(meta.get("doc_id")), []).append(i)
        return out

    def _section_chunks(self, doc: str, section: str) -> list[int]:
        metas = self.keywords.metas
        return [i for i in self._by_doc.get(doc, []) if metas[i].get("heading") == section or
                str(metas[i].get("section", "")).endswith(section)]

    def _doc_chunks(self, docs: set[str]) -> list[int]:
        return [i for d in sorted(docs) for i in self._by_doc.get(d, [])]

    def _cite_best(self, idxs: list[int], want: set[str], book: CitationBook,
                   prefer: re.Pattern[str] | None = None, bonus: set[str] | None = None) -> int | None:
        found = self._best(idxs, want, book, prefer, bonus)
        return found[0] if found else None

    def _best(self, idxs: list[int], want: set[str], book: CitationBook,
              prefer: re.Pattern[str] | None = None, bonus: set[str] | None = None) -> tuple[int, str] | None:
        """The best sentence of these chunks, cited; once the book is full, the best one already cited."""
        scored: list[tuple[float, int, str]] = []
        for i in idxs:
            chunk = self.keywords.chunk(i)
            for sent in sentences(chunk):
                if book.has(chunk, sent):
                    scored.append((len(want & terms(strip_markers(sent))), i, sent))
            if book.full():
                continue
            sent, score = best_sentence(chunk, want, prefer, bonus)
            if sent:
                scored.append((score, i, sent))
        if not scored:
            return None
        score, i, sent = max(scored, key=lambda x: x[0])
        if score <= 0:
            return None
        # A sentence already cited that speaks of this too is reused: fewer, shared citations (but one that names
        # what `bonus` asks for, where the best does, is not traded for one that does not).
        names = bool(bonus and bonus & terms(strip_markers(sent)))
        reuse = [x for x in scored if x[0] >= 0.5 * score and book.has(self.keywords.chunk(x[1]), x[2])
                 and (not names or bonus & terms(strip_markers(x[2])))]
        if reuse:
            score, i, sent = max(reuse, key=lambda x: x[0])
        return book.cite(self.keywords.chunk(i), sent), sent

    def _cite_naming(self, facts: Any, name: str, want: set[str], book: CitationBook, operator: str = "") -> int | None:
        """The sentence of a stage's evidence sections that names this facility (else, given its `operator`, one
        that names the operator) and says most of `want`, cited (nothing is cited when none names either)."""
        found = self._naming(facts, lambda text: named_in(name, text), want)
        if found is None and operator:
            found = self._naming(facts, lambda text: operator_named(operator, "", text), want)
        return book.cite(found[1], found[2]) if found else None

    def _naming(self, facts: Any, names: Any, want: set[str]) -> tuple[int, Chunk, str] | None:
        best: tuple[int, Chunk, str] | None = None
        for ev in facts.evidence:
            for i in self._section_chunks(ev.doc, ev.section):
                chunk = self.keywords.chunk(i)
                for sent in sentences(chunk):
                    text = strip_markers(sent)
                    if "|" in text or not names(text):
                        continue
                    score = len(want & terms(text))
                    if best is None or score > best[0]:
                        best = (score, chunk, sent)
        return best

    def _cite_detail(self, facts: Any, book: CitationBook) -> str:
        """The stage's detail clause by clause ('; '), each kept only where one sentence of the stage's evidence
        sections holds every figure and capitalised name in it, and cited to that sentence; a clause no single
        sentence supports is left out (the checklist still shows the whole detail with its evidence)."""
        sents = [(chunk, sent, _folded(plain(sent))) for ev in facts.evidence
                 for i in self._section_chunks(ev.doc, ev.section) for chunk in [self.keywords.chunk(i)]
                 for sent in sentences(chunk)]
        sents.sort(key=lambda x: "|" in x[1])  # prose before a table row that states the same
        out: list[str] = []
        for clause in (c.strip().rstrip(".") for c in re.split(r";\s+", plain(facts.detail))):
            need = [_folded(n) for n in (*_FIGURE.findall(clause),
                                         *(w for w in _CAPITALISED.findall(clause) if len(w) > 3))]
            if not need or book.full() or len(out) >= DETAIL_CLAUSES:
                continue
            hit = next(((chunk, sent) for chunk, sent, low in sents if all(n in low for n in need)), None)
            if hit is not None:
                out.append(f"{clause} [{book.cite(*hit)}]")
        return "; ".join(out)

    def cite_in(self, doc: str, section: str, want: set[str], book: CitationBook) -> int | None:
        """The best sentence of one section for these terms, cited."""
        return self._cite_best(self._section_chunks(doc, section), want, book)

    def cite_stage(self, country: str, stage: str, book: CitationBook) -> int | None:
        """The sentence the checklist cites for a country's stage: the same choice as `build` makes."""
        data = self.data.get(country)
        if data is None:
            return None
        facts = data.stages[stage]
        want = terms(" ".join(STAGE_WORDS[stage])) | terms(facts.detail) | terms(data.country)
        for ev in facts.evidence:
            n = self._cite_best(self._section_chunks(ev.doc, ev.section), want, book)
            if n is not None:
                return n
        return None

    def cite_about(self, docs: list[str], names: list[str], want: set[str], book: CitationBook,
                   skip: set[str]) -> tuple[int, str] | None:
        """The sentence of these documents that names one of `names` and shares most terms with `want` (not one
        of `skip`), cited."""
        low = [n.lower() for n in names if n]
        best: tuple[float, Chunk, str] | None = None
        for chunk in (c for d in docs for c in self.doc_chunks(d)):
            for sent in sentences(chunk):
                text = strip_markers(sent)
                if (sent.strip() in skip or "|" in sent or len(text.split()) < 6
                        or not any(n in text.lower() for n in low)):
                    continue
                score = len(want & terms(text)) - 0.002 * max(0, len(text) - 300)
                if best is None or score > best[0]:
                    best = (score, chunk, sent)
        if best is None or best[0] <= 0:
            return None
        return book.cite(best[1], best[2]), best[2]

    def cite_line(self, doc: str, section: str, needles: list[str], book: CitationBook) -> int | None:
        """A line of a section (a table row) that holds every needle, cited verbatim."""
        for chunk in self.section_chunks(doc, section) or self.doc_chunks(doc):
            for line in chunk.text.splitlines():
                if line.strip() and all(n.lower() in line.lower() for n in needles):
                    return book.cite(chunk, line.strip())
        return None

    def doc_chunks(self, doc: str) -> list[Chunk]:
        return [self.keywords.chunk(i) for i in self._by_doc.get(doc, [])]

    def section_chunks(self, doc: str, section: str) -> list[Chunk]:
        return [self.keywords.chunk(i) for i in self._section_chunks(doc, section)]

    def build(self, country: str, target: str, book: CitationBook, say_detail: bool = False) -> Checklist:
        """Every stage of the chain, so that the reader sees the whole of it; the verdict, the binding gap and
        the next steps concern the stages the target rests on (`stage_range`). With `say_detail`, the target
        stage's detail is cited clause by clause (`detail_cited`), for a verdict that says what is there."""
        stages = list(STAGES)
        scope = set(stage_range(target))
        data = self.data.get(country)
        if data is None:
            return self._inferred(country, target, stages, book)
        name_terms = terms(data.country)
        # The stages the verdict names facilities at: the target, and the furthest stage on the way to it that runs
        # at scale (where the chain stops: "separation (at scale: Lynas Malaysia)" before "no metal").
        # (for a single verdict, `say_detail`; side by side, the citations are kept for the other country)
        reached = [st for st in stages if st in scope and st != target and data.status(st) == "at_scale"]
        # and any stage whose plant closed (what the chain once had: "cracking (closed: SARECO, Stepnogorsk)")
        closed = [st for st in stages if st in scope and data.status(st) == "none"
                  and any(f.phase in ("closed", "suspended") for f in data.stages[st].facilities)]
        named_at = {target, *((reached[-1:] + closed) if say_detail else [])}
        # With room for fewer citations than stages (checklists side by side), the target is cited first, then the
        # stages nearest it, so that what the verdict turns on is cited and named; rows keep chain order.
        order = stages
        if book.limit is not None and book.limit - len(book.items) < len(stages):
            order = sorted(stages, key=lambda st: (st not in scope, -stages.index(st) if st in scope
                                                   else stages.index(st)))
        by_stage: dict[str, StageRow] = {}
        for stage in order:
            facts = data.stages[stage]
            detail = detail_line(facts)
            cites: list[int] = []
            want = terms(" ".join(STAGE_WORDS[stage])) | terms(facts.detail) | name_terms
            # the sentence that names the facility the status rests on (the one furthest along) is preferred
            lead = leading(facts.facilities)
            bonus = terms(" ".join(f"{f.name} {f.operator}" for f in lead)) - name_terms if lead else None
            for ev in facts.evidence:
                idxs = self._section_chunks(ev.doc, ev.section)
                n = self._cite_best(idxs, want, book, bonus=bonus)
                if n is not None and n not in cites:
                    cites.append(n)
                    break  # one passage per stage keeps the evidence readable
            # the facilities the status rests on, each named by a sentence cited for the stage: the one above, or
            # (for the target stage, which the verdict names them at) the sentence of its evidence that names it
            named: list[str] = []
            for f in lead:
                quotes = " ".join(book.items[n - 1].quote for n in cites)
                if stage in named_at and not named_in(f.name, quotes) and len(cites) < 2 and not book.full():
                    n = self._cite_naming(facts, f.name, want, book, f.operator)
                    if n is not None and n not in cites:
                        cites.append(n)
                        quotes += " " + book.items[n - 1].quote
                shown = named_in(f.name, quotes)
                if shown and f.operator and (who := operator_named(f.operator, shown, quotes)):
                    bare = _without_asides(f.name)
                    place_only = "," in bare and shown == bare.rsplit(",", 1)[1].strip()
                    shown = f"{who}'s plant at {shown}" if place_only else f"{who}'s {shown}"
                elif not shown and stage in named_at and f.operator:
                    shown = operator_named(f.operator, "", quotes)  # the plant by who runs it ("Lynas")
                if shown and shown not in named:
                    named.append(shown)
            # the target stage's record, cited clause by clause, for a verdict short of "yes" (a "yes" names its
            # facilities already); cited before the later stages take the checklist's citations
            said = self._cite_detail(facts, book) if (
                say_detail and stage == target and data.status(stage) in ("at_scale", "emerging", "planned")
                and verdict_for([data.status(st) for st in stages if st in scope]) != "yes") else ""
            by_stage[stage] = StageRow(stage=stage, status=data.status(stage), label=data.label(stage), detail=detail,
                                       as_of=facts.as_of, citations=cites, facilities=named, detail_cited=said)
        rows = [by_stage[st] for st in stages]
        upto = [r for r in rows if r.stage in scope]
        return Checklist(country=data.country, target=target, verdict=verdict_for([r.status for r in upto]),
                         binding_gap=binding_gap(upto), stages=rows, next_steps=self._next_steps(upto, book),
                         structured=True)

    def _inferred(self, country: str, target: str, stages: list[str], book: CitationBook) -> Checklist:
        """No structured data: every status `unknown` and marked inferred; passages that mention the country
        and the stage are cited for the reader to judge. Nothing is invented."""
        name = country_name(country)
        rows = []
        mention = [i for i, m in enumerate(self.keywords.metas) if re.search(
            r"\b" + re.escape(name) + r"\b", self.keywords.texts[i], re.I)]
        for stage in stages:
            want = terms(" ".join(STAGE_WORDS[stage])) | terms(name)
            n = self._cite_best(mention, want, book, bonus=terms(name)) if mention else None
            detail = ("No structured data for this country; see the cited passage." if n is not None else
                      "No structured data and no passage in the documents.")
            rows.append(StageRow(stage=stage, status="unknown", label="unknown", detail=detail, as_of="",
                                 citations=[n] if n else [], inferred=True))
        return Checklist(country=name, target=target, verdict=None, binding_gap=None, stages=rows,
                         next_steps=[], structured=False,
                         note=f"No structured value-chain data for {name}; statuses are unknown (inferred from "
                              "retrieved passages only, never invented).")

    def _stage_cost(self, stage: str, idxs: list[int], book: CitationBook) -> tuple[int, str] | None:
        """The sentence that gives a cost or a time for this stage, cited; None when no sentence of these chunks
        speaks of this stage (a cracking plant's cost is never the "typical cost" of separation or metal); (0, "")
        when one does but the answer's citations are used up."""
        own = _STAGE_SPEAKS[stage]
        want = terms(" ".join(STAGE_WORDS[stage])) | terms("cost capital capex years timeline")
        best: tuple[int, int, str] | None = None
        sourced = False
        for i in idxs:
            chunk = self.keywords.chunk(i)
            for sent in sentences(chunk):
                plain = strip_markers(sent)
                if not (own.search(plain) and _COST.search(plain)):
                    continue
                if book.full() and not book.has(chunk, sent):
                    sourced = True  # sourced, but a full book only reuses what it has already cited
                    continue
                score = len(want & terms(plain))
                if best is None or score > best[0]:
                    best = (score, i, sent)
        if best is None:
            return (0, "") if sourced else None
        return book.cite(self.keywords.chunk(best[1]), best[2]), best[2]

    def _next_steps(self, rows: list[StageRow], book: CitationBook) -> list[NextStep]:
        steps = []
        for row in rows:
            if row.status == "at_scale":
                continue
            idxs = self._doc_chunks({f"primers/{row.stage}.md", "primers/timelines-and-capex.md"})
            found = self._stage_cost(row.stage, idxs, book)
            text = STAGE_ACTIONS[row.stage]
            if found is None:
                text += " Typical cost and time: none sourced."
            elif found[0]:
                text += f" Typical cost and time: {strip_markers(found[1])}"
            steps.append(NextStep(stage=row.stage, text=text, citations=[found[0]] if found and found[0] else []))
        return steps
