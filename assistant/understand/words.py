"""General English, measured rather than listed: how often a word is used, on the Zipf scale (log10 of uses per
billion words), from wordfreq's English list (it ships in the package; nothing is fetched). A word common in
general English phrases a question ("what", "usually", "guarantee"); a rare one is what it is about ("Songwe",
"bastnaesite"); a word English does not use at all is a name or a typo ("Japn")."""

from __future__ import annotations

import functools

ENGLISH = 3.0  # at least one use per million words: an English word, not a name or a typo
COMMON = 4.3  # about twenty uses per million words: general wording, not what a question is about
# A thousand uses per million words: the words that frame any question ("what", "how", "about", "the"), which a
# sentence chosen to answer it need not share; rarer words, however general, still weigh in choosing it (by their
# weight in the corpus). Measured with `ree eval` against 5.5 and 4.3 (docs/benchmarks.md).
FRAMING = 6.0


@functools.lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en")


def is_english(word: str) -> bool:
    """Whether general English uses the word (so a close match to a name is not a typo of it)."""
    return zipf(word) >= ENGLISH


def is_common(word: str, at: float = COMMON) -> bool:
    """Whether the word is common in general English (at least `at` on the Zipf scale): it phrases a question
    rather than naming its subject."""
    return zipf(word) >= at
