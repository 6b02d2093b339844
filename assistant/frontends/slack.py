"""Slack front end: mentions and DMs answered in the thread, `/ree` answered privately with a Share button.

A thin renderer over `Assistant.ask`: `answer_blocks(answer)` turns the same `Answer` every front end gets into
Block Kit (verdict, answer text, gap checklist, citations, buttons), within Slack's limits. This module is the bot
(events, threads, buttons) and how it runs; the blocks are drawn in `slack_blocks`, the `/ree` command's words
parsed in `slack_commands`. Two ways to run it:

- HTTP: `mount_slack(fastapi_app, assistant)` adds `POST /slack/events` (signing-secret verified) to the server.
- Socket Mode: `run_socket_mode(assistant)` (the `ree slack` command) needs SLACK_APP_TOKEN.

slack_bolt and slack_sdk are imported lazily, when a bot is actually built.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
from collections import OrderedDict
from typing import Any

from assistant.errors import InputError, ReeError
from assistant.frontends.slack_blocks import (
    ACTION_DOWN,
    ACTION_SHARE,
    ACTION_SOURCES,
    ACTION_UP,
    answer_blocks,
    answer_key,
    fallback_text,
    source_blocks,
)
from assistant.frontends.slack_commands import projects_args, question_from, views
from assistant.types import Answer

log = logging.getLogger(__name__)

DISABLED = "Slack bot disabled: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to enable it"
SORRY = "Sorry, something went wrong on my side while answering that. Please try again in a moment."
USAGE = "Ask me about rare-earth supply chains, e.g. *Can Kazakhstan make magnets?*"


# -- the bot -------------------------------------------------------------------------------------------
class SlackBot:
    """A bolt App wired to an Assistant. Listeners ack at once; answers are posted from bolt's worker threads."""

    def __init__(self, assistant: Any, *, socket_mode: bool = False) -> None:
        from slack_bolt import App
        from slack_sdk import WebClient

        settings = assistant.settings
        if settings.slack_bot_token is None:
            raise InputError("The Slack bot needs a bot token: set SLACK_BOT_TOKEN (xoxb-…).", field="SLACK_BOT_TOKEN")
        self.assistant = assistant
        self.client = WebClient(token=settings.slack_bot_token.get_secret_value(),
                                base_url=settings.slack_api_url or WebClient.BASE_URL)
        secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
        from concurrent.futures import ThreadPoolExecutor

        # Events are answered on a bounded pool, in parallel; turns of one conversation (a Slack thread) keep
        # their order through a per-conversation lock, so "And Japan?" always follows its question.
        self.executor = ThreadPoolExecutor(max_workers=settings.slack_workers, thread_name_prefix="ree-slack")
        self.app = App(client=self.client, signing_secret=secret, process_before_response=False,
                       token_verification_enabled=False, request_verification_enabled=not socket_mode,
                       name="ree-assistant", listener_executor=self.executor)
        self._lock = threading.Lock()
        self._turns = [threading.Lock() for _ in range(64)]  # striped by conversation id
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._answers: OrderedDict[str, Answer] = OrderedDict()
        self._register()

    # bookkeeping
    def _first_time(self, key: str) -> bool:
        with self._lock:
            if key in self._seen:
                return False
            self._seen[key] = time.time()
            while len(self._seen) > 5000:
                self._seen.popitem(last=False)
            return True

    def _remember(self, answer: Answer) -> None:
        with self._lock:
            self._answers[answer_key(answer)] = answer
            while len(self._answers) > 500:
                self._answers.popitem(last=False)

    def _ask(self, question: str, conversation_id: str | None) -> Answer:
        if conversation_id is None:
            answer = self.assistant.ask(question, conversation_id=None)
        else:
            with self._turns[int(hashlib.sha256(conversation_id.encode()).hexdigest()[:8], 16) % len(self._turns)]:
                answer = self.assistant.ask(question, conversation_id=conversation_id)
        self._remember(answer)
        return answer

    def _recall(self, value: dict[str, Any]) -> Answer:
        """The answer a button belongs to: from memory, or asked again (after a restart)."""
        with self._lock:
            answer = self._answers.get(value.get("k", ""))
        if answer is not None:
            return answer
        question = value.get("r") or value.get("q") or ""
        answer = self._ask(question, None)
        return answer.model_copy(update={"question": value.get("q") or question,
                                         "conversation_id": value.get("c")})

    # listeners
    def _register(self) -> None:
        from slack_bolt import BoltResponse

        app = self.app

        @app.middleware
        def drop_retries(request: Any, body: dict[str, Any], next: Any) -> Any:  # noqa: A002 - bolt's name
            """Slack re-sends events it thinks were missed; one question gets one answer."""
            retry = request.headers.get("x-slack-retry-num")
            event_id = body.get("event_id") if isinstance(body, dict) else None
            if retry or (event_id and not self._first_time(f"event:{event_id}")):
                log.info("Slack: ignoring a repeated event (%s, retry %s)", event_id, retry and retry[0])
                return BoltResponse(status=200, body="", headers={"X-Slack-No-Retry": "1"})
            return next()

        @app.event("app_mention")
        def on_mention(event: dict[str, Any]) -> None:
            self.answer_event(event)

        @app.event("message")
        def on_message(event: dict[str, Any]) -> None:
            if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
                return
            self.answer_event(event)

        @app.command("/ree")
        def on_command(ack: Any, command: dict[str, Any], respond: Any) -> None:
            text = command.get("text") or ""
            view = views(self.assistant).get(text.strip().lower().split()[0] if text.strip() else "")
            if view is not None:  # `/ree map …`, `/ree projects …`: a view, not a question
                ack()
                try:
                    blocks, summary = view(text)
                except Exception as exc:  # noqa: BLE001 - the user gets a short message, the log the detail
                    respond(response_type="ephemeral", replace_original=False, text=self._error_text(exc))
                    return
                respond(response_type="ephemeral", replace_original=False, blocks=blocks, text=summary)
                return
            question = question_from(command.get("text", ""))
            if not question:
                ack(response_type="ephemeral", text=f"Usage: `/ree <question>`. {USAGE}")
                return
            ack()
            conversation = f"{command.get('channel_id')}:{command.get('user_id')}"
            try:
                answer = self._ask(question, conversation)
            except Exception as exc:  # noqa: BLE001 - the user gets a short message, the log the detail
                respond(response_type="ephemeral", replace_original=False, text=self._error_text(exc))
                return
            respond(response_type="ephemeral", replace_original=False, text=fallback_text(answer),
                    blocks=answer_blocks(answer, share=True))

        @app.action(ACTION_SOURCES)
        def on_sources(ack: Any, body: dict[str, Any], respond: Any) -> None:
            ack()
            self._on_click(body, respond, self._show_sources)

        @app.action(re.compile(f"^({ACTION_UP}|{ACTION_DOWN})$"))
        def on_feedback(ack: Any, body: dict[str, Any], respond: Any) -> None:
            ack()
            self._on_click(body, respond, self._record_feedback)

        @app.action(ACTION_SHARE)
        def on_share(ack: Any, body: dict[str, Any], respond: Any) -> None:
            ack()
            self._on_click(body, respond, self._share)

        @app.error
        def on_error(error: Exception, body: dict[str, Any]) -> None:
            log.error("Slack: unhandled error: %s", error, exc_info=error)

    def answer_event(self, event: dict[str, Any]) -> None:
        """Answer a mention or DM in its thread; the thread is the conversation."""
        channel, ts = event.get("channel", ""), event.get("ts", "")
        if not self._first_time(f"msg:{channel}:{ts}"):
            return
        thread = event.get("thread_ts") or ts
        question = question_from(event.get("text", ""))
        if not question:
            self._post(channel=channel, thread_ts=thread, text=USAGE)
            return
        try:
            answer = self._ask(question, f"{channel}:{thread}")
        except Exception as exc:  # noqa: BLE001
            self._post(channel=channel, thread_ts=thread, text=self._error_text(exc))
            return
        self._post(channel=channel, thread_ts=thread, text=fallback_text(answer), blocks=answer_blocks(answer))

    def _post(self, **kwargs: Any) -> None:
        try:
            self.client.chat_postMessage(**kwargs)
        except Exception as exc:  # noqa: BLE001 - nothing more we can tell the user; say it in the log
            log.error("Slack: could not post to %s: %s", kwargs.get("channel"), exc)

    @staticmethod
    def _error_text(exc: Exception) -> str:
        if isinstance(exc, ReeError):
            return f"⚠️ {exc.message}"
        log.error("Slack: answering failed: %s", exc, exc_info=exc)
        return f"⚠️ {SORRY}"

    def _on_click(self, body: dict[str, Any], respond: Any, handler: Any) -> None:
        action = (body.get("actions") or [{}])[0]
        container = body.get("container") or {}
        message = body.get("message") or {}
        click = {
            "action_id": action.get("action_id", ""),
            "user": (body.get("user") or {}).get("id"),
            "channel": (body.get("channel") or {}).get("id") or container.get("channel_id"),
            "ephemeral": bool(container.get("is_ephemeral")) or not message,
            "thread_ts": message.get("thread_ts") or message.get("ts") or container.get("message_ts"),
        }
        try:
            value = json.loads(action.get("value") or "{}")
            handler(value, click, respond)
        except Exception as exc:  # noqa: BLE001
            respond(response_type="ephemeral", replace_original=False, text=self._error_text(exc))

    def _show_sources(self, value: dict[str, Any], click: dict[str, Any], respond: Any) -> None:
        answer = self._recall(value)
        for blocks in source_blocks(answer):
            text = f"Sources for: {answer.question}"
            if click["ephemeral"]:
                respond(response_type="ephemeral", replace_original=False, text=text, blocks=blocks)
            else:
                self._post(channel=click["channel"], thread_ts=click["thread_ts"], text=text, blocks=blocks)

    def _record_feedback(self, value: dict[str, Any], click: dict[str, Any], respond: Any) -> None:
        answer = self._recall(value)
        rating = 1 if click["action_id"] == ACTION_UP else -1
        self.assistant.feedback(question=value.get("q") or answer.question, answer=answer.answer, rating=rating,
                                source="slack", conversation_id=value.get("c"), user=click["user"])
        respond(response_type="ephemeral", replace_original=False,
                text=f"Thanks for the feedback {'👍' if rating == 1 else '👎'}: it is recorded and helps us improve.")

    def _share(self, value: dict[str, Any], click: dict[str, Any], respond: Any) -> None:
        answer = self._recall(value)
        blocks = answer_blocks(answer, shared_by=click["user"])
        try:
            self.client.chat_postMessage(channel=click["channel"], text=fallback_text(answer), blocks=blocks)
        except Exception as exc:  # noqa: BLE001 - e.g. not_in_channel: the response_url can still post there
            log.info("Slack: chat.postMessage failed (%s); sharing through response_url", exc)
            respond(response_type="in_channel", replace_original=False, text=fallback_text(answer), blocks=blocks)
        respond(delete_original=True)


# -- running it ----------------------------------------------------------------------------------------
MAX_SLACK_BODY = 256 * 1024


def mount_slack(app: Any, assistant: Any) -> bool:
    """Add `POST /slack/events` to a FastAPI app when the tokens are set; otherwise say so in one line."""
    settings = assistant.settings
    if settings.slack_bot_token is None or settings.slack_signing_secret is None:
        log.warning(DISABLED)
        return False
    from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
    from starlette.concurrency import run_in_threadpool

    bot = SlackBot(assistant)

    async def slack_events(request: Any) -> Any:
        from starlette.responses import JSONResponse

        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_SLACK_BODY:
            return JSONResponse({"error": "request too large"}, status_code=413)
        body = b""
        async for part in request.stream():
            body += part
            if len(body) > MAX_SLACK_BODY:  # Slack's own payloads are a few KB; refuse before verifying
                return JSONResponse({"error": "request too large"}, status_code=413)
        # bolt's dispatch is synchronous (it waits for ack, up to Slack's 3 s): keep it off the event loop
        response = await run_in_threadpool(bot.app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(response)

    app.add_route("/slack/events", slack_events, methods=["POST"], include_in_schema=False)
    app.state.slack_bot = bot
    log.info("Slack bot enabled: POST /slack/events")
    return True


def run_socket_mode(assistant: Any) -> None:
    """`ree slack`: connect to Slack over a websocket (no public URL needed) and answer until Ctrl-C."""
    settings = assistant.settings
    if settings.slack_app_token is None:
        raise InputError("Socket Mode needs an app-level token: set SLACK_APP_TOKEN (xapp-…, scope "
                         "connections:write). See docs/slack.md.", field="SLACK_APP_TOKEN")
    if settings.slack_bot_token is None:
        raise InputError("The Slack bot needs a bot token: set SLACK_BOT_TOKEN (xoxb-…). See docs/slack.md.",
                         field="SLACK_BOT_TOKEN")
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    assistant.ensure_index()
    bot = SlackBot(assistant, socket_mode=True)
    handler = SocketModeHandler(bot.app, settings.slack_app_token.get_secret_value(), web_client=bot.client)
    print("REE Assistant Slack bot: connected in Socket Mode. Press Ctrl-C to stop.")
    handler.start()


__all__ = ["DISABLED", "SlackBot", "answer_blocks", "mount_slack", "projects_args", "run_socket_mode", "source_blocks"]
