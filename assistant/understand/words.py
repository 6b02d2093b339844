"""General English, measured rather than listed: how often a word is used, on the Zipf scale (log10 of uses per
billion words), from wordfreq's English list (it ships in the package; nothing is fetched). A word common in
general English phrases a question ("what", "usually", "guarantee"); a rare one is what it is about ("Songwe",
"bastnaesite"); a word English does not use at all is a name or a typo ("Japn", "seperate": a stage word misspelt,
read by `stage_typos`)."""

from __future__ import annotations

import bisect
import functools
import math
import re
from collections.abc import Iterable
from pathlib import Path

from assistant.knowledge.taxonomy import STAGE_WORDS

ENGLISH = 3.0  # at least one use per million words: an English word, not a name or a typo
COMMON = 4.3  # about twenty uses per million words: general wording, not what a question is about
# A thousand uses per million words: the words that frame any question ("what", "how", "about", "the"), which a
# sentence chosen to answer it need not share; rarer words, however general, still weigh in choosing it (by their
# weight in the corpus). Measured with `ree eval` against 5.5 and 4.3 (docs/benchmarks.md).
FRAMING = 6.0


@functools.lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """`wordfreq.zipf_frequency(word, "en")`. A word of ASCII letters (what questions are read as; or nothing, the
    "singular" of a lone "s") is looked up in wordfreq's English list directly, with wordfreq's own arithmetic;
    importing wordfreq (its language-code and text-repair packages, ~0.25 s) is left to anything else."""
    buckets = _english_buckets() if word.isascii() and (word.isalpha() or not word) else None
    if buckets is None:
        from wordfreq import zipf_frequency

        return zipf_frequency(word, "en")
    token = word.lower()
    index = next((i for i, bucket in enumerate(buckets)
                  if (at := bisect.bisect_left(bucket, token)) < len(bucket) and bucket[at] == token), None)
    freq = 1e-9  # wordfreq's floor for minimum=0: zipf_to_freq(0)
    if index is not None:
        unrounded = max(10 ** (-index / 100), freq)  # cB_to_freq, then max(freq, minimum)
        freq = round(unrounded, math.floor(-math.log(unrounded, 10)) + 3)
    return round(math.log(freq, 10) + 9, 2)


@functools.lru_cache(maxsize=1)
def _english_buckets() -> list[list[str]] | None:
    """wordfreq's English list ('best' is 'large' for English) as the package ships it: one alphabetical list of
    words per centibel below 0 (gzipped msgpack, read in ~0.05 s; a dict of its 321k words would take far longer
    to build than the few look-ups a question needs). None when the file is not there."""
    import gzip
    import importlib.util

    spec = importlib.util.find_spec("wordfreq")
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).parent / "data" / "large_en.msgpack.gz"
    try:
        import msgpack

        with gzip.open(path, "rb") as fh:
            data = msgpack.load(fh, raw=False)
    except (OSError, ValueError, ImportError):
        return None
    header = data[0] if data else None
    if not isinstance(header, dict) or header.get("format") != "cB" or header.get("version") != 1:
        return None
    return data[1:]


def is_english(word: str) -> bool:
    """Whether general English uses the word (so a close match to a name is not a typo of it)."""
    return zipf(word) >= ENGLISH


def is_common(word: str, at: float = COMMON) -> bool:
    """Whether the word is common in general English (at least `at` on the Zipf scale): it phrases a question
    rather than naming its subject."""
    return zipf(word) >= at


def misspells_common(word: str, at: float) -> bool:
    """Whether the word is one letter off (a letter dropped, added, changed or two swapped) a word general
    English uses at least `at` on the Zipf scale, and rarer than that word by a hundred times: a slip of the
    keys ("wat", "hwo", "teh"), not a word of its own."""
    common = _common_words(at)
    word = word.lower()
    if not common or word in common:
        return False
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    edits = {a + b[1:] for a, b in splits if b} | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1} | {
        a + c + b[1:] for a, b in splits if b for c in letters} | {a + c + b for a, b in splits for c in letters}
    own = zipf(word)
    return any(e and e in common and zipf(e) >= own + 2 for e in edits)


@functools.lru_cache(maxsize=4)
def _common_words(at: float) -> frozenset[str]:
    """The words general English uses at least `at` on the Zipf scale (wordfreq's list is one list per centibel:
    the first (9 - at) * 100 of them)."""
    buckets = _english_buckets()
    if buckets is None:
        return frozenset()
    return frozenset(w for bucket in buckets[:round((9 - at) * 100) + 1] for w in bucket if w.isalpha())


# How close (rapidfuzz ratio) an unknown word must be to a stage word to be read as it: one letter in eight.
STAGE_TYPO_SCORE = 85


@functools.lru_cache(maxsize=1)
def _stage_vocabulary() -> tuple[str, ...]:
    """The single words for the stages, with their common inflections ("separate", "separated", "separating",
    "separation"; "magnet", "magnets")."""
    out: set[str] = set()
    for words in STAGE_WORDS.values():
        for w in (w for w in words if " " not in w and len(w) >= 4):
            stem = w[:-1] if w.endswith("e") else w
            out |= {w, w + "s", w + "d", w + "ed", stem + "ing", stem + "ion", stem + "ed"}
    return tuple(sorted(out))


def stage_typos(question: str, corrected: dict[str, str], names: Iterable[str] = ()) -> dict[str, str]:
    """A word of six letters or more that general English does not use, is no part of a name the question was
    found to hold (`names`: its countries' and entities' names), and is a letter or two off a word for a stage of
    the chain, is that word misspelt ("seperate", "magnents")."""
    named = {w for n in names for w in re.findall(r"[a-z]+", n.lower())}
    words = [m for m in re.finditer(r"[a-z]{6,}", question.lower())
             if m.group(0) not in corrected and m.group(0) not in named and not is_english(m.group(0))]
    if not words:
        return {}
    from rapidfuzz import fuzz, process  # only where a word is left to check: its import is a cold start's cost

    out: dict[str, str] = {}
    for m in words:
        word = m.group(0)
        best = process.extractOne(word, _stage_vocabulary(), scorer=fuzz.ratio, score_cutoff=STAGE_TYPO_SCORE)
        if best is not None:
            out[question[m.start():m.end()]] = best[0]
    return out
