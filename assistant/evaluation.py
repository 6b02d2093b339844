"""`ree eval`: score one question set (the gold set in corpus/eval/questions.yaml by default).

Each metric is scored on its own, and each has a gate in `EvalSettings`; a metric whose denominator is empty
(no question of the set gives it anything to count) is n/a (None), never a free 1.0, and its gate does not apply.

- hit@5 and MRR: the documents of the passages the answer used (its citations, in the order the answer first
  cites them), against the documents that hold the answer; a refused or uncited answer is a miss.
- key-fact recall: the item's regexes over the answer text alone; the checklist's stage text does not count.
- checklist agreement: the checklist's statuses against the item's expected statuses (a dropped checklist
  disagrees on every one).
- citation validity: each quote is a verbatim range of its document, each [n] used exists and each cited
  sentence states no figure or name its quotes do not hold.
- refusal accuracy on out-of-scope questions; false-refusal rate on the rest.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from typing import Any, Protocol

import yaml

from assistant.answer.citations import plain
from assistant.knowledge.chunking import split_sentences
from assistant.knowledge.loading import load_file
from assistant.knowledge.taxonomy import country_names, find_countries
from assistant.settings import Settings
from assistant.types import Answer

K = 5  # hit@K: an expected document among the first K documents the answer cites
# Each metric's gate: the settings field that holds its bound, and whether the bound is a floor or a ceiling.
GATES: dict[str, tuple[str, str]] = {
    "hit_at_5": ("min_hit_at_5", ">="), "mrr": ("min_mrr", ">="),
    "key_fact_recall": ("min_key_fact_recall", ">="), "citation_validity": ("min_citation_validity", ">="),
    "checklist_agreement": ("min_checklist_agreement", ">="), "refusal_accuracy": ("min_refusal_accuracy", ">="),
    "false_refusal_rate": ("max_false_refusal_rate", "<="),
}


class Answerer(Protocol):
    """What `evaluate` needs: an `Assistant`, or anything that answers like one (a test's broken answerer)."""

    settings: Settings

    def ask(self, question: str, conversation_id: str | None = None) -> Answer: ...


def load_questions(path: Path) -> list[dict[str, Any]]:
    return _questions(yaml.safe_load(path.read_text(encoding="utf-8")) or [])


def _questions(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for item in items:
        for key in ("history", "facts", "docs"):
            item[key] = item.get(key) or []
    return items


def cited_docs(answer: Answer) -> list[str]:
    """The documents of the passages the answer used, in the order it first cites them (the answer text first,
    then the checklist's evidence), each once."""
    order = [int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)]
    by_n = {c.n: c for c in answer.citations}
    out: list[str] = []
    for n in [*order, *sorted(by_n)]:
        if n in by_n and by_n[n].doc_id not in out:
            out.append(by_n[n].doc_id)
    return out


class _DocTexts:
    def __init__(self, corpus: Path) -> None:
        self.corpus = corpus
        self.cache: dict[str, str | None] = {}

    def get(self, doc_id: str) -> str | None:
        if doc_id not in self.cache:
            path = self.corpus / doc_id
            try:
                self.cache[doc_id] = load_file(path, self.corpus).text if path.exists() else None
            except Exception:  # noqa: BLE001 - an unreadable source just fails the check
                self.cache[doc_id] = None
        return self.cache[doc_id]


_SEGMENT = re.compile(r"([^\[\]]+?)((?:\s*\[\d+\])+)")
_FIGURE = re.compile(r"\d[\d,.]*\d|\d")
_NAME = re.compile(r"\b[A-Z][\w'-]*(?:\s+(?:of\s+|the\s+)?[A-Z][\w'-]*)*")


def _claims(answer: Answer) -> list[tuple[str, list[int]]]:
    """(sentence, the [n] it cites) for every cited sentence (the last sentence before a run of markers)."""
    out: list[tuple[str, list[int]]] = []
    for m in _SEGMENT.finditer(answer.answer):
        claim = (split_sentences(m.group(1).strip()) or [""])[-1]
        out.append((claim, [int(n) for n in re.findall(r"\d+", m.group(2))]))
    return out


def _checklist_uses(answer: Answer) -> set[int]:
    used: set[int] = set()
    for cl in answer.checklists():
        for row in cl.stages:
            used.update(row.citations)
        for step in cl.next_steps:
            used.update(step.citations)
    return used


def unsupported(claim: str, quote: str) -> list[str]:
    """The figures and names of a claim that its quote does not hold. A name (a run of capitalised words) that
    opens a sentence or a clause is the subject the quote is about, not a claim of it."""
    text = re.sub(r"\[\d+\]", "", claim)
    q = plain(quote).lower().replace("\u2009", " ")
    missing = [f for f in _FIGURE.findall(text) if f not in q and f.replace(",", "") not in q.replace(",", "")]
    for m in _NAME.finditer(text):
        before = text[: m.start()].rstrip()
        if not before or before[-1] in ".:;!?(\"'—-":
            continue
        name = re.sub(r"['’]s\b|(?<=s)['’](?!\w)", "", m.group(0))  # possessives: "Lynas's", "Materials'"
        if name.lower() not in q and not all(w.lower() in q for w in name.split() if len(w) > 3):
            missing.append(name)
    return missing


def _with_header(text: str, start: int, quote: str) -> str:
    """A quoted table row with the header row of its table: the header says what each cell is."""
    if not quote.lstrip().startswith("|"):
        return quote
    lines = text[:start].splitlines()
    header = ""
    for line in reversed(lines):
        if not line.strip().startswith("|"):
            break
        header = line
    return f"{header}\n{quote}"


def citation_checks(answer: Answer, docs: _DocTexts) -> tuple[int, int, list[str]]:
    """(valid, total, problems). A citation is valid when its span is a verbatim range of its document whose
    plain text is the quote shown, it is used (in the answer or the checklist), every [n] used exists, and each
    sentence citing it states no figure or name that its quotes (with a table row's header) do not hold."""
    problems: list[str] = []
    by_n = {c.n: c for c in answer.citations}
    claims = _claims(answer)
    used = {n for _, ns in claims for n in ns} | _checklist_uses(answer)
    for n in sorted(used - set(by_n)):
        problems.append(f"[{n}] is used but has no citation")
    ok = {c.n: True for c in answer.citations}
    evidence: dict[int, str] = {}
    for c in answer.citations:
        text = docs.get(c.doc_id)
        if text is None or c.span is None or plain(text[c.span[0]:c.span[1]]) != c.quote:
            ok[c.n] = False
            problems.append(f"[{c.n}] quote is not the verbatim range {c.span} of {c.doc_id}")
            evidence[c.n] = c.quote
        else:
            # A quote is read with what the reader sees beside it: the title and section, and so the country
            # they are about (by any of its names).
            where = f"{c.title} {c.section}"
            names = " ".join(n for k in find_countries(where) for n in country_names(k))
            evidence[c.n] = _with_header(text, c.span[0], text[c.span[0]:c.span[1]]) + f"\n{where} {names}"
        if c.n not in used:
            ok[c.n] = False
            problems.append(f"[{c.n}] is never used")
    for claim, ns in claims:
        quotes = " \n ".join(evidence.get(n, "") for n in ns)
        missing = unsupported(claim, quotes)
        if missing:
            for n in ns:
                ok[n] = False
            problems.append(f"{''.join(f'[{n}]' for n in ns)} do not hold {missing[:4]} of: {claim.strip()[:80]!r}")
    return sum(ok.values()), len(answer.citations), problems


def ratio(a: float, b: float) -> float | None:
    """a / b, or None (n/a) when there is nothing to count."""
    return round(a / b, 4) if b else None


def gate(value: float | None, bound: float, op: str) -> bool | None:
    """Whether a metric meets its bound; None when the metric is n/a."""
    if value is None:
        return None
    return value >= bound if op == ">=" else value <= bound


def evaluate_checklists(assistant: Any, path: Path, key: dict[str, Any] | None = None) -> dict[str, Any]:
    """The checklists against a key of statuses written from the profiles' prose and sources, never from the
    value-chain YAML (corpus/eval/statuses.yaml: country -> stage -> {status, alt?, reason}). A stage agrees when
    the checklist gives the key's status or the alternative the key allows; each disagreement is listed."""
    key = key if key is not None else yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    rows: list[dict[str, Any]] = []
    ok = n = 0
    confusion: dict[str, int] = {}
    started = time.perf_counter()
    for country, stages in key.items():
        cl = assistant.gaps(country).checklists()[0]
        got = {r.stage: r.status for r in cl.stages}
        problems = []
        for stage, want in stages.items():
            n += 1
            allowed = {want["status"], *([want["alt"]] if want.get("alt") else [])}
            if got.get(stage) in allowed:
                ok += 1
            else:
                pair = f"{want['status']}->{got.get(stage)}"
                confusion[pair] = confusion.get(pair, 0) + 1
                problems.append(f"{stage}: key {'/'.join(sorted(allowed))} ({want.get('reason', '')}), "
                                f"checklist {got.get(stage)}")
        if problems:
            rows.append({"id": country, "type": "checklist", "problems": problems})
    metrics: dict[str, Any] = {"questions": len(key), "checklist_agreement": ratio(ok, n), "stages": n,
                               "seconds": round(time.perf_counter() - started, 1)}
    th = assistant.settings.eval.gates(path.stem)
    checks = {"checklist_agreement": gate(metrics["checklist_agreement"], th["min_checklist_agreement"], ">=")}
    return {"metrics": metrics, "thresholds": th, "checks": checks, "disagreements": confusion,
            "passed": all(c is not False for c in checks.values()), "failures": rows}


def evaluate(assistant: Answerer, path: Path | None = None) -> dict[str, Any]:
    path = path or assistant.settings.paths.corpus / "eval" / "questions.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if isinstance(data, dict):  # a key of statuses, not questions
        return evaluate_checklists(assistant, path, data)
    items = _questions(data or [])
    docs = _DocTexts(assistant.settings.paths.corpus)
    rows: list[dict[str, Any]] = []
    hits = mrr = retr_n = 0.0
    facts_hit = facts_n = 0
    cit_valid = cit_n = 0
    status_ok = status_n = 0
    refusals_ok = refusals_n = false_refusals = answerable_n = 0
    started = time.perf_counter()
    for item in items:
        conv = uuid.uuid4().hex
        for turn in item["history"]:
            assistant.ask(turn, conversation_id=conv)
        answer = assistant.ask(item["question"], conversation_id=conv)
        row: dict[str, Any] = {"id": item["id"], "type": item.get("type", ""), "problems": []}
        if item["docs"]:
            retr_n += 1
            used = cited_docs(answer)
            rank = next((i for i, d in enumerate(used, 1) if d in item["docs"]), None)
            hits += rank is not None and rank <= K
            mrr += 1.0 / rank if rank else 0.0
            row["hit"] = rank is not None and rank <= K
            if not row["hit"]:
                row["problems"].append(f"no expected doc among the first {K} cited: {used[:K]}")
        missing = [f for f in item["facts"] if not re.search(f, answer.answer, re.I)]
        facts_n += len(item["facts"])
        facts_hit += len(item["facts"]) - len(missing)
        if missing:
            row["problems"].append(f"missing facts: {missing}")
        v, n, probs = citation_checks(answer, docs)
        cit_valid += v
        cit_n += n
        row["problems"] += probs
        for country, expected in (item.get("statuses") or {}).items():
            got = {}
            for cl in answer.checklists():
                if cl.country.lower().replace(" ", "_") == country:
                    got = {r.stage: r.status for r in cl.stages}
            for stage, status in expected.items():
                status_n += 1
                if got.get(stage) == status:
                    status_ok += 1
                else:
                    row["problems"].append(f"{country}.{stage}: expected {status}, got {got.get(stage)}")
        if item.get("type") == "out_of_scope":
            refusals_n += 1
            refusals_ok += not answer.answerable
            if answer.answerable:
                row["problems"].append("answered an out-of-scope question")
        else:
            answerable_n += 1
            if not answer.answerable:
                false_refusals += 1
                row["problems"].append("refused an answerable question")
        rows.append(row)

    metrics = {
        "questions": len(items),
        "hit_at_5": ratio(hits, retr_n),
        "mrr": ratio(mrr, retr_n),
        "key_fact_recall": ratio(facts_hit, facts_n),
        "citation_validity": ratio(cit_valid, cit_n),
        "checklist_agreement": ratio(status_ok, status_n),
        "refusal_accuracy": ratio(refusals_ok, refusals_n),
        "false_refusal_rate": ratio(false_refusals, answerable_n),
        "citations": cit_n,
        "seconds": round(time.perf_counter() - started, 1),
    }
    th = assistant.settings.eval.gates(path.stem)
    checks = {key: gate(metrics[key], th[field], op) for key, (field, op) in GATES.items()}
    return {"metrics": metrics, "thresholds": th, "checks": checks,
            "passed": all(ok is not False for ok in checks.values()),
            "failures": [r for r in rows if r["problems"]]}


def render(console: Any, result: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title="ree eval")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("threshold", justify="right")
    th = result["thresholds"]
    for key, value in result["metrics"].items():
        ok = result["checks"].get(key)
        mark = "" if ok is None else " ✓" if ok else " ✗"
        limit = f"{GATES[key][1]} {th[GATES[key][0]]}" if key in GATES else ""
        table.add_row(key, f"{'n/a' if value is None else value}{mark}", limit)
    console.print(table)
    for row in result["failures"][:40]:
        console.print(f"[yellow]{row['id']}[/] ({row['type']}): " + "; ".join(row["problems"])[:400], highlight=False)
    console.print("[bold green]PASSED[/]" if result["passed"] else "[bold red]FAILED[/]")
