"""The document viewer: a citation, or a row of the sources browser, opens its document inside the app.

`GET /doc/{doc_id}?span=START-END` answers the document as HTML: its title, its sources (publisher, title, date or
"undated", the original address and the copy it was read through), the cited source's original link, and its text
with the cited span in <mark> (`embed=1`: the fragment the in-app viewer shows; without it, a page of its own). The
route sits on the app behind the Guard (frontends/auth.py) like every other door, reads through the core's
`Assistant.document` (an unknown id is a 404 problem; only indexed documents exist for it, so no path can be
named), and escapes every string it shows: a document's text is never markup.

In the page, a click on a citation marker ([n]) or on a "document" link opens the viewer over the app (VIEWER_JS),
with the cited span scrolled into view; Escape or Close shuts it.
"""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING

from assistant.errors import InputError
from assistant.frontends.web_html import esc, safe_url

if TYPE_CHECKING:
    from fastapi import FastAPI

    from assistant.core import Assistant
    from assistant.service import IndexStatus
    from assistant.views.document import DocumentView

_SOURCE_MARK = re.compile(r"\[S(\d{1,3})\]")

VIEWER_CSS = """
#doc-viewer { position: fixed; inset: 0; z-index: 1000; background: rgba(17, 24, 39, .55); display: flex;
  align-items: center; justify-content: center; }
#doc-viewer[hidden] { display: none; }
#doc-viewer .dv-box { background: var(--background-fill-primary, #fff); color: var(--body-text-color, #111);
  width: min(980px, 95vw); height: 90vh; border-radius: .6rem; display: flex; flex-direction: column;
  box-shadow: 0 10px 40px rgba(0, 0, 0, .35); }
#doc-viewer .dv-bar { display: flex; gap: 1rem; justify-content: flex-end; align-items: center;
  padding: .4rem .8rem; border-bottom: 1px solid #e5e7eb; font-size: .85rem; }
#doc-viewer .dv-body { overflow: auto; padding: .6rem 1.2rem 2rem; flex: 1; }
.doc-view .dv-head { position: sticky; top: -.6rem; z-index: 1; padding: .4rem 0 .3rem;
  background: var(--background-fill-primary, #fff); border-bottom: 1px solid #e5e7eb; }
.doc-view h2 { margin: .2rem 0; font-size: 1.25rem; }
.doc-view .dv-meta { opacity: .8; font-size: .82rem; margin: .2rem 0 .5rem; }
.doc-view .dv-cited-source { border-left: 3px solid #f59e0b; padding: .2rem .6rem; font-size: .88rem; }
.doc-view .dv-notice { color: #92400e; font-size: .85rem; }
.doc-view ol.dv-sources { font-size: .82rem; padding-left: 2.2rem; margin: .3rem 0; }
.doc-view ol.dv-sources li.cited { background: #fef9c3; }
.doc-view .dv-text { white-space: pre-wrap; overflow-wrap: anywhere; font-size: .9rem; line-height: 1.55;
  border-top: 1px solid #e5e7eb; padding-top: .6rem; margin: 0; font-family: inherit; }
.doc-view mark.dv-cited { background: #fde68a; color: inherit; padding: .05em 0; scroll-margin: 30vh; }
.doc-view a.dv-sref { font-size: .8em; text-decoration: none; }
a.doc-open { font-size: .8rem; }
"""

# A delegated listener (no inline handlers): a.doc-open, or an [n] marker whose source (#src-n, #msrc-n) holds one,
# opens the viewer; the server's HTML is put in as it came, since the server escaped every document string.
VIEWER_JS = """
<script>
(function () {
  function shut() {
    var d = document.getElementById('doc-viewer');
    if (d && !d.hidden) { d.hidden = true; d.querySelector('.dv-body').innerHTML = ''; }
  }
  function box() {
    var d = document.getElementById('doc-viewer');
    if (d) return d;
    d = document.createElement('div');
    d.id = 'doc-viewer'; d.hidden = true;
    d.setAttribute('role', 'dialog'); d.setAttribute('aria-modal', 'true'); d.setAttribute('aria-label', 'Document');
    d.innerHTML = '<div class="dv-box"><div class="dv-bar"><a class="dv-page" target="_blank" rel="noopener">' +
      'Open as a page</a><button type="button" class="dv-close">Close</button></div>' +
      '<div class="dv-body" tabindex="-1"></div></div>';
    d.addEventListener('click', function (e) {
      if (e.target === d || e.target.closest('.dv-close')) { e.preventDefault(); shut(); return; }
      var s = e.target.closest('a.dv-sref');
      if (s) {
        e.preventDefault();
        var li = d.querySelector(s.getAttribute('href'));
        if (li) li.scrollIntoView({block: 'center'});
      }
    });
    document.body.appendChild(d);
    return d;
  }
  function open(href) {
    var d = box(), body = d.querySelector('.dv-body');
    d.hidden = false; body.textContent = 'Opening the document…';
    d.querySelector('.dv-page').setAttribute('href', href);
    var url = href.split('#')[0];
    fetch(url + (url.indexOf('?') < 0 ? '?' : '&') + 'embed=1', {credentials: 'same-origin'})
      .then(function (r) { return r.text().then(function (t) { return {ok: r.ok, text: t}; }); })
      .then(function (res) {
        if (!res.ok) {
          var msg = 'The document could not be opened.';
          try { msg = JSON.parse(res.text).detail || msg; } catch (err) {}
          body.textContent = msg; return;
        }
        body.innerHTML = res.text;
        var m = body.querySelector('mark.dv-cited');
        if (m) m.scrollIntoView({block: 'center'}); else body.scrollTop = 0;
        body.focus({preventScroll: true});
      })
      .catch(function () { body.textContent = 'The document could not be opened.'; });
  }
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape') shut(); });
  document.addEventListener('click', function (e) {
    var t = e.target && e.target.closest ? e.target : null;
    if (!t || t.closest('#doc-viewer')) return;
    var a = t.closest('a.doc-open');
    if (!a) {
      var c = t.closest('a.cite');
      var id = c ? (c.getAttribute('href') || '').replace('#', '') : '';
      var src = id ? document.getElementById(id) : null;
      a = src ? src.querySelector('a.doc-open') : null;
    }
    if (!a) return;
    e.preventDefault();
    open(a.getAttribute('href'));
  }, true);
})();
</script>
"""


def parse_span(value: str | None) -> tuple[int, int] | None:
    """'120-180' → (120, 180); None or '' → None; anything else is an InputError."""
    if not value:
        return None
    m = re.fullmatch(r"(\d{1,9})-(\d{1,9})", value.strip())
    if m is None:
        raise InputError("span must be START-END, two character offsets (e.g. 120-180).", field="span")
    return int(m.group(1)), int(m.group(2))


def _with_marks(text: str) -> str:
    """Escaped text whose [Sn] source markers link to source n of the list."""
    return _SOURCE_MARK.sub(lambda m: f'<a class="dv-sref" href="#dv-src-{m.group(1)}">[S{m.group(1)}]</a>',
                            esc(text))


def cited_source(doc: DocumentView, span: tuple[int, int] | None) -> int | None:
    """Which source (1-based) the cited words rest on: a [Sn] marker in the span, else in its paragraph."""
    if span is None or not doc.sources:
        return None
    start, end = span
    para_start = doc.text.rfind("\n\n", 0, start) + 1
    para_end = doc.text.find("\n\n", end)
    for part in (doc.text[start:end], doc.text[para_start:para_end if para_end >= 0 else len(doc.text)]):
        for m in _SOURCE_MARK.finditer(part):
            if 0 < int(m.group(1)) <= len(doc.sources):
                return int(m.group(1))
    return None


def _link(url: str, label: str) -> str:
    safe = safe_url(url)
    return (f'<a href="{esc(safe)}" target="_blank" rel="noopener noreferrer nofollow">{esc(label)}</a>' if safe
            else esc(url))


def _source_line(src: dict[str, str]) -> str:
    bits = [f"<b>{esc(src.get('publisher') or 'unnamed publisher')}</b>"]
    if src.get("title"):
        bits.append(f"<i>{esc(src['title'])}</i>")
    bits.append(esc(src.get("date") or "undated"))
    line = ", ".join(bits) + "."
    if src.get("url"):
        line += " " + _link(src["url"], "original ↗")
    if src.get("via"):
        line += " (read via " + _link(src["via"], "a copy ↗") + ")"
    return line


def viewer_html(doc: DocumentView, span: tuple[int, int] | None = None) -> str:
    """The viewer's fragment: header, cited source, sources list and the escaped text with the span marked."""
    notices = []
    if span is not None and doc.span(*span) is None:
        notices.append(f"The cited range {span[0]}–{span[1]} is not in this version of the document "
                       f"({len(doc.text):,} characters); it is shown without a highlight.")
        span = None
    if not doc.complete:
        notices.append("The file behind this document changed or is not on this server: the text is put together "
                       "from its indexed passages, and words between them are missing.")
    cited = cited_source(doc, span)
    meta = " · ".join(x for x in (f"<code>{esc(doc.doc_id)}</code>", esc(doc.kind),
                                  f"as of {esc(doc.as_of)}" if doc.as_of else "", esc(doc.uploaded)) if x)
    parts = [f'<article class="doc-view" data-doc="{esc(doc.doc_id)}"><header class="dv-head">',
             f'<h2>{esc(doc.title)}</h2><p class="dv-meta">{meta}</p>']
    first = doc.sources[cited - 1] if cited else (doc.sources[0] if len(doc.sources) == 1 else None)
    if first is not None:
        label = f"Cited source [S{cited}]" if cited else "Source"
        claim = " (as the upload names it)" if doc.uploaded else ""
        parts.append(f'<p class="dv-cited-source">{label}{claim}: {_source_line(first)}</p>')
    parts.append("</header>")
    parts += [f'<p class="dv-notice">{esc(n)}</p>' for n in notices]
    if doc.sources:
        mark = ' class="cited"'
        items = "".join(f'<li id="dv-src-{i}"{mark if i == cited else ""}>{_source_line(s)}</li>'
                        for i, s in enumerate(doc.sources, 1))
        title = "Sources the file names" + (" (claimed, not checked)" if doc.uploaded else "")
        parts.append(f'<details class="dv-sources-box" open><summary>{title} ({len(doc.sources)})</summary>'
                     f'<ol class="dv-sources">{items}</ol></details>')
    if span is None:
        body = _with_marks(doc.text)
    else:
        start, end = span
        body = (_with_marks(doc.text[:start]) + f'<mark class="dv-cited" id="cited">{_with_marks(doc.text[start:end])}'
                "</mark>" + _with_marks(doc.text[end:]))
    parts.append(f'<div class="dv-text">{body}</div></article>')
    return "".join(parts)


def viewer_page(doc: DocumentView, span: tuple[int, int] | None = None) -> str:
    """The viewer as a page of its own (a citation opened in a new tab): no script, the mark reached by #cited."""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{esc(doc.title)} · REE Assistant'
            '</title><meta name="viewport" content="width=device-width, initial-scale=1">'
            "<style>body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 1rem auto; padding: 0 1rem; }"
            f"{VIEWER_CSS}</style></head><body>{viewer_html(doc, span)}</body></html>")


def install_viewer(app: FastAPI, assistant: Assistant, status: IndexStatus | None = None) -> None:
    """`GET /doc/{doc_id}?span=START-END[&embed=1]` on the app (before the UI's catch-all mount)."""
    from fastapi import Query
    from fastapi.responses import HTMLResponse

    from assistant.service import IndexStatus

    status = status or IndexStatus(ready=assistant.index_exists())

    def document(doc_id: str, span: str | None = Query(None, description="START-END of the cited words"),
                 embed: bool = Query(False, description="Only the viewer's fragment")) -> HTMLResponse:
        status.require_ready()
        cut = parse_span(span)
        gate = getattr(app.state, "gate", None)
        with gate if gate is not None else contextlib.nullcontext():
            doc = assistant.document(doc_id)
        return HTMLResponse(viewer_html(doc, cut) if embed else viewer_page(doc, cut),
                            headers={"Cache-Control": "no-store"})

    app.add_api_route("/doc/{doc_id:path}", document, methods=["GET"], include_in_schema=False)


__all__ = ["VIEWER_CSS", "VIEWER_JS", "cited_source", "install_viewer", "parse_span", "viewer_html", "viewer_page"]
