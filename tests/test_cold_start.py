"""What a cold `ree ask` no longer redoes: the model folder's hash (the index's name) is remembered while every
file keeps its name, size and modification time, and computed again when one changes."""

from __future__ import annotations

import json
import os
from pathlib import Path


def test_model_hash_is_remembered_until_a_file_changes(tmp_path: Path) -> None:
    from assistant.settings import _fingerprint

    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text('{"dim": 384}')
    (model / "model.safetensors").write_bytes(b"\0" * 4096)
    memo = tmp_path / "models" / "fingerprints.json"
    first = _fingerprint.__wrapped__(str(model), str(memo))
    assert first == _fingerprint.__wrapped__(str(model)) and memo.exists()
    # The remembered hash is what a new process reads: a planted value proves it is not recomputed.
    data = json.loads(memo.read_text())
    data[str(model)]["sha256"] = "remembered"
    memo.write_text(json.dumps(data))
    assert _fingerprint.__wrapped__(str(model), str(memo)) == "remembered"
    weights = model / "model.safetensors"
    weights.write_bytes(b"\1" * 4096)  # same size: the modification time tells
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 1_000_000))
    changed = _fingerprint.__wrapped__(str(model), str(memo))
    assert changed not in ("remembered", first) and changed == _fingerprint.__wrapped__(str(model))
    memo.write_text("{not json")  # a broken memo is ignored
    assert _fingerprint.__wrapped__(str(model), str(memo)) == changed
