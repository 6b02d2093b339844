"""The Slack bot end to end, offline: signed requests to the real bolt app mounted on a real uvicorn server, with
the Slack Web API (and response_url) replaced by a small recording HTTP server on loopback.

Regenerate the blocks snapshot with `UPDATE_SNAPSHOTS=1 pytest tests/test_slack.py`.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.types import Answer, Checklist, Citation, NextStep, StageRow

SNAPSHOT = Path(__file__).parent / "snapshots" / "slack_kazakhstan.json"
SECRET = "test-signing-secret"
ROOT = Path(__file__).resolve().parent.parent
WAIT_S = 90.0  # generous: the machine is shared; nothing here measures speed


# -- a stand-in for slack.com/api and response_url --------------------------------------------------------
class FakeSlack:
    """Records every Web API call and response_url post; answers like Slack does ({"ok": true, ...})."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail: dict[str, str] = {}  # method -> Slack error code to answer with
        self.cond = threading.Condition()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if "json" in (self.headers.get("Content-Type") or ""):
                    data = json.loads(raw or "{}")
                else:
                    data = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
                for key in ("blocks",):
                    if isinstance(data.get(key), str):
                        data[key] = json.loads(data[key])
                path = self.path.strip("/")
                method = path[len("api/"):] if path.startswith("api/") else path
                with fake.cond:
                    fake.calls.append({"method": method, "data": data,
                                       "auth": self.headers.get("Authorization")})
                    fake.cond.notify_all()
                if method.startswith("respond/"):
                    body, ctype = b"ok", "text/plain"
                else:
                    reply: dict[str, Any] = {"ok": True}
                    if method in fake.fail:
                        reply = {"ok": False, "error": fake.fail[method]}
                    elif method == "auth.test":
                        reply.update(url="https://ree-test.slack.com/", team="REE", user="ree", team_id="T1",
                                     user_id="UBOT", bot_id="BBOT", is_enterprise_install=False)
                    elif method.startswith("chat."):
                        reply.update(channel=data.get("channel"), ts=f"{time.time():.6f}")
                    body, ctype = json.dumps(reply).encode(), "application/json"
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def find(self, pred: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        with self.cond:
            return [c for c in self.calls if pred(c)]

    def wait_for(self, pred: Callable[[dict[str, Any]], bool], count: int = 1) -> list[dict[str, Any]]:
        deadline = time.monotonic() + WAIT_S
        with self.cond:
            while True:
                found = [c for c in self.calls if pred(c)]
                if len(found) >= count or time.monotonic() > deadline:
                    break
                self.cond.wait(0.5)
        assert len(found) >= count, f"expected {count} matching calls, got {found}; all calls: {self.calls}"
        return found

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# -- the server under test --------------------------------------------------------------------------------
class Served:
    def __init__(self, fake: FakeSlack, url: str, assistant: Any) -> None:
        self.fake, self.url, self.assistant = fake, url, assistant

    def post(self, body: str, content_type: str, *, secret: str = SECRET, ts: int | None = None,
             headers: dict[str, str] | None = None, signature: str | None = None) -> httpx.Response:
        from slack_sdk.signature import SignatureVerifier

        stamp = str(int(time.time()) if ts is None else ts)
        sig = signature or SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
        all_headers = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": sig, "Content-Type": content_type,
                       **(headers or {})}
        return httpx.post(self.url + "/slack/events", content=body.encode(), headers=all_headers, timeout=WAIT_S)

    def event(self, event: dict[str, Any], event_id: str | None = None, **kw: Any) -> httpx.Response:
        body = {"token": "unused", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
                "event_id": event_id or f"Ev{uuid.uuid4().hex[:10]}", "event_time": int(time.time()),
                "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}], "event": event}
        return self.post(json.dumps(body), "application/json", **kw)

    def command(self, **fields: str) -> httpx.Response:
        base = {"token": "unused", "team_id": "T1", "command": "/ree", "trigger_id": "trig", "api_app_id": "A1"}
        return self.post(urllib.parse.urlencode({**base, **fields}), "application/x-www-form-urlencoded")

    def click(self, action_id: str, value: str, *, channel: str, user: str, response_url: str,
              message: dict[str, Any] | None = None) -> httpx.Response:
        payload = {"type": "block_actions", "user": {"id": user}, "team": {"id": "T1"}, "api_app_id": "A1",
                   "trigger_id": "trig", "channel": {"id": channel}, "response_url": response_url,
                   "container": {"type": "message", "channel_id": channel, "is_ephemeral": message is None,
                                 "message_ts": (message or {}).get("ts", "1.0")},
                   "actions": [{"type": "button", "action_id": action_id, "block_id": "ree_actions",
                                "value": value, "action_ts": f"{time.time():.6f}"}]}
        if message is not None:
            payload["message"] = message
        return self.post(urllib.parse.urlencode({"payload": json.dumps(payload)}),
                         "application/x-www-form-urlencoded")


def _serve(app: Any) -> tuple[Any, threading.Thread, str]:
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    return server, thread, f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture(scope="module")
def served(corpus_indexes: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    from fastapi import FastAPI

    from assistant.core import Assistant
    from assistant.frontends.slack import mount_slack
    from assistant.settings import PathSettings, Settings

    fake = FakeSlack()
    feedback = tmp_path_factory.mktemp("slack-feedback") / "feedback.sqlite3"
    settings = Settings(paths=PathSettings(corpus=ROOT / "corpus", indexes=corpus_indexes, feedback_db=feedback),
                        slack_bot_token="xoxb-test", slack_signing_secret=SECRET, slack_api_url=fake.url + "api/")
    assistant = Assistant(settings)
    app = FastAPI()
    assert mount_slack(app, assistant) is True
    server, thread, url = _serve(app)
    yield Served(fake, url, assistant)
    server.should_exit = True
    thread.join(10)
    fake.close()


def _posts(fake: FakeSlack, channel: str) -> Callable[[dict[str, Any]], bool]:
    return lambda c: c["method"] == "chat.postMessage" and c["data"].get("channel") == channel


def _texts(blocks: list[dict[str, Any]]) -> str:
    """Every piece of text in a list of blocks, one per line (what a reader of the message sees)."""
    out: list[str] = []
    for b in blocks:
        if "text" in b:
            out.append(b["text"]["text"])
        for el in b.get("elements", []):
            out.append(el["text"]["text"] if isinstance(el.get("text"), dict) else el.get("text", ""))
    return "\n".join(out)


def _buttons(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {el["action_id"]: el for b in blocks if b["type"] == "actions" for el in b["elements"]}


def check_limits(blocks: list[dict[str, Any]]) -> None:
    """Slack's Block Kit limits: a message that breaks them is rejected (invalid_blocks)."""
    assert 0 < len(blocks) <= 50
    for b in blocks:
        if b["type"] == "header":
            assert b["text"]["type"] == "plain_text" and len(b["text"]["text"]) <= 150
        elif b["type"] == "section":
            assert 0 < len(b["text"]["text"]) <= 3000
        elif b["type"] == "context":
            assert 0 < len(b["elements"]) <= 10
            assert all(0 < len(e["text"]) <= 3000 for e in b["elements"])
        elif b["type"] == "actions":
            assert len(b["elements"]) <= 25
            for el in b["elements"]:
                assert len(el["value"]) <= 2000 and len(el["text"]["text"]) <= 75
        else:
            assert b["type"] == "divider"
    ids = [el["action_id"] for el in _buttons(blocks).values()]
    assert len(ids) == len(set(ids))


# -- rendering ----------------------------------------------------------------------------------------------
def test_kazakhstan_blocks_match_snapshot(corpus_assistant: Any) -> None:
    from assistant.frontends.slack import answer_blocks

    blocks = answer_blocks(corpus_assistant.ask("Can Kazakhstan make magnets?"))
    check_limits(blocks)
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(json.dumps(blocks, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert blocks == expected, "Slack blocks changed; review and regenerate with UPDATE_SNAPSHOTS=1"
    text = _texts(blocks)
    assert "❌ *Kazakhstan → magnet: no*" in text
    assert "🟡 *deposit* — emerging" in text and "🔴 *magnet* — none" in text
    assert "*Binding gap:* deposit" in text and "*Next steps:*" in text
    assert "*[1]* <https://" in text and "|Kazakhstan: rare-earth value chain profile>" in text
    assert set(_buttons(blocks)) == {"ree_show_sources", "ree_feedback_up", "ree_feedback_down"}


def _checklist(country: str, status: str) -> Checklist:
    return Checklist(country=country, target="magnet", verdict="partly", binding_gap="separation",
                     stages=[StageRow(stage=s, status=status, detail=f"{s} <detail> & more " * 20, as_of="2025-06-01",
                                      citations=[1]) for s in ("deposit", "mining", "separation", "magnet")],
                     next_steps=[NextStep(stage="separation", text="Build solvent extraction.", citations=[2])])


def test_long_comparison_respects_block_kit_limits() -> None:
    from assistant.frontends.slack import answer_blocks, source_blocks

    cites = [Citation(n=i, doc_id=f"d{i}", chunk_id=f"c{i}", title=f"Doc | {i} <b>", publisher="P & Co",
                      url=f"https://example.org/{i}", date="2025-01-01", section="S", quote="q <x> " * 300)
             for i in range(1, 81)]
    answer = Answer(question="Compare Japan and Vietnam? " * 20, answer="A <b>bold</b> & fact [1]. " * 1500,
                    answerable=True, citations=cites, checklist=[_checklist("Japan", "at_scale"),
                                                                 _checklist("Vietnam", "planned")])
    blocks = answer_blocks(answer, share=True)
    check_limits(blocks)
    text = _texts(blocks)
    assert "Gap checklist: Japan up to magnet" in text and "Gap checklist: Vietnam up to magnet" in text
    assert "🟢 *deposit*" in text and "🔵 *deposit*" in text
    assert "answer truncated" in text
    assert "A &lt;b&gt;bold&lt;/b&gt; &amp; fact [1]." in text and "<b>" not in text
    assert "<https://example.org/1|Doc ¦ 1 &lt;b&gt;>" in text
    assert "more: tap *Show sources*" in text
    assert "ree_share" in _buttons(blocks)
    messages = source_blocks(answer)
    assert len(messages) == 2 and sum(len(m) for m in messages) == 81
    for m in messages:
        check_limits(m)
    assert "> q &lt;x&gt;" in _texts(messages[0])


def test_unanswerable_answer_has_no_sources_button() -> None:
    from assistant.frontends.slack import answer_blocks

    blocks = answer_blocks(Answer(question="Best pizza in Rome?", answer="Not covered.", answerable=False))
    check_limits(blocks)
    assert set(_buttons(blocks)) == {"ree_feedback_up", "ree_feedback_down"}


# -- HTTP mode: events ----------------------------------------------------------------------------------------
def test_mention_answers_in_thread_and_follow_up_uses_the_thread(served: Served) -> None:
    fake = served.fake
    r = served.event({"type": "app_mention", "user": "U1", "channel": "CMENTION", "ts": "1700000000.000100",
                      "text": "<@UBOT> Can Kazakhstan make magnets?"})
    assert r.status_code == 200
    post = fake.wait_for(_posts(fake, "CMENTION"))[0]["data"]
    assert post["thread_ts"] == "1700000000.000100"
    assert "Can Kazakhstan make magnets?" in post["text"]
    text = _texts(post["blocks"])
    assert "🟡 *deposit* — emerging" in text and "<https://" in text
    assert set(_buttons(post["blocks"])) == {"ree_show_sources", "ree_feedback_up", "ree_feedback_down"}
    auth = fake.find(lambda c: c["method"] == "chat.postMessage")[0]["auth"]
    assert auth == "Bearer xoxb-test"

    served.event({"type": "app_mention", "user": "U1", "channel": "CMENTION", "ts": "1700000050.000100",
                  "thread_ts": "1700000000.000100", "text": "<@UBOT> and Japan?"})
    follow = fake.wait_for(_posts(fake, "CMENTION"), count=2)[1]["data"]
    assert follow["thread_ts"] == "1700000000.000100"
    assert "Japan → magnet" in _texts(follow["blocks"])  # resolved from the thread's first question
    assert served.assistant.conversations.last("CMENTION:1700000000.000100") is not None


def test_two_threads_are_answered_concurrently(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first thread's answer is held until the second thread's answer has been posted: that can only
    happen when the two are answered in parallel (one global lock would hold the second behind the first)."""
    fake, real_ask = served.fake, served.assistant.ask
    waited: list[bool] = []

    def ask(question: str, conversation_id: str | None = None, **kw: Any) -> Answer:
        answer = real_ask(question, conversation_id=conversation_id, **kw)
        if conversation_id and conversation_id.startswith("CSLOW:"):
            deadline = time.monotonic() + 30
            while not fake.find(_posts(fake, "CFAST")) and time.monotonic() < deadline:
                time.sleep(0.05)
            waited.append(bool(fake.find(_posts(fake, "CFAST"))))
        return answer

    monkeypatch.setattr(served.assistant, "ask", ask)
    served.event({"type": "app_mention", "user": "U1", "channel": "CSLOW", "ts": "1700000100.000100",
                  "text": "<@UBOT> Can Kazakhstan make magnets?"})
    served.event({"type": "app_mention", "user": "U2", "channel": "CFAST", "ts": "1700000101.000100",
                  "text": "<@UBOT> Can Japan make magnets?"})
    fake.wait_for(_posts(fake, "CSLOW"))
    fast = fake.find(_posts(fake, "CFAST"))
    assert waited == [True] and fast, "the second thread waited for the first"
    order = [c["data"]["channel"] for c in fake.find(lambda c: c["data"].get("channel") in ("CSLOW", "CFAST"))]
    assert order[:2] == ["CFAST", "CSLOW"]


def test_retries_and_duplicates_never_answer_twice(served: Served) -> None:
    fake = served.fake
    ev = {"type": "app_mention", "user": "U1", "channel": "CRETRY", "ts": "1700000100.000100",
          "text": "<@UBOT> Can Japan make magnets?"}
    assert served.event(ev, event_id="EvRetry1").status_code == 200
    fake.wait_for(_posts(fake, "CRETRY"))
    again = served.event(ev, event_id="EvRetry1", headers={"X-Slack-Retry-Num": "1",
                                                           "X-Slack-Retry-Reason": "http_timeout"})
    assert again.status_code == 200
    assert served.event(ev, event_id="EvRetry1").status_code == 200  # same event_id, no retry header
    retry_only = served.event({**ev, "ts": "1700000101.000100"}, event_id="EvRetry2",
                              headers={"X-Slack-Retry-Num": "2"})
    assert retry_only.status_code == 200
    # a barrier: a fresh question in the same channel; once it is answered, earlier work is done
    served.event({**ev, "ts": "1700000102.000100", "text": "<@UBOT> Can Vietnam make magnets?"})
    posts = fake.wait_for(_posts(fake, "CRETRY"), count=2)
    time.sleep(1.0)
    posts = fake.find(_posts(fake, "CRETRY"))
    assert [p["data"]["thread_ts"] for p in posts] == ["1700000100.000100", "1700000102.000100"]


def test_bad_signature_and_stale_timestamp_are_refused(served: Served) -> None:
    fake = served.fake
    ev = {"type": "app_mention", "user": "U1", "channel": "CSIG", "ts": "1700000200.000100",
          "text": "<@UBOT> Can Kazakhstan make magnets?"}
    assert served.event(ev, secret="not-the-secret").status_code == 401
    assert served.event(ev, signature="v0=" + "0" * 64).status_code == 401
    assert served.event(ev, ts=int(time.time()) - 6 * 60).status_code == 401
    huge = {**ev, "text": "<@UBOT> " + "magnets " * 40_000}  # ~320 KB, validly signed
    assert served.event(huge).status_code == 413
    assert fake.find(lambda c: c["data"].get("channel") == "CSIG") == []


def test_direct_messages_are_answered_and_bot_messages_ignored(served: Served) -> None:
    fake = served.fake
    base = {"type": "message", "channel": "DUSER", "channel_type": "im", "user": "U3"}
    served.event({**base, "ts": "1700000300.000100", "text": "hello from a bot", "bot_id": "BOTHER"})
    served.event({**base, "ts": "1700000301.000100", "text": "edited", "subtype": "message_changed"})
    served.event({**base, "ts": "1700000302.000100", "text": "a channel message", "channel_type": "channel"})
    served.event({**base, "ts": "1700000303.000100", "text": "Can Japan make magnets?"})
    fake.wait_for(_posts(fake, "DUSER"))
    time.sleep(1.0)
    posts = fake.find(_posts(fake, "DUSER"))
    assert len(posts) == 1 and posts[0]["data"]["thread_ts"] == "1700000303.000100"
    assert "Japan → magnet" in _texts(posts[0]["data"]["blocks"])


def test_errors_reach_the_user_as_a_short_thread_reply(served: Served) -> None:
    fake = served.fake
    served.event({"type": "app_mention", "user": "U1", "channel": "CERR", "ts": "1700000400.000100",
                  "text": "<@UBOT> " + "why " * 700})
    served.event({"type": "app_mention", "user": "U1", "channel": "CERR", "ts": "1700000401.000100",
                  "text": "<@UBOT>"})
    posts = {p["data"]["thread_ts"]: p["data"] for p in fake.wait_for(_posts(fake, "CERR"), count=2)}
    too_long = posts["1700000400.000100"]["text"]
    assert too_long.startswith("⚠️ The question is") and "limit is 2,000" in too_long
    assert "Traceback" not in too_long and len(too_long) < 300
    assert "Can Kazakhstan make magnets?" in posts["1700000401.000100"]["text"]


# -- slash command and buttons ------------------------------------------------------------------------------
def test_slash_command_is_ephemeral_and_share_posts_publicly(served: Served) -> None:
    fake = served.fake
    r = served.command(channel_id="CSLASH", user_id="U2", text="Can Kazakhstan make magnets?",
                       response_url=fake.url + "respond/slash1")
    assert r.status_code == 200 and r.text == ""  # acked at once; the answer follows on response_url
    reply = fake.wait_for(lambda c: c["method"] == "respond/slash1")[0]["data"]
    assert reply["response_type"] == "ephemeral" and reply["replace_original"] is False
    assert "❌ *Kazakhstan → magnet: no*" in _texts(reply["blocks"])
    share = _buttons(reply["blocks"])["ree_share"]
    assert fake.find(_posts(fake, "CSLASH")) == []  # nothing public yet

    served.click("ree_share", share["value"], channel="CSLASH", user="U2", response_url=fake.url + "respond/share1")
    public = fake.wait_for(_posts(fake, "CSLASH"))[0]["data"]
    assert "thread_ts" not in public
    assert "Shared by <@U2>" in _texts(public["blocks"]) and "ree_share" not in _buttons(public["blocks"])
    assert "🔴 *magnet* — none" in _texts(public["blocks"])
    fake.wait_for(lambda c: c["method"] == "respond/share1" and c["data"].get("delete_original") is True)


def test_share_falls_back_to_response_url_when_bot_is_not_in_channel(served: Served) -> None:
    fake = served.fake
    served.command(channel_id="CNOTIN", user_id="U2", text="Can Japan make magnets?",
                   response_url=fake.url + "respond/slash2")
    reply = fake.wait_for(lambda c: c["method"] == "respond/slash2")[0]["data"]
    fake.fail["chat.postMessage"] = "not_in_channel"
    try:
        served.click("ree_share", _buttons(reply["blocks"])["ree_share"]["value"], channel="CNOTIN", user="U2",
                     response_url=fake.url + "respond/share2")
        calls = fake.wait_for(lambda c: c["method"] == "respond/share2", count=2)
    finally:
        fake.fail.clear()
    public = next(c["data"] for c in calls if c["data"].get("response_type") == "in_channel")
    assert "Japan → magnet" in _texts(public["blocks"])
    assert any(c["data"].get("delete_original") is True for c in calls)


def test_show_sources_posts_quotes_in_the_thread(served: Served) -> None:
    fake = served.fake
    served.event({"type": "app_mention", "user": "U1", "channel": "CSRC", "ts": "1700000500.000100",
                  "text": "<@UBOT> Can Kazakhstan make magnets?"})
    answer = fake.wait_for(_posts(fake, "CSRC"))[0]["data"]
    value = _buttons(answer["blocks"])["ree_show_sources"]["value"]
    first = next(line for line in _texts(answer["blocks"]).splitlines() if line.startswith("*[1]* <https://"))
    first_link = first.split("|")[0]  # "*[1]* <https://…": the same link must head the quoted passage
    message = {"type": "message", "ts": "1700000501.000100", "thread_ts": "1700000500.000100"}
    served.click("ree_show_sources", value, channel="CSRC", user="U1", message=message,
                 response_url=fake.url + "respond/src1")
    sources = fake.wait_for(_posts(fake, "CSRC"), count=2)[1]["data"]
    assert sources["thread_ts"] == "1700000500.000100"
    text = _texts(sources["blocks"])
    assert first_link in text and "\n> " in text
    check_limits(sources["blocks"])

    # after a restart the answer is no longer in memory: the click asks again instead of failing
    stale = json.dumps({**json.loads(value), "k": "0" * 16})
    served.click("ree_show_sources", stale, channel="CSRC", user="U1", message=message,
                 response_url=fake.url + "respond/src2")
    again = fake.wait_for(_posts(fake, "CSRC"), count=3)[2]["data"]
    assert first_link in _texts(again["blocks"])


def test_feedback_buttons_land_in_the_sqlite_store(served: Served) -> None:
    from assistant.state.feedback import FeedbackStore

    fake = served.fake
    served.event({"type": "app_mention", "user": "U7", "channel": "CFB", "ts": "1700000600.000100",
                  "text": "<@UBOT> Can Kazakhstan make magnets?"})
    answer = fake.wait_for(_posts(fake, "CFB"))[0]["data"]
    buttons = _buttons(answer["blocks"])
    message = {"type": "message", "ts": "1700000601.000100", "thread_ts": "1700000600.000100"}
    served.click("ree_feedback_up", buttons["ree_feedback_up"]["value"], channel="CFB", user="U7",
                 message=message, response_url=fake.url + "respond/fb1")
    served.click("ree_feedback_down", buttons["ree_feedback_down"]["value"], channel="CFB", user="U8",
                 message=message, response_url=fake.url + "respond/fb2")
    thanks = fake.wait_for(lambda c: c["method"] in ("respond/fb1", "respond/fb2"), count=2)
    assert all(c["data"]["response_type"] == "ephemeral" and "Thanks" in c["data"]["text"] for c in thanks)
    rows = [r for r in FeedbackStore(served.assistant.settings.paths.feedback_path).all()
            if r["conversation_id"] == "CFB:1700000600.000100"]
    assert sorted((r["user"], r["rating"]) for r in rows) == [("U7", 1), ("U8", -1)]
    assert all(r["source"] == "slack" and r["question"] == "Can Kazakhstan make magnets?" for r in rows)
    assert all(r["answer"].startswith("No: Kazakhstan") for r in rows)


# -- configuration ------------------------------------------------------------------------------------------
def test_without_tokens_the_server_starts_without_the_bot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    from fastapi import FastAPI

    from assistant.core import Assistant
    from assistant.frontends.slack import DISABLED, mount_slack, run_socket_mode
    from assistant.settings import PathSettings, Settings

    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assistant = Assistant(Settings(paths=PathSettings(corpus=tmp_path, indexes=tmp_path / "idx")))
    app = FastAPI()
    with caplog.at_level(logging.INFO, logger="assistant.frontends.slack"):
        assert mount_slack(app, assistant) is False
    assert [r.getMessage() for r in caplog.records if r.name == "assistant.frontends.slack"] == [DISABLED]
    assert "/slack/events" not in {getattr(r, "path", "") for r in app.routes}

    from assistant.errors import InputError

    with pytest.raises(InputError, match="SLACK_APP_TOKEN"):
        run_socket_mode(assistant)


def test_tokens_come_from_the_standard_slack_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.settings import Settings

    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-env")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret-from-env")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-from-env")
    monkeypatch.setenv("REE_SLACK_API_URL", "http://127.0.0.1:9/api/")
    settings = Settings()
    assert settings.slack_bot_token is not None and settings.slack_bot_token.get_secret_value() == "xoxb-from-env"
    assert settings.slack_signing_secret is not None
    assert settings.slack_app_token is not None and settings.slack_app_token.get_secret_value() == "xapp-from-env"
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert "xoxb-from-env" not in repr(settings)


def test_slash_map_is_a_compact_block_kit_table(served: Served) -> None:
    fake = served.fake
    r = served.command(channel_id="CMAP", user_id="U3", text="map separation at_scale outside China",
                       response_url=fake.url + "respond/map1")
    assert r.status_code == 200 and r.text == ""
    reply = fake.wait_for(lambda c: c["method"] == "respond/map1")[0]["data"]
    assert reply["response_type"] == "ephemeral"
    check_limits(reply["blocks"])
    text = _texts(reply["blocks"])
    want = served.assistant.capability_map(stage="separation", status="at_scale", region="outside China")
    assert f"{len(want.rows)} of {want.countries_total} countries · separation at scale · outside China" in text
    for row in want.rows:
        line = next(x for x in text.splitlines() if f"*{row.country}*" in x)
        assert line.startswith("".join({"at_scale": "🟢", "emerging": "🟡", "planned": "🔵", "none": "🔴",
                                         "unknown": "⚪"}[c.status] for c in row.cells))
    assert "*China*" not in text and "🟢 at scale" in text

    served.command(channel_id="CMAP", user_id="U3", text="map separation booming",
                   response_url=fake.url + "respond/map2")
    bad = fake.wait_for(lambda c: c["method"] == "respond/map2")[0]["data"]
    assert "Unknown region 'booming'" in bad["text"]
