"""Names in a question: countries and registered entities (`corpus/entities.yaml`), matched after case- and
diacritic-folding, with typo tolerance for longer words (rapidfuzz)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.knowledge.entities import Entity
from assistant.knowledge.taxonomy import COUNTRIES, country_spans
from assistant.understand.words import is_english

# A typo is recognised only in a word of at least this many letters, and at this similarity (0-100):
# shorter words are too easily another real word.
FUZZY_MIN_LEN = 5
FUZZY_SCORE = 86.0
# A country's name of four letters or more is matched with typo tolerance from a word of four letters, when general
# English does not use that word ("Japn" is Japan; "Chad" and "Iran" are themselves, "main" is a word).
COUNTRY_FUZZY_MIN_LEN = 4
_WORD = re.compile(r"[\w][\w'’.&-]*[\w]|\w", re.U)


def fold(text: str) -> str:
    """Lower case without diacritics: 'Bastnäsite' → 'bastnasite', 'Türkiye' → 'turkiye'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().replace("’", "'")


@dataclass
class Found:
    """What a text names: country keys and entities, in order of mention, and the words that were read as
    names only through a close (typo-tolerant) match."""

    countries: list[str] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    corrected: dict[str, str] = field(default_factory=dict)


# Two or more capitalised words in a row, after the text's first word: how a name is written in sentence case.
NAME_RUN = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)+")


def sentence_case(text: str) -> bool:
    """Whether the text writes most words in lower case (a word of three lower-case letters at least), so that a
    capital inside it marks a name; in capitals or title case it marks nothing."""
    return bool(re.search(r"\b[a-z]{3,}\b", text))


def in_a_name(start: int, end: int, names: list[tuple[int, int]]) -> bool:
    """Whether the span overlaps a name's span without being that whole name: a country word inside a registered
    name ("the US International Development Finance Corporation", "Korea Zinc") is part of the name, not a place."""
    return any(s < end and start < e and (s, e) != (start, end) for s, e in names)


def unknown_name_runs(text: str, known_word: Callable[[str], bool] | None) -> list[tuple[int, int]]:
    """Where a text in sentence case writes a name that holds a word neither the documents nor general English use
    ("Hastings Technology Metals' Yangibana"): the whole run is that unknown name, so none of its words
    ("Metals") is read as the domain's word it spells."""
    if known_word is None or not sentence_case(text):
        return []
    return [(m.start(), m.end()) for m in NAME_RUN.finditer(text)
            if any(not known_word(w.lower()) and not is_english(w) for w in re.findall(
                r"[A-Za-z]+", m.group(0).replace("'s", "")))]


def load_entities(path: Path) -> list[Entity]:
    """The registry at `path`; an empty list where a corpus has none."""
    from assistant.knowledge.entities import load_entities as load

    return load(path) if path.exists() else []


class NameIndex:
    """Every country and entity name, folded; exact matches first, then close matches for the rest."""

    def __init__(self, entities: list[Entity]) -> None:
        self.entities = entities
        self._entity_names: dict[str, Entity] = {}
        for ent in entities:
            for nm in ent.names:
                key = fold(nm).strip()
                # Short all-caps acronyms are matched case-sensitively below, never as ordinary words.
                if key and key not in self._entity_names:
                    self._entity_names[key] = ent
        self._country_names: dict[str, str] = {}
        for key, (display, aliases) in COUNTRIES.items():
            self._country_names[fold(display)] = key
            for alias in aliases:
                if len(alias) > 3:
                    self._country_names[fold(alias)] = key
        names = sorted(self._entity_names, key=len, reverse=True)
        self._entity_re = re.compile(r"(?<![\w])(" + "|".join(re.escape(n) for n in names) + r")(?![\w])") if names \
            else None
        countries = sorted(self._country_names, key=len, reverse=True)
        self._country_re = re.compile(r"(?<![\w])(" + "|".join(re.escape(n) for n in countries) + r")(?![\w])")
        self._fuzzy_choices = {**{n: ("country", k) for n, k in self._country_names.items() if len(n) >= FUZZY_MIN_LEN},
                               **{n: ("entity", n) for n in self._entity_names if len(n) >= FUZZY_MIN_LEN}}
        self._choices = list(self._fuzzy_choices)
        self._country_choices = [n for n in self._country_names if len(n) >= COUNTRY_FUZZY_MIN_LEN]
        self._known = set(self._country_names) | set(self._entity_names)

    def _acronym_ok(self, original: str, start: int, end: int, name: str) -> bool:
        """A short name (up to 4 letters) counts only where the question writes it in capitals ("REEx", "USGS",
        "LCM"), so that ordinary words ("lamp", "neo") are not read as names."""
        if len(name) > 4:
            return True
        text = original[start:end]
        return any(ch.isupper() for ch in text)

    def mask(self, text: str) -> str:
        """The text with every country named "Country" and every entity "Company", so that what is asked shows
        through whoever it is asked about."""
        for start, end, _ in reversed(country_spans(text)):
            text = text[:start] + "Country" + text[end:]
        folded = fold(text)
        if self._entity_re is not None and len(folded) == len(text):
            for m in reversed(list(self._entity_re.finditer(folded))):
                if self._acronym_ok(text, m.start(), m.end(), m.group(1)):
                    text = text[:m.start()] + "Company" + text[m.end():]
        return text

    def find(self, text: str, fuzzy: bool = True, known_word: Callable[[str], bool] | None = None) -> Found:
        """Countries and entities named in `text`. A word is tried as a misspelt name when it is written like a
        name (capitalised) or when `known_word` says the documents do not use it."""
        found = Found()
        folded = fold(text)
        covered: list[tuple[int, int]] = []
        hits: list[tuple[int, str, Any]] = []
        if self._entity_re is not None and len(folded) == len(text):
            for m in self._entity_re.finditer(folded):
                if self._acronym_ok(text, m.start(), m.end(), m.group(1)):
                    hits.append((m.start(), "entity", self._entity_names[m.group(1)]))
                    covered.append((m.start(), m.end()))
        elif self._entity_re is not None:  # folding changed the length: match word by word
            for m in self._entity_re.finditer(folded):
                hits.append((m.start(), "entity", self._entity_names[m.group(1)]))
        names = list(covered)  # the registered names' spans: a country word inside one is part of it
        spans = [(a, b, k) for a, b, k in country_spans(text)] + [
            (m.start(), m.end(), self._country_names[m.group(1)]) for m in self._country_re.finditer(folded)]
        covered += [(a, b) for a, b, _ in spans]
        keys = [k for a, b, k in spans if not in_a_name(a, b, names)]
        for key in keys:
            if key not in found.countries:
                found.countries.append(key)
        if fuzzy:
            self._fuzzy(text, folded, covered, found, hits, known_word)
        for _, kind, value in sorted(hits, key=lambda h: h[0]):
            if kind == "entity" and value not in found.entities:
                found.entities.append(value)
        return found

    def _fuzzy(self, text: str, folded: str, covered: list[tuple[int, int]], found: Found,
               hits: list[tuple[int, str, Any]], known_word: Callable[[str], bool] | None) -> None:
        from rapidfuzz import fuzz, process

        words = list(_WORD.finditer(folded))
        for size in (3, 2, 1):
            for i in range(len(words) - size + 1):
                start, end = words[i].start(), words[i + size - 1].end()
                if any(s < end and start < e for s, e in covered):
                    continue
                phrase = folded[start:end].strip(".'’")
                if phrase in self._known:
                    continue
                choices = self._choices
                # Words general English uses are those words, not a misspelt name ("Hastings plan" is no "Hasetins
                # plant").
                if all(w.isalpha() and is_english(w) for w in phrase.split()):
                    continue
                if len(phrase) < FUZZY_MIN_LEN:
                    if size > 1 or len(phrase) < COUNTRY_FUZZY_MIN_LEN or not phrase.isalpha():
                        continue
                    choices = self._country_choices
                # Only what is written like a name, or a word the documents never use.
                parts = [w.group(0) for w in _WORD.finditer(text[start:end])]
                if not (any(p[:1].isupper() for p in parts) or (
                        known_word is not None and size == 1 and not known_word(phrase))):
                    continue
                best = process.extractOne(phrase, choices, scorer=fuzz.ratio,
                                          score_cutoff=FUZZY_SCORE)
                if best is None:
                    continue
                kind, value = self._fuzzy_choices[best[0]]
                covered.append((start, end))
                found.corrected[text[start:end]] = best[0]
                if kind == "country":
                    if value not in found.countries:
                        found.countries.append(value)
                else:
                    hits.append((start, "entity", self._entity_names[value]))
