"""Fit the sentence scorer's weights (answer/scoring.py) on the development sets.

Every question of the development sets that is answered from passages is read and its evidence gathered as `ask`
does; each candidate sentence is labelled 1 when it holds one of the question's key facts (a fact the question
itself already states is not counted). A conditional logit over each question's sentences gives the weights. The
fit is checked across sets: fitted on some sets, its precision@1 and recall@5 are read on the others and set
against the weights in use. `--write` puts the weights fitted on every set into answer/scoring.py."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answer import scoring

HELD = ("fresh", "fresh2", "fresh3", "crossdoc", "supply")  # scored on weights fitted on the other sets


def collect(a: Any, sets: list[Path]) -> list[dict[str, Any]]:
    """One row per answered question: its set, and each candidate's features and label."""
    from assistant.answer.answering import _candidates
    from assistant.answer.citations import CitationBook
    from assistant.answer.evidence import checklists_for, gather, widen
    from assistant.evaluation import load_questions
    from assistant.pipeline import answer_records

    rows = []
    for path in sets:
        for item in load_questions(path):
            if not item["facts"] or item.get("type") == "out_of_scope":
                continue
            conv = f"fit-{uuid.uuid4().hex[:8]}" if item["history"] else None
            for turn in item["history"]:
                a.ask(turn, conversation_id=conv)
            reading = a.read(item["question"], conv, records=True)
            if reading.intent.type == "out_of_scope":
                continue
            if reading.query is not None and answer_records(a, reading, None) is not None:
                continue
            snap = a._snapshot()
            book = CitationBook(limit=a.settings.answer.max_citations)
            checklists = checklists_for(snap, reading, book, a.settings.answer)
            evidence = gather(snap, reading, None, a.settings, checklists)
            cands = _candidates(reading.intent, widen(snap, reading, evidence.passages), snap.keywords.idf)
            facts = [re.compile(f, re.I) for f in item["facts"] if not re.search(f, item["question"], re.I)]
            if not facts or not cands:
                continue
            rows.append({"set": path.stem, "id": item.get("id"), "features": [c.features for c in cands],
                         "labels": [int(any(f.search(c.shown) for f in facts)) for c in cands]})
    return rows


def _matrix(rows: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    names = list(scoring.FEATURES)
    x = np.array([[f[n] for n in names] for r in rows for f in r["features"]], dtype=float)
    y = np.array([lab for r in rows for lab in r["labels"]], dtype=float)
    return x, y


def fit(rows: list[dict[str, Any]], l2: float = 1.0) -> dict[str, float]:
    """Weights that put a sentence holding a key fact first: a conditional logit (softmax over each question's
    candidate sentences, the likelihood of the sentences that hold a fact; L2 penalty), fitted with L-BFGS on
    standardised features, then calibrated (a logistic regression of the labels on the fitted score) so that
    `scoring.score` reads as the probability that a sentence holds what is asked."""
    from scipy.optimize import minimize

    names = list(scoring.FEATURES)
    groups = [(np.array([[f[n] for n in names] for f in r["features"]], dtype=float), np.array(r["labels"], bool))
              for r in rows if any(r["labels"]) and not all(r["labels"])]
    stacked = np.vstack([x for x, _ in groups])
    mean, std = stacked.mean(axis=0), stacked.std(axis=0)
    std[std == 0] = 1.0
    groups = [((x - mean) / std, y) for x, y in groups]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.5 * l2 * float(w @ w), l2 * w
        for x, y in groups:
            s = x @ w
            s -= s.max()
            e = np.exp(s)
            p_all, p_pos = e / e.sum(), e * y / (e * y).sum()
            total -= float(np.log((e * y).sum() / e.sum()))
            grad = grad + x.T @ (p_all - p_pos)
        return total, grad

    w = minimize(loss, np.zeros(len(names)), jac=True, method="L-BFGS-B").x
    raw = w / std
    # Calibration: P(fact | score) = logistic(a * score + b) over every candidate.
    x_all, y_all = _matrix(rows)
    z = x_all @ raw
    def calibration(ab: np.ndarray) -> tuple[float, np.ndarray]:
        t = ab[0] * z + ab[1]
        p = 1 / (1 + np.exp(-np.clip(t, -30, 30)))
        nll = float(np.sum(np.logaddexp(0, t) - y_all * t)) + 0.5 * float(ab[0] ** 2)
        return nll, np.array([((p - y_all) * z).sum() + ab[0], (p - y_all).sum()])

    a, b = minimize(calibration, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B",
                    bounds=[(1e-3, None), (None, None)]).x
    return {"bias": float(b), **{n: float(a * v) for n, v in zip(names, raw, strict=True)}}


def quality(rows: list[dict[str, Any]], weights: dict[str, float]) -> dict[str, float]:
    """precision@1: the best-scored sentence holds a key fact; recall@5: one of the five best does."""
    p1 = r5 = 0
    for r in rows:
        order = sorted(range(len(r["labels"])), key=lambda i: -scoring.logit(r["features"][i], weights))
        p1 += r["labels"][order[0]]
        r5 += int(any(r["labels"][i] for i in order[:5]))
    n = len(rows) or 1
    return {"questions": len(rows), "precision@1": round(p1 / n, 3), "recall@5": round(r5 / n, 3)}


def write(weights: dict[str, float], path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    body = "".join(f'    "{k}": {v + 0.0:.3f},\n' for k, v in weights.items())
    new = re.sub(r"FITTED: dict\[str, float\] = \{.*?\n\}", lambda _: "FITTED: dict[str, float] = {\n" + body + "}",
                 text, count=1, flags=re.S)
    path.write_text(new, encoding="utf-8")


def main(args: Any) -> None:
    from assistant.core import Assistant

    a = Assistant()
    folder = a.settings.paths.corpus / "eval"
    sets = sorted(p for p in folder.glob("*.yaml") if p.stem not in ("intents", "sealed", "statuses"))
    if args.rows and Path(args.rows).exists():
        rows = json.loads(Path(args.rows).read_text(encoding="utf-8"))
    else:
        rows = collect(a, sets)
        if args.rows:
            Path(args.rows).write_text(json.dumps(rows), encoding="utf-8")
    train = [r for r in rows if r["set"] not in HELD]
    held = [r for r in rows if r["set"] in HELD]
    in_use = dict(scoring.FITTED)
    on_train = fit(train, l2=args.l2)
    everything = fit(rows, l2=args.l2)
    report = {
        "candidates": int(sum(len(r["labels"]) for r in rows)), "positives": int(sum(sum(r["labels"]) for r in rows)),
        "held_out_sets": list(HELD),
        "held_out": {"weights_in_use": quality(held, in_use), "fitted_on_the_other_sets": quality(held, on_train)},
        "all_sets": {"weights_in_use": quality(rows, in_use), "fitted_on_all": quality(rows, everything)},
        "weights": {k: round(v, 3) for k, v in everything.items()},
    }
    if args.write:
        write(everything, Path(scoring.__file__))
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{report['candidates']} candidate sentences, {report['positives']} holding a key fact\n")
    print("| scored on | weights | questions | precision@1 | recall@5 |\n|---|---|---|---|---|")
    for scope, results in (("held-out sets", report["held_out"]), ("all sets", report["all_sets"])):
        for name, q in results.items():
            print(f"| {scope} | {name} | {q['questions']} | {q['precision@1']} | {q['recall@5']} |")
    print("\n| feature | weight |\n|---|---|")
    for k, v in report["weights"].items():
        print(f"| {k} | {v} |")
