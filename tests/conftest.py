"""Shared fixtures. Tests never reach the network: HF/telemetry are forced offline here, and every server a
test talks to runs on loopback."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["ORT_DISABLE_TELEMETRY"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
for key in [k for k in os.environ if k.startswith("REE_")]:
    del os.environ[key]  # a developer's own settings must not leak into tests

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared"


def make_settings(corpus: Path, indexes: Path, **extra):  # type: ignore[no-untyped-def]
    from assistant.settings import PathSettings, Settings

    return Settings(paths=PathSettings(corpus=corpus, indexes=indexes), **extra)


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the exported ONNX model, shared by every index a test session builds."""
    return tmp_path_factory.mktemp("models")


def _share_models(indexes: Path, model_cache: Path) -> None:
    indexes.mkdir(parents=True, exist_ok=True)
    link = indexes / "models"
    if not link.exists():
        link.symlink_to(model_cache, target_is_directory=True)


@pytest.fixture
def mini_corpus(tmp_path: Path) -> Path:
    """A copy of the tiny real md/txt/html/pdf fixtures, safe to modify."""
    dest = tmp_path / "corpus"
    shutil.copytree(FIXTURES / "mini", dest)
    return dest


@pytest.fixture
def mini_assistant(mini_corpus: Path, tmp_path: Path, model_cache: Path):  # type: ignore[no-untyped-def]
    from assistant.core import Assistant

    indexes = tmp_path / "indexes"
    _share_models(indexes, model_cache)
    assistant = Assistant(make_settings(mini_corpus, indexes))
    assistant.index()
    return assistant


@pytest.fixture(scope="session")
def corpus_indexes(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Path:
    """The shipped corpus, indexed once per test session."""
    from assistant.core import Assistant

    indexes = tmp_path_factory.mktemp("corpus-indexes")
    _share_models(indexes, model_cache)
    Assistant(make_settings(ROOT / "corpus", indexes)).index()
    return indexes


@pytest.fixture
def corpus_assistant(corpus_indexes: Path):  # type: ignore[no-untyped-def]
    """A fresh Assistant over the session's shipped-corpus index (conversations persist in that index's database,
    so tests give their conversations ids of their own)."""
    from assistant.core import Assistant

    return Assistant(make_settings(ROOT / "corpus", corpus_indexes))


def free_port() -> int:
    """A free TCP port on loopback."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve an ASGI app with a real uvicorn on loopback; yields its base URL."""
    import threading
    import time

    import uvicorn

    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = srv.force_exit = True
        thread.join(10)


CHROMIUM = Path("/usr/bin/chromium")
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}  # the only hosts a browser test's page may reach


@pytest.fixture(scope="module")
def server(corpus_indexes: Path) -> Iterator[tuple[str, object]]:
    """The app on loopback over the shipped corpus's index, for browser tests that write nothing to it."""
    from assistant.core import Assistant
    from assistant.frontends.api import create_app

    assistant = Assistant(make_settings(ROOT / "corpus", corpus_indexes))
    with serving(create_app(assistant)) as url:
        yield url, assistant


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright, with no background networking (the machine has no internet)."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "Chromium is missing: apt-get install -y chromium (make test does this)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                    "--disable-component-update"])
        yield b
        b.close()
