"""Slack front end: mentions and DMs answered in the thread, `/ree` answered privately with a Share button.

A thin renderer over `Assistant.ask`: `answer_blocks(answer)` turns the same `Answer` every front end gets into
Block Kit (verdict, answer text, gap checklist, citations, buttons), within Slack's limits. Two ways to run it:

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
from assistant.types import STATUS_LABEL, Answer, Checklist, Citation

log = logging.getLogger(__name__)

DISABLED = "Slack bot disabled: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to enable it"
STATUS_EMOJI = {"at_scale": "🟢", "emerging": "🟡", "planned": "🔵", "none": "🔴", "unknown": "⚪"}
VERDICT_EMOJI = {"yes": "✅", "partly": "🌗", "not yet": "⏳", "no": "❌"}
LEGEND = "  ".join(f"{STATUS_EMOJI[s]} {STATUS_LABEL[s]}" for s in STATUS_EMOJI)

# Block Kit limits (https://api.slack.com/reference/block-kit/blocks)
MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_BUTTON_VALUE = 2000
MAX_ANSWER_SECTIONS = 6
SOURCES_PER_MESSAGE = 45

ACTION_SOURCES = "ree_show_sources"
ACTION_UP = "ree_feedback_up"
ACTION_DOWN = "ree_feedback_down"
ACTION_SHARE = "ree_share"

SORRY = "Sorry, something went wrong on my side while answering that. Please try again in a moment."
USAGE = "Ask me about rare-earth supply chains, e.g. *Can Kazakhstan make magnets?*"


# -- rendering (pure) ----------------------------------------------------------------------------------
def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def link(url: str, title: str) -> str:
    title = escape(title or url or "untitled").replace("|", "¦")
    if re.fullmatch(r"https?://[^\s<>|]+", url or ""):
        return f"<{url}|{title}>"
    return title


def mrkdwn(text: str) -> str:
    """Answer text to mrkdwn: escape, then Markdown **bold** to Slack *bold*. [n] markers stay as they are."""
    return re.sub(r"\*\*(.+?)\*\*", r"*\1*", escape(text))


def split_text(text: str, limit: int = MAX_SECTION) -> list[str]:
    """Split at paragraph, then sentence, then word boundaries so that each piece fits a section."""
    pieces: list[str] = []
    current = ""
    units = re.split(r"(?<=\n\n)|(?<=[.!?\]]) (?=\S)", text)
    for unit in units:
        while len(unit) > limit:  # one enormous sentence: cut at a space
            cut = unit.rfind(" ", 0, limit) if " " in unit[:limit] else limit
            cut = cut if cut > 0 else limit
            if current:
                pieces.append(current)
                current = ""
            pieces.append(unit[:cut])
            unit = unit[cut:].lstrip()
        sep = "" if not current or current.endswith("\n") else " "
        if len(current) + len(sep) + len(unit) > limit:
            pieces.append(current)
            current = unit
        else:
            current = current + sep + unit
    if current.strip():
        pieces.append(current)
    return [p.strip() for p in pieces if p.strip()]


def answer_key(answer: Answer) -> str:
    """A stable key for an answer (button values carry it so clicks find the answer again)."""
    raw = json.dumps(answer.to_json(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION)}}


def _context(*texts: str) -> dict[str, Any]:
    return {"type": "context",
            "elements": [{"type": "mrkdwn", "text": clip(t, MAX_SECTION)} for t in texts[:MAX_CONTEXT_ELEMENTS]]}


def _cites(ns: list[int]) -> str:
    return (" " + "".join(f"[{n}]" for n in ns)) if ns else ""


def _verdict_line(cl: Checklist) -> str:
    verdict = cl.verdict or "not assessed"
    emoji = VERDICT_EMOJI.get(cl.verdict or "", "❔")
    line = f"{emoji} *{escape(cl.country)} → {escape(cl.target)}: {verdict}*"
    if cl.binding_gap:
        line += f"  ·  binding gap: *{escape(cl.binding_gap)}*"
    return line


def checklist_blocks(cl: Checklist) -> list[dict[str, Any]]:
    """The gap checklist as a compact table: one line per stage, then the binding gap and next steps."""
    lines = [f"*Gap checklist: {escape(cl.country)} up to {escape(cl.target)}*"]
    for row in cl.stages:
        label = STATUS_LABEL.get(row.status, row.status)
        line = (f"{STATUS_EMOJI.get(row.status, '⚪')} *{escape(row.stage)}* — {label}"
                f": {escape(clip(row.detail, 110))}{_cites(row.citations)}")
        if row.inferred:
            line += " _(inferred)_"
        if row.stage == cl.binding_gap:
            line += "  ⬅ *binding gap*"
        lines.append(line)
    blocks = [_section("\n".join(lines))]
    gap = [f"*Binding gap:* {escape(cl.binding_gap) if cl.binding_gap else 'none: every stage is in place'}"]
    if cl.next_steps:
        gap.append("*Next steps:*")
        gap += [f"• *{escape(s.stage)}*: {escape(clip(s.text, 200))}{_cites(s.citations)}" for s in cl.next_steps]
    blocks.append(_section("\n".join(gap)))
    notes = [LEGEND]
    if cl.note:
        notes.append(escape(cl.note))
    as_of = max((r.as_of for r in cl.stages if r.as_of), default="")
    if as_of:
        notes.append(f"as of {as_of}")
    blocks.append(_context(*notes))
    return blocks


def map_args(text: str) -> dict[str, str]:
    """`/ree map [target=magnet] [STAGE STATUS] [region]` → capability_map() arguments."""
    from assistant.views.capmap import parse_filter

    return parse_filter(" ".join(text.split()[1:]))


PROJECT_FILTERS = ("country", "region", "stage", "phase", "support", "expected_by")


def projects_args(text: str) -> dict[str, Any]:
    """`/ree projects [country=…] [region=…] [stage=…] [phase=…] [support=…] [expected_by=YEAR]` → projects()
    arguments; an unknown key or a bad year is an InputError naming the choices."""
    args: dict[str, Any] = {}
    for part in text.split()[1:]:
        key, sep, value = part.partition("=")
        if not sep or key not in PROJECT_FILTERS or not value:
            raise InputError(f"Use key=value filters: {', '.join(PROJECT_FILTERS)} (got '{part[:30]}').",
                             field="text")
        if key == "expected_by":
            if not value.isdigit():
                raise InputError("expected_by is a year, such as 2027.", field="expected_by")
            args[key] = int(value)
        else:
            args[key] = value.replace("_", " ") if key in ("country", "region") else value
    return args


def projects_blocks(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The projects as one line each: name, country, phase, capacity, first output."""
    lines = [f"*{escape(r['name'])}* · {escape(r['country'])} · {escape(', '.join(r['stages']))} · "
             f"{escape(r['phase'])}" + (f" · {escape(r['capacity'])}" if r["capacity"] else "")
             + (f" · first output {r['first_output']}" if r["first_output"] else "") for r in rows]
    blocks = [_section(f"*Projects* · {len(rows)} match")]
    blocks += [_section(part) for part in split_text("\n".join(lines) or "No project matches these filters.")
               ][: MAX_BLOCKS - 2]
    blocks.append(_context("From the registry of projects and facilities; `ree projects --csv` gives the table."))
    return blocks


def map_blocks(cmap: Any) -> list[dict[str, Any]]:
    """The capability map as a compact Block Kit table: one line per country, one emoji per stage."""
    title = (f"*Capability map: verdict up to {escape(cmap.target)}* · {len(cmap.rows)} of {cmap.countries_total} "
             "countries")
    if cmap.stage and cmap.status:
        title += f" · {escape(cmap.stage)} {STATUS_LABEL.get(cmap.status, cmap.status)}"
    if cmap.region:
        title += f" · {escape(cmap.region)}"
    lines = []
    for r in cmap.rows:
        cells = "".join(STATUS_EMOJI[c.status] for c in r.cells)
        verdict = f"{VERDICT_EMOJI.get(r.verdict or '', '❔')} {r.verdict or 'not assessed'}"
        gap = f" · gap: {escape(r.binding_gap)}" if r.binding_gap else ""
        lines.append(f"{cells}  *{escape(r.country)}* {verdict}{gap}")
    if not lines:
        lines = ["No country matches these filters."]
    blocks = [_section(title)]
    blocks += [_section(part) for part in split_text("\n".join(lines))][: MAX_BLOCKS - 2]
    blocks.append(_context(LEGEND, "columns: " + " · ".join(cmap.stages)))
    return blocks


def _citation_text(c: Citation) -> str:
    bits = [f"*[{c.n}]* {link(c.url, c.title)}"]
    if c.publisher:
        bits.append(escape(c.publisher))
    if c.date:
        bits.append(c.date)
    return " · ".join(bits)


def button_value(answer: Answer) -> str:
    data: dict[str, Any] = {"k": answer_key(answer), "q": clip(answer.question, 700), "c": answer.conversation_id}
    if answer.resolved_question:
        data["r"] = clip(answer.resolved_question, 700)
    value = json.dumps(data, ensure_ascii=False)
    return value[:MAX_BUTTON_VALUE]


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "text": {"type": "plain_text", "text": text, "emoji": True},
                              "action_id": action_id, "value": value}
    if style:
        button["style"] = style
    return button


def answer_blocks(answer: Answer, *, share: bool = False, shared_by: str | None = None) -> list[dict[str, Any]]:
    """Block Kit for an Answer: verdict, answer text, checklist(s), citations, buttons. At most 50 blocks."""
    head: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": clip(answer.question, MAX_HEADER), "emoji": True}}]
    checklists = answer.checklists()
    if checklists:
        head.append(_section("\n".join(_verdict_line(cl) for cl in checklists)))
    pieces = split_text(mrkdwn(answer.answer)) or ["_(no answer text)_"]
    if len(pieces) > MAX_ANSWER_SECTIONS:
        left = sum(len(p) for p in pieces[MAX_ANSWER_SECTIONS:])
        pieces = pieces[:MAX_ANSWER_SECTIONS]
        pieces[-1] = clip(pieces[-1], MAX_SECTION - 120) + f"\n_…answer truncated ({left:,} more characters)._"
    head += [_section(p) for p in pieces]
    notes = []
    if answer.resolved_question:
        notes.append(f"Understood as: _{escape(clip(answer.resolved_question, 500))}_")
    notes += [f"⚠️ {escape(n)}" for n in answer.notices]
    if shared_by:
        notes.append(f"Shared by <@{shared_by}>")
    if notes:
        head.append(_context(*notes))
    for cl in checklists:
        head.append({"type": "divider"})
        head += checklist_blocks(cl)

    value = button_value(answer)
    buttons = []
    if answer.citations:
        buttons.append(_button("Show sources", ACTION_SOURCES, value))
    buttons += [_button("👍", ACTION_UP, value), _button("👎", ACTION_DOWN, value)]
    if share:
        buttons.append(_button("Share to channel", ACTION_SHARE, value, style="primary"))
    tail = [{"type": "actions", "block_id": "ree_actions", "elements": buttons}]

    cites: list[dict[str, Any]] = []
    if answer.citations:
        room = MAX_BLOCKS - len(head) - len(tail) - 1  # 1 for the divider above the sources (head is <= 17)
        items = [_citation_text(c) for c in answer.citations]
        if len(items) <= room:
            cites = [_context(t) for t in items]
        else:
            cites = [_context(t) for t in items[: room - 1]]
            rest = items[room - 1:]
            shown = rest[: MAX_CONTEXT_ELEMENTS - 1]
            more = len(rest) - len(shown)
            extra = [*shown, f"…and {more} more: tap *Show sources*"] if more else shown
            cites.append(_context(*extra))
        cites.insert(0, {"type": "divider"})
    return (head + cites + tail)[:MAX_BLOCKS]


def source_blocks(answer: Answer) -> list[list[dict[str, Any]]]:
    """The quoted passages behind the citations, as one or more messages of blocks."""
    blocks: list[dict[str, Any]] = []
    for c in answer.citations:
        where = " · ".join(x for x in [escape(c.publisher), c.date, escape(c.section),
                                         f"p. {c.page}" if c.page else ""] if x)
        quote = "\n".join("> " + line for line in escape(clip(c.quote, 2400)).splitlines() if line.strip())
        blocks.append(_section(f"*[{c.n}]* {link(c.url, c.title)}\n{where}\n{quote}"))
    if not blocks:
        return [[_section("_This answer cites no sources._")]]
    title = {"type": "header",
             "text": {"type": "plain_text", "text": clip(f"Sources: {answer.question}", MAX_HEADER), "emoji": True}}
    step = SOURCES_PER_MESSAGE
    return [([title] if i == 0 else []) + blocks[i: i + step] for i in range(0, len(blocks), step)]


def fallback_text(answer: Answer) -> str:
    """The plain `text` that notifications and screen readers show."""
    verdicts = "; ".join(f"{cl.country}: {cl.verdict or 'not assessed'}" for cl in answer.checklists())
    head = f"{answer.question} ({verdicts})" if verdicts else answer.question
    return clip(f"{head}\n{answer.answer}", 2900)


def question_from(text: str) -> str:
    """A message's text without bot mentions, with Slack's own escaping undone."""
    text = re.sub(r"<@[A-Z0-9]+(\|[^>]*)?>", " ", text or "")
    text = re.sub(r"<(https?://[^|>]+)\|([^>]+)>", r"\2", text)
    text = re.sub(r"<(https?://[^>]+)>", r"\1", text)
    return re.sub(r"\s+", " ", text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")).strip()


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
            view = self._views().get(text.strip().lower().split()[0] if text.strip() else "")
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

    def _views(self) -> dict[str, Any]:
        """The slash command's views by their first word: each takes the command text and gives (blocks, text)."""
        def capability_map(text: str) -> tuple[list[dict[str, Any]], str]:
            cmap = self.assistant.capability_map(**map_args(text))
            return map_blocks(cmap), f"Capability map up to {cmap.target}: {len(cmap.rows)} countries"

        def projects(text: str) -> tuple[list[dict[str, Any]], str]:
            rows = self.assistant.projects(**projects_args(text))
            return projects_blocks(rows), f"Projects: {len(rows)} match"

        return {"map": capability_map, "projects": projects}

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


__all__ = ["SlackBot", "answer_blocks", "mount_slack", "run_socket_mode", "source_blocks"]
