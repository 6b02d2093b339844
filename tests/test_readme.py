"""The README's contract: two set-up commands, and they do what it says. `.ci/run` runs the test command."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
from conftest import ROOT, free_port


def _quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "the quick start has a bash block"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.split("#")[0].strip()]


def test_two_commands_and_what_they_run() -> None:
    assert _quick_start_commands() == ["make run", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    run = re.search(r"^run:.*\n((?:\t.*\n)+)", makefile, re.M)
    test = re.search(r"^test:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert run and "app.py" in run.group(1)
    assert test and "pytest" in test.group(1) and "ruff" in test.group(1)
    install = re.search(r"^\$\(STAMP\):.*\n((?:\t.*\n)+)", makefile, re.M)
    assert install and "torch==2.13.0" in install.group(1) and "-c constraints.txt" in install.group(1)
    assert re.search(r"^run: install", makefile, re.M) and re.search(r"^test: install", makefile, re.M)
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and os.access(ROOT / ".ci" / "run", os.X_OK)


def test_app_py_serves_the_ui_and_answers(corpus_indexes: Path, tmp_path: Path) -> None:
    """What `make run` runs: `python app.py` brings up the UI and the API on the shipped corpus."""
    port = free_port()
    env = {**os.environ, "REE_PATHS__INDEXES": str(corpus_indexes), "REE_PORT": str(port),
           "GRADIO_TEMP_DIR": str(tmp_path / "gradio")}
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        answer = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                r = httpx.post(f"{base}/api/ask", json={"question": "Can Kazakhstan make magnets?"}, timeout=30)
                if r.status_code == 200:
                    answer = r.json()
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        assert answer is not None, "app.py did not answer within 180 s"
        assert answer["checklist"]["verdict"] == "no" and answer["citations"]
        page = httpx.get(f"{base}/", timeout=30)
        assert page.status_code == 200 and "<html" in page.text.lower()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
