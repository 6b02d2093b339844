"""The web chat UI (Gradio Blocks), mounted at / on the same FastAPI app as the HTTP API.

Everything shown that comes from a document or an answer is HTML-escaped here: a poisoned document must
render as text, never run. No outside host is contacted: analytics off, system fonts only, no CDN.
"""

from __future__ import annotations

import logging
import os
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import ReeError
from assistant.frontends.web_html import (
    answer_html,
    answer_markdown,
    checklist_html,
    cite_links,
    esc,
    ingest_html,
    sources_html,
    sources_table,
    stale_html,
    verdict_badge,
)
from assistant.types import KINDS, STAGES, Answer, Filters

if TYPE_CHECKING:
    import gradio as gr
    from fastapi import FastAPI

    from assistant.core import Assistant
    from assistant.service import IndexStatus

log = logging.getLogger("ree.web")

EXAMPLES = ("Can Kazakhstan make magnets?", "And Japan?", "Kazakhstan vs Vietnam",
            "What was world rare-earth mine production in 2024?")

CSS = """
.ree-header h1 { margin: 0 0 .2rem 0; font-size: 1.5rem; }
.ree-header p { margin: 0; opacity: .8; }
.verdict { display: inline-block; padding: .15rem .6rem; border-radius: 999px; font-weight: 700;
  font-size: .85rem; color: #fff; text-transform: uppercase; letter-spacing: .03em; }
.v-yes { background: #15803d; } .v-partly { background: #ca8a04; color: #111; }
.v-not-yet { background: #1d4ed8; } .v-no { background: #b91c1c; } .v-none { background: #6b7280; }
.answer p { margin: .3rem 0; }
a.cite { text-decoration: none; font-weight: 600; font-size: .8em; vertical-align: super; padding: 0 .1em;
  color: #1d4ed8; cursor: pointer; }
.cl-row { display: flex; flex-wrap: wrap; gap: .8rem; }
.cl-card { flex: 1 1 320px; min-width: 0; border: 1px solid #d1d5db; border-radius: .5rem; padding: .6rem; }
.cl-card h3 { margin: 0 0 .4rem 0; font-size: 1.05rem; }
.cl-table { width: 100%; border-collapse: collapse; font-size: .85rem; table-layout: auto; }
.cl-table th, .cl-table td { border-bottom: 1px solid #e5e7eb; padding: .25rem .35rem; text-align: left;
  vertical-align: top; }
.cl-table td.detail { overflow-wrap: anywhere; } .cl-table td.nw, .cl-table th { white-space: nowrap; }
.st { display: inline-block; padding: .05rem .45rem; border-radius: .3rem; font-weight: 600; white-space: nowrap; }
.st-at_scale { background: #bbf7d0; color: #14532d; } .st-emerging { background: #fef08a; color: #713f12; }
.st-planned { background: #bfdbfe; color: #1e3a8a; } .st-none { background: #fecaca; color: #7f1d1d; }
.st-unknown { background: #e5e7eb; color: #374151; }
tr.binding td { background: rgba(254, 202, 202, .35); }
.src { border-left: 3px solid #93c5fd; padding: .3rem .6rem; margin: .5rem 0; font-size: .88rem; }
.src.flash { background: #fef9c3; }
.src .meta { opacity: .8; font-size: .8rem; }
.src blockquote { margin: .3rem 0; padding: 0; border: 0; white-space: pre-wrap; max-height: 14rem;
  overflow: auto; }
.src details summary { cursor: pointer; font-size: .8rem; opacity: .8; }
#sources { max-height: 36rem; overflow-y: auto; }
.src mark { background: #fde68a; color: inherit; padding: 0 .1em; }
.sources-table { width: 100%; border-collapse: collapse; font-size: .85rem; }
.sources-table th, .sources-table td { border-bottom: 1px solid #e5e7eb; padding: .2rem .35rem; text-align: left;
  overflow-wrap: anywhere; }
.ingest-errors li { color: #b91c1c; }
@media (max-width: 640px) { .cl-table { font-size: .78rem; } .ree-header h1 { font-size: 1.2rem; } }
"""

# Clicking an [n] marker scrolls the sources panel to passage n (a delegated listener: no inline handlers).
HEAD = """
<script>
document.addEventListener('click', function (e) {
  var a = e.target && e.target.closest ? e.target.closest('a.cite') : null;
  if (!a) return;
  var id = (a.getAttribute('href') || '').replace('#', '');
  var el = id ? document.getElementById(id) : null;
  e.preventDefault(); e.stopPropagation();
  if (!el) return;
  el.scrollIntoView({behavior: 'smooth', block: 'center'});
  el.classList.add('flash'); setTimeout(function () { el.classList.remove('flash'); }, 1600);
}, true);
</script>
"""


# -- the UI ---------------------------------------------------------------------------------------------------
def theme() -> Any:
    import gradio as gr

    return gr.themes.Default(font=[gr.themes.Font("system-ui"), "sans-serif"],
                             font_mono=[gr.themes.Font("ui-monospace"), "monospace"])


def make_filters(country: str | None, stage: str | None, kind: str | None, date_from: str | None,
                 date_to: str | None) -> Filters | None:
    values = {"country": country or None, "stage": stage or None, "kind": kind or None,
              "date_from": (date_from or "").strip() or None, "date_to": (date_to or "").strip() or None}
    return Filters(**values) if any(values.values()) else None


def build_ui(assistant: Assistant, status: IndexStatus | None = None) -> gr.Blocks:
    import gradio as gr

    from assistant.core import COUNTRIES
    from assistant.frontends.web_map import answer_chart_html, build_map_tab
    from assistant.frontends.web_projects import build_projects_tab
    from assistant.frontends.web_supply import build_supply_tab
    from assistant.service import IndexStatus, ingest_files

    status = status or IndexStatus(ready=assistant.index_exists())

    def require_ready() -> None:
        try:
            status.require_ready()
        except ReeError as exc:
            raise gr.Error(str(exc)) from None

    def status_md() -> str:
        return f"**Index:** {esc(status.message)}" if not status.ready else ""

    with gr.Blocks(title="REE Assistant", analytics_enabled=False) as demo:
        conv_id = gr.State(None)
        last = gr.State(None)  # the last Answer as JSON (dict)

        gr.HTML('<div class="ree-header"><h1>REE Assistant</h1><p>Cited answers and stage-by-stage gap checklists '
                "for rare-earth supply chains. <b>A mineral deposit is not a supply chain.</b></p></div>")
        status_box = gr.Markdown(status_md(), elem_id="index-status")
        timer = gr.Timer(1.0, active=not status.ready)

        with gr.Tab("Ask"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=5, min_width=300):
                    chatbot = gr.Chatbot(label="Conversation", elem_id="chat", height=480, feedback_options=None,
                                         buttons=["copy"], sanitize_html=True, group_consecutive_messages=False)
                    with gr.Row():
                        msg = gr.Textbox(placeholder="Ask about a country, a stage, a policy…", show_label=False,
                                         scale=5, elem_id="question", max_length=2000, submit_btn=False)
                        send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask")
                    with gr.Row(elem_id="examples"):
                        example_buttons = [gr.Button(q, size="sm", variant="secondary") for q in EXAMPLES]
                    with gr.Accordion("Filters", open=False):
                        with gr.Row():
                            country = gr.Dropdown([("any", "")] + [(v[0], k) for k, v in sorted(COUNTRIES.items())],
                                                  value="", label="Country", min_width=140)
                            stage = gr.Dropdown([("any", "")] + [(s, s) for s in STAGES], value="", label="Stage",
                                                min_width=120)
                            kind = gr.Dropdown([("any", "")] + [(k, k) for k in KINDS], value="",
                                               label="Document kind", min_width=120)
                            date_from = gr.Textbox(label="As of from", placeholder="2024-01-01", min_width=120)
                            date_to = gr.Textbox(label="As of to", placeholder="2025-12-31", min_width=120)
                        clear = gr.Button("New conversation", size="sm")
                    with gr.Row():
                        comment = gr.Textbox(label="Comment (optional)", scale=4, elem_id="fb-comment")
                        up = gr.Button("Helpful", scale=0, min_width=96, elem_id="fb-up")
                        down = gr.Button("Not helpful", scale=0, min_width=112, elem_id="fb-down")
                    fb_status = gr.Markdown("", elem_id="fb-status")
                    with gr.Accordion("Copy / export the answer as Markdown", open=False):
                        export = gr.Textbox(label="Markdown", lines=8, buttons=["copy"], elem_id="export-md",
                                            interactive=False)
                        download = gr.DownloadButton("Download .md", size="sm")
                with gr.Column(scale=6, min_width=300):
                    verdict = gr.HTML("", elem_id="verdict")
                    gr.Markdown("#### Gap checklist")
                    checklist = gr.HTML(checklist_html(None), elem_id="checklist")
                    gr.Markdown("#### Sources")
                    sources = gr.HTML(sources_html(None), elem_id="sources")
                    answer_chart = gr.HTML("", elem_id="answer-chart")

        build_map_tab(demo, assistant, status)
        build_projects_tab(demo, assistant, status)
        build_supply_tab(demo, assistant, status)

        if assistant.settings.api_token is not None:
            with gr.Accordion("Sign in (needed to give feedback, upload or remove documents)", open=False):
                # A plain same-origin form: the server checks the token and sets an HttpOnly, SameSite=Strict
                # session cookie; the page never holds the token.
                gr.HTML('<form method="post" action="/auth/session" id="signin"><input type="password" '
                        'name="token" autocomplete="current-password" placeholder="API token" required> '
                        '<button type="submit">Sign in</button></form><form method="post" action="/auth/logout">'
                        '<button type="submit">Sign out</button></form>', elem_id="signin-box")

        with gr.Tab("Upload documents"):
            gr.Markdown("Add your own **.md, .txt, .html or .pdf** files; they are saved on this machine and indexed "
                        "next to the shipped corpus. A citation of an upload says it was uploaded, and a publisher "
                        "the file names is shown as claimed.")
            files = gr.File(file_count="multiple", label="Files", elem_id="upload")
            ingest_btn = gr.Button("Ingest", variant="primary", elem_id="ingest")
            ingest_result = gr.HTML("", elem_id="ingest-result")

        with gr.Tab("Sources browser"):
            refresh = gr.Button("Refresh", size="sm")
            with gr.Row():
                to_remove = gr.Dropdown([], label="Uploaded document to remove", elem_id="remove-doc", scale=4,
                                        allow_custom_value=False)
                remove_btn = gr.Button("Remove from the index", variant="stop", scale=1, elem_id="remove")
            remove_result = gr.Markdown("", elem_id="remove-result")
            browser = gr.HTML("", elem_id="sources-browser")

        # -- events ------------------------------------------------------------------------------------------
        def respond(message: str, history: list[dict[str, Any]], cid: str | None, c: str, s: str, k: str,
                    d1: str, d2: str) -> Any:
            message = (message or "").strip()
            if not message:
                raise gr.Error("Type a question first.")
            require_ready()
            cid = cid or uuid.uuid4().hex
            try:
                filters = make_filters(c, s, k, d1, d2)
            except Exception as exc:  # noqa: BLE001 - pydantic validation of the filter fields
                raise gr.Error(f"Invalid filter: {exc}") from None
            history = list(history or []) + [{"role": "user", "content": esc(message)},
                                             {"role": "assistant", "content": "…"}]
            skip = gr.skip()
            yield history, cid, skip, skip, skip, skip, skip, skip, ""
            text = ""
            answer: Answer | None = None
            try:
                for piece in assistant.stream(message, conversation_id=cid, filters=filters):
                    if isinstance(piece, Answer):
                        answer = piece
                    else:
                        text += piece
                        history[-1]["content"] = f'<div class="answer"><p>{cite_links(text)}</p></div>'
                        yield history, cid, skip, skip, skip, skip, skip, skip, ""
            except ReeError as exc:
                history[-1]["content"] = f"<p>⚠️ {esc(exc)}</p>"
                yield history, cid, skip, skip, skip, skip, skip, skip, ""
                raise gr.Error(str(exc)) from None
            if answer is None:  # the generator always ends with an Answer; be safe anyway
                return
            history[-1]["content"] = answer_html(answer)
            badges = " ".join(f"{esc(c.country)} {verdict_badge(c.verdict)}" for c in answer.checklists())
            yield (history, cid, answer.to_json() | {"_markdown": answer_markdown(answer)}, badges,
                   checklist_html(answer), sources_html(answer), answer_markdown(answer), "", "")

        chat_inputs = [msg, chatbot, conv_id, country, stage, kind, date_from, date_to]
        chat_outputs = [chatbot, conv_id, last, verdict, checklist, sources, export, fb_status, msg]
        send.click(respond, chat_inputs, chat_outputs, api_name="ask")
        msg.submit(respond, chat_inputs, chat_outputs, api_visibility="private")
        for b in example_buttons:
            b.click(lambda q=b.value: q, None, [msg], queue=False, api_visibility="private").then(
                respond, chat_inputs, chat_outputs, api_visibility="private")

        def new_conversation() -> tuple[Any, ...]:
            return [], None, None, "", checklist_html(None), sources_html(None), "", "", ""

        clear.click(new_conversation, None, chat_outputs, queue=False)

        def give_feedback(rating: int, answer: dict[str, Any] | None, note: str, cid: str | None) -> tuple[str, str]:
            if not answer:
                raise gr.Error("Ask a question first; feedback is about the last answer.")
            try:
                fid = assistant.feedback(question=answer["question"], answer=answer.get("_markdown", answer["answer"]),
                                         rating=rating, comment=note or "", source="web", conversation_id=cid)
            except ReeError as exc:
                raise gr.Error(str(exc)) from None
            return f"Thanks: feedback #{fid} saved ({'helpful' if rating > 0 else 'not helpful'}).", ""

        def feedback_up(answer: dict[str, Any] | None, note: str, cid: str | None) -> tuple[str, str]:
            return give_feedback(1, answer, note, cid)

        def feedback_down(answer: dict[str, Any] | None, note: str, cid: str | None) -> tuple[str, str]:
            return give_feedback(-1, answer, note, cid)

        up.click(feedback_up, [last, comment, conv_id], [fb_status, comment])
        down.click(feedback_down, [last, comment, conv_id], [fb_status, comment])

        def export_file(answer: dict[str, Any] | None) -> str:
            if not answer:
                raise gr.Error("Ask a question first.")
            folder = Path(tempfile.gettempdir()) / "ree-exports"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"ree-answer-{uuid.uuid4().hex[:8]}.md"
            path.write_text(answer.get("_markdown", ""), encoding="utf-8")
            return str(path)

        last.change(lambda a: export_file(a) if a else None, [last], [download])
        last.change(answer_chart_html, [last], [answer_chart], api_visibility="private")

        def list_sources() -> str:
            if not status.ready:
                return f"<p>{esc(status.message)}</p>"
            try:
                days = assistant.settings.stale_days
                return sources_table(assistant.sources()) + stale_html(assistant.stale(days), days)
            except ReeError as exc:
                return f"<p>⚠️ {esc(exc)}</p>"

        def uploaded_choices() -> Any:
            if not status.ready:
                return gr.Dropdown(choices=[], value=None)
            docs = [s.doc_id for s in assistant.sources() if s.doc_id.startswith("ext/")]
            return gr.Dropdown(choices=[(f"{d.rsplit('/', 1)[-1]} ({d})", d) for d in docs], value=None)

        def ingest(paths: list[Any] | None, progress: gr.Progress = gr.Progress()) -> tuple[str, str, Any]:  # noqa: B008
            # Who may call this (same origin; the token, as the session cookie, when one is set) is decided
            # before it runs, by the app's Guard (frontends/auth.py).
            require_ready()
            if not paths:
                raise gr.Error("Choose one or more files first.")
            if len(paths) > assistant.settings.api.max_files:
                raise gr.Error(f"At most {assistant.settings.api.max_files} files at once.")
            loaded = []
            for p in paths:
                path = Path(p if isinstance(p, str) else getattr(p, "name", str(p)))
                loaded.append((path.name, path.read_bytes()))
            progress(0, desc=f"Ingesting {len(loaded)} file(s)…")

            def step(done: int, total: int, label: str) -> None:
                progress((done, max(total, 1)), desc=label[:80])

            report = ingest_files(assistant, loaded, progress=step, channel="web")
            log.info("web upload: added %s updated %s errors %s", report.added, report.updated, report.errors)
            return ingest_html(report), list_sources(), uploaded_choices()

        def remove_document(doc_id: str | None) -> tuple[str, str, Any]:
            require_ready()
            if not doc_id:
                raise gr.Error("Choose an uploaded document first.")
            try:
                assistant.remove(doc_id)
            except ReeError as exc:
                raise gr.Error(str(exc)) from None
            log.info("web removal: %s", doc_id)
            return f"Removed {esc(doc_id)} from the index.", list_sources(), uploaded_choices()

        ingest_btn.click(ingest, [files], [ingest_result, browser, to_remove])
        remove_btn.click(remove_document, [to_remove], [remove_result, browser, to_remove])
        refresh.click(list_sources, None, [browser]).then(uploaded_choices, None, [to_remove], queue=False)

        def tick() -> tuple[str, Any, str]:
            if status.ready:
                return "", gr.Timer(active=False), list_sources()
            return status_md(), gr.Timer(active=True), gr.skip()

        timer.tick(tick, None, [status_box, timer, browser], queue=False)
        demo.load(list_sources, None, [browser], queue=False)
        demo.load(uploaded_choices, None, [to_remove], queue=False)
    # The events that change something: the Guard asks them for the same proof of intent as the API's writes.
    writes = {feedback_up, feedback_down, ingest, remove_document}
    demo.ree_writes = ({i for i, f in demo.fns.items() if f.fn in writes},  # type: ignore[attr-defined]
                       {f.api_name for f in demo.fns.values() if f.fn in writes and f.api_name})
    return demo


def mount_ui(app: FastAPI, assistant: Assistant, status: IndexStatus | None = None) -> FastAPI:
    import gradio as gr

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    demo = build_ui(assistant, status)
    app.state.ui_writes = demo.ree_writes  # type: ignore[attr-defined]
    # The same bounds as the API: REE_API__WORKERS answer at once, REE_API__QUEUE wait, the rest are told so.
    demo.queue(default_concurrency_limit=assistant.settings.api.workers, max_size=assistant.settings.api.queue)
    from assistant.frontends.web_map import MAP_CSS, MAP_JS
    from assistant.frontends.web_projects import PROJECTS_CSS
    from assistant.frontends.web_supply import SUPPLY_CSS
    from assistant.frontends.web_viewer import VIEWER_CSS, VIEWER_JS, install_viewer

    install_viewer(app, assistant, status)  # GET /doc/{doc_id}: the document viewer, before the UI's mount at /
    return gr.mount_gradio_app(app, demo, path="/", theme=theme(),
                               css=CSS + MAP_CSS + PROJECTS_CSS + SUPPLY_CSS + VIEWER_CSS,
                               head=HEAD + MAP_JS + VIEWER_JS,
                               footer_links=["api"], max_file_size=assistant.settings.max_upload_bytes, ssr_mode=False)


__all__ = ["answer_html", "answer_markdown", "build_ui", "checklist_html", "mount_ui", "sources_html",
           "stale_html"]
