"""The checks an LLM's sentence passes before a user sees it (answer/llm.py runs them on each sentence as it
streams): every [n] names a passage the model was shown, a sentence without one carries no facts, quotes are
verbatim, figures appear in the cited passages, and the sentence shares words with them. `Report` counts what was
dropped and why, for the notices."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.answer.citations import CitationBook, best_sentence, sentences, strip_markers, terms
from assistant.knowledge.chunking import ANSWER_SENTENCE_END, split_sentences
from assistant.knowledge.taxonomy import find_countries
from assistant.types import Checklist, Passage

_CITE = re.compile(r"\[\s*(\d+(?:\s*(?:[,;]|and|[-–])\s*\d+)*)\s*\]")
_QUOTE = re.compile(r"[\"“”]([^\"“”]{2,}?)[\"“”]")
_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")
_NOT_SAY = re.compile(r"\b(documents?|passages?|sources?)\b[^.]*\b(do(es)?\s*n[o']t|never)\s+(say|cover|mention|state)",
                      re.I)
_VERDICT = re.compile(r"(yes|no|partly|not yet)\b\s*[,:;.!-]", re.I)
_NAME = re.compile(r"(?<=\s)[A-Z][A-Za-z0-9'-]+")


def _norm(text: str) -> str:
    """Compare quotes loosely on typography only: markers, curly quotes, dashes and whitespace."""
    text = strip_markers(text)
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = text.replace("–", "-").replace("—", "-")
    return re.sub(r"\s+", " ", text).strip().lower()


def _figures(text: str) -> set[str]:
    return {f.replace(",", "").rstrip(".") for f in _FIGURE.findall(text)}


def _numbers(spec: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"\s*(?:[,;]|and)\s*", spec):
        bounds = re.split(r"\s*[-–]\s*", part.strip())
        if len(bounds) == 2 and bounds[0].isdigit() and bounds[1].isdigit():
            lo, hi = int(bounds[0]), int(bounds[1])
            out.extend(range(lo, hi + 1) if 0 < hi - lo < 10 else [lo, hi])
        elif part.strip().isdigit():
            out.append(int(part))
    return out


def _complete(text: str) -> tuple[list[str], str]:
    """Sentences of a growing reply that can no longer change, and the rest (streaming)."""
    cut = 0
    for m in ANSWER_SENTENCE_END.finditer(text):
        after = text[m.end():]
        nxt = after.lstrip()
        if nxt and not nxt.startswith("["):  # the next sentence has begun: this one has all its markers
            cut = m.end()
    return split_sentences(text[:cut]), text[cut:]


@dataclass
class Report:
    """What the validator removed, for the notices."""

    unsupported: int = 0
    bad_citations: set[int] = field(default_factory=set)
    bad_quotes: int = 0
    bad_figures: int = 0
    verdicts: int = 0
    kept: int = 0

    def notices(self) -> list[str]:
        out = []
        if self.bad_citations:
            nums = ", ".join(f"[{n}]" for n in sorted(self.bad_citations))
            out.append(f"Citations to passages that do not exist were removed: {nums}.")
        if self.bad_quotes:
            out.append(f"{_count(self.bad_quotes, 'sentence')} with a quote not found in the cited passage removed.")
        if self.bad_figures:
            out.append(f"{_count(self.bad_figures, 'sentence')} with a figure not found in the cited passage "
                       "removed.")
        if self.verdicts:
            out.append(f"{_count(self.verdicts, 'sentence')} restating a verdict removed (the checklist's verdict "
                       "stands).")
        if self.unsupported:
            out.append(f"{_count(self.unsupported, 'unsupported sentence')} removed.")
        return out


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


class Validator:
    """Checks a model reply sentence by sentence against the passages it was shown (numbered 1..k)."""

    def __init__(self, passages: list[Passage], book: CitationBook, checklists: list[Checklist] | None = None) -> None:
        self.passages = passages
        self.checklists = checklists or []
        self.book = book
        self.norm = [_norm(p.chunk.text) for p in passages]
        self.figs = [_figures(strip_markers(p.chunk.text)) for p in passages]
        self.terms = [terms(strip_markers(p.chunk.text)) for p in passages]
        self.report = Report()

    def check(self, sentence: str) -> str | None:
        """The sentence as the user will see it (with book numbers), or None when it is dropped."""
        body = re.sub(r"^\s*(?:[#>*+-]+|\d+[.)])\s+", "", sentence).strip()
        cited: list[int] = []
        for m in _CITE.finditer(body):
            for n in _numbers(m.group(1)):
                if 1 <= n <= len(self.passages):
                    if n not in cited:
                        cited.append(n)
                else:
                    self.report.bad_citations.add(n)
        had_marks = bool(_CITE.search(body))
        body = re.sub(r"\s+([.,;:!?])", r"\1", _CITE.sub("", body)).strip()
        body = re.sub(r"\s{2,}", " ", body).strip()
        if not body or len(body.split()) < 3 and not cited:
            return None
        if self.checklists and _VERDICT.match(body):  # the verdict is the checklist's, stated first, never the model's
            self.report.verdicts += 1
            return None
        if not cited:
            if _NOT_SAY.search(body):
                return body
            if had_marks or self._has_facts(body):
                self.report.unsupported += 1
                return None
            return body
        quotes = [q.strip() for q in _QUOTE.findall(body) if q.strip()]
        for q in quotes:
            if not any(_norm(q) in self.norm[n - 1] for n in cited):
                self.report.bad_quotes += 1
                return None
        known = set().union(*(self.figs[n - 1] for n in cited))
        if _figures(_QUOTE.sub("", body)) - known:
            self.report.bad_figures += 1
            return None
        st = terms(body)
        support = set().union(*(self.terms[n - 1] for n in cited))
        if st and (not st & support or len(st & support) < 0.34 * len(st)):
            self.report.unsupported += 1
            return None
        marks = " ".join(f"[{self._book_number(n, body, quotes)}]" for n in cited)
        if body[-1] not in ".!?\"”)":
            body += "."
        self.report.kept += 1
        return f"{body} {marks}"

    def _has_facts(self, body: str) -> bool:
        return bool(_FIGURE.search(body) or _NAME.search(" " + body[1:]) or find_countries(body))

    def _book_number(self, n: int, body: str, quotes: list[str]) -> int:
        """Register the passage sentence that supports this sentence; its quote is verbatim by construction."""
        chunk = self.passages[n - 1].chunk
        for q in quotes:
            for sent in sentences(chunk):
                if _norm(q) in _norm(sent):
                    return self.book.cite(chunk, sent)
        sent, score = best_sentence(chunk, terms(body))
        return self.book.cite(chunk, sent if sent.strip() and score > 0 else chunk.text)


