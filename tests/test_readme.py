"""The README's contract: two set-up commands, and they do what it says. `.ci/run` runs the test command."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from conftest import ROOT, free_port, make_settings, serving


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


def _blocks(text: str, heading: str, lang: str) -> list[str]:
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{lang}\n(.*?)```", section, re.S)


def _commands(block: str) -> list[str]:
    joined = block.replace("\\\n", " ")
    return [line.split("   #")[0].split("  #")[0].strip() for line in joined.splitlines()
            if line.split("#")[0].strip()]


def _curl(command: str, base: str) -> dict[str, Any]:
    """Run a README curl line against the test server: with curl when the machine has it, else the same request
    read from its -H/-d flags and sent with httpx."""
    args = shlex.split(command.replace("http://127.0.0.1:7860", base))
    assert args[0] == "curl", command
    if shutil.which("curl"):
        out = subprocess.run(args, capture_output=True, text=True, timeout=120, check=True).stdout
        return json.loads(out)
    headers: dict[str, str] = {}
    data = None
    url = ""
    it = iter(args[1:])
    for arg in it:
        if arg == "-H":
            name, _, value = next(it).partition(":")
            headers[name.strip()] = value.strip()
        elif arg == "-d":
            data = next(it)
        elif not arg.startswith("-"):
            url = arg
    r = httpx.request("POST" if data else "GET", url, headers=headers, content=data, timeout=120)
    return r.json()


def test_use_it_from_other_tools(corpus_indexes: Path) -> None:
    """The README's MCP and OpenAI commands, and the Python example in docs/integrations.md, work as shown."""
    import anyio
    from mcp import Client, StdioServerParameters

    from assistant.core import Assistant
    from assistant.frontends.api import create_app

    readme = (ROOT / "README.md").read_text()
    commands = _commands(_blocks(readme, "## Use it from other tools", "bash")[0])
    assert commands[0] == "ree mcp" and all(c.startswith("curl ") for c in commands[1:]), commands
    guide = (ROOT / "docs" / "integrations.md").read_text()
    commands += _commands(_blocks(guide, "## OpenAI-compatible chat endpoint", "bash")[0])

    env = {"PYTHONPATH": str(ROOT), "REE_PATHS__INDEXES": str(corpus_indexes), "HF_HUB_OFFLINE": "1",
           "PATH": os.environ.get("PATH", "")}
    args = ["-m", "assistant.frontends.cli", *commands[0].split()[1:]]  # `ree` is `python -m assistant.frontends.cli`

    async def mcp_tools() -> set[str]:
        async with Client(StdioServerParameters(command=sys.executable, args=args, env=env, cwd=ROOT)) as client:
            return {t.name for t in (await client.list_tools()).tools}

    assert anyio.run(mcp_tools) == {"ask", "search", "gap_checklist", "compare", "list_sources", "capability_map",
                                    "projects", "supply_exposure", "supply_scenario"}

    app = create_app(Assistant(make_settings(ROOT / "corpus", corpus_indexes)), ui=False)
    with serving(app) as base:
        for command in commands[1:]:
            body = _curl(command, base)
            if "/v1/models" in command:
                assert [m["id"] for m in body["data"]] == ["ree-assistant"]
            else:
                assert "[1]" in body["choices"][0]["message"]["content"]
                assert body["ree_answer"]["checklist"]["verdict"] == "no"
        example = _blocks(guide, "## OpenAI-compatible chat endpoint", "python")[0]
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(example.replace("http://127.0.0.1:7860", base), "integrations.md", "exec"), {})  # noqa: S102
        assert "Sources:" in printed.getvalue() and printed.getvalue().rstrip().endswith("no")


def test_the_corpus_counts_the_readme_gives() -> None:
    import yaml

    readme = (ROOT / "README.md").read_text()
    corpus = ROOT / "corpus"
    eval_dir = corpus / "eval"
    docs = [p for p in corpus.rglob("*.md")]
    sets = {p.stem: len(yaml.safe_load(p.read_text())) for p in eval_dir.glob("*.yaml") if p.stem != "intents"}
    dev = [sets[k] for k in sorted(sets) if k.startswith("fresh")]
    assert f"{len(docs)} documents" in readme
    assert f"{len(list((corpus / 'value_chain').glob('*.yaml')))} country\n  profiles" in readme
    assert f"{len(yaml.safe_load((corpus / 'entities.yaml').read_text()))} companies" in readme
    assert f"a {sets['questions']}-question gold set, a {sets['paraphrases']}-question paraphrase set" in readme
    assert f"development sets ({', '.join(map(str, dev[:-1]))} and {dev[-1]} questions)" in readme
    assert f"a {sets['crossdoc']}-question\n  cross-document set" in readme
    assert f"a {sets['sealed']}-question sealed set" in readme
    assert f"{len(yaml.safe_load((eval_dir / 'intents.yaml').read_text()))} labelled examples" in readme


def test_the_readme_counts_the_scorer_features() -> None:
    from assistant.answer.scoring import FEATURES

    assert f"scored by {len(FEATURES)} documented features" in (ROOT / "README.md").read_text()


def test_the_settings_table_names_real_settings_and_their_defaults() -> None:
    """Every variable in the README's settings table is a setting (`REE_SECTION__FIELD` or `REE_FIELD`), and a
    default given as a number, `false`/`true` or `unset` is the setting's default."""
    from assistant.settings import Settings

    rows = re.findall(r"^\| `REE_([A-Z_]+)` \| ([^|]+?) \|", (ROOT / "README.md").read_text(), re.M)
    assert len(rows) >= 20, rows
    def field_of(fields: dict[str, Any], name: str) -> Any:  # by its name, or by an alias it also answers to
        return fields.get(name) or next(f for f in fields.values() if name in getattr(
            f.validation_alias, "choices", ()))

    for name, shown in rows:
        section, _, field = name.lower().partition("__")
        info = Settings.model_fields[section]
        if field:
            info = field_of(info.annotation.model_fields, field)  # type: ignore[union-attr]
        default = info.get_default(call_default_factory=True)
        shown = shown.strip().strip("`")
        if shown.isdigit():
            assert default == int(shown), (name, default)
        elif shown in ("false", "true"):
            assert default is (shown == "true"), (name, default)
        elif shown == "unset":
            assert default is None or (hasattr(default, "get_secret_value") and not default.get_secret_value()), (
                name, default)
