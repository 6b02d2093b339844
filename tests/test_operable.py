"""What an operator sees: Prometheus metrics, health states while the index is built, JSON log lines."""

from __future__ import annotations

import json
import logging
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import _share_models, make_settings, serving

QUESTION = "How many mixer-settler stages does the Zorblax process use?"


def _sample(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no sample {name} {labels} in:\n{text[:3000]}")


def test_metrics_count_requests_latency_errors_and_index(mini_assistant: Any) -> None:
    from assistant.frontends.api import create_app

    with serving(create_app(mini_assistant, ui=False)) as url:
        for _ in range(3):
            r = httpx.post(f"{url}/api/ask", json={"question": QUESTION}, timeout=60)
            assert r.status_code == 200, r.text
        assert httpx.post(f"{url}/api/ask", json={}, timeout=60).status_code == 422
        assert httpx.get(f"{url}/api/gaps/atlantis", timeout=60).status_code == 404
        r = httpx.get(f"{url}/metrics", timeout=60)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert _sample(text, "ree_requests_total", endpoint="/api/ask", method="POST", status="200") == 3
    assert _sample(text, "ree_request_seconds_count", endpoint="/api/ask") == 4
    assert _sample(text, "ree_errors_total", type="validation-error") == 1
    assert _sample(text, "ree_errors_total", type="unknown-country") == 1
    assert _sample(text, "ree_queue_depth") == 0
    assert _sample(text, "ree_index_chunks") == len(mini_assistant._snapshot().keywords.ids) > 0
    assert _sample(text, "ree_index_documents") == 4
    assert _sample(text, "ree_index_revision", revision=mini_assistant._snapshot().revision) == 1


def test_health_says_building_then_ready(mini_corpus: Path, tmp_path: Path, model_cache: Path) -> None:
    from assistant.core import Assistant
    from assistant.frontends.api import create_app

    indexes = tmp_path / "fresh"
    _share_models(indexes, model_cache)
    assistant = Assistant(make_settings(mini_corpus, indexes))
    idle = create_app(assistant, ui=False)
    with serving(idle) as url:
        r = httpx.get(f"{url}/api/health", timeout=30)
        assert r.status_code == 503 and r.json()["state"] == "starting"
    states = []
    with serving(create_app(assistant, ui=False, build_missing_index=True)) as url:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            r = httpx.get(f"{url}/api/health", timeout=30)
            states.append(r.json()["state"])
            if r.status_code == 200:
                break
            assert r.status_code == 503 and r.json()["message"]
            time.sleep(0.1)
    assert states[-1] == "ready" and "building" in states, states
    assert set(states) <= {"building", "ready"}, states


def test_json_log_lines(capsys: pytest.CaptureFixture[str], mini_assistant: Any) -> None:
    from assistant.frontends.observability import setup_logging
    from assistant.settings import LogSettings

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        setup_logging(mini_assistant.settings.model_copy(update={"log": LogSettings(json_lines=True)}))
        logging.getLogger("ree.test").warning("upload %s refused", "a.exe")
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("ree.test").exception("it failed")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    first = next(x for x in lines if x["message"] == "upload a.exe refused")
    assert first["level"] == "WARNING" and first["logger"] == "ree.test"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first["time"])
    assert "ValueError: boom" in next(x for x in lines if x["message"] == "it failed")["exception"]
