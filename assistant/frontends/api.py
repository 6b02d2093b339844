"""The HTTP API (FastAPI) and the one app that also carries the web UI and the Slack endpoint.

    POST /api/ask              {question, conversation_id?, filters?} -> Answer.to_json()
    GET  /api/search?q=&k=     passages with their scores
    GET  /api/gaps/{country}   the gap checklist as an Answer (?target=magnet)
    GET  /api/map              the capability map (?target=&stage=&status=&region=&sort=&format=json|csv)
    GET  /api/projects         the registry of projects (?country=&region=&stage=&phase=&support=&expected_by=&format=)
    GET  /api/metrics          concentration by stage and year (top share, top three, China's share, HHI)
    GET  /api/brief/{country}  the country brief (?format=md|html|pdf)
    GET  /api/chart/{name}     a chart of the corpus's figures (?format=svg|png&country=)
    POST /api/ingest           multipart upload of one or more files -> IngestReport
    DELETE /api/documents/{doc_id}   take an uploaded document out of the index (and its file off disk)
    GET  /api/sources          what is indexed
    POST /api/feedback         {question, answer?, rating: 1|-1, comment?, conversation_id?} -> {id}
    GET  /api/health           state ready + index name, counts, store; 503 with state starting|building|failed
    GET  /metrics              Prometheus metrics: requests, latency, errors by type, queue, index size/revision
    GET  /v1/models, POST /v1/chat/completions   OpenAI-compatible chat (assistant/frontends/openai_api.py)
    /mcp                       MCP over streamable HTTP (assistant/frontends/mcp_server.py)

Every error leaves as an RFC 7807 style problem: {type, title, status, detail, field}. Endpoints are plain
`def`, so FastAPI runs them in its threadpool; at most REE_API__WORKERS answer at once, REE_API__QUEUE more
wait, and beyond that a 503 with Retry-After. Who may call what is decided in one place for every door,
frontends/auth.py's Guard: the Host must be loopback or listed (else 421), writes from a browser must come
from the app's own origin (else 403), and writes (ingest, feedback, removal, /v1, /mcp) need the token when
REE_API_TOKEN is set (reads too with REE_API__PROTECT_READS=true). Per-client rate limits (slowapi) apply to
ask and ingest. CORS is closed unless REE_API__CORS_ORIGINS lists origins.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import FastAPI, File, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.errors import InputError, ReeError
from assistant.frontends.auth import Guard, install_session_routes
from assistant.frontends.problems import problem
from assistant.service import (
    IndexStatus,
    build_index_in_background,
    ingest_files,
    safe_filename,
)
from assistant.types import STAGES, Filters, IngestReport, SourceInfo

if TYPE_CHECKING:
    from assistant.core import Assistant

log = logging.getLogger("ree.web")



# -- bounded concurrency -----------------------------------------------------------------------------------------
class Gate:
    """At most `workers` requests run at once and `queue` more wait; any beyond are refused at once (503)."""

    def __init__(self, workers: int, queue: int, retry_after_s: int) -> None:
        self._admit = threading.BoundedSemaphore(workers + queue)
        self._run = threading.BoundedSemaphore(workers)
        self.retry_after_s = retry_after_s
        self._lock = threading.Lock()
        self.waiting = 0
        self.running = 0

    def __enter__(self) -> Gate:
        if not self._admit.acquire(blocking=False):
            raise _Busy(f"All workers are busy and the queue is full; retry in {self.retry_after_s} s.",
                        retry_after=self.retry_after_s)
        with self._lock:
            self.waiting += 1
        self._run.acquire()
        with self._lock:
            self.waiting -= 1
            self.running += 1
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self.running -= 1
        self._run.release()
        self._admit.release()


# -- request bodies -------------------------------------------------------------------------------------------
class AskRequest(BaseModel):
    question: str = Field(..., min_length=1, description="The question, in plain words.")
    conversation_id: str | None = Field(None, max_length=200, description="Reuse to ask follow-ups ('And Japan?').")
    filters: Filters | None = None


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(..., min_length=1, max_length=2000, description="The question the feedback is about.")
    answer: str = Field("", max_length=20000, description="The answer as shown.")
    rating: Literal[1, -1] = Field(..., description="1 for 👍, -1 for 👎")
    comment: str = Field("", max_length=2000)
    conversation_id: str | None = Field(None, max_length=200)


class FeedbackResponse(BaseModel):
    id: int


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    field: str | None = None


# -- helpers --------------------------------------------------------------------------------------------------


def passage_json(p: Any) -> dict[str, Any]:
    c = p.chunk
    return {"chunk_id": c.id, "doc_id": c.doc_id, "title": c.meta.get("title", ""), "section": c.section,
            "page": c.page, "kind": c.meta.get("kind", ""), "text": c.text, "score": p.score,
            "similarity": p.similarity, "dense_rank": p.dense_rank, "bm25_rank": p.bm25_rank}


# -- the app --------------------------------------------------------------------------------------------------
def create_app(assistant: Assistant | None = None, *, ui: bool = True, build_missing_index: bool = False,
               bind_host: str | None = None) -> FastAPI:
    """The HTTP API under /api, the Slack endpoint (when configured) and the Gradio UI at /, every door behind
    the one access rule (frontends/auth.py: Host, size, same origin, token). `bind_host` is the address the
    server listens on: a specific one is an allowed Host too."""
    if assistant is None:
        from assistant.core import Assistant

        assistant = Assistant()
    status = status_ = IndexStatus(ready=assistant.index_exists())
    lifespans: list[Callable[[], AbstractAsyncContextManager[Any]]] = []  # entered while the server runs

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for enter in lifespans:
                await stack.enter_async_context(enter())
            yield

    app = FastAPI(title="REE Assistant API", version="0.1.0", lifespan=lifespan,
                  description="Cited answers and stage-by-stage gap checklists for rare-earth supply chains. "
                              "Errors are RFC 7807 problems: {type, title, status, detail, field}; the "
                              "OpenAI-compatible /v1 routes answer errors in OpenAI's shape.")
    app.state.assistant = assistant
    cfg = assistant.settings.api
    gate = Gate(cfg.workers, cfg.queue, cfg.retry_after_s)
    app.state.gate = gate

    @contextmanager
    def admit() -> Iterator[None]:
        """A request that reads the index from /v1 or /mcp: refused while it is built, bounded by the gate."""
        status.require_ready()
        with gate:
            yield

    app.state.admit = admit
    limiter = _limiter(app)
    _install_handlers(app, assistant)
    if cfg.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=cfg.cors_origins, allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Authorization", "Content-Type"])
    errors = {400: {"model": Problem}, 401: {"model": Problem}, 404: {"model": Problem}, 422: {"model": Problem},
              429: {"model": Problem}, 503: {"model": Problem}}

    def limited(rate: str) -> Any:
        return limiter.limit(rate) if rate else (lambda f: f)

    @app.post("/api/ask", tags=["questions"], responses=errors,
              summary="Ask a question; returns the answer JSON contract (same as `ree ask --json`).")
    @limited(cfg.rate_ask)
    def ask(request: Request, body: AskRequest) -> dict[str, Any]:
        status.require_ready()
        with gate:
            return assistant.ask(body.question, conversation_id=body.conversation_id,
                                 filters=body.filters).to_json()

    @app.get("/api/search", tags=["questions"], responses=errors,
             summary="Hybrid search over the indexed passages.")
    def search(q: str = Query(..., min_length=1, description="Search words"),
               k: int = Query(6, ge=1, le=50, description="How many passages")) -> list[dict[str, Any]]:
        status.require_ready()
        with gate:
            return [passage_json(p) for p in assistant.search(q, k=k)]

    @app.get("/api/gaps/{country}", tags=["questions"], responses=errors,
             summary="The stage-by-stage gap checklist of one country, as an Answer.")
    def gaps(country: str, target: str = Query("magnet", description=f"One of: {', '.join(STAGES)}")
             ) -> dict[str, Any]:
        status.require_ready()
        with gate:
            return assistant.gaps(country, target=target).to_json()

    @app.get("/api/exposure", tags=["questions"], responses=errors,
             summary="What a country's chain, deposit to target, takes in from abroad and from whom, each line cited.")
    def exposure(country: str = Query(..., description="A country name or key."),
                 target: str = Query("magnet", description=f"One of: {', '.join(STAGES)}")) -> dict[str, Any]:
        with gate:
            return assistant.exposure(country, target).model_dump(mode="json")

    @app.get("/api/scenario", tags=["questions"], responses=errors,
             summary="What breaks if a country, company or facility stops supplying: who loses a sourced supply, "
                     "who keeps an alternative, who is unaffected; each line cited.")
    def scenario(stop: str = Query(..., description="The country, company or facility that stops."),
                 material: str | None = Query(None, description="ore | concentrate | mixed_carbonate | oxide | "
                                                                "compounds | metal | alloy | magnet | scrap"),
                 element: Annotated[list[str] | None,
                                    Query(description="Elements (Dy, Tb); repeat for several.")] = None,
                 stage: str | None = Query(None, description="The supplier's stage it stops from.")
                 ) -> dict[str, Any]:
        with gate:
            return assistant.scenario(stop, material, element or [], stage).model_dump(mode="json")

    @app.get("/api/map", tags=["map"], responses=errors,
             summary="Countries × stages coloured by status (every cell from the checklist); JSON or CSV.")
    def capability_map(target: str = Query("magnet", description=f"Verdict target, one of: {', '.join(STAGES)}"),
                       stage: str | None = Query(None, description="Filter: a stage (with status)"),
                       status: str | None = Query(None, description="Filter: at_scale | emerging | planned | "
                                                                   "none | unknown (at `stage`, else the target)"),
                       region: str | None = Query(None, description="Filter: a region, or 'outside China'"),
                       sort: str = Query("verdict", description="verdict | reach | country"),
                       format: str = Query("json", description="json | csv (one row per country and stage)"),
                       ) -> Any:
        status_.require_ready()
        if format not in ("json", "csv"):
            raise InputError(f"Unsupported map format '{format[:20]}'. Use json or csv.", field="format")
        cmap = assistant.capability_map(target=target, stage=stage, status=status, region=region, sort=sort)
        if format == "csv":
            return Response(cmap.to_csv(), media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": f'attachment; filename="ree-map-{cmap.target}.csv"'})
        return cmap.model_dump(mode="json") | {"records": cmap.records()}

    @app.get("/api/projects", tags=["map"], responses=errors,
             summary="The registry of projects and facilities, filtered; JSON or CSV.")
    def projects(country: str | None = Query(None, max_length=80), region: str | None = Query(None, max_length=40),
                 stage: str | None = Query(None, max_length=20), phase: str | None = Query(None, max_length=20),
                 support: str | None = Query(None, max_length=60, description="a programme (CRMA, DFC) or 'any'"),
                 expected_by: int | None = Query(None, description="first output in or before this year"),
                 format: str = Query("json", description="json | csv")) -> Any:
        status_.require_ready()
        if format not in ("json", "csv"):
            raise InputError(f"Unsupported projects format '{format[:20]}'. Use json or csv.", field="format")
        rows = assistant.projects(country=country, region=region, stage=stage, phase=phase, support=support,
                                  expected_by=expected_by)
        if format == "csv":
            from assistant.views.projects import to_csv

            return Response(to_csv(rows), media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": 'attachment; filename="ree-projects.csv"'})
        return {"count": len(rows), "projects": rows}

    @app.get("/api/metrics", tags=["map"], responses=errors,
             summary="Concentration by stage and year: top share, top three, China's share, HHI, with inputs.")
    def metrics() -> Any:
        return {"metrics": [m.model_dump(mode="json") for m in assistant.metrics()]}

    @app.get("/api/brief/{country}", tags=["map"], responses=errors,
             summary="One country's brief: verdict, checklist, figures, charts, numbered sources.")
    def brief(country: str, format: str = Query("html", description="md | html | pdf")) -> Response:
        status_.require_ready()
        data, media = assistant.brief(country, format)
        key = assistant.country_key(country)
        ext = format.strip().lower()
        disposition = "inline" if ext != "pdf" else "attachment"
        return Response(data, media_type=media,
                        headers={"Content-Disposition": f'{disposition}; filename="ree-brief-{key}.{ext}"'})

    @app.get("/api/chart/{name}", tags=["map"], responses=errors,
             summary="A chart of the corpus's figures: mine_production, reserves, china_share (SVG or PNG).")
    def chart(name: str, format: str = Query("svg", description="svg | png"),
              country: str | None = Query(None, description="Only this country (mine_production, reserves)")
              ) -> Response:
        from assistant.views.charts import chart as draw

        key = assistant.country_key(country) if country else None
        data = draw(assistant.settings.paths.corpus, name, format, key)
        return Response(data, media_type="image/svg+xml" if format == "svg" else "image/png")

    @app.post("/api/ingest", tags=["documents"], responses={**errors, 413: {"model": Problem}},
              summary="Upload md, txt, html or pdf files; each rejected file is named in `errors`.")
    @limited(cfg.rate_ingest)
    def ingest(request: Request,
               files: Annotated[list[UploadFile], File(description="One or more files")]) -> IngestReport:
        status.require_ready()
        limit = assistant.settings.max_upload_bytes
        if len(files) > cfg.max_files:
            raise _TooLarge(f"{len(files)} files in one request; at most {cfg.max_files} (REE_API__MAX_FILES).")
        loaded: list[tuple[str, bytes]] = []
        for f in files:
            data = f.file.read(limit + 1)
            if len(data) > limit:
                raise _TooLarge(f"'{safe_filename(f.filename or '')}' is larger than the {limit:,}-byte upload limit "
                                "(REE_MAX_UPLOAD_BYTES).")
            loaded.append((f.filename or "upload", data))
        with gate:
            return ingest_files(assistant, loaded, channel="api")

    @app.delete("/api/documents/{doc_id:path}", tags=["documents"], responses=errors,
                summary="Take an uploaded document out of the index (written beside the live one, as ingest is) "
                        "and delete its file; corpus documents are refused.")
    def remove_document(doc_id: str) -> IngestReport:
        status.require_ready()
        with gate:
            return assistant.remove(doc_id)

    @app.get("/api/sources", tags=["documents"], responses=errors,
             summary="Every indexed document.")
    def sources() -> list[SourceInfo]:
        status.require_ready()
        return assistant.sources()

    @app.post("/api/feedback", tags=["feedback"], status_code=201, responses=errors,
              summary="Store 👍/👎 feedback (rating 1 or -1) with an optional comment; returns only its id.")
    def feedback(body: FeedbackRequest) -> FeedbackResponse:
        return FeedbackResponse(id=assistant.feedback(question=body.question, answer=body.answer, rating=body.rating,
                                                      comment=body.comment, source="api",
                                                      conversation_id=body.conversation_id))

    @app.get("/api/health", tags=["service"], responses=errors,
             summary="`state`: starting | building | failed (503 with a message) or ready (index name and counts).")
    def health() -> Any:
        if status.state != "ready":
            return JSONResponse({"status": status.state, "state": status.state, "message": status.message},
                                status_code=503)
        return {**assistant.health(), "state": "ready"}

    from assistant.frontends.observability import install_metrics

    # Every door (API, /v1, /mcp, /metrics, the UI and its events) goes through the one access rule; the metrics
    # middleware, added after it, sits outside and counts its refusals too.
    app.add_middleware(Guard, settings=assistant.settings, bind_host=bind_host,
                       ui_writes=lambda: getattr(app.state, "ui_writes", ((), ())))
    install_session_routes(app)
    install_metrics(app, assistant, gate)  # GET /metrics (Prometheus)

    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "DELETE", "PATCH"], include_in_schema=False)
    def not_found(rest: str) -> JSONResponse:
        return problem(404, f"No API endpoint /api/{rest}; see /docs for the list.", kind="not-found")

    from assistant.frontends.mcp_server import mount_mcp
    from assistant.frontends.openai_api import make_router

    app.include_router(make_router())  # /v1: OpenAI-compatible chat
    lifespans.append(mount_mcp(app, assistant, admit=admit))  # /mcp: MCP over streamable HTTP

    try:
        from assistant.frontends.slack import mount_slack
    except ImportError:
        mount_slack = None
    if mount_slack is not None:
        mount_slack(app, assistant)

    if ui and assistant.settings.api.protect_reads:
        log.info("REE_API__PROTECT_READS is set: the web UI is not served (it has no token login); use the API")
    elif ui:
        from assistant.frontends.web import mount_ui

        mount_ui(app, assistant, status)
    if build_missing_index and not status.ready:
        build_index_in_background(assistant, status)
    return app


class _TooLarge(ReeError):
    status_code = 413
    kind = "payload-too-large"


class _Busy(ReeError):
    status_code = 503

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _limiter(app: FastAPI) -> Any:
    """Per-client (remote address) rate limits, kept in memory per process."""
    from slowapi import Limiter
    from slowapi.util import get_remote_address

    limiter = Limiter(key_func=get_remote_address, storage_uri="memory://")
    app.state.limiter = limiter
    return limiter


def _install_handlers(app: FastAPI, assistant: Assistant) -> None:
    @app.exception_handler(ReeError)
    async def ree_error(request: Request, exc: ReeError) -> JSONResponse:
        request.state.problem = exc.problem_type
        resp = problem(exc.status_code, exc.message, exc.field, kind=exc.problem_type)
        resp.headers.update(exc.headers())
        return resp

    from slowapi.errors import RateLimitExceeded

    @app.exception_handler(RateLimitExceeded)
    async def too_many(request: Request, exc: RateLimitExceeded) -> JSONResponse:
        request.state.problem = "rate-limited"
        resp = problem(429, f"Rate limit exceeded ({exc.detail}); slow down and retry.", kind="rate-limited")
        expiry = getattr(getattr(exc, "limit", None), "limit", None)
        resp.headers["Retry-After"] = str(expiry.get_expiry() if expiry is not None else 60)
        return resp

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        request.state.problem = "validation-error"
        errs = exc.errors()
        first = errs[0] if errs else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header")]
        field = loc[-1] if loc else None  # the field's own name, as every other problem names it; the path is in detail
        details = []
        for e in errs[:5]:
            where = ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path", "header"))
            details.append(f"{where or 'body'}: {e.get('msg', 'invalid')}")
        return problem(422, "; ".join(details) or "Invalid request.", field, kind="validation-error")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        resp = problem(exc.status_code, str(exc.detail))
        for name, value in (exc.headers or {}).items():
            resp.headers[name] = value
        return resp

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        request.state.problem = f"unexpected-{type(exc).__name__}"
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        if assistant.settings.debug:
            raise exc
        return problem(500, "Unexpected server error; it has been logged. Please try again or report it.")


__all__ = ["IndexStatus", "create_app", "ingest_files", "safe_filename"]
