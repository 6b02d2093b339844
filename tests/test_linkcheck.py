"""`ree sources --check` against a real HTTP server on loopback (http.server in a thread): a page that answers, one
that is gone, one that moved, one whose content changes between runs, one too slow to answer; and no network."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import _share_models, free_port, make_settings

from assistant.knowledge.linkcheck import Address, check_links, content_hash, same_address, source_addresses
from assistant.settings import LinkSettings


class Site:
    """What the test server serves; `version` changes the /live page, `seen` records requests."""

    def __init__(self) -> None:
        self.version = 1
        self.agents: list[str] = []
        self.in_flight = 0
        self.most = 0
        self.lock = threading.Lock()


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
            # The request stops counting as in flight before its answer is written: once the client reads the
            # answer it may send its next request, which must not be counted beside this one.
            if self.counted:
                self.counted = False
                with site.lock:
                    site.in_flight -= 1
            self.send_response(status)
            for k, v in {"Content-Type": "text/html; charset=utf-8", **(headers or {})}.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            with site.lock:
                site.agents.append(self.headers.get("User-Agent", ""))
                site.in_flight += 1
                site.most = max(site.most, site.in_flight)
            self.counted = True
            try:
                path = self.path
                if path == "/ok":
                    self._send(200, b"<html><body><p>Rare earths.</p><script>var t = Date.now()</script></body></html>")
                elif path == "/gone":
                    self._send(404, b"not found")
                elif path == "/broken":
                    self._send(500, b"oops")
                elif path == "/old":
                    self._send(301, headers={"Location": "/new"})
                elif path == "/new":
                    self._send(200, b"<p>The new home.</p>")
                elif path == "/live":
                    self._send(200, f"<p>Edition {site.version}.</p>".encode())
                elif path == "/slow":
                    time.sleep(1.5)
                    self._send(200, b"late")
                elif path.startswith("/wait"):
                    time.sleep(0.2)
                    self._send(200, b"waited")
                else:
                    self._send(404)
            finally:
                if self.counted:  # (an answer that was never written)
                    self.counted = False
                    with site.lock:
                        site.in_flight -= 1

    return Handler


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up on /slow: expected


@pytest.fixture
def site() -> Iterator[tuple[str, Site]]:
    state = Site()
    server = QuietServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()


def _addresses(base: str, *paths: str) -> list[Address]:
    return [Address(base + p, "url", ("profiles/x.md",)) for p in paths]


FAST = LinkSettings(timeout_s=0.8, concurrency=4)


def test_dead_moved_changed_new_and_ok(site: tuple[str, Site], tmp_path: Path) -> None:
    base, state = site
    record = tmp_path / "state" / "linkcheck.json"
    todo = _addresses(base, "/ok", "/gone", "/broken", "/old", "/live", "/slow")

    first = check_links(todo, FAST, record)
    got = {r.url.removeprefix(base): r for r in first.results}
    assert not first.offline
    assert {k: r.state for k, r in got.items()} == {"/ok": "new", "/gone": "dead", "/broken": "dead",
                                                     "/old": "moved", "/live": "new", "/slow": "dead"}
    assert (got["/gone"].status, got["/gone"].error) == (404, "HTTP 404")
    assert got["/broken"].status == 500
    assert got["/old"].final_url == base + "/new" and got["/old"].status == 200
    assert got["/slow"].status is None and "no answer within" in got["/slow"].error
    saved = json.loads(record.read_text())["addresses"]
    assert set(saved) == {base + p for p in ("/ok", "/old", "/live")}  # dead addresses leave no record

    state.version = 2  # the /live page is edited between runs
    second = check_links(todo, FAST, record)
    again = {r.url.removeprefix(base): r for r in second.results}
    assert again["/live"].state == "changed" and again["/live"].changed
    assert again["/ok"].state == "ok"  # a script's changing text is not a change of content
    assert again["/old"].state == "moved" and not again["/old"].changed
    assert second.counts() == {"dead": 3, "moved": 1, "changed": 1, "new": 0, "ok": 1}

    third = check_links(todo, FAST, record)  # a change is reported once
    assert {r.url.removeprefix(base): r.state for r in third.results}["/live"] == "ok"

    assert state.agents and all(a.startswith("REE-Assistant-linkcheck/") for a in state.agents)


def test_concurrency_is_bounded(site: tuple[str, Site], tmp_path: Path) -> None:
    base, state = site
    todo = _addresses(base, *(f"/wait{i}" for i in range(12)))
    report = check_links(todo, LinkSettings(concurrency=3, per_host=8, timeout_s=5), tmp_path / "r.json")
    assert [r.state for r in report.results] == ["new"] * 12
    assert 1 < state.most <= 3
    state.most = 0
    check_links(todo, LinkSettings(concurrency=8, per_host=2, timeout_s=5), tmp_path / "r.json")
    assert state.most <= 2  # one host: at most per_host at once


def test_no_network_says_so_once_and_reports_nothing_dead(tmp_path: Path) -> None:
    closed = [f"http://127.0.0.1:{free_port()}/page{i}" for i in range(3)]  # nothing listens there
    record = tmp_path / "r.json"
    report = check_links([Address(u, "url", ("a.md",)) for u in closed], FAST, record)
    assert report.offline and report.results == []
    assert report.message.startswith("No network: none of the 3 source addresses could be reached")
    assert not record.exists()


def test_one_unreachable_address_among_live_ones_is_dead(site: tuple[str, Site], tmp_path: Path) -> None:
    base, _ = site
    closed = f"http://127.0.0.1:{free_port()}/x"
    report = check_links(_addresses(base, "/ok", "/new") + [Address(closed, "via", ("b.md",))], FAST,
                         tmp_path / "r.json")
    dead = [r for r in report.results if r.state == "dead"]
    assert not report.offline and [r.url for r in dead] == [closed]
    assert dead[0].error.startswith("connection failed") and dead[0].role == "via"


def test_addresses_come_from_url_and_via() -> None:
    docs = {"a.md": [{"url": "https://pub.example/r", "via": "https://copy.example/r"}, {"url": "", "via": ""}],
            "b.md": [{"url": "https://copy.example/r"}, {"url": "ftp://old.example/x"}]}
    got = source_addresses(docs)
    assert [(a.url, a.role, a.docs) for a in got] == [("https://copy.example/r", "url", ("a.md", "b.md")),
                                                       ("https://pub.example/r", "url", ("a.md",))]
    assert same_address("HTTPS://Pub.Example/r#top", "https://pub.example/r")
    assert not same_address("http://pub.example/r", "https://pub.example/r")
    assert content_hash(b"<p>a</p>  <script>x()</script>", "text/html") == content_hash(b"<div>a</div>", "text/html")


def test_ree_sources_check_on_a_corpus(site: tuple[str, Site], tmp_path: Path, model_cache: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The command: every document's url and via, a table of what is wrong, --json with every address, and a
    record kept in the index folder."""
    from typer.testing import CliRunner

    from assistant.core import Assistant
    from assistant.frontends.cli import app

    base, state = site
    corpus, indexes = tmp_path / "corpus", tmp_path / "indexes"
    (corpus / "profiles").mkdir(parents=True)
    (corpus / "profiles" / "testland.md").write_text(
        "---\ntitle: Testland\nkind: profile\ncountries: [kazakhstan]\nsources:\n"
        f'  - publisher: "Ministry"\n    title: "Report"\n    url: "{base}/ok"\n    via: "{base}/old"\n'
        f'    date: 2025-01-02\n  - publisher: "Agency"\n    title: "Gone"\n    url: "{base}/gone"\n'
        f'  - publisher: "Paper"\n    title: "Live"\n    url: "{base}/live"\n---\n\n'
        "# Testland\n\nTestland mines rare earths at a small deposit and exports the concentrate.\n")
    _share_models(indexes, model_cache)
    Assistant(make_settings(corpus, indexes)).index()
    monkeypatch.setenv("REE_PATHS__CORPUS", str(corpus))
    monkeypatch.setenv("REE_PATHS__INDEXES", str(indexes))
    monkeypatch.setenv("REE_LINKS__TIMEOUT_S", "3")
    monkeypatch.setenv("COLUMNS", "250")  # rich: one line a row
    run = CliRunner().invoke

    first = run(app, ["sources", "--check", "--json"])
    assert first.exit_code == 0, first.output
    payload = json.loads(first.stdout)
    states = {r["url"].removeprefix(base): (r["state"], r["role"]) for r in payload["results"]}
    assert states == {"/ok": ("new", "url"), "/old": ("moved", "via"), "/gone": ("dead", "url"),
                      "/live": ("new", "url")}
    assert (indexes / "linkcheck.json").is_file()

    state.version += 1
    table = run(app, ["sources", "--check"])
    assert table.exit_code == 0, table.output
    for word in ("dead", "moved", "changed", "/gone", "/live", base + "/new", "profiles/testland.md"):
        assert word in table.stdout, word
    assert "/ok " not in table.stdout  # only what needs a look is listed

    monkeypatch.setenv("REE_PATHS__INDEXES", str(indexes))
    (corpus / "profiles" / "testland.md").write_text((corpus / "profiles" / "testland.md").read_text()
                                                     .replace(base, f"http://127.0.0.1:{free_port()}"))
    Assistant(make_settings(corpus, indexes)).index()
    offline = run(app, ["sources", "--check"])
    assert offline.exit_code == 0, offline.output
    assert offline.stderr.count("No network") == 1 and "dead" not in offline.stdout
