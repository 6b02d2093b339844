"""The optional LLM path against a real local llama.cpp server (llama-cpp-python's OpenAI-compatible one).

For each question: the whole `ask` (retrieval, checklist and the streamed, checked generation), time to the first
token, the generation's own time, the tokens the client received, what the server logged (llama.cpp's
`eval time = … / N runs` for a request it finished, or that it saw the stream closed early and stopped), the
sentences read, the share the validator kept (and kept with a checked citation), why the model stopped (done,
enough checked sentences, cap, time limit, error) and whether the answer fell back to the extractive one. Then two
cap probes: the cap as the assistant sends it (the server's own usage count), and under max_completion_tokens alone.

`--gguf FILE --python PY` starts the server itself (PY is the interpreter of a virtualenv with
`llama-cpp-python[server]`, kept apart from this project's) and reads its log; `--url` uses one already running
(with `--server-log FILE` where its stderr goes, for the server's own counts). docs/llm.md gives the setup and the
figures. Not a test: CI has no model.
"""

from __future__ import annotations

import json
import logging
import os
import re
import statistics
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

from assistant.answer.llm import cap_names
from assistant.bench.common import bench_dir, emit
from assistant.settings import Settings

QUESTIONS = [
    "Can Kazakhstan make magnets?",
    "Can Japan separate rare earths?",
    "How much did Myanmar mine in 2024?",
    "What is solvent extraction?",
]
_EVAL = re.compile(r"^\s*(?:llama_perf_context_print:\s*)?eval time\s*=\s*[\d.]+ ms /\s*(\d+) runs", re.M)


class Collector(logging.Handler):
    """Keeps the measurements the generator logs on `ree.llm`."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.runs: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        run = getattr(record, "llm", None)
        if isinstance(run, dict):
            self.runs.append(run)


class ServerLog:
    """What the server logged since the last read: for each request it finished, llama.cpp's own count of decode
    runs (`eval time = … / N runs`; it never exceeds the tokens generated), and how many streams it saw closed
    early (llama-cpp-python logs a disconnect and stops generating)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.offset = path.stat().st_size if path and path.exists() else 0

    def read(self) -> tuple[list[int], int]:
        if self.path is None or not self.path.exists():
            return [], 0
        with open(self.path, "rb") as fh:
            fh.seek(self.offset)
            text = fh.read().decode("utf-8", "replace")
            self.offset = fh.tell()
        return [int(n) for n in _EVAL.findall(text)], len(re.findall(r"^Disconnected from client", text, re.M))


def start_server(python: str, gguf: Path, port: int, threads: int, ctx: int, chat_format: str,
                 log_path: Path) -> subprocess.Popen:
    cmd = [python, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1", "--port", str(port),
           "--n_ctx", str(ctx), "--n_threads", str(threads), "--chat_format", chat_format, "--verbose", "true"]
    log_file = open(log_path, "wb")  # noqa: SIM115 - handed to the server process
    proc = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}/v1/models"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the llama.cpp server exited ({proc.returncode}); see {log_path}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return proc
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise SystemExit(f"the llama.cpp server did not start in 120 s; see {log_path}")


def cap_probe(url: str, model: str, cap: int, names: tuple[str, ...]) -> dict[str, Any]:
    """A request that would run long (counting to 1000), capped under `names`: the server's own count
    (usage.completion_tokens) when it answers at once; streamed, the chunks it sent before stopping, read up to
    cap + 32 and then closed (llama.cpp's server sends one chunk a token)."""
    body: dict[str, Any] = {"model": model, "temperature": 0,
                            "messages": [{"role": "user", "content": "Count from 1 to 1000, one number per line."}],
                            **{n: cap for n in names}}
    row: dict[str, Any] = {"cap_sent_as": "+".join(names), "cap": cap}
    if "max_tokens" in names:
        with _post(url, {**body, "stream": False}) as resp:
            reply = json.loads(resp.read())
        row.update(server_tokens=reply["usage"]["completion_tokens"], finish=reply["choices"][0]["finish_reason"])
        return row
    chunks, finish = 0, None
    with _post(url, {**body, "stream": True}) as resp:
        for line in resp:
            text = line.decode("utf-8", "replace").strip()
            if not text.startswith("data:") or text == "data: [DONE]":
                continue  # blank lines, comments (pings), other fields
            data = text.removeprefix("data:").strip()
            choice = json.loads(data)["choices"][0]
            chunks += bool(choice.get("delta", {}).get("content"))
            finish = choice.get("finish_reason") or finish
            if chunks > cap + 32:
                finish = "still generating; closed"
                break
    row.update(streamed_tokens=chunks, finish=finish)
    return row


def _post(url: str, body: dict[str, Any]) -> Any:
    req = urllib.request.Request(f"{url.rstrip('/')}/chat/completions", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    return urllib.request.urlopen(req, timeout=300)


def main(args: Any) -> None:
    from assistant.core import Assistant
    from assistant.index.embedding import quiet_environment

    quiet_environment()
    settings = Settings()
    answer = settings.answer
    proc = None
    log_path = Path(args.server_log) if args.server_log else None
    if args.gguf:
        log_path = bench_dir(settings) / "llama-server.log"
        proc = start_server(args.python, Path(args.gguf), args.port, args.threads, args.ctx, args.chat_format,
                            log_path)
        answer.llm_url = f"http://127.0.0.1:{args.port}/v1"
    elif args.url or not answer.llm_url:
        answer.llm_url = args.url or "http://127.0.0.1:8080/v1"
    answer.llm_model = args.model
    if args.max_tokens:
        answer.llm_max_tokens = args.max_tokens
    if args.timeout:
        answer.llm_timeout_s = args.timeout
    collector = Collector()
    logger = logging.getLogger("ree.llm")
    logger.addHandler(collector)
    logger.setLevel(logging.INFO)
    rows: list[dict[str, Any]] = []
    probes: list[dict[str, Any]] = []
    try:
        assistant = Assistant(settings)
        assistant.ensure_index()
        url, answer.llm_url = answer.llm_url, None
        assistant.ask(QUESTIONS[0])  # warm: embedder, index, question reader
        answer.llm_url = url
        server = ServerLog(log_path)
        questions = (args.questions.split("|") if args.questions else QUESTIONS)
        for _ in range(args.repeat):
            for q in questions:
                before = len(collector.runs)
                started = time.perf_counter()
                result = assistant.ask(q)
                took = time.perf_counter() - started
                time.sleep(1.0)  # the server logs its timings after the stream is closed
                run = collector.runs[before] if len(collector.runs) > before else {}
                runs, closed = server.read()
                rows.append({
                    "question": q, "ask_s": round(took, 2), "first_token_s": run.get("first_token_s"),
                    "generate_s": run.get("seconds"), "client_tokens": run.get("chunks"),
                    "server_eval_runs": max(runs) if runs else None, "server_saw_close": closed > 0,
                    "cap": answer.llm_max_tokens,
                    "sentences": run.get("sentences"), "kept": run.get("kept"), "cited": run.get("cited"),
                    "kept_share": round(run["kept"] / run["sentences"], 2) if run.get("sentences") else None,
                    "stop": run.get("stop"), "fell_back": run.get("fell_back"),
                    "notices": " | ".join(result.notices),
                })
        probes = [cap_probe(url, answer.llm_model, answer.llm_max_tokens, cap_names(answer))]
        if probes[0]["cap_sent_as"] != "max_completion_tokens":  # what langchain-openai sends by itself
            probes.append(cap_probe(url, answer.llm_model, answer.llm_max_tokens, ("max_completion_tokens",)))
        runs, _ = server.read()
        if runs:
            probes[0]["server_eval_runs"] = runs[0]
    finally:
        logger.removeHandler(collector)
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    summary = _summary(rows, answer.llm_timeout_s)
    emit({"settings": {"url": answer.llm_url, "model": answer.llm_model, "max_tokens": answer.llm_max_tokens,
                       "timeout_s": answer.llm_timeout_s, "threads": args.threads if args.gguf else None},
          "rows": rows, "summary": summary, "cap_probes": probes},
         [("Per question", rows), ("Summary", [summary]), ("The cap, by the server's own count", probes)],
         args.json)


def _summary(rows: list[dict[str, Any]], timeout_s: float) -> dict[str, Any]:
    def median(key: str) -> float | None:
        values = [r[key] for r in rows if r.get(key) is not None]
        return round(statistics.median(values), 2) if values else None

    sentences = sum(r["sentences"] or 0 for r in rows)
    server = [r["server_eval_runs"] for r in rows if r["server_eval_runs"] is not None]
    return {
        "asks": len(rows), "median_ask_s": median("ask_s"), "max_ask_s": max((r["ask_s"] for r in rows), default=None),
        "median_first_token_s": median("first_token_s"), "median_generate_s": median("generate_s"),
        "median_client_tokens": median("client_tokens"), "max_server_eval_runs": max(server, default=None),
        "kept_share": round(sum(r["kept"] or 0 for r in rows) / sentences, 2) if sentences else None,
        "cited_share": round(sum(r["cited"] or 0 for r in rows) / sentences, 2) if sentences else None,
        "answered": sum(not r["fell_back"] for r in rows), "fell_back": sum(bool(r["fell_back"]) for r in rows),
        "within_timeout_plus_2s": all(r["generate_s"] is None or r["generate_s"] <= timeout_s + 2 for r in rows),
    }
