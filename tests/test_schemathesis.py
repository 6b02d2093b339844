"""API fuzzing: schemathesis generates requests from our OpenAPI spec and sends them to the real app served
by uvicorn on loopback. No 5xx, and every 4xx is a JSON problem body (an OpenAI error body under /v1)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from conftest import ROOT, make_settings, serving
from hypothesis import HealthCheck, given, settings

PROBLEM_KEYS = {"type", "title", "status", "detail"}
OPENAI_ERROR_KEYS = {"message", "type", "param", "code"}


@pytest.fixture(scope="module")
def api_schema(corpus_indexes: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from assistant.core import Assistant
    from assistant.frontends.api import create_app

    indexes = tmp_path_factory.mktemp("fuzz-indexes")
    shutil.copytree(corpus_indexes, indexes, symlinks=True, dirs_exist_ok=True)  # uploads stay private
    assistant = Assistant(make_settings(ROOT / "corpus", indexes))
    with serving(create_app(assistant, ui=False)) as url:
        yield schemathesis.openapi.from_url(f"{url}/openapi.json")


CALLS: list[tuple[str, str, int]] = []


def _check(case: Any) -> None:
    response = case.call(timeout=60)
    CALLS.append((case.method, case.path, response.status_code))
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:300])
    if response.status_code >= 400:
        ctype = response.headers.get("content-type") or [""]
        ctype = ctype[0] if isinstance(ctype, list) else ctype
        assert ctype.startswith(("application/problem+json", "application/json")), response.headers
        body = response.json()
        if case.path.startswith("/v1/"):  # the OpenAI-compatible routes answer in OpenAI's error shape
            assert set(body["error"]) == OPENAI_ERROR_KEYS and body["error"]["message"], body
            return
        assert PROBLEM_KEYS <= set(body), body
        assert body["status"] == response.status_code


def test_api_never_fails_and_explains_every_4xx(api_schema: Any) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/api/ask", "/api/search", "/api/gaps/{country}", "/api/feedback",
                                              "/v1/chat/completions"}
    fuzz = settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    for operation in operations:
        fuzz(given(case=operation.as_strategy())(lambda case: _check(case)))()
    statuses = {status for _, _, status in CALLS}
    assert len(CALLS) >= 5 * len(operations) and any(s >= 400 for s in statuses) and 200 in statuses, statuses
