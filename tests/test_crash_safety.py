"""Crash safety: `ree index` killed with SIGKILL at seeded random points leaves an index that opens and answers,
and a re-run completes it: no duplicate chunks, no orphans, one document hash per document."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT, _share_models, make_settings

pytestmark = pytest.mark.slow
SEED = 8
WORDS = ("cerium lanthanum neodymium praseodymium dysprosium terbium oxide carbonate concentrate refinery "
         "solvent extraction cascade kiln leach magnet alloy metal plant tonnes capacity permit offtake "
         "investment railway port tailings assay grade feedstock export license smelter furnace").split()

CHECK = r"""
import json, sys
from collections import Counter
from assistant.core import Assistant
from assistant.errors import IndexMissingError
from assistant.settings import Settings
out = {}
try:
    a = Assistant(Settings())
    from assistant.index.store import VectorStore
    store = VectorStore(a.settings)
    ids, texts, metas = store.all_chunks()
    out["chunks"] = len(ids)
    out["dup_ids"] = [k for k, n in Counter(ids).items() if n > 1]
    out["dup_texts"] = [k[0] for k, n in Counter(zip([m["doc_id"] for m in metas], texts)).items() if n > 1]
    docs = {}
    for m in metas:
        docs.setdefault(m["doc_id"], set()).add(m["doc_hash"])
    out["docs"] = {d: sorted(h) for d, h in docs.items()}
    if ids:
        hits = a.search(sys.argv[1], k=3)
        out["hits"] = [p.chunk.doc_id for p in hits]
except IndexMissingError as exc:
    out["missing"] = str(exc)
print("RESULT " + json.dumps(out))
"""


def _doc(i: int, rng: random.Random, version: int = 1) -> str:
    paras = []
    for s in range(4):
        sents = []
        for _ in range(6):
            words = rng.choices(WORDS, k=rng.randint(10, 18))
            sents.append(f"Plant{i}x{version} " + " ".join(words) + f" in section {s}.")
        paras.append(f"## Section {s}\n\n" + " ".join(sents))
    return f"---\ntitle: Generated site {i}\nkind: analysis\n---\n# Generated site {i}\n\n" + "\n\n".join(paras) + "\n"


def _env(corpus: Path, indexes: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REE_")}
    env.update(REE_PATHS__CORPUS=str(corpus), REE_PATHS__INDEXES=str(indexes), PYTHONPATH=str(ROOT),
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    return env


def _index_cmd() -> list[str]:
    ree = ROOT / ".venv" / "bin" / "ree"
    return [str(ree), "index"] if ree.exists() else [sys.executable, "-m", "assistant.frontends.cli", "index"]


def _check(env: dict[str, str], query: str) -> dict:
    res = subprocess.run([sys.executable, "-c", CHECK, query], env=env, capture_output=True, text=True, timeout=120,
                         cwd=ROOT)
    line = next((ln for ln in res.stdout.splitlines() if ln.startswith("RESULT ")), None)
    assert line, f"the index did not open after a crash:\n{res.stdout[-2000:]}\n{res.stderr[-3000:]}"
    return json.loads(line[7:])


def _kill_once_writing(args: list[str], env: dict[str, str], writing: Callable[[], bool], rng: random.Random,
                       max_wait: float) -> str:
    """Start `ree index ARGS`; once `writing()` says it writes, wait a random moment up to `max_wait` s and SIGKILL
    its process group."""
    proc = subprocess.Popen([*_index_cmd(), *args], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 150
    try:
        while proc.poll() is None and time.monotonic() < deadline and not writing():
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, max_wait))
        if proc.poll() is not None:
            return f"finished before the kill (rc {proc.returncode})"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        return "killed"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def _run_and_kill(env: dict[str, str], sqlite: Path, rng: random.Random) -> str:
    """Start `ree index`; once it writes (the Chroma file appears or changes), wait a random moment and SIGKILL it."""
    before = sqlite.stat().st_mtime_ns if sqlite.exists() else None

    def writing() -> bool:
        return sqlite.exists() and sqlite.stat().st_mtime_ns != before

    return _kill_once_writing([], env, writing, rng, 6.0 if before is None else 1.5)


def _complete(env: dict[str, str]) -> None:
    res = subprocess.run(_index_cmd(), env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]


def _assert_consistent(state: dict, corpus: Path, complete: bool) -> None:
    assert not state["dup_ids"], state["dup_ids"]
    assert not state["dup_texts"], state["dup_texts"]
    files = {p.relative_to(corpus).as_posix() for p in corpus.rglob("*.md")}
    if complete:
        assert set(state["docs"]) == files, "orphans or missing documents"
        bad = {d: h for d, h in state["docs"].items() if len(h) != 1}
        assert not bad, f"documents with chunks of several versions: {bad}"


def _sites(tmp_path: Path, model_cache: Path, n: int, rng: random.Random) -> tuple[Path, Path, dict[str, str]]:
    """`n` generated site documents, an indexes folder sharing the ONNX model, and the subprocess environment."""
    corpus = tmp_path / "corpus"
    (corpus / "sites").mkdir(parents=True)
    for i in range(n):
        (corpus / "sites" / f"site_{i:02d}.md").write_text(_doc(i, rng))
    indexes = tmp_path / "indexes"
    _share_models(indexes, model_cache)
    return corpus, indexes, _env(corpus, indexes)


def test_sigkill_during_index_then_rerun_completes(tmp_path: Path, model_cache: Path) -> None:
    rng = random.Random(SEED)
    corpus, indexes, env = _sites(tmp_path, model_cache, 40, rng)
    sqlite = make_settings(corpus, indexes).index_dir() / "chroma" / "chroma.sqlite3"
    log = []

    # 1. Killed during the very first build: whatever is there must open (or say it is missing), no duplicates.
    t0 = time.monotonic()
    log.append(_run_and_kill(env, sqlite, rng))
    print(f"kill run {time.monotonic() - t0:.1f}s")
    state = _check(env, "Plant3x1 neodymium refinery")
    if "missing" not in state:
        _assert_consistent(state, corpus, complete=False)
    print(f"check {time.monotonic() - t0:.1f}s")
    # 2. A full run completes it (and exports the shared ONNX query model if this session has none yet).
    _complete(env)
    state = _check(env, "Plant3x1 neodymium refinery")
    _assert_consistent(state, corpus, complete=True)
    assert state["hits"][0] == "sites/site_03.md"
    # 3. Edits and deletions, each run killed mid-write (until three kills have landed, however fast the machine):
    # the index stays usable between crashes.
    round_ = 0
    while log.count("killed") < 3 and round_ < 8:
        round_ += 1
        for i in rng.sample(range(40), 8):
            path = corpus / "sites" / f"site_{i:02d}.md"
            if path.exists():
                path.write_text(_doc(i, rng, version=round_ + 1))
        victim = corpus / "sites" / f"site_{rng.randrange(40):02d}.md"
        victim.unlink(missing_ok=True)
        log.append(_run_and_kill(env, sqlite, rng))
        state = _check(env, "neodymium refinery cascade")
        _assert_consistent(state, corpus, complete=False)
        assert state["chunks"] > 0 and state["hits"], "the index lost its content after a crash"
    # 4. A re-run completes the job: every file indexed once, at its current version, nothing orphaned.
    _complete(env)
    state = _check(env, "Plant5 neodymium")
    _assert_consistent(state, corpus, complete=True)
    current = {p.relative_to(corpus).as_posix(): p.read_text() for p in corpus.rglob("*.md")}
    last = f"x{round_ + 1} "  # the version the last round wrote
    edited = next(d for d, text in current.items() if last in text)
    marker = re.search(rf"Plant\d+{last.strip()}", current[edited]).group(0)  # type: ignore[union-attr]
    assert _check(env, f"{marker} cerium")["hits"][0] == edited
    print(f"crash runs: {log}")
    assert log.count("killed") >= 3, log
    print(f"total {time.monotonic() - t0:.1f}s")


def _run_rebuild_and_kill(env: dict[str, str], index_dir: Path, rng: random.Random) -> str:
    """Start `ree index --rebuild`; once it writes its new folder beside the live one, wait a random moment
    (up to past the switch) and SIGKILL it."""
    before = {p.name for p in index_dir.glob("chroma-*")}

    def writing() -> bool:
        return any((p / "chroma.sqlite3").exists() for p in index_dir.glob("chroma-*") if p.name not in before)

    return _kill_once_writing(["--rebuild"], env, writing, rng, 4.0)


def test_sigkill_during_rebuild_leaves_a_usable_index(tmp_path: Path, model_cache: Path) -> None:
    """A rebuild is written beside the live index and switched in one step: killed at any moment, the index
    that opens is complete (the old one or the new one), and a finished rebuild leaves one folder."""
    rng = random.Random(SEED + 1)
    corpus, indexes, env = _sites(tmp_path, model_cache, 30, rng)
    index_dir = make_settings(corpus, indexes).index_dir()
    _complete(env)
    log = []
    while log.count("killed") < 2 and len(log) < 8:  # until two kills have landed, however fast the machine
        log.append(_run_rebuild_and_kill(env, index_dir, rng))
        state = _check(env, "Plant7x1 neodymium refinery")
        assert "missing" not in state, f"a killed rebuild lost the index: {state}"
        _assert_consistent(state, corpus, complete=True)
        assert state["hits"][0] == "sites/site_07.md"
    res = subprocess.run([*_index_cmd(), "--rebuild"], env=env, cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    state = _check(env, "Plant11x1 neodymium")
    _assert_consistent(state, corpus, complete=True)
    assert state["hits"][0] == "sites/site_11.md"
    folders = sorted(p.name for p in index_dir.iterdir() if p.name.startswith("chroma"))
    assert len(folders) == 1, f"folders left beside the live index: {folders}"
    print(f"rebuild kills: {log}")
    assert log.count("killed") >= 2, log
