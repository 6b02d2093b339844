"""understand/words.py reads wordfreq's English list straight from its data file (importing wordfreq costs a cold
`ree ask` ~0.25 s): every Zipf value it gives equals wordfreq's own."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_zipf_equals_wordfreq() -> None:
    from wordfreq import get_frequency_dict, zipf_frequency

    from assistant.understand import words

    buckets = words._english_buckets()
    assert buckets is not None and all(bucket == sorted(bucket) for bucket in buckets)  # what bisect relies on
    rng = random.Random(7)
    listed = sorted(w for w in get_frequency_dict("en") if w.isascii() and w.isalpha())
    sample = set(rng.sample(listed, 5000))
    for path in sorted((ROOT / "corpus" / "profiles").glob("*.md"))[:10]:
        sample.update(re.findall(r"[A-Za-z]+", path.read_text(encoding="utf-8")))
    sample.update("".join(rng.choice("aeiouxyzkq") for _ in range(rng.randint(1, 9))) for _ in range(500))
    sample.update(["Japn", "MAIN", "Kazakstan", "a", "I", "The", "Türkiye", "naïve", "e-mail", "co2", "don't", ""])
    wrong = {w: (words.zipf(w), zipf_frequency(w, "en")) for w in sorted(sample)
             if words.zipf(w) != zipf_frequency(w, "en")}
    assert wrong == {}
    assert words.is_english("mine") and not words.is_english("japn")

    assert words.is_common("what", words.FRAMING) and not words.is_common("bastnaesite")


def test_reading_a_question_does_not_import_wordfreq() -> None:
    code = ("import sys; from assistant.understand import words; "
            "[words.is_common(w) for w in ('Japan', 's', '', 'usually', 'magnets')]; "
            "print('wordfreq' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "False", out.stderr[-500:]


def test_answering_a_verdict_does_not_import_wordfreq(corpus_indexes) -> None:  # type: ignore[no-untyped-def]
    """The checklist names operators ("Tau-Ken Samruk") and the refusal checks a question's words ("don't"): a
    word that is not all letters is taken as it stands, so a cold answer never pays for importing wordfreq."""
    code = ("import sys; from pathlib import Path; from assistant.core import Assistant; "
            "from assistant.settings import PathSettings, Settings; "
            f"a = Assistant(Settings(paths=PathSettings(corpus=Path({str(ROOT / 'corpus')!r}), "
            f"indexes=Path({str(corpus_indexes)!r})))); "
            "a.ask('Can Kazakhstan make magnets?'); a.ask(\"Why don't Australia's miners separate rare earths?\"); "
            "print('wordfreq' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0 and out.stdout.strip().splitlines()[-1] == "False", (out.stdout[-300:],
                                                                                     out.stderr[-500:])
