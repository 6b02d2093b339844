"""What an operator watches: Prometheus metrics for the HTTP app (GET /metrics) and one-JSON-object-per-line logs
(REE_LOG__JSON=true)."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

if TYPE_CHECKING:
    from fastapi import FastAPI

    from assistant.settings import Settings


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and the traceback, when there is one)."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {"time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                               + f".{int(record.msecs):03d}Z", "level": record.levelname, "logger": record.name,
                               "message": record.getMessage()}
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def setup_logging(settings: Settings) -> None:
    """Configure the root logger once for a server process (plain lines, or JSON lines)."""
    handler = logging.StreamHandler(sys.stderr)
    if settings.log.json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log.level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


def install_metrics(app: FastAPI, assistant: Any, gate: Any, route: str = "/metrics") -> None:
    """Requests, latency histograms and errors by endpoint; queue depth, busy workers; index size and
    revision. A registry per app, so several apps in one process never collide."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

    registry = CollectorRegistry()
    requests = Counter("ree_requests", "HTTP requests", ["endpoint", "method", "status"], registry=registry)
    latency = Histogram("ree_request_seconds", "HTTP request latency", ["endpoint"], registry=registry,
                        buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
    errors = Counter("ree_errors", "Error responses by problem type", ["type"], registry=registry)
    Gauge("ree_queue_depth", "Requests waiting for a worker", registry=registry).set_function(lambda: gate.waiting)
    Gauge("ree_workers_busy", "Requests being answered", registry=registry).set_function(lambda: gate.running)
    chunks = Gauge("ree_index_chunks", "Passages in the live index", registry=registry)
    documents = Gauge("ree_index_documents", "Documents in the live index", registry=registry)
    revision = Gauge("ree_index_revision", "The live index revision (label); value 1", ["revision"],
                     registry=registry)

    class Measure:
        """Pure ASGI (streamed answers, SSE and MCP pass through untouched)."""

        def __init__(self, inner: Any) -> None:
            self.inner = inner

        async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await self.inner(scope, receive, send)
                return
            started = time.perf_counter()
            status = [500]

            async def sending(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    status[0] = int(message["status"])
                await send(message)

            try:
                await self.inner(scope, receive, sending)
            finally:
                endpoint = getattr(scope.get("route"), "path", None) or "other"
                latency.labels(endpoint).observe(time.perf_counter() - started)
                requests.labels(endpoint, scope.get("method", ""), str(status[0])).inc()
                if status[0] >= 400:
                    errors.labels((scope.get("state") or {}).get("problem") or str(status[0])).inc()

    app.add_middleware(Measure)

    def metrics() -> Response:
        snap = assistant._snaps.current  # what is live now, without waiting for a refresh
        if snap is not None:
            chunks.set(len(snap.keywords.ids))
            documents.set(len({m["doc_id"] for m in snap.keywords.metas}))
            revision.clear()
            revision.labels(snap.revision).set(1)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    # Who may read it (the token with REE_API__PROTECT_READS) is the Guard's rule (frontends/auth.py).
    app.add_api_route(route, metrics, methods=["GET"], include_in_schema=False)


__all__ = ["JsonFormatter", "install_metrics", "setup_logging"]
