"""RFC 9457 problem bodies: the one error shape every HTTP door (API, MCP mount, metrics) answers with."""

from __future__ import annotations

import re
from http import HTTPStatus

from fastapi.responses import JSONResponse

PROBLEM_JSON = "application/problem+json"

def problem(status: int, detail: str, field: str | None = None, kind: str | None = None) -> JSONResponse:
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    slug = kind or re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    body = {"type": f"/problems/{slug}", "title": title, "status": status, "detail": detail, "field": field}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)
