"""What a question asks for, from its meaning: nearest neighbours among labelled example questions
(`corpus/eval/intents.yaml`), embedded with the same query embedder retrieval uses. Names are masked first
(countries → "Country", entities → "Company"), so that the neighbours are chosen by what is asked, not by whom.
Grammar rules that need the conversation (a follow-up needs an earlier turn) live in `query.py`."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import yaml

LABELS: tuple[str, ...] = ("capability", "comparison", "numeric", "lookup", "explanation", "entity", "followup",
                           "out_of_scope")
NEIGHBOURS = 7


class IntentClassifier:
    def __init__(self, examples: list[tuple[str, str]], embed: Callable[[list[str]], np.ndarray],
                 mask: Callable[[str], str], cache: Path | None = None, labels: tuple[str, ...] = LABELS,
                 neighbours: int = NEIGHBOURS, mask_key: str | None = None) -> None:
        self.examples = [(q, lab) for q, lab in examples if lab in labels]
        self.neighbours = neighbours
        self.embed = embed
        self.mask = mask
        self.labels = np.array([lab for _, lab in self.examples])
        self.vectors = self._vectors(cache, mask_key)

    def _vectors(self, cache: Path | None, mask_key: str | None) -> np.ndarray:
        """The examples' vectors, from the cache when it holds them. With `mask_key` (what the masking depends
        on: the name registry and the code that masks) the cache is found without masking every example again."""
        if mask_key is not None:
            digest = hashlib.sha256((mask_key + "\n" + "\n".join(f"{q}\t{lab}" for q, lab in self.examples))
                                    .encode()).hexdigest()
            path = cache / f"intents-raw-{digest[:16]}.npy" if cache else None
            if path is not None and path.exists():
                vecs = np.load(path)
                if len(vecs) == len(self.examples):
                    return vecs
            return self._embedded([self.mask(q) for q, _ in self.examples], path)
        texts = [self.mask(q) for q, _ in self.examples]
        digest = hashlib.sha256("\n".join(f"{t}\t{lab}" for t, (_, lab) in zip(texts, self.examples,
                                                                                  strict=True)).encode()).hexdigest()
        path = cache / f"intents-{digest[:16]}.npy" if cache else None
        if path is not None and path.exists():
            vecs = np.load(path)
            if len(vecs) == len(texts):
                return vecs
        return self._embedded(texts, path)

    def _embedded(self, texts: list[str], path: Path | None) -> np.ndarray:
        vecs = np.asarray(self.embed(texts), dtype=np.float32) if texts else np.zeros((0, 384), np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-9
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                np.save(path, vecs)
            except OSError:  # a read-only index folder only costs the next start a second
                pass
        return vecs

    def scores(self, question: str) -> dict[str, float]:
        """Each label's share of the similarity of the nearest labelled examples (sums to 1)."""
        if not len(self.vectors):
            return {}
        vec = np.asarray(self.embed([self.mask(question)]), dtype=np.float32)[0]
        vec /= np.linalg.norm(vec) + 1e-9
        sims = self.vectors @ vec
        top = np.argsort(-sims)[:self.neighbours]
        out: dict[str, float] = {}
        for i in top:
            out[str(self.labels[i])] = out.get(str(self.labels[i]), 0.0) + float(max(sims[i], 0.0)) ** 2
        total = sum(out.values()) or 1.0
        return {k: v / total for k, v in sorted(out.items(), key=lambda kv: -kv[1])}


def load_examples(path: Path, key: str = "intent") -> list[tuple[str, str]]:
    if not path.exists():
        return []
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or []  # noqa: S506 - a safe loader
    return [(str(item["q"]), str(item[key])) for item in raw if item.get("q") and item.get(key)]
